"""Pooling, padding and resampling: max/avg/lp/adaptive pooling (indices too), max_unpool, pad in every mode,
interpolate in every mode, pixel_shuffle/unshuffle."""
import numpy as np

from . import OpInfo, Sample, uniform


def _F(name, **fixed):
    return lambda lib, *a, **k: getattr(lib.nn.functional, name)(*a, **fixed, **k)


def _distinct(rng, shape, dtype):
    """Values with no ties (max pooling's gradient is then unambiguous)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / max(n, 1) * 4 - 2).astype(dtype)


def _s(*cases):
    def samples(rng, dtype):
        return [Sample(tuple(_distinct(rng, s, dtype) for s in shapes), kw, name) for shapes, kw, name in cases]
    return samples


_tol = dict(atol=1e-4, rtol=1e-4, max_examples=1)

OPS = [
    OpInfo("nn.functional.max_pool2d", _F("max_pool2d"), kind="custom", samples=_s(
        (((2, 3, 6, 8),), dict(kernel_size=2), "2x2 LeNet path"),
        (((2, 3, 7, 8),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), "overlap pad ceil"),
        (((2, 3, 7, 8),), dict(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=(2, 1)), "dilation"),
        (((3, 5, 5),), dict(kernel_size=2, stride=1), "unbatched"),
        (((0, 2, 4, 4),), dict(kernel_size=2), "empty batch")), **_tol),
    OpInfo("nn.functional.max_pool2d_indices", lambda lib, x, **k: lib.nn.functional.max_pool2d(
        x, return_indices=True, **k), kind="custom", samples=_s(
        (((2, 3, 7, 8),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), ""),
        (((2, 2, 6, 6),), dict(kernel_size=2), "")), **_tol),
    OpInfo("nn.functional.max_pool1d", _F("max_pool1d"), kind="custom", samples=_s(
        (((2, 3, 9),), dict(kernel_size=3, stride=2, padding=1), ""),
        (((3, 8),), dict(kernel_size=2, return_indices=True), "unbatched indices")), **_tol),
    OpInfo("nn.functional.max_pool3d", _F("max_pool3d"), kind="custom", samples=_s(
        (((1, 2, 3, 4, 5),), dict(kernel_size=2, stride=1, padding=1), "")), **_tol),
    OpInfo("torch.max_pool2d", lambda lib, x, **k: lib.max_pool2d(x, **k), kind="custom", samples=_s(
        (((2, 3, 6, 8),), dict(kernel_size=2), "")), gradgrad=False, noncontiguous=False, **_tol),
    OpInfo("nn.functional.max_unpool2d", lambda lib, x, **k: lib.nn.functional.max_unpool2d(
        *lib.nn.functional.max_pool2d(x, 2, return_indices=True), 2, **k), kind="custom", samples=_s(
        (((2, 3, 6, 8),), {}, ""), (((2, 3, 7, 9),), dict(output_size=(7, 9)), "output_size")), **_tol),
    OpInfo("nn.functional.max_unpool1d", lambda lib, x: lib.nn.functional.max_unpool1d(
        *lib.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True), 3, 2, 1), kind="custom",
        samples=_s((((2, 3, 9),), {}, "")), **_tol),
    OpInfo("nn.functional.avg_pool2d", _F("avg_pool2d"), kind="custom", samples=_s(
        (((2, 3, 6, 8),), dict(kernel_size=2), "2x2"),
        (((2, 3, 7, 8),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), "pad ceil"),
        (((2, 3, 7, 8),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
         "exclude pad"),
        (((2, 3, 7, 8),), dict(kernel_size=(2, 3), divisor_override=5), "divisor_override"),
        (((3, 5, 5),), dict(kernel_size=2, stride=1), "unbatched")), **_tol),
    OpInfo("nn.functional.avg_pool1d", _F("avg_pool1d"), kind="custom", samples=_s(
        (((2, 3, 11),), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True), ""),
        (((2, 3, 11),), dict(kernel_size=3, padding=1, count_include_pad=False), "")), **_tol),
    OpInfo("nn.functional.avg_pool3d", _F("avg_pool3d"), kind="custom", samples=_s(
        (((1, 2, 4, 4, 5),), dict(kernel_size=2, padding=1), "")), **_tol),
    OpInfo("nn.functional.lp_pool2d", _F("lp_pool2d"), kind="custom", samples=_s(
        (((2, 3, 6, 8),), dict(norm_type=2, kernel_size=2), ""),
        (((2, 3, 6, 8),), dict(norm_type=3, kernel_size=(3, 2), stride=2), "")), domain=(0.5, 2), **_tol),
    OpInfo("nn.functional.lp_pool1d", _F("lp_pool1d"), kind="custom", samples=_s(
        (((2, 3, 8),), dict(norm_type=2, kernel_size=3, stride=2), "")), **_tol),
    OpInfo("nn.functional.adaptive_avg_pool2d", _F("adaptive_avg_pool2d"), kind="custom", samples=_s(
        (((2, 3, 7, 8),), dict(output_size=(3, 5)), "uneven"),
        (((2, 3, 6, 8),), dict(output_size=(2, 4)), "even"),
        (((2, 3, 5, 5),), dict(output_size=1), "global"),
        (((3, 7, 8),), dict(output_size=(None, 3)), "unbatched None")), **_tol),
    OpInfo("nn.functional.adaptive_avg_pool1d", _F("adaptive_avg_pool1d"), kind="custom", samples=_s(
        (((2, 3, 10),), dict(output_size=4), "")), **_tol),
    OpInfo("nn.functional.adaptive_avg_pool3d", _F("adaptive_avg_pool3d"), kind="custom", samples=_s(
        (((1, 2, 5, 4, 6),), dict(output_size=(2, 3, 4)), "")), **_tol),
    OpInfo("nn.functional.adaptive_max_pool2d", _F("adaptive_max_pool2d"), kind="custom", samples=_s(
        (((2, 3, 7, 8),), dict(output_size=(3, 5), return_indices=True), "uneven"),
        (((2, 3, 6, 8),), dict(output_size=(2, 4), return_indices=True), "even"),
        (((3, 4, 4),), dict(output_size=(5, 3)), "upsampling")), **_tol),
    OpInfo("nn.functional.adaptive_max_pool1d", _F("adaptive_max_pool1d"), kind="custom", samples=_s(
        (((2, 3, 10),), dict(output_size=3, return_indices=True), "")), **_tol),
    OpInfo("nn.functional.pad_constant", _F("pad"), kind="custom", samples=_s(
        (((2, 3, 4, 5),), dict(pad=(1, 2, 0, 3)), ""),
        (((2, 3, 4, 5),), dict(pad=(-1, 2, 1, -2), value=1.5), "negative crops"),
        (((2, 3),), dict(pad=(1, 1, 2, 0)), "2-d"),
        (((0, 3),), dict(pad=(1, 1)), "empty")), **_tol),
    OpInfo("nn.functional.pad_reflect", _F("pad", mode="reflect"), kind="custom", samples=_s(
        (((2, 3, 4, 5),), dict(pad=(2, 3, 1, 2)), ""), (((3, 5),), dict(pad=(4, 1)), "2-d"),
        (((1, 2, 3, 3, 4),), dict(pad=(1, 1, 2, 0, 1, 2)), "3 dims")), **_tol),
    OpInfo("nn.functional.pad_replicate", _F("pad", mode="replicate"), kind="custom", samples=_s(
        (((2, 3, 4, 5),), dict(pad=(2, 3, 1, 2)), ""), (((2, 3, 4),), dict(pad=(5, 0)), "")), **_tol),
    OpInfo("nn.functional.pad_circular", _F("pad", mode="circular"), kind="custom", samples=_s(
        (((2, 3, 4, 5),), dict(pad=(2, 3, 1, -2)), ""), (((2, 3, 4),), dict(pad=(-1, 2)), "")), **_tol),
    OpInfo("nn.functional.interpolate_nearest", _F("interpolate"), kind="custom", samples=_s(
        (((2, 3, 4, 5),), dict(scale_factor=2), "x2"),
        (((2, 3, 4, 5),), dict(size=(7, 3)), "size"),
        (((2, 3, 4, 5),), dict(scale_factor=1.7), "fractional"),
        (((2, 3, 6),), dict(size=4), "1-d down"),
        (((1, 2, 2, 3, 2),), dict(scale_factor=(2, 1, 3)), "3-d"),
        (((2, 3, 4, 5),), dict(size=(7, 9), mode="nearest-exact"), "nearest-exact")), **_tol),
    OpInfo("nn.functional.interpolate_linear", _F("interpolate"), kind="custom", samples=_s(
        (((2, 3, 4, 5),), dict(size=(7, 3), mode="bilinear"), "bilinear"),
        (((2, 3, 4, 5),), dict(scale_factor=2.5, mode="bilinear", align_corners=True), "align_corners"),
        (((2, 3, 4, 5),), dict(scale_factor=1.5, mode="bilinear"), "scale"),
        (((2, 3, 4, 5),), dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True), "recompute"),
        (((2, 3, 4),), dict(size=6, mode="linear"), "linear"),
        (((1, 2, 4, 3, 4),), dict(size=(3, 6, 2), mode="trilinear"), "trilinear"),
        (((2, 3, 4, 5),), dict(size=(7, 3), mode="bicubic"), "bicubic"),
        (((2, 3, 4, 5),), dict(size=(7, 3), mode="bicubic", align_corners=True), "bicubic ac"),
        (((2, 3, 4, 5),), dict(size=(3, 2), mode="area"), "area")), **_tol),
    OpInfo("nn.functional.pixel_shuffle", _F("pixel_shuffle"), kind="custom", samples=_s(
        (((2, 8, 3, 4),), dict(upscale_factor=2), ""), (((9, 2, 2),), dict(upscale_factor=3), "unbatched")),
        **_tol),
    OpInfo("nn.functional.pixel_unshuffle", _F("pixel_unshuffle"), kind="custom", samples=_s(
        (((2, 3, 4, 6),), dict(downscale_factor=2), "")), **_tol),
]
