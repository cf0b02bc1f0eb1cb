"""Indexing and view semantics vs PyTorch: what is a view (shared storage and version counter) and what is a copy,
__setitem__ on every kind of key (with and without autograd), integer/bool dtypes, nonzero/argwhere/where."""
import numpy as np
import pytest
import torch

import ember
from _compare import assert_close


def both(fn):
    """Run ``fn(lib)`` on torch and ember; compare every returned tensor (values, dtype, shape)."""
    t, e = fn(torch), fn(ember)
    ts, es = _flat(t), _flat(e)
    assert len(ts) == len(es)
    for a, b in zip(es, ts):
        if isinstance(b, torch.Tensor):
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
            assert_close(a, b, 1e-6, 1e-6)
        else:
            assert a == b
    return e


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for v in x for y in _flat(v)]
    return [x]


def ver(t):
    return t._version if isinstance(t, torch.Tensor) else t._version[0]


def base(lib, dtype=None):
    return lib.arange(24, dtype=dtype or lib.float32).reshape(2, 3, 4)


# ------------------------------------------------------------------------------------------ views vs copies
@pytest.mark.parametrize("make", [
    lambda x: x[1], lambda x: x[:, 1:], lambda x: x[..., None, 2], lambda x: x.view(6, 4), lambda x: x.reshape(-1),
    lambda x: x.permute(2, 0, 1), lambda x: x.transpose(0, 1), lambda x: x.unsqueeze(1), lambda x: x[None].squeeze(0),
    lambda x: x.flatten(1), lambda x: x.unflatten(2, (2, 2)), lambda x: x.narrow(2, 1, 2), lambda x: x.select(1, 0),
    lambda x: x.split(1, 1)[1], lambda x: x.chunk(2, 2)[0], lambda x: x.unbind(0)[1], lambda x: x.diagonal(0, 1, 2),
    lambda x: x.movedim(0, 2), lambda x: x.mT, lambda x: x[0].t(), lambda x: x.tensor_split(2, 2)[1],
    lambda x: x[_Zero()], lambda x: x[type(x)([1]).long()[0] if False else x.new_tensor(1).long()],
])
def test_views_share_storage_and_version(make):
    for lib in (torch, ember):
        x = base(lib)
        v = make(x)
        before = x.sum().item()
        v.add_(1) if v.dim() else v.fill_(v.item() + 1)
        assert x.sum().item() == before + v.numel(), lib
        assert x._version == v._version, lib


class _Zero:   # any object with __index__ is an int index
    def __index__(self):
        return 0


@pytest.mark.parametrize("make", [
    lambda lib, x: x[lib.tensor([0, 1])], lambda lib, x: x[x > 3], lambda lib, x: x[:, [0, 2]],
    lambda lib, x: x.flip(0), lambda lib, x: x.roll(1, 0), lambda lib, x: x.repeat(1, 1, 1),
    lambda lib, x: lib.cat([x, x]), lambda lib, x: lib.stack([x]), lambda lib, x: lib.diag(x[0]),
    lambda lib, x: x.index_select(0, lib.tensor([1])), lambda lib, x: x.gather(0, lib.zeros(1, 1, 1, dtype=lib.long)),
])
def test_copies_do_not_share(make):
    for lib in (torch, ember):
        x = base(lib)
        v = make(lib, x)
        v.add_(100)
        assert x.sum().item() == 276, lib
        assert ver(x) == 0, lib


def test_view_errors_on_incompatible_strides():
    for lib in (torch, ember):
        x = base(lib).transpose(0, 2)
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            x.view(-1)
        assert x.reshape(-1).shape == (24,)


def test_version_counter_catches_write_through_view():
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        z = y.exp()    # saves its output
        y_view = z[1:]
        with lib.no_grad():
            y_view.fill_(3.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


# ------------------------------------------------------------------------------------------ getitem details
def test_getitem_int_dtypes_and_lists():
    both(lambda lib: (base(lib, lib.int64)[1, [0, 2]], base(lib, lib.int32)[..., lib.tensor([3, 0])],
                      lib.tensor([True, False, True])[lib.tensor([2, 0])],
                      base(lib)[[0, 1], [2, 1]], base(lib)[np.array([1, 0])], base(lib)[np.int64(1)],
                      base(lib)[lib.tensor([0, 1], dtype=lib.int32)], base(lib)[lib.tensor([1, 0], dtype=lib.uint8)]
                      if False else base(lib)[1:2, 0:3:2]))


def test_nested_list_key_is_a_tuple_with_a_warning():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            r = base(lib)[[[0, 1], [1, 1]]]
        assert r.shape == (2, 4)


def test_advanced_setitem_needs_matching_dtypes():
    for lib in (torch, ember):
        x = lib.zeros(3)
        with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
            x[lib.tensor([0, 2])] = lib.tensor(1)
        x[lib.tensor([True, False, True])] = lib.tensor(2, dtype=lib.int64)
        assert x.tolist() == [2.0, 0.0, 2.0]


def test_getitem_slices_with_tensor_bounds_and_clipping():
    both(lambda lib: (base(lib)[lib.tensor(1):], base(lib)[:, -100:100], base(lib)[5:], base(lib)[..., 3:1]))


def test_iteration_and_len():
    e = ember.arange(6.).reshape(3, 2)
    t = torch.arange(6.).reshape(3, 2)
    assert len(e) == len(t)
    for a, b in zip(e, t):
        assert_close(a, b, 0, 0)
    assert [r.tolist() for r in reversed(e)] == [r.tolist() for r in reversed(t)]


def test_getitem_backward_sums_duplicates():
    for lib in (torch, ember):
        x = lib.zeros(4, requires_grad=True)
        x[lib.tensor([1, 1, 3, 1])].sum().backward()
        assert x.grad.tolist() == [0, 3, 0, 1]


# ------------------------------------------------------------------------------------------ setitem
@pytest.mark.parametrize("key", [
    1, -1, slice(1, None), (Ellipsis, 2), (slice(None), 1, slice(0, 2)), "tensor", "mask", "pair", "list",
    (None, 0), "mask_dim1",
])
def test_setitem_no_grad(key):
    def run(lib):
        x = base(lib)
        k = {"tensor": lib.tensor([1, 0]), "mask": x > 10, "pair": (lib.tensor([0, 1]), lib.tensor([2, 2])),
             "list": [1], "mask_dim1": (slice(None), lib.tensor([True, False, True]))}.get(key, key) \
            if isinstance(key, str) else key
        x[k] = -1.5
        y = base(lib)
        y[k] = y[k] * 10
        return x, y, ver(x)
    both(run)


def test_setitem_casts_and_broadcasts():
    def run(lib):
        x = lib.zeros(2, 3, dtype=lib.int64)
        x[0] = 2.7
        x[1, :] = lib.tensor([1.9, -1.9, 3.0])
        y = lib.zeros(2, 3)
        y[:, 1:] = lib.tensor([[1], [2]])
        y[0] = True
        z = lib.zeros(4)
        z[lib.tensor([True, False, True, False])] = lib.tensor(7.0, dtype=lib.float64)
        z[1:3] = lib.tensor([1, 2])
        return x, y, z
    both(run)


def test_setitem_grad_to_target_and_value():
    def run(lib):
        x = lib.arange(6.).reshape(2, 3).requires_grad_()
        v = lib.tensor([10., 20.], requires_grad=True)
        y = x * 2
        y[:, 1] = v * v
        y[lib.tensor([0, 0]), lib.tensor([2, 2])] = v[0]
        (y * lib.arange(6.).reshape(2, 3)).sum().backward()
        return y, x.grad, v.grad, y.grad_fn is not None
    both(run)


def test_setitem_into_plain_tensor_with_grad_value():
    def run(lib):
        v = lib.tensor([1., 2., 3.], requires_grad=True)
        out = lib.zeros(2, 3)
        out[1] = v * 3
        out.sum().backward()
        return out.requires_grad, v.grad
    both(run)


def test_setitem_leaf_requiring_grad_errors():
    for lib in (torch, ember):
        x = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x[0] = 1.0
        with lib.no_grad():
            x[0] = 1.0
        assert x.tolist() == [1.0, 0.0, 0.0]


def test_setitem_through_view_updates_base():
    both(lambda lib: _write_view(lib))


def _write_view(lib):
    x = lib.zeros(3, 4)
    row = x[1]
    row[lib.tensor([0, 3])] = 5.0
    col = x[:, 2]
    col[:] = lib.arange(3.)
    return x, ver(x), ver(row)


@pytest.mark.parametrize("bad", [
    lambda lib, x: x.__setitem__(slice(0, 2), lib.ones(3)),
    lambda lib, x: x.__setitem__(lib.tensor([0, 1]), lib.ones(3)),
    lambda lib, x: x.__setitem__(5, 1.0),
    lambda lib, x: x.__setitem__(lib.tensor([5]), 1.0),
    lambda lib, x: x.__setitem__(slice(None, None, -1), 1.0),
])
def test_setitem_errors(bad):
    errs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as ei:
            bad(lib, lib.zeros(3))
        errs.append(ei.type)
    assert errs[0] is errs[1] or issubclass(errs[1], errs[0])


def test_index_put_inplace_accumulate():
    def run(lib):
        x = lib.zeros(3, 2)
        x.index_put_((lib.tensor([0, 0, 2]),), lib.tensor([1., 2.]), accumulate=True)
        y = lib.zeros(5)
        y.index_put_((lib.tensor([1, 1]),), lib.tensor(3.), accumulate=True)
        return x, y
    both(run)


# ------------------------------------------------------------------------------------------ nonzero and friends
def test_nonzero_argwhere_where():
    def run(lib):
        x = lib.tensor([[0, 1, 2], [3, 0, 0]])
        return (lib.nonzero(x), x.nonzero(as_tuple=True), lib.argwhere(x), lib.where(x > 0),
                lib.nonzero(lib.tensor(3.)), lib.nonzero(lib.tensor(0.), as_tuple=True), lib.nonzero(lib.zeros(0, 2)))
    both(run)


def test_repeat_interleave_forms():
    both(lambda lib: (lib.repeat_interleave(lib.tensor([2, 0, 1])), lib.tensor([1, 2]).repeat_interleave(2),
                      lib.repeat_interleave(lib.tensor([[1, 2], [3, 4]]), lib.tensor([1, 2]), dim=0),
                      lib.repeat_interleave(lib.tensor(5), 3)))


def test_int_and_bool_shape_ops_keep_dtype():
    both(lambda lib: (lib.cat([lib.tensor([1, 2]), lib.tensor([True])]), lib.stack([lib.tensor([1]),
                                                                                     lib.tensor([2.5])]),
                      lib.tensor([[True, False]]).repeat(2, 2), lib.tensor([1, 2, 3]).flip(0),
                      lib.tril(lib.ones(3, 3, dtype=lib.int32)), lib.tensor([[1, 2], [3, 4]]).roll(1),
                      lib.arange(4).reshape(2, 2).gather(1, lib.tensor([[1], [0]])),
                      lib.arange(4).masked_fill(lib.arange(4) > 1, 2.7),
                      lib.zeros(3, dtype=lib.int64).scatter_add(0, lib.tensor([1, 1]), lib.tensor([2, 3])),
                      lib.zeros(2, 3, dtype=lib.int64).index_fill(1, lib.tensor([-1]), 4),
                      lib.tensor([1, 2, 3]).scatter_reduce(0, lib.tensor([0, 0]), lib.tensor([5, 7]), "mean")))


def test_meshgrid_default_warns_like_torch():
    with pytest.warns(UserWarning, match="indexing argument"):
        a, b = ember.meshgrid(ember.arange(3), ember.arange(2))
    assert a.shape == (3, 2)
    both(lambda lib: lib.meshgrid(lib.arange(3), lib.tensor(5), lib.arange(2), indexing="xy"))


def test_inplace_view_ops_keep_identity():
    for lib in (torch, ember):
        x = lib.zeros(2, 3)
        y = x.t_()
        assert y is x and x.shape == (3, 2)
        x.unsqueeze_(0).squeeze_().transpose_(0, 1)
        assert x.shape == (2, 3)


def test_split_getitem_speed_paths_return_correct_node_names():
    x = ember.ones(3, 4, requires_grad=True)
    assert x[0].grad_fn.name().endswith("Backward0")
    assert x[ember.tensor([0])].grad_fn is not None
