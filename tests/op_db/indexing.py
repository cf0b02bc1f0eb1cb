"""Indexing ops: __getitem__ (basic, advanced, masks, combinations), __setitem__ (gradients to the target and the
value), gather/scatter family, index_* ops, masked ops, take."""
import numpy as np

from . import OpInfo, Sample, uniform


def _c(name, fn, shapes, **kw):
    def samples(rng, dtype):
        return [Sample(tuple(uniform(rng, s, dtype) for s in ss), name=str(ss)) for ss in shapes]
    return OpInfo(name, fn, kind="custom", samples=samples, **kw)


def _t(lib, v):
    return lib.tensor(v)


def _setitem(key_fn, value_fn=None):
    """``y = x * 1; y[key] = value``: gradients reach x (around the written part) and the value."""
    def fn(lib, x, v):
        y = x * 1
        y[key_fn(lib)] = v if value_fn is None else value_fn(lib, v)
        return y
    return fn


def _fill(lib, x, key, val):
    y = x * 1
    y[key] = val
    return y


S234 = [((2, 3, 4),)]
I = [0, 2, 2, -1]    # repeated and negative indices: gradients must sum

OPS = [
    # ---------------------------------------------------------------- __getitem__, basic (views)
    _c("getitem_int", lambda lib, x: x[1], S234),
    _c("getitem_neg_int", lambda lib, x: x[-1, -2], S234),
    _c("getitem_slice", lambda lib, x: x[1:], S234 + [((0, 2),)]),
    _c("getitem_slice_step", lambda lib, x: x[:, ::2, 1:3], S234),
    _c("getitem_slice_clip", lambda lib, x: x[-10:10, 5:], S234),
    _c("getitem_ellipsis", lambda lib, x: x[..., 1], S234),
    _c("getitem_none", lambda lib, x: x[None, :, None, 0], S234),
    _c("getitem_0d", lambda lib, x: (x[...], x[None], x[True]), [((),)]),
    _c("getitem_bools", lambda lib, x: (x[True], x[False], x[0, True]), S234),
    _c("getitem_0d_tensor", lambda lib, x: x[lib.tensor(1)], S234),
    # ---------------------------------------------------------------- advanced (copies)
    _c("getitem_tensor", lambda lib, x: x[_t(lib, I)], [((3, 4),), ((3,),)]),
    _c("getitem_list", lambda lib, x: x[[0, 1, 1]], S234),
    _c("getitem_ndarray", lambda lib, x: x[np.array([[0, 1], [1, 1]])], S234),
    _c("getitem_2d_index", lambda lib, x: x[:, _t(lib, [[0, 2], [1, 1]])], S234),
    _c("getitem_adv_pair", lambda lib, x: x[_t(lib, [0, 1]), _t(lib, [2, 2])], S234),
    _c("getitem_adv_broadcast", lambda lib, x: x[_t(lib, [[0], [1]]), :, _t(lib, [1, 3, 3])], S234),
    _c("getitem_adv_separated", lambda lib, x: x[_t(lib, [0, 1]), :, _t(lib, [1, 3])], S234),
    _c("getitem_adv_adjacent", lambda lib, x: x[:, _t(lib, [0, 2]), _t(lib, [1, 3])], S234),
    _c("getitem_int_then_adv", lambda lib, x: x[:, 0, _t(lib, [1, 1, 3])], S234),
    _c("getitem_int_slice_adv", lambda lib, x: x[1, :, _t(lib, [3, 0])], S234),
    _c("getitem_adv_none", lambda lib, x: x[_t(lib, [0, 1]), None, _t(lib, [0, 1])], S234),
    _c("getitem_ellipsis_adv", lambda lib, x: x[..., _t(lib, [0, 0, 3])], S234),
    _c("getitem_slice_adv", lambda lib, x: x[1:, [2, 0]], S234),
    _c("getitem_mask", lambda lib, x: x[x > 0], S234 + [((),), ((0, 3),)]),
    _c("getitem_mask_partial", lambda lib, x: x[x[:, :, 0] > 0], S234),
    _c("getitem_mask_dim1", lambda lib, x: x[:, _t(lib, [True, False, True])], S234),
    _c("getitem_mask_and_adv", lambda lib, x: x[_t(lib, [True, False]), :, _t(lib, [1])], S234),
    _c("getitem_empty_index", lambda lib, x: x[lib.tensor([], dtype=lib.int64)], S234),
    # ---------------------------------------------------------------- __setitem__
    _c("setitem_int", _setitem(lambda lib: 1), [((3, 4), (4,)), ((3, 4), ())]),
    _c("setitem_slice", _setitem(lambda lib: (slice(None), slice(1, 3))), [((3, 4), (3, 1)), ((3, 4), (2,))]),
    _c("setitem_tensor", _setitem(lambda lib: _t(lib, [2, 0])), [((3, 4), (2, 4)), ((3, 4), (4,))]),
    _c("setitem_adv_pair", _setitem(lambda lib: (_t(lib, [0, 2]), _t(lib, [1, 3]))), [((3, 4), (2,))]),
    _c("setitem_mask", lambda lib, x, v: _fill(lib, x, x > 0, v), [((3, 4), ())]),
    _c("setitem_scalar", lambda lib, x: _fill(lib, x, (Ellipsis, 0), 2.5), [((3, 4),)]),
    _c("setitem_leading_ones", _setitem(lambda lib: 0), [((3, 4), (1, 4))]),
    _c("setitem_into_zeros", lambda lib, v: _fill(lib, lib.zeros(3, 4, dtype=v.dtype), 1, v), [((4,),)]),
    _c("setitem_slice_then_adv", _setitem(lambda lib: (slice(1, None), _t(lib, [0, 0]))), [((3, 4), (2, 1))],
       gradgrad=True),
    # ---------------------------------------------------------------- gather / scatter
    _c("gather", lambda lib, x: lib.gather(x, 1, _t(lib, [[0, 0, 2], [1, 2, 2]])), [((2, 3),)]),
    _c("gather_smaller", lambda lib, x: x.gather(0, _t(lib, [[1], [0], [1]])), [((2, 3),)]),
    _c("gather_neg_dim", lambda lib, x: x.gather(-1, _t(lib, [[[3, 0]], [[1, 1]]])), S234),
    _c("scatter", lambda lib, x, s: x.scatter(1, _t(lib, [[0, 2], [1, 0]]), s), [((2, 3), (2, 2))]),
    _c("scatter_src_bigger", lambda lib, x, s: x.scatter(1, _t(lib, [[0, 2], [1, 0]]), s), [((2, 3), (3, 4))],
       grad=False),   # PyTorch's backward refuses a src larger than the index
    _c("scatter_value", lambda lib, x: lib.scatter(x, 0, _t(lib, [[1, 0, 1]]), 1.5), [((2, 3),)]),
    _c("scatter_add", lambda lib, x, s: x.scatter_add(1, _t(lib, [[0, 0, 2], [1, 1, 1]]), s),
       [((2, 3), (2, 3))]),
    _c("scatter_add_src_bigger", lambda lib, x, s: x.scatter_add(1, _t(lib, [[0, 0, 2], [1, 1, 1]]), s),
       [((2, 3), (2, 4))], grad=False),
    _c("scatter_reduce_sum", lambda lib, x, s: x.scatter_reduce(0, _t(lib, [0, 0, 2, 1]), s, "sum"),
       [((3,), (4,))]),
    _c("scatter_reduce_sum_noself", lambda lib, x, s: x.scatter_reduce(0, _t(lib, [0, 0, 2]), s, "sum",
                                                                        include_self=False), [((4,), (3,))]),
    _c("scatter_reduce_mean", lambda lib, x, s: lib.scatter_reduce(x, 1, _t(lib, [[0, 0, 1]]), s, "mean"),
       [((2, 3), (1, 3))]),
    _c("scatter_reduce_mean_noself", lambda lib, x, s: x.scatter_reduce(0, _t(lib, [0, 0, 2]), s, "mean",
                                                                         include_self=False), [((4,), (3,))]),
    _c("scatter_reduce_amax", lambda lib, x, s: x.scatter_reduce(0, _t(lib, [0, 0, 2, 1]), s, "amax"),
       [((3,), (4,))], gradgrad=False),
    _c("scatter_reduce_amin_noself", lambda lib, x, s: x.scatter_reduce(0, _t(lib, [0, 0, 2]), s, "amin",
                                                                         include_self=False), [((4,), (3,))],
       gradgrad=False),
    _c("scatter_reduce_prod", lambda lib, x, s: x.scatter_reduce(0, _t(lib, [0, 0, 2, 1]), s, "prod"),
       [((3,), (4,))], gradgrad=False),
    # ---------------------------------------------------------------- index_* along a dim
    _c("index_select", lambda lib, x: lib.index_select(x, 1, _t(lib, [0, 2, 2, 1])), S234),
    _c("index_select_0d", lambda lib, x: x.index_select(0, lib.tensor(0)), [((3, 2),), ((),)]),
    _c("index_add", lambda lib, x, s: x.index_add(1, _t(lib, [0, 2, 0]), s), [((2, 3, 4), (2, 3, 4))]),
    _c("index_add_alpha", lambda lib, x, s: lib.index_add(x, 0, _t(lib, [1, 1]), s, alpha=2.5),
       [((3, 2), (2, 2))]),
    _c("index_copy", lambda lib, x, s: x.index_copy(1, _t(lib, [2, 0]), s), [((3, 4), (3, 2))]),
    _c("index_fill", lambda lib, x: x.index_fill(1, _t(lib, [2, 0]), -1.0), [((3, 4),)]),
    _c("index_fill_tensor", lambda lib, x, v: x.index_fill(0, _t(lib, [1]), v), [((3, 4), ())]),
    _c("index_put", lambda lib, x, v: x.index_put((_t(lib, [0, 2]),), v), [((3, 4), (4,))]),
    _c("index_put_acc", lambda lib, x, v: lib.index_put(x, (_t(lib, [0, 0]), _t(lib, [1, 1])), v,
                                                         accumulate=True), [((3, 4), ())]),
    _c("inplace_index_ops", lambda lib, x, s: (x * 1).index_add_(0, _t(lib, [1]), s).index_fill_(
        1, _t(lib, [0]), 0.5).index_copy_(0, _t(lib, [2]), s * 2), [((3, 4), (1, 4))]),
    _c("inplace_scatter_ops", lambda lib, x, s: (x * 1).scatter_(0, _t(lib, [[2, 0, 1, 1]]), s).scatter_add_(
        0, _t(lib, [[0, 0, 0, 0]]), s), [((3, 4), (1, 4))]),
    # ---------------------------------------------------------------- masked ops
    _c("masked_fill", lambda lib, x: x.masked_fill(x > 0, 0.5), S234 + [((),)]),
    _c("masked_fill_bcast", lambda lib, x: lib.masked_fill(x, lib.tensor([True, False, True, False]), -1),
       S234),
    _c("masked_fill_tensor_value", lambda lib, x, v: x.masked_fill(x < 0, v), [((3, 4), ())]),
    _c("masked_fill_mask_bigger", lambda lib, x: x.masked_fill(lib.ones(2, 1, 4, dtype=lib.bool), 1.0),
       [((3, 4),)]),
    _c("masked_fill_", lambda lib, x: (x * 1).masked_fill_(x > 0, 2.0), S234),
    _c("masked_select", lambda lib, x: lib.masked_select(x, x > 0.5), S234),
    _c("masked_select_bcast", lambda lib, x: x.masked_select(lib.tensor([[True], [False], [True]])), [((3, 4),)]),
    _c("masked_scatter", lambda lib, x, s: x.masked_scatter(x > 0, s), [((3, 4), (3, 5))]),
    _c("masked_scatter_bcast", lambda lib, x, s: x.masked_scatter(lib.tensor([True, False, True, True]), s),
       [((2, 4), (9,))]),
    # ---------------------------------------------------------------- take
    _c("take", lambda lib, x: lib.take(x, _t(lib, [[0, 5], [-1, 5]])), S234),
    _c("take_along_dim", lambda lib, x: lib.take_along_dim(x, _t(lib, [[0, 2], [1, 1]]), 1), [((2, 3),)]),
    _c("take_along_dim_bcast", lambda lib, x: x.take_along_dim(_t(lib, [[[1, 0]]]), dim=-1), S234),
    _c("take_along_dim_flat", lambda lib, x: lib.take_along_dim(x, _t(lib, [3, 0, 3])), S234,
       noncontiguous=False),   # PyTorch itself uses view() there and fails on non-contiguous input
]
