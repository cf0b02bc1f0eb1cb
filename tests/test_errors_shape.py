"""Error parity for shape and indexing ops: the same bad call raises the same exception type on torch and ember,
and ember's message carries the gist of PyTorch's (checked by a shared phrase)."""
import numpy as np
import pytest
import torch

import ember


def _x(lib):
    return lib.arange(24.).reshape(2, 3, 4)


CASES = [
    # (id, call, phrase that both messages contain)
    ("view_bad_size", lambda lib: _x(lib).view(5, -1), "invalid for input of size 24"),
    ("view_two_infer", lambda lib: _x(lib).view(-1, -1), "only one dimension can be inferred"),
    ("view_strides", lambda lib: _x(lib).transpose(0, 1).view(-1), "view size is not compatible"),
    ("reshape_bad", lambda lib: _x(lib).reshape(7), "invalid for input of size 24"),
    ("permute_len", lambda lib: _x(lib).permute(0, 1), "number of dimensions"),
    ("permute_repeat", lambda lib: _x(lib).permute(0, 1, 1), "duplicate dims"),
    ("transpose_range", lambda lib: _x(lib).transpose(0, 3), "Dimension out of range"),
    ("t_3d", lambda lib: _x(lib).t(), "expects a tensor with <= 2 dimensions"),
    ("unsqueeze_range", lambda lib: _x(lib).unsqueeze(5), "Dimension out of range"),
    ("squeeze_range", lambda lib: _x(lib).squeeze(3), "Dimension out of range"),
    ("flatten_order", lambda lib: _x(lib).flatten(2, 1), "start_dim cannot come after end_dim"),
    ("unflatten_bad", lambda lib: _x(lib).unflatten(1, (2, 2)), "don't multiply up to the size of dim"),
    ("expand_bad", lambda lib: _x(lib).expand(2, 5, 4), "must match the existing size"),
    ("expand_fewer", lambda lib: _x(lib).expand(3, 4), "must be greater or equal to the number of dimensions"),
    ("narrow_past_end", lambda lib: _x(lib).narrow(1, 2, 2), "exceeds dimension size"),
    ("narrow_start", lambda lib: _x(lib).narrow(1, 5, 0), "out of range"),
    ("select_range", lambda lib: _x(lib).select(1, 3), "out of range"),
    ("select_0d", lambda lib: lib.tensor(1.).select(0, 0), "0-dim"),
    ("split_sizes_sum", lambda lib: _x(lib).split([1, 1], 1), "split_sizes to sum exactly to 3"),
    ("split_0d", lambda lib: lib.tensor(1.).split(1), "1-dimensional"),
    ("chunk_zero", lambda lib: _x(lib).chunk(0), "greater than 0"),
    ("tensor_split_zero", lambda lib: _x(lib).tensor_split(0), "larger than 0"),
    ("unbind_0d", lambda lib: lib.tensor(1.).unbind(), "no dimensions"),
    ("cat_empty", lambda lib: lib.cat([]), "non-empty"),
    ("cat_sizes", lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(3, 2)]), "Sizes of tensors must match"),
    ("cat_ndim", lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(3)]), "same number of dimensions"),
    ("cat_0d", lambda lib: lib.cat([lib.tensor(1.), lib.tensor(2.)]), "zero-dimensional tensor"),
    ("cat_dim", lambda lib: lib.cat([lib.zeros(2), lib.zeros(2)], 1), "Dimension out of range"),
    ("cat_not_tensors", lambda lib: lib.cat([lib.zeros(2), 3]), "expected Tensor as element 1"),
    ("cat_tensor_arg", lambda lib: lib.cat(lib.zeros(2)), "must be tuple of Tensors"),
    ("stack_sizes", lambda lib: lib.stack([lib.zeros(2), lib.zeros(3)]), "stack expects each tensor to be equal size"),
    ("stack_empty", lambda lib: lib.stack([]), "non-empty"),
    ("repeat_fewer", lambda lib: _x(lib).repeat(2, 2), "can not be smaller than number of dimensions"),
    ("repeat_interleave_size", lambda lib: lib.zeros(3).repeat_interleave(lib.tensor([1, 2])), "repeats must have"),
    ("repeat_interleave_neg", lambda lib: lib.zeros(3).repeat_interleave(-1), "negative"),
    ("flip_repeat", lambda lib: _x(lib).flip(0, 0), "appears multiple times"),
    ("roll_mismatch", lambda lib: _x(lib).roll((1, 2), (0,)), "shifts and dimensions must align"),
    ("roll_no_dims", lambda lib: _x(lib).roll((1, 2)), "shifts and dimensions must align"),
    ("rot90_dims", lambda lib: lib.rot90(_x(lib), 1, (0, 0)), "expected rotation dims to be different"),
    ("rot90_1d", lambda lib: lib.rot90(lib.zeros(3)), "expected total dims >= 2"),
    ("tril_1d", lambda lib: lib.zeros(3).tril(), "at least 2 dimensions"),
    ("diag_3d", lambda lib: lib.diag(_x(lib)), "Supports 1D or 2D tensors"),
    ("diagonal_same", lambda lib: _x(lib).diagonal(0, 1, 1), "cannot be identical"),
    ("movedim_len", lambda lib: lib.movedim(_x(lib), (0, 1), (1,)), "same number of dims"),
    ("movedim_repeat", lambda lib: lib.movedim(_x(lib), (0, 0), (1, 2)), "repeated dim"),
    ("meshgrid_indexing", lambda lib: lib.meshgrid(lib.zeros(2), indexing="ab"), "indexing must be one of"),
    ("meshgrid_2d", lambda lib: lib.meshgrid(lib.zeros(2, 2), indexing="ij"), "0D or 1D tensor"),
    ("broadcast_tensors", lambda lib: lib.broadcast_tensors(lib.zeros(2), lib.zeros(3)), "must match"),
    ("fliplr_1d", lambda lib: lib.fliplr(lib.zeros(3)), "Input must be >= 2-d"),
    # ---------------------------------------------------------------- indexing
    ("getitem_int_range", lambda lib: _x(lib)[2], "index 2 is out of bounds for dimension 0 with size 2"),
    ("getitem_int_range_dim1", lambda lib: _x(lib)[:, -4], "out of bounds for dimension 1 with size 3"),
    ("getitem_tensor_range", lambda lib: _x(lib)[lib.tensor([0, 5])], "index 5 is out of bounds for dimension 0"),
    ("getitem_neg_step", lambda lib: _x(lib)[::-1], "step must be greater than zero"),
    ("getitem_zero_step", lambda lib: _x(lib)[::0], "step cannot be zero"),
    ("getitem_too_many", lambda lib: _x(lib)[0, 0, 0, 0], "too many indices for tensor of dimension 3"),
    ("getitem_float", lambda lib: _x(lib)[1.5], "only integers, slices"),
    ("getitem_dict", lambda lib: _x(lib)[{}], "only integers, slices"),
    ("getitem_str", lambda lib: _x(lib)["a"], "invalid data type"),
    ("getitem_float_tensor", lambda lib: _x(lib)[lib.tensor([1.0])], "tensors used as indices must be long"),
    ("getitem_mask_shape", lambda lib: _x(lib)[lib.tensor([True, False, True])], "The shape of the mask [3]"),
    ("getitem_0d_int", lambda lib: lib.tensor(1.)[0], "invalid index of a 0-dim tensor"),
    ("getitem_0d_slice", lambda lib: lib.tensor(1.)[:], "slice() cannot be applied to a 0-dim tensor"),
    ("getitem_adv_bcast", lambda lib: _x(lib)[lib.tensor([0, 1]), lib.tensor([0, 1, 2])], "shape mismatch"),
    ("setitem_shape", lambda lib: lib.zeros(3).__setitem__(lib.tensor([0, 1]), lib.ones(3)), "shape mismatch"),
    ("setitem_range", lambda lib: lib.zeros(3).__setitem__(3, 1.0), "index 3 is out of bounds"),
    ("setitem_dtype", lambda lib: lib.zeros(3).__setitem__(lib.tensor([0]), lib.tensor([1])), "dtypes match"),
    ("gather_dtype", lambda lib: _x(lib).gather(0, lib.zeros(1, 1, 1)), "for index"),
    ("gather_ndim", lambda lib: _x(lib).gather(0, lib.zeros(1, dtype=lib.long)), "same number of dimensions"),
    ("gather_range", lambda lib: lib.zeros(3).gather(0, lib.tensor([3])), "out of bounds for dimension 0"),
    ("gather_size", lambda lib: lib.zeros(2, 2).gather(0, lib.zeros(1, 3, dtype=lib.long)), "Size does not match"),
    ("scatter_dtype", lambda lib: lib.zeros(3).scatter(0, lib.tensor([0]), lib.ones(1, dtype=lib.float64)),
     "dtype"),
    ("scatter_range", lambda lib: lib.zeros(3).scatter(0, lib.tensor([4]), 1.0), "out of bounds"),
    ("scatter_reduce_bad", lambda lib: lib.zeros(3).scatter_reduce(0, lib.tensor([0]), lib.ones(1), "foo"),
     "reduce argument must be"),
    ("index_select_2d", lambda lib: _x(lib).index_select(0, lib.zeros(1, 1, dtype=lib.long)),
     "Index is supposed to be a vector"),
    ("index_select_float", lambda lib: _x(lib).index_select(0, lib.zeros(1)), "int32 or int64"),
    ("index_select_range", lambda lib: _x(lib).index_select(0, lib.tensor([2])), "index out of range in self"),
    ("index_add_range", lambda lib: lib.zeros(3).index_add(0, lib.tensor([3]), lib.ones(1)), "out of range"),
    ("index_add_shape", lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([1]), lib.ones(1, 3)),
     "source tensor shape must match"),
    ("index_copy_shape", lambda lib: lib.zeros(3, 2).index_copy(0, lib.tensor([1]), lib.ones(1, 3)),
     "must have same slice shapes"),
    ("index_add_dtype", lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([1]), lib.ones(1, 2).double()),
     "must have the same scalar type"),
    ("index_copy_dtype", lambda lib: lib.zeros(3, 2).index_copy(0, lib.tensor([1]), lib.ones(1, 2).double()),
     "expected to have the same dtype"),
    ("index_add_range_2d", lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([3]), lib.ones(1, 2)),
     "index 3 is out of bounds for dimension 0 with size 3"),
    ("index_copy_range", lambda lib: lib.zeros(3).index_copy(0, lib.tensor([-1]), lib.ones(1)), "out of bounds"),
    ("index_fill_range", lambda lib: lib.zeros(3).index_fill(0, lib.tensor([3]), 1.0), "out of bounds"),
    ("index_fill_value", lambda lib: lib.zeros(3).index_fill(0, lib.tensor([0]), lib.ones(2)),
     "0-dimensional value tensor"),
    ("masked_fill_float_mask", lambda lib: lib.zeros(3).masked_fill(lib.ones(3), 1.0), "boolean masks"),
    ("masked_fill_value_dim", lambda lib: lib.zeros(3).masked_fill(lib.ones(3) > 0, lib.ones(3)),
     "0-dimensional value tensor"),
    ("masked_fill_bcast", lambda lib: lib.zeros(3).masked_fill(lib.ones(2) > 0, 1.0), "must match"),
    ("masked_fill_inplace_bcast", lambda lib: lib.zeros(3).masked_fill_(lib.ones(2, 3) > 0, 1.0), "doesn't match"),
    ("masked_select_mask", lambda lib: lib.zeros(3).masked_select(lib.ones(3)), "BoolTensor"),
    ("masked_scatter_small", lambda lib: lib.zeros(3).masked_scatter(lib.ones(3) > 0, lib.ones(2)), "Number of elements of source"),
    ("take_range", lambda lib: lib.zeros(2, 3).take(lib.tensor([6])), "out of range"),
    ("take_along_dim_ndim", lambda lib: lib.take_along_dim(lib.zeros(2, 3), lib.tensor([0]), 1),
     "same number of dimensions"),
]

@pytest.mark.parametrize("call,phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_parity(call, phrase):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(Exception) as ee:
        call(ember)
    assert ee.type is te.type, f"ember raised {ee.type.__name__}({ee.value}), torch {te.type.__name__}({te.value})"
    assert phrase in str(te.value), f"torch's message changed: {te.value}"
    assert phrase in str(ee.value), f"ember's message lacks {phrase!r}: {ee.value}"
