"""Error parity for the linear algebra family: the same bad call raises the same exception type on PyTorch and
ember, with the same message."""
import numpy as np
import pytest
import torch

import ember


def _ones(lib, *shape, dtype="float32"):
    return lib.ones(shape, dtype=getattr(lib, dtype))


def _eye(lib, n):
    return lib.eye(n)


f32, f64, i64 = "float32", "float64", "int64"

# name -> fn(lib): each must raise; messages compared exactly
SAME_MESSAGE = {
    "mm_shape": lambda L: L.mm(_ones(L, 2, 3), _ones(L, 4, 5)),
    "mm_dtype": lambda L: L.mm(_ones(L, 2, 3), _ones(L, 3, 5, dtype=f64)),
    "mm_1d": lambda L: L.mm(_ones(L, 3), _ones(L, 3, 5)),
    "mm_1d_b": lambda L: L.mm(_ones(L, 2, 3), _ones(L, 3)),
    "matmul_0d": lambda L: L.matmul(_ones(L), _ones(L, 3)),
    "matmul_2d": lambda L: L.matmul(_ones(L, 2, 3), _ones(L, 4, 5)),
    "matmul_1d1d": lambda L: L.matmul(_ones(L, 3), _ones(L, 4)),
    "matmul_2d1d": lambda L: _ones(L, 2, 3) @ _ones(L, 4),
    "matmul_1d2d": lambda L: _ones(L, 3) @ _ones(L, 4, 5),
    "matmul_3d3d": lambda L: _ones(L, 2, 2, 3) @ _ones(L, 2, 4, 5),
    "matmul_batch": lambda L: _ones(L, 2, 2, 3) @ _ones(L, 3, 3, 5),
    "matmul_3d2d": lambda L: _ones(L, 3, 2, 3) @ _ones(L, 4, 5),
    "matmul_3d1d": lambda L: _ones(L, 3, 2, 3) @ _ones(L, 4),
    "matmul_2d3d": lambda L: _ones(L, 2, 3) @ _ones(L, 3, 4, 5),
    "matmul_1d3d": lambda L: _ones(L, 3) @ _ones(L, 3, 4, 5),
    "matmul_4d3d": lambda L: _ones(L, 2, 3, 2, 3) @ _ones(L, 3, 4, 5),
    "matmul_dtype_2d": lambda L: _ones(L, 2, 3) @ _ones(L, 3, 5, dtype=f64),
    "matmul_dtype_1d": lambda L: _ones(L, 3) @ _ones(L, 3, dtype=f64),
    "matmul_dtype_3d": lambda L: _ones(L, 2, 2, 3, dtype=f64) @ _ones(L, 2, 3, 5),
    "matmul_dtype_2d1d": lambda L: _ones(L, 2, 3) @ _ones(L, 3, dtype=f64),
    "matmul_dtype_int": lambda L: _ones(L, 2, 3, dtype=i64) @ _ones(L, 3, 5),
    "matmul_bool": lambda L: L.matmul(_ones(L, 2, 3, dtype="bool"), _ones(L, 3, 5, dtype="bool")),
    "matmul_list": lambda L: L.matmul(_ones(L, 2, 3), [1, 2, 3]),
    "matmul_dunder_list": lambda L: _ones(L, 2, 3) @ [1, 2, 3],
    "bmm_shape": lambda L: L.bmm(_ones(L, 2, 2, 3), _ones(L, 2, 4, 5)),
    "bmm_batch": lambda L: L.bmm(_ones(L, 2, 2, 3), _ones(L, 3, 3, 5)),
    "bmm_2d": lambda L: L.bmm(_ones(L, 2, 3), _ones(L, 3, 5)),
    "bmm_2d_b": lambda L: L.bmm(_ones(L, 2, 2, 3), _ones(L, 3, 5)),
    "bmm_dtype": lambda L: L.bmm(_ones(L, 2, 2, 3), _ones(L, 2, 3, 5, dtype=f64)),
    "dot_shape": lambda L: L.dot(_ones(L, 3), _ones(L, 4)),
    "dot_2d": lambda L: L.dot(_ones(L, 3, 1), _ones(L, 3)),
    "dot_dtype": lambda L: L.dot(_ones(L, 3), _ones(L, 3, dtype=f64)),
    "dot_bool": lambda L: L.dot(_ones(L, 3, dtype="bool"), _ones(L, 3, dtype="bool")),
    "vdot_shape": lambda L: L.vdot(_ones(L, 3), _ones(L, 4)),
    "mv_shape": lambda L: L.mv(_ones(L, 2, 3), _ones(L, 4)),
    "mv_1d": lambda L: L.mv(_ones(L, 3), _ones(L, 3)),
    "mv_2d": lambda L: L.mv(_ones(L, 2, 3), _ones(L, 3, 1)),
    "mv_dtype": lambda L: L.mv(_ones(L, 2, 3, dtype=f64), _ones(L, 3)),
    "addmm_shape": lambda L: L.addmm(_ones(L, 2, 4), _ones(L, 2, 3), _ones(L, 3, 5)),
    "addmm_dtype": lambda L: L.addmm(_ones(L, 2, 5, dtype=f64), _ones(L, 2, 3), _ones(L, 3, 5)),
    "addmv_shape": lambda L: L.addmv(_ones(L, 3), _ones(L, 2, 3), _ones(L, 3)),
    "addmv_dtype": lambda L: L.addmv(_ones(L, 2), _ones(L, 2, 3, dtype=f64), _ones(L, 3, dtype=f64)),
    "baddbmm_dtype": lambda L: L.baddbmm(_ones(L, 2, 2, 3), _ones(L, 2, 2, 3, dtype=f64), _ones(L, 2, 3, 3, dtype=f64)),
    "baddbmm_shape": lambda L: L.baddbmm(_ones(L, 2, 2, 4), _ones(L, 2, 2, 3), _ones(L, 2, 3, 5)),
    "addbmm_batches": lambda L: L.addbmm(_ones(L, 2, 5), _ones(L, 3, 2, 3), _ones(L, 2, 3, 5)),
    "addbmm_dtype": lambda L: L.addbmm(_ones(L, 2, 3), _ones(L, 2, 2, 3, dtype=f64), _ones(L, 2, 3, 3, dtype=f64)),
    "outer_2d": lambda L: L.outer(_ones(L, 3, 1), _ones(L, 3)),
    "outer_0d": lambda L: L.outer(_ones(L), _ones(L, 3)),
    "inner_shape": lambda L: L.inner(_ones(L, 2, 3), _ones(L, 4)),
    "inner_dtype": lambda L: L.inner(_ones(L, 3), _ones(L, 3, dtype=f64)),
    "tensordot_dtype": lambda L: L.tensordot(_ones(L, 3), _ones(L, 3, dtype=f64), dims=1),
    "tensordot_shape": lambda L: L.tensordot(_ones(L, 3, 4), _ones(L, 5, 6), dims=1),
    "tensordot_lists_shape": lambda L: L.tensordot(_ones(L, 3, 4), _ones(L, 4, 6), dims=([1], [1])),
    "tensordot_dims": lambda L: L.tensordot(_ones(L, 3, 4), _ones(L, 4, 6), dims=3),
    "tensordot_neg": lambda L: L.tensordot(_ones(L, 3, 4), _ones(L, 4, 6), dims=-1),
    "tensordot_lists_len": lambda L: L.tensordot(_ones(L, 3, 4), _ones(L, 4, 6), dims=([0, 1], [0])),
    "einsum_dtype": lambda L: L.einsum("ij,jk", _ones(L, 2, 3, dtype=f64), _ones(L, 3, 3)),
    "einsum_few_ops": lambda L: L.einsum("i,i", _ones(L, 3)),
    "einsum_many_ops": lambda L: L.einsum("i", _ones(L, 3), _ones(L, 3)),
    "einsum_ndim": lambda L: L.einsum("ij", _ones(L, 3)),
    "einsum_ndim_ell": lambda L: L.einsum("ijk...", _ones(L, 3, 3)),
    "einsum_size": lambda L: L.einsum("i,i", _ones(L, 3), _ones(L, 4)),
    "einsum_out_missing": lambda L: L.einsum("i->j", _ones(L, 3)),
    "einsum_out_repeat": lambda L: L.einsum("i->ii", _ones(L, 3)),
    "einsum_bad_char": lambda L: L.einsum("i1->i", _ones(L, 3)),
    "einsum_diag_size": lambda L: L.einsum("ii->i", _ones(L, 3, 4)),
    "einsum_ellipsis_bcast": lambda L: L.einsum("...i,i...", _ones(L, 5, 2, 3), _ones(L, 3, 2, 5)),
    "einsum_bool": lambda L: L.einsum("ij,jk", _ones(L, 2, 3, dtype="bool"), _ones(L, 3, 4, dtype="bool")),
    "cross_len": lambda L: L.cross(_ones(L, 3, 2), _ones(L, 3, 2), dim=1),
    "cross_dtype": lambda L: L.cross(_ones(L, 2, 3), _ones(L, 2, 3, dtype=f64), dim=1),
    "linalg_cross_ndim": lambda L: L.linalg.cross(_ones(L, 2, 3), _ones(L, 3)),
    "trace_3d": lambda L: L.trace(_ones(L, 2, 2, 2)),
    "trace_1d": lambda L: L.trace(_ones(L, 3)),
    "multi_dot_one": lambda L: L.linalg.multi_dot([_ones(L, 3, 3)]),
    "multi_dot_3d": lambda L: L.linalg.multi_dot([_ones(L, 3, 3), _ones(L, 2, 3, 3)]),
    "multi_dot_shape": lambda L: L.linalg.multi_dot([_ones(L, 3, 3), _ones(L, 2, 3)]),
    "multi_dot_dtype": lambda L: L.linalg.multi_dot([_ones(L, 3, 3), _ones(L, 3, 3, dtype=f64)]),
    "det_1d": lambda L: L.linalg.det(_ones(L, 3)),
    "det_nonsquare": lambda L: L.linalg.det(_ones(L, 2, 3)),
    "det_int": lambda L: L.linalg.det(_ones(L, 2, 2, dtype=i64)),
    "inv_singular": lambda L: L.linalg.inv(_ones(L, 3, 3)),
    "inv_singular_batch": lambda L: L.linalg.inv(L.stack([_eye(L, 3), _ones(L, 3, 3)])),
    "inv_nonsquare": lambda L: L.linalg.inv(_ones(L, 2, 3)),
    "inv_int": lambda L: L.linalg.inv(_ones(L, 2, 2, dtype=i64)),
    "inverse_nonsquare": lambda L: L.inverse(_ones(L, 2, 3)),
    "solve_shape": lambda L: L.linalg.solve(_eye(L, 3), _ones(L, 4)),
    "solve_shape2": lambda L: L.linalg.solve(_eye(L, 3), _ones(L, 4, 2)),
    "solve_dtype": lambda L: L.linalg.solve(_eye(L, 3), _ones(L, 3, dtype=f64)),
    "solve_singular": lambda L: L.linalg.solve(_ones(L, 3, 3), _ones(L, 3)),
    "cholesky_not_pd": lambda L: L.linalg.cholesky(-_eye(L, 3)),
    "cholesky_not_pd2": lambda L: L.linalg.cholesky(L.tensor([[1., 2.], [2., 1.]])),
    "cholesky_not_pd_batch": lambda L: L.linalg.cholesky(L.stack([_eye(L, 2), -_eye(L, 2)])),
    "cholesky_nonsquare": lambda L: L.linalg.cholesky(_ones(L, 2, 3)),
    "qr_1d": lambda L: L.linalg.qr(_ones(L, 3)),
    "qr_mode": lambda L: L.linalg.qr(_ones(L, 3, 3), mode="x"),
    "svd_1d": lambda L: L.linalg.svd(_ones(L, 3)),
    "eigh_nonsquare": lambda L: L.linalg.eigh(_ones(L, 2, 3)),
    "eigh_uplo": lambda L: L.linalg.eigh(_eye(L, 2), UPLO="X"),
    "norm_int": lambda L: L.linalg.norm(_ones(L, 3, dtype=i64)),
    "vector_norm_int": lambda L: L.linalg.vector_norm(_ones(L, 3, dtype=i64)),
    "vector_norm_str": lambda L: L.linalg.vector_norm(_ones(L, 3, 3), ord="fro"),
    "vector_norm_inf_empty": lambda L: L.linalg.vector_norm(_ones(L, 0), ord=float("inf")),
    "vector_norm_narrowing": lambda L: L.linalg.vector_norm(_ones(L, 2, 3, dtype=f64), dtype=L.float32),
    "matrix_norm_1d": lambda L: L.linalg.matrix_norm(_ones(L, 3)),
    "matrix_norm_ord": lambda L: L.linalg.matrix_norm(_ones(L, 3, 3), ord=3),
    "matrix_norm_ord_str": lambda L: L.linalg.matrix_norm(_ones(L, 3, 3), ord="abc"),
    "matrix_norm_dim": lambda L: L.linalg.matrix_norm(_ones(L, 3, 3), dim=(0, 0)),
    "norm_ord_3d": lambda L: L.linalg.norm(_ones(L, 3, 3, 3), ord=2),
    "norm_str_1d": lambda L: L.linalg.norm(_ones(L, 3), ord="fro"),
    "norm_str_dim": lambda L: L.linalg.norm(_ones(L, 3, 3), ord="fro", dim=0),
    "torch_norm_int": lambda L: L.norm(_ones(L, 2, 3, dtype=i64)),
    "matrix_power_nonsquare": lambda L: L.linalg.matrix_power(_ones(L, 2, 3), 2),
    "matrix_power_neg_int": lambda L: L.linalg.matrix_power(_ones(L, 2, 2, dtype=i64), -1),
    "matrix_rank_int": lambda L: L.linalg.matrix_rank(_ones(L, 2, 2, dtype=i64)),
    "pinv_int": lambda L: L.linalg.pinv(_ones(L, 2, 2, dtype=i64)),
}

def _raise(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001
        return e
    return None


@pytest.mark.parametrize("name", sorted(SAME_MESSAGE))
def test_same_error(name):
    fn = SAME_MESSAGE[name]
    te = _raise(fn, torch)
    assert te is not None, f"{name}: torch did not raise"
    ee = _raise(fn, ember)
    assert ee is not None, f"{name}: ember did not raise (torch: {type(te).__name__}: {te})"
    # torch.linalg.LinAlgError is torch._C._LinAlgError
    assert isinstance(ee, type(te)) or type(ee).__name__ == type(te).__name__.lstrip("_"), \
        f"{name}: ember raised {type(ee).__name__}: {ee}; torch {type(te).__name__}: {te}"
    assert str(ee) == str(te), f"{name}: message differs\n ember: {ee}\n torch: {te}"


def test_linalg_error_is_runtime_error():
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.ones(2, 2))
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.ones(2, 2))


def test_no_numpy_error_escapes():
    """Bad inputs never surface NumPy's own exceptions."""
    bad = [
        lambda: ember.linalg.cholesky(ember.zeros(3, 3)),
        lambda: ember.linalg.solve(ember.zeros(2, 2), ember.ones(2)),
        lambda: ember.linalg.inv(ember.zeros(2, 2, 2)),
        lambda: ember.einsum("ij,jk", ember.ones(2, 3), ember.ones(4, 5)),
    ]
    for fn in bad:
        with pytest.raises(RuntimeError) as info:
            fn()
        assert not isinstance(info.value, np.linalg.LinAlgError)
