"""The Tensor API against PyTorch: creation, dtype inference and promotion, default dtype, conversions,
metadata, repr, pickling and the legacy constructors."""
import copy
import itertools
import pickle

import numpy as np
import pytest
import torch

import ember

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def dname(dt):
    return str(dt).split(".")[-1]


def same(e, t, exact=True):
    assert dname(e.dtype) == dname(t.dtype), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
    en, tn = e.detach().numpy(), t.detach().numpy()
    if exact:
        np.testing.assert_array_equal(en, tn)
    else:
        np.testing.assert_allclose(en, tn, rtol=1e-6, atol=1e-7)


def run_both(fn, exact=True):
    same(fn(ember), fn(torch), exact)


def raises_same(fn, match=None):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert type(ee.value).__name__ == type(te.value).__name__, (te.value, ee.value)
    if match is not None:
        assert match in str(ee.value), str(ee.value)


# ------------------------------------------------------------------------------------------ tensor()
@pytest.mark.parametrize("data", [
    1, 2.5, True, [1, 2], [1.0, 2], [True, False], [[1, 2], [3, 4]], [[True, 1], [2, 3]], [[1, 2.5]],
    [], [[]], (1, 2, 3), [np.float32(1.5)], [np.int32(3)], [True, 2.0], 10 ** 12, -3,
    [np.float64(1.5)], [np.int32(3), 2.5], [1, np.int8(2)], [True, np.int8(1)], [np.uint8(3), np.int8(1)],
    [np.float16(1), 2], np.float64(2.0), np.int16(3), [np.bool_(True)],
], ids=repr)
def test_tensor_dtype_inference(data):
    run_both(lambda lib: lib.tensor(data))


@pytest.mark.parametrize("dt", DTYPES)
def test_tensor_from_numpy_array_keeps_dtype(dt):
    a = np.arange(6).reshape(2, 3).astype(dt)
    run_both(lambda lib: lib.tensor(a))
    run_both(lambda lib: lib.as_tensor(a))
    run_both(lambda lib: lib.from_numpy(a))


def test_tensor_explicit_dtype():
    run_both(lambda lib: lib.tensor([1.7, -2.2], dtype=lib.int32))
    run_both(lambda lib: lib.tensor([0, 1, 2], dtype=lib.bool))
    run_both(lambda lib: lib.tensor(3, dtype=lib.float64))


def test_tensor_copies_and_ragged_error():
    a = np.arange(3.0)
    t = ember.tensor(a)
    a[0] = 100
    assert t[0].item() == 0
    raises_same(lambda lib: lib.tensor([[1, 2], [3]]), "expected sequence of length 2 at dim 1")
    raises_same(lambda lib: lib.tensor("abc"), "invalid data type 'str'")
    raises_same(lambda lib: lib.tensor([1, [2, 3]]))


def test_tensor_of_tensors_list():
    run_both(lambda lib: lib.tensor([lib.tensor(1.5), lib.tensor(2.0)]))


def test_tensor_from_tensor_warns():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="detach\\(\\).clone\\(\\)"):
            lib.tensor(lib.ones(2))


def test_as_tensor_and_from_numpy_share_memory():
    for fn in (ember.as_tensor, ember.from_numpy):
        a = np.zeros(3, dtype=np.float32)
        t = fn(a)
        a[1] = 5
        assert t[1].item() == 5
        t.add_(1)
        assert a[0] == 1
    a = np.zeros(3, dtype=np.float32)
    t = ember.as_tensor(a, dtype=ember.float64)   # a dtype change copies
    a[0] = 7
    assert t[0].item() == 0
    x = ember.ones(2)
    assert ember.as_tensor(x) is x


def test_from_numpy_errors():
    raises_same(lambda lib: lib.from_numpy([1, 2]))


# ------------------------------------------------------------------------------------------ factories
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_zeros_ones_empty(name):
    for args in [(2, 3), ((2, 3),), ([4],), (0,), ((),)]:
        def f(lib):
            t = getattr(lib, name)(*args)
            return t if name != "empty" else t.zero_()
        run_both(f)
    run_both(lambda lib: getattr(lib, name)(2, dtype=lib.int16).zero_())
    run_both(lambda lib: getattr(lib, name + "_like")(lib.ones(2, 3, dtype=lib.int64)).zero_())
    raises_same(lambda lib: getattr(lib, name)(2, -1), "negative dimension")


def test_full():
    run_both(lambda lib: lib.full((2, 2), 3))
    run_both(lambda lib: lib.full((2, 2), 3.5))
    run_both(lambda lib: lib.full((2,), True))
    run_both(lambda lib: lib.full((2,), 7, dtype=lib.float16))
    run_both(lambda lib: lib.full_like(lib.ones(3, dtype=lib.int32), 2.7))
    run_both(lambda lib: lib.full_like(lib.ones(3), 4, dtype=lib.int64))


def test_new_methods():
    for lib in (torch, ember):
        x = lib.ones(2, dtype=lib.float64)
        assert dname(x.new_zeros(3).dtype) == "float64"
        assert dname(x.new_ones((2, 2)).dtype) == "float64"
        assert dname(x.new_full((2,), 3).dtype) == "float64"
        assert dname(x.new_empty(1).dtype) == "float64"
        assert dname(x.new_tensor([1, 2]).dtype) == "float64"
        assert dname(x.new_zeros(2, dtype=lib.int8).dtype) == "int8"
    run_both(lambda lib: lib.ones(2, dtype=lib.int32).new_full((3,), 2.9))


@pytest.mark.parametrize("args", [
    (5,), (1, 4), (0, 1, 0.1), (1, 2.5, 0.5), (0.5, 3), (10, 0, -3), (0, 1, 0.3), (-1.0, 1.0, 0.25),
    (0, 10, 3), (2, 2), (1.0, 1.3, 0.1), (0, 5, 1.5),
], ids=repr)
def test_arange(args):
    run_both(lambda lib: lib.arange(*args), exact=False)


def test_arange_dtype_and_errors():
    run_both(lambda lib: lib.arange(5, dtype=lib.float64))
    run_both(lambda lib: lib.arange(0, 5, 2, dtype=lib.int32))
    run_both(lambda lib: lib.arange(lib.tensor(4)))
    raises_same(lambda lib: lib.arange(0, 5, 0), "step must be nonzero")
    raises_same(lambda lib: lib.arange(5, 0, 1), "upper bound and lower bound inconsistent with step sign")


@pytest.mark.parametrize("args", [(0, 1, 5), (-2, 2, 1), (0, 10, 0), (3.5, -1, 4), (0, 1, 11)], ids=repr)
def test_linspace_logspace(args):
    run_both(lambda lib: lib.linspace(*args), exact=False)
    run_both(lambda lib: lib.logspace(*args), exact=False)
    run_both(lambda lib: lib.logspace(*args, base=2), exact=False)
    run_both(lambda lib: lib.linspace(*args, dtype=lib.float64), exact=False)


def test_linspace_int_dtype_and_errors():
    run_both(lambda lib: lib.linspace(0, 10, 4, dtype=lib.int64))
    raises_same(lambda lib: lib.linspace(0, 1, -1), "number of steps must be non-negative")


def test_eye():
    run_both(lambda lib: lib.eye(3))
    run_both(lambda lib: lib.eye(2, 4))
    run_both(lambda lib: lib.eye(3, dtype=lib.int64))
    run_both(lambda lib: lib.eye(0))
    raises_same(lambda lib: lib.eye(-1), "n must be greater or equal to 0")


def test_requires_grad_kwarg_in_factories():
    for lib in (torch, ember):
        for t in (lib.zeros(2, requires_grad=True), lib.ones(2, requires_grad=True),
                  lib.full((2,), 1.0, requires_grad=True), lib.arange(3.0, requires_grad=True),
                  lib.linspace(0, 1, 3, requires_grad=True), lib.eye(2, requires_grad=True),
                  lib.tensor([1.0], requires_grad=True), lib.zeros_like(lib.ones(2), requires_grad=True)):
            assert t.requires_grad and t.is_leaf


# ------------------------------------------------------------------------------------------ promotion
def _operands(lib, dt, kind):
    d = getattr(lib, dt)
    if kind == "tensor":
        return lib.ones(2, dtype=d)
    if kind == "0d":
        return lib.ones((), dtype=d)
    raise AssertionError


_SCALARS = {"int": 2, "float": 2.5, "bool": True}


@pytest.mark.parametrize("kind_a,kind_b", [("tensor", "tensor"), ("tensor", "0d"), ("0d", "tensor"), ("0d", "0d")])
def test_promotion_table_tensor_pairs(kind_a, kind_b):
    bad = []
    for da, db in itertools.product(DTYPES, DTYPES):
        t = torch.add(_operands(torch, da, kind_a), _operands(torch, db, kind_b)).dtype
        e = ember.add(_operands(ember, da, kind_a), _operands(ember, db, kind_b)).dtype
        if dname(e) != dname(t):
            bad.append((da, db, dname(e), dname(t)))
    assert not bad, bad


@pytest.mark.parametrize("kind", ["tensor", "0d"])
@pytest.mark.parametrize("scalar", ["int", "float", "bool"])
def test_promotion_table_with_python_scalars(kind, scalar):
    bad = []
    s = _SCALARS[scalar]
    for da in DTYPES:
        for order in (0, 1):
            ta, ea = _operands(torch, da, kind), _operands(ember, da, kind)
            if da == "bool" and scalar != "bool":
                pass
            t = (ta + s if order == 0 else s + ta).dtype
            e = (ea + s if order == 0 else s + ea).dtype
            if dname(e) != dname(t):
                bad.append((da, scalar, order, dname(e), dname(t)))
    assert not bad, bad


def test_result_type_and_promote_types():
    for a, b in itertools.product(DTYPES, DTYPES):
        assert dname(ember.promote_types(getattr(ember, a), getattr(ember, b))) == \
            dname(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    assert dname(ember.result_type(ember.ones(2, dtype=ember.int8), 2.5)) == "float32"
    assert dname(ember.result_type(ember.ones(2, dtype=ember.int8), ember.tensor(1000))) == "int8"


def test_mul_div_promotion_with_ints():
    run_both(lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 4]))
    run_both(lambda lib: lib.tensor([1, 2], dtype=lib.int8) * lib.tensor([True, False]))
    run_both(lambda lib: lib.tensor([1, 2], dtype=lib.uint8) - lib.tensor(3, dtype=lib.int8))
    run_both(lambda lib: lib.tensor([True, False]) + lib.tensor([True, True]))


# ------------------------------------------------------------------------------------------ default dtype
@pytest.mark.parametrize("dt", ["float64", "float16", "float32"])
def test_default_dtype(dt):
    for lib in (torch, ember):
        lib.set_default_dtype(getattr(lib, dt))
    try:
        for f in (lambda lib: lib.tensor(1.0), lambda lib: lib.tensor([1, 2.0]), lambda lib: lib.arange(0, 1, 0.5),
                  lambda lib: lib.zeros(2), lambda lib: lib.tensor([1, 2]) * 0.5, lambda lib: lib.tensor([1]) / 2,
                  lambda lib: lib.linspace(0, 1, 3), lambda lib: lib.arange(3), lambda lib: lib.tensor(True),
                  lambda lib: lib.ones(2, dtype=lib.float32) * 2.5, lambda lib: lib.Tensor([1, 2])):
            same(f(ember), f(torch))
        assert dname(ember.get_default_dtype()) == dt
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)


def test_set_default_dtype_rejects_ints():
    raises_same(lambda lib: lib.set_default_dtype(lib.int64))


# ------------------------------------------------------------------------------------------ conversions
@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_to_dtype(src, dst):
    vals = [0, 1, 2, 5, 100] if src in ("uint8", "bool") else [-3.0, 0, 1, 2.0, 100]
    if src == "bool":
        vals = [0, 1, 1, 0, 1]

    def f(lib):
        return lib.tensor(vals).to(getattr(lib, src)).to(getattr(lib, dst))
    run_both(f)


def test_to_forms_and_shortcuts():
    for lib in (torch, ember):
        x = lib.tensor([1.7, -2.3])
        assert x.to(x) is x and x.to("cpu") is x and x.to(lib.float32) is x
        assert x.to(lib.float32, copy=True) is not x
        assert dname(x.to(lib.ones(1, dtype=lib.int16)).dtype) == "int16"
        assert dname(x.to("cpu", lib.float64).dtype) == "float64"
        assert dname(x.to(device="cpu", dtype=lib.int8).dtype) == "int8"
        assert dname(x.to(lib.device("cpu")).dtype) == "float32"
        got = [dname(getattr(x, m)().dtype) for m in ("float", "double", "half", "long", "int", "short",
                                                       "char", "byte", "bool")]
        assert got == ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
        assert dname(x.type_as(lib.ones(1, dtype=lib.int32)).dtype) == "int32"
    run_both(lambda lib: lib.tensor([1.7, -2.3]).long())
    for name, dt in [("FloatTensor", "float32"), ("LongTensor", "int64"), ("DoubleTensor", "float64")]:
        assert ember.tensor([1.5]).type(f"torch.{name}").dtype.name == dt
        assert torch.tensor([1.5]).type(f"torch.{name}").dtype == getattr(torch, dt)
    for dt in DTYPES:
        assert ember.ones(1, dtype=getattr(ember, dt)).type() == torch.ones(1, dtype=getattr(torch, dt)).type()


def test_to_dtype_is_differentiable():
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.double()
        assert y.requires_grad and not y.is_leaf
        y.sum().backward()
        assert dname(x.grad.dtype) == "float32"


def test_device():
    for lib in (torch, ember):
        x = lib.ones(2)
        assert x.device == lib.device("cpu")
        assert lib is torch or x.device == "cpu"
        assert str(x.device) == "cpu"
        assert x.device.type == "cpu"
        assert not x.is_cuda
    assert repr(ember.ones(1).device) == repr(torch.ones(1).device)
    assert repr(ember.device("cuda:1")) == repr(torch.device("cuda:1"))
    assert ember.device("cuda", 0) == ember.device("cuda:0")
    raises_same(lambda lib: lib.device("tpu"))


def test_numpy_shares_memory_and_grad_error():
    x = ember.zeros(3)
    a = x.numpy()
    a[0] = 4
    assert x[0].item() == 4
    x.add_(1)
    assert a[1] == 1
    raises_same(lambda lib: lib.ones(2, requires_grad=True).numpy(), "Can't call numpy() on Tensor that requires grad")
    for lib in (torch, ember):
        assert lib.ones(2, requires_grad=True).numpy(force=True).shape == (2,)
        assert lib.ones(2, requires_grad=True).detach().numpy().shape == (2,)


def test_item_tolist_and_python_conversions():
    for lib in (torch, ember):
        assert lib.tensor(2.5).item() == 2.5 and isinstance(lib.tensor(2.5).item(), float)
        assert lib.tensor([3]).item() == 3 and isinstance(lib.tensor([3]).item(), int)
        assert lib.tensor(True).item() is True
        assert lib.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
        assert lib.tensor(1.5).tolist() == 1.5
        assert lib.tensor([1.5, 2]).tolist() == [1.5, 2.0]
        assert int(lib.tensor(3.7)) == 3 and float(lib.tensor(2)) == 2.0 and bool(lib.tensor([0.0])) is False
        assert [1, 2, 3][lib.tensor(1)] == 2
        assert f"{lib.tensor(2.5):.2f}" == "2.50"
    raises_same(lambda lib: lib.ones(2).item(), "a Tensor with 2 elements cannot be converted to Scalar")
    raises_same(lambda lib: bool(lib.ones(2)), "Boolean value of Tensor with more than one value is ambiguous")
    raises_same(lambda lib: [1, 2][lib.tensor(1.0)])
    raises_same(lambda lib: int(lib.ones(3)))


def test_metadata():
    for lib in (torch, ember):
        x = lib.zeros(2, 3, 4)
        assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
        assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24 and len(x) == 2 and x.nelement() == 24
        assert x.element_size() == 4 and x.is_floating_point() and not lib.ones(1, dtype=lib.int8).is_floating_point()
        assert x.stride() == (12, 4, 1) and x.is_contiguous()
        assert repr(x.shape).replace("torch", "ember") == repr(ember.zeros(2, 3, 4).shape)
        assert isinstance(x.shape, tuple) and x.shape[1:] == (3, 4)
        s = lib.tensor(1.0)
        assert s.shape == () and s.dim() == 0 and s.numel() == 1
    raises_same(lambda lib: len(lib.tensor(1.0)), "len() of a 0-d tensor")
    raises_same(lambda lib: lib.zeros(2, 3).size(2), "Dimension out of range")
    raises_same(lambda lib: iter(lib.tensor(1.0)))


def test_iteration():
    for lib in (torch, ember):
        rows = list(lib.arange(6).reshape(3, 2))
        assert len(rows) == 3 and rows[1].tolist() == [2, 3]


def test_dtype_objects():
    for dt in DTYPES:
        e, t = getattr(ember, dt), getattr(torch, dt)
        assert repr(e) == repr(t).replace("torch", "ember")
        assert e.is_floating_point == t.is_floating_point
        assert e.itemsize == t.itemsize
        assert e.is_signed == t.is_signed
    assert ember.float is ember.float32 and ember.double is ember.float64 and ember.long is ember.int64
    assert ember.half is ember.float16 and ember.int is ember.int32 and ember.short is ember.int16


# ------------------------------------------------------------------------------------------ repr
REPR_CASES = [
    "lib.tensor([1, 2, 3])",
    "lib.tensor([[1, -20, 300], [4, 5, 6]])",
    "lib.tensor([1.0, 2.0, 3.0])",
    "lib.tensor([1.5, -2.25, 3.125])",
    "lib.tensor([0.001, 1000.0])",
    "lib.tensor([1e-5, 1.0])",
    "lib.tensor([1e10, 1.0])",
    "lib.tensor([123456.0, 0.5])",
    "lib.tensor([1e-8, 2e-8])",
    "lib.tensor([float('nan'), 1.5, float('inf'), -float('inf')])",
    "lib.tensor([float('nan'), 1.0])",
    "lib.tensor([0.0, -0.0, 1.0])",
    "lib.tensor([True, False])",
    "lib.tensor([True, True])",
    "lib.tensor(3.5)",
    "lib.tensor(3)",
    "lib.tensor(True)",
    "lib.tensor(1e-7)",
    "lib.tensor([])",
    "lib.zeros(0, 3)",
    "lib.zeros(2, 0, dtype=lib.int64)",
    "lib.tensor([], dtype=lib.int32)",
    "lib.tensor([1.5, 2.0], dtype=lib.float64)",
    "lib.tensor([1, 2], dtype=lib.int32)",
    "lib.tensor([1, 2], dtype=lib.uint8)",
    "lib.tensor([1.5, 2.0], dtype=lib.float16)",
    "lib.tensor([1.0, 2.0], requires_grad=True)",
    "lib.tensor([1.0, 2.0], requires_grad=True) * 2",
    "lib.tensor(1.0, requires_grad=True).exp()",
    "lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)",
    "lib.arange(2000)",
    "lib.arange(2000.0) / 7",
    "lib.arange(3000).reshape(30, 100)",
    "lib.arange(24.0).reshape(2, 3, 4)",
    "lib.arange(24).reshape(2, 3, 4) - 10",
    "lib.arange(30.0) * 1.5",
    "lib.arange(40) * 1000",
    "lib.ones(2, 2) * 1e-3",
    "lib.tensor([[0.1234567, 12.5], [-100.25, 3.0]])",
    "lib.tensor([100000.0, 1.0])",
    "lib.tensor([-1.0, -2.5])",
    "lib.tensor([1.0, 2.0], dtype=lib.float64) * 1e-10",
    "lib.tensor([[True, False], [False, True]])",
    "lib.tensor([[1e20, 1.0], [2.0, 3.0]])",
]


@pytest.mark.parametrize("expr", REPR_CASES)
def test_repr_matches_torch(expr):
    t = eval(expr, {"lib": torch})
    e = eval(expr, {"lib": ember})
    assert repr(e) == repr(t).replace("torch.", "ember."), f"\n{repr(e)}\n!=\n{repr(t)}"


def test_str_and_default_dtype_suffix():
    for lib in (torch, ember):
        lib.set_default_dtype(lib.float64)
    try:
        for expr in ("lib.tensor([1.5, 2.0])", "lib.tensor([1.5, 2.0], dtype=lib.float32)", "lib.tensor([])"):
            t = eval(expr, {"lib": torch})
            e = eval(expr, {"lib": ember})
            assert repr(e) == repr(t).replace("torch.", "ember.")
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)
    assert str(ember.tensor([1, 2])) == str(torch.tensor([1, 2]))


# ------------------------------------------------------------------------------------------ pickling / copy
def test_pickle_and_deepcopy_round_trip():
    for dt in DTYPES:
        x = ember.tensor([1, 0, 3]).to(getattr(ember, dt))
        y = pickle.loads(pickle.dumps(x))
        assert y.dtype is x.dtype and y.tolist() == x.tolist()
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert y.requires_grad and y.is_leaf and y.tolist() == [1.0, 2.0]
    y = copy.deepcopy(x)
    y.data.add_(1)
    assert x.tolist() == [1.0, 2.0]
    z = copy.copy(ember.ones(2))
    assert z.tolist() == [1.0, 1.0]
    raises_same(lambda lib: copy.deepcopy(lib.ones(2, requires_grad=True) * 2),
                "Only Tensors created explicitly by the user")


def test_deepcopy_keeps_grad_and_shared_refs():
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        y = copy.deepcopy(x)
        assert y.grad is not None and y.grad.tolist() == [2.0, 4.0] and y.grad is not x.grad
        pair = copy.deepcopy([x, x])
        assert pair[0] is pair[1]


# ------------------------------------------------------------------------------------------ legacy constructors
def test_legacy_constructors():
    for lib in (torch, ember):
        assert lib.Tensor(2, 3).shape == (2, 3) and dname(lib.Tensor(2, 3).dtype) == "float32"
        assert lib.Tensor([1, 2]).tolist() == [1.0, 2.0] and dname(lib.Tensor([1, 2]).dtype) == "float32"
        assert dname(lib.Tensor().dtype) == "float32" and lib.Tensor().shape == (0,)
        assert dname(lib.FloatTensor([1, 2]).dtype) == "float32"
        assert dname(lib.LongTensor([1, 2]).dtype) == "int64"
        assert dname(lib.DoubleTensor(3).dtype) == "float64" and lib.DoubleTensor(3).shape == (3,)
        assert dname(lib.IntTensor([1]).dtype) == "int32"
        assert dname(lib.BoolTensor([1, 0]).dtype) == "bool"
        assert dname(lib.ByteTensor([1]).dtype) == "uint8"
        assert isinstance(lib.ones(2), lib.Tensor)
        assert lib.is_tensor(lib.ones(1)) and not lib.is_tensor([1])
    run_both(lambda lib: lib.Tensor(np.array([1, 2], dtype=np.int64)))


def test_numel_and_is_nonzero_functions():
    for lib in (torch, ember):
        assert lib.numel(lib.zeros(3, 4)) == 12
        assert lib.is_floating_point(lib.zeros(1))
        assert lib.is_nonzero(lib.tensor([1.5]))
    raises_same(lambda lib: lib.is_nonzero(lib.ones(2)))
