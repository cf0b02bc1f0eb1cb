"""Error parity: each bad call raises the same exception type on torch and ember, and ember's message carries the
key facts (listed per case; PyTorch's message is checked for them too, so the expectation is PyTorch's)."""
import numpy as np
import pytest
import torch

import ember

CASES = [
    # broadcasting / elementwise
    ("add shapes", lambda L: L.ones(2, 3) + L.ones(2, 4),
     ["The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"]),
    ("mul shapes", lambda L: L.ones(5, 1, 3) * L.ones(4, 2),
     ["The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 2"]),
    ("sub bool", lambda L: L.tensor([True]) - L.tensor([False]), ["Subtraction", "bool"]),
    ("neg bool", lambda L: -L.tensor([True]), ["Negation", "bool"]),
    ("add str", lambda L: L.ones(2) + "a", []),
    ("add list fn", lambda L: L.add([1, 2], L.ones(2)), []),
    ("exp non-tensor", lambda L: L.exp([1.0]), ["exp", "Tensor"]),
    ("int pow negative", lambda L: L.tensor([2]) ** -1, ["Integers to negative integer powers are not allowed"]),
    ("bitwise float", lambda L: L.ones(2) & L.ones(2), []),
    ("div rounding mode", lambda L: L.div(L.ones(2), 2, rounding_mode="round"), ["rounding_mode"]),
    ("clamp none", lambda L: L.clamp(L.ones(2)), ["At least one of 'min' or 'max' must not be None"]),
    ("where cond dtype", lambda L: L.where(L.ones(2), L.ones(2), L.zeros(2)), ["where", "condition"]),
    ("inplace result type", lambda L: L.ones(2, dtype=L.int64).add_(1.5),
     ["result type Float can't be cast to the desired output type Long"]),
    ("inplace broadcast", lambda L: L.ones(3).add_(L.ones(2, 3)),
     ["output with shape [3] doesn't match the broadcast shape [2, 3]"]),
    ("copy_ shapes", lambda L: L.zeros(2, 4).copy_(L.zeros(3)),
     ["The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1"]),
    ("copy_ non tensor", lambda L: L.zeros(2).copy_([1, 2]), []),
    # creation
    ("zeros negative", lambda L: L.zeros(2, -1), ["negative"]),
    ("ones negative", lambda L: L.ones(2, -1), ["Trying to create tensor with negative dimension -1: [2, -1]"]),
    ("new_zeros negative", lambda L: L.ones(2).new_zeros(-1, 2),
     ["Trying to create tensor with negative dimension -1: [-1, 2]"]),
    ("ones bad type", lambda L: L.ones(2, "a"), []),
    ("full negative", lambda L: L.full((-1,), 2.0), ["negative dimension"]),
    ("arange step 0", lambda L: L.arange(0, 5, 0), ["step must be nonzero"]),
    ("arange sign", lambda L: L.arange(0, 5, -1), ["upper bound and lower bound inconsistent with step sign"]),
    ("linspace steps", lambda L: L.linspace(0, 1, -2), ["number of steps must be non-negative"]),
    ("eye negative", lambda L: L.eye(-2), ["n must be greater or equal to 0, got -2"]),
    ("tensor ragged", lambda L: L.tensor([[1, 2], [3]]), ["expected sequence of length 2 at dim 1 (got 1)"]),
    ("tensor bad data", lambda L: L.tensor(object()), ["Could not infer dtype of object"]),
    ("tensor None", lambda L: L.tensor([None]), ["Could not infer dtype of NoneType"]),
    ("tensor str", lambda L: L.tensor("a"), ["invalid data type 'str'"]),
    ("from_numpy list", lambda L: L.from_numpy([1.0]), []),
    ("dtype kwarg bad", lambda L: L.zeros(2, dtype="float77"), []),
    ("set default int", lambda L: L.set_default_dtype(L.int32), []),
    # shape ops
    ("reshape numel", lambda L: L.ones(2, 3).reshape(4, 2), ["shape '[4, 2]' is invalid for input of size 6"]),
    ("reshape two -1", lambda L: L.ones(6).reshape(-1, -1), ["only one dimension can be inferred"]),
    ("view numel", lambda L: L.ones(6).view(4), ["shape '[4]' is invalid for input of size 6"]),
    ("view non-contig", lambda L: L.ones(2, 3).t().view(6),
     ["view size is not compatible with input tensor's size and stride"]),
    ("expand bad", lambda L: L.ones(2, 3).expand(4, 3), []),
    ("expand fewer dims", lambda L: L.ones(2, 3).expand(3), []),
    ("permute wrong len", lambda L: L.ones(2, 3).permute(0), []),
    ("permute repeated", lambda L: L.ones(2, 3).permute(0, 0), []),
    ("transpose dim", lambda L: L.ones(2, 3).transpose(0, 2),
     ["Dimension out of range (expected to be in range of [-2, 1], but got 2)"]),
    ("size dim", lambda L: L.ones(2, 3).size(3), ["Dimension out of range (expected to be in range of [-2, 1], but got 3)"]),
    ("squeeze dim", lambda L: L.ones(2, 3).squeeze(5), ["Dimension out of range"]),
    ("unsqueeze dim", lambda L: L.ones(2, 3).unsqueeze(4),
     ["Dimension out of range (expected to be in range of [-3, 2], but got 4)"]),
    ("cat shapes", lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)]), ["Sizes of tensors must match except in dimension 0"]),
    ("cat empty list", lambda L: L.cat([]), []),
    ("stack shapes", lambda L: L.stack([L.ones(2), L.ones(3)]), ["stack expects each tensor to be equal size"]),
    ("flatten dims", lambda L: L.ones(2, 3).flatten(1, 0), []),
    ("split size 0", lambda L: L.ones(4).split(0), []),
    ("len 0d", lambda L: len(L.tensor(1.0)), ["len() of a 0-d tensor"]),
    ("index out of range", lambda L: L.ones(3)[5], ["index 5 is out of bounds for dimension 0 with size 3"]),
    ("too many indices", lambda L: L.ones(3)[0, 0], ["too many indices for tensor of dimension 1"]),
    # conversions
    ("item many", lambda L: L.ones(2).item(), ["a Tensor with 2 elements cannot be converted to Scalar"]),
    ("bool many", lambda L: bool(L.ones(2)), ["Boolean value of Tensor with more than one value is ambiguous"]),
    ("float many", lambda L: float(L.ones(2)), ["only one element tensors can be converted to Python scalars"]),
    ("numpy requires grad", lambda L: L.ones(2, requires_grad=True).numpy(),
     ["Can't call numpy() on Tensor that requires grad"]),
    ("to bad arg", lambda L: L.ones(2).to("float77"), []),
    ("index float tensor", lambda L: [1, 2][L.tensor(1.0)],
     ["only integer tensors of a single element can be converted to an index"]),
    # autograd misuse
    ("backward no grad", lambda L: L.ones(2).sum().backward(),
     ["element 0 of tensors does not require grad and does not have a grad_fn"]),
    ("backward non-scalar", lambda L: (L.ones(2, requires_grad=True) * 2).backward(),
     ["grad can be implicitly created only for scalar outputs"]),
    ("backward grad shape", lambda L: (L.ones(2, requires_grad=True) * 2).backward(L.ones(3)),
     ["Mismatch in shape: grad_output[0] has a shape of", "[3]", "[2]"]),
    ("int requires grad", lambda L: L.ones(2, dtype=L.int64).requires_grad_(),
     ["only Tensors of floating point", "can require gradients"]),
    ("leaf inplace", lambda L: L.ones(2, requires_grad=True).mul_(2),
     ["a leaf Variable that requires grad is being used in an in-place operation."]),
    ("grad unused", lambda L: L.autograd.grad((L.ones(2, requires_grad=True) * 2).sum(),
                                              [L.ones(1, requires_grad=True)]),
     ["The differentiated Tensor at index 0 appears to not have been used in the graph"]),
    ("hook no grad", lambda L: L.ones(2).register_hook(lambda g: g),
     ["cannot register a hook on a tensor that doesn't require gradient"]),
    ("retain_grad no grad", lambda L: L.ones(2).retain_grad(),
     ["can't retain_grad on Tensor that has requires_grad=False"]),
    ("nonleaf requires_grad False", lambda L: (L.ones(2, requires_grad=True) * 2).requires_grad_(False),
     ["you can only change requires_grad flags of leaf variables"]),
    ("grad assign shape", lambda L: setattr(L.ones(2, requires_grad=True), "grad", L.ones(3)),
     ["attempting to assign a gradient of size '[3]' to a tensor of size '[2]'"]),
    ("grad assign type", lambda L: setattr(L.ones(2, requires_grad=True), "grad", [1.0]), []),
]


def _saved_twice(L):
    x = L.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _inplace_saved(L):
    x = L.ones(2, requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)
    y.sum().backward()


CASES += [
    ("backward twice", _saved_twice, ["Trying to backward through the graph a second time"]),
    ("inplace saved", _inplace_saved, ["one of the variables needed for gradient computation has been modified by "
                                       "an inplace operation", "is at version 1; expected version 0 instead"]),
]


@pytest.mark.parametrize("name,fn,facts", CASES, ids=[c[0] for c in CASES])
def test_same_exception(name, fn, facts):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert type(ee.value).__name__ == type(te.value).__name__, f"torch: {te.value!r}\nember: {ee.value!r}"
    for f in facts:
        assert f in str(te.value), f"torch's message lacks {f!r}: {te.value}"
        assert f in str(ee.value), f"ember's message lacks {f!r}: {ee.value}"


@pytest.mark.parametrize("name,fn,facts", CASES, ids=[c[0] for c in CASES])
def test_no_numpy_error_leaks(name, fn, facts):
    """No raw NumPy exception type or message escapes."""
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert type(ee.value).__module__ in ("builtins",), repr(ee.value)
    assert "numpy" not in str(ee.value).lower() or "numpy()" in str(ee.value), repr(ee.value)
