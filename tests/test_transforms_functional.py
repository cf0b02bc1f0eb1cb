"""ember.transforms.functional against PyTorch (F.interpolate, F.pad, grid_sample with torchvision's rotation
grid) and hand-computed values on tiny images."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import ember
import ember.transforms.functional as TF

RS = np.random.RandomState(0)


def _np(x):
    return x.numpy() if isinstance(x, ember.Tensor) else np.asarray(x)


def _t(a):
    return ember.from_numpy(np.ascontiguousarray(a))


# ----------------------------------------------------------------------------------------------- to_tensor

def test_to_tensor_matches_torch_division():
    a = RS.randint(0, 256, (5, 7, 3)).astype(np.uint8)
    x = TF.to_tensor(a)
    ref = torch.from_numpy(a.transpose(2, 0, 1).copy()).float().div(255)
    assert x.dtype == ember.float32 and tuple(x.shape) == (3, 5, 7)
    np.testing.assert_array_equal(x.numpy(), ref.numpy())
    g = TF.to_tensor(a[:, :, 0])
    assert tuple(g.shape) == (1, 5, 7)
    assert g.numpy()[0, 1, 2] == np.float32(a[1, 2, 0]) / np.float32(255)


def test_to_tensor_keeps_non_uint8_values_and_rejects_bad_input():
    a = RS.rand(4, 4).astype(np.float64)
    x = TF.to_tensor(a)
    assert x.dtype == ember.float64
    np.testing.assert_array_equal(x.numpy()[0], a)
    with pytest.raises(TypeError, match="to_tensor.*ndarray"):
        TF.to_tensor([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="2/3 dimensional. Got 4"):
        TF.to_tensor(np.zeros((1, 2, 2, 1), np.uint8))


# -------------------------------------------------------------------------------------------------- resize

def test_resize_by_two_hand_computed():
    # 2×2 -> 4×4 bilinear, align_corners=False: source index 0.5 * (i + 0.5) - 0.5 = -0.25 (clamped), 0.25, 0.75,
    # 1.25 -> weights on the column [0, 1] give 0, 0.25, 0.75, 1; the image is 2 * row + col.
    img = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[None]
    out = TF.resize(_t(img), [4, 4]).numpy()[0]
    r = np.array([0.0, 0.25, 0.75, 1.0])
    np.testing.assert_allclose(out, 2 * r[:, None] + r[None, :], atol=1e-6)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("src,dst", [((8, 8), (16, 16)), ((7, 5), (3, 4)), ((28, 28), (14, 20)), ((5, 9), (11, 2))])
def test_resize_matches_torch_interpolate(mode, antialias, src, dst):
    x = RS.rand(2, 3, *src).astype(np.float32)
    out = TF.resize(_t(x), list(dst), interpolation=mode, antialias=antialias).numpy()
    kw = {} if mode == "nearest" else {"align_corners": False, "antialias": antialias}
    ref = tF.interpolate(torch.from_numpy(x), size=dst, mode=mode, **kw).numpy()
    np.testing.assert_allclose(out, ref, atol=2e-6, rtol=1e-5)


def test_resize_uint8_array_rounds_like_torchvision():
    a = RS.randint(0, 256, (9, 6, 3)).astype(np.uint8)
    out = TF.resize(a, [5, 4], antialias=False)
    assert out.dtype == np.uint8 and out.shape == (5, 4, 3)
    ref = tF.interpolate(torch.from_numpy(a.transpose(2, 0, 1)[None].astype(np.float32)), size=(5, 4),
                         mode="bilinear", align_corners=False)[0].round().numpy().transpose(1, 2, 0)
    np.testing.assert_array_equal(out, ref.astype(np.uint8))


def test_resize_int_size_matches_the_shorter_side():
    img = np.zeros((20, 30), np.uint8)
    assert TF.resize(img, 10).shape == (10, 15)
    assert TF.resize(np.zeros((30, 20, 3), np.uint8), [10]).shape == (15, 10, 3)
    assert TF.resize(img, 10, max_size=12).shape == (8, 12)
    assert TF.resize(img, [20, 30]) is img                      # same size: returned as is
    with pytest.raises(ValueError, match="max_size = 10 must be strictly greater"):
        TF.resize(img, 10, max_size=10)
    with pytest.raises(ValueError, match="max_size should only be passed"):
        TF.resize(img, [5, 5], max_size=10)
    with pytest.raises(TypeError, match="resize: size should be an int"):
        TF.resize(img, 2.5)
    with pytest.raises(ValueError, match="resize: interpolation must be one of"):
        TF.resize(img, 4, interpolation="lanczos")


# ------------------------------------------------------------------------------------------ crop, pad, flip

def test_crop_center_crop_and_out_of_bounds_zeros():
    img = np.arange(16, dtype=np.uint8).reshape(4, 4)
    np.testing.assert_array_equal(TF.crop(img, 1, 2, 2, 2), [[6, 7], [10, 11]])
    np.testing.assert_array_equal(TF.center_crop(img, 2), [[5, 6], [9, 10]])
    np.testing.assert_array_equal(TF.crop(img, -1, 3, 2, 2), [[0, 0], [3, 0]])
    t = TF.crop(_t(img.astype(np.float32)[None]), 2, 0, 2, 3)
    np.testing.assert_array_equal(t.numpy()[0], [[8, 9, 10], [12, 13, 14]])
    big = TF.center_crop(np.arange(9, dtype=np.uint8).reshape(3, 3), [5, 4])
    # torchvision pads (4 - 3) // 2 = 0 on the left and (4 - 3 + 1) // 2 = 1 on the right, 1 above and below
    np.testing.assert_array_equal(big, [[0, 0, 0, 0], [0, 1, 2, 0], [3, 4, 5, 0], [6, 7, 8, 0], [0, 0, 0, 0]])
    with pytest.raises(TypeError, match="crop: top should be an int"):
        TF.crop(img, 1.5, 0, 2, 2)
    with pytest.raises(ValueError, match="center_crop: Please provide only two dimensions"):
        TF.center_crop(img, (1, 2, 3))


def test_crop_of_hwc_array_keeps_layout():
    a = RS.randint(0, 256, (6, 5, 3)).astype(np.uint8)
    np.testing.assert_array_equal(TF.crop(a, 1, 1, 3, 2), a[1:4, 1:3])
    np.testing.assert_array_equal(TF.hflip(a), a[:, ::-1])
    np.testing.assert_array_equal(TF.vflip(a), a[::-1])


@pytest.mark.parametrize("mode,torch_mode", [("reflect", "reflect"), ("edge", "replicate"), ("constant", "constant")])
def test_pad_matches_torch(mode, torch_mode):
    x = RS.rand(2, 4, 5).astype(np.float32)
    out = TF.pad(_t(x), [1, 2, 3, 1], padding_mode=mode).numpy()      # left, top, right, bottom
    ref = tF.pad(torch.from_numpy(x)[None], (1, 3, 2, 1), mode=torch_mode)[0].numpy()
    np.testing.assert_array_equal(out, ref)


def test_pad_hand_computed_variants():
    img = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(TF.pad(img, 1, fill=9), [[9, 9, 9, 9], [9, 1, 2, 9], [9, 3, 4, 9], [9, 9, 9, 9]])
    np.testing.assert_array_equal(TF.pad(img, [1, 0]), [[0, 1, 2, 0], [0, 3, 4, 0]])      # (left/right, top/bottom)
    np.testing.assert_array_equal(TF.pad(img, 1, padding_mode="symmetric"),
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    np.testing.assert_array_equal(TF.pad(np.arange(9, dtype=np.uint8).reshape(3, 3), [-1, 0, 0, -1]),
                                  [[1, 2], [4, 5]])                                     # negative pads crop
    rgb = TF.pad(np.zeros((1, 1, 3), np.uint8), 1, fill=(10, 20, 30))
    assert rgb.shape == (3, 3, 3)
    np.testing.assert_array_equal(rgb[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(rgb[1, 1], [0, 0, 0])
    with pytest.raises(ValueError, match="1, 2, or 4 element tuple, not a 3"):
        TF.pad(img, [1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode should be either"):
        TF.pad(img, 1, padding_mode="wrap")
    with pytest.raises(TypeError, match="inappropriate padding arg"):
        TF.pad(img, 1.5)


def test_flips_hand_computed_on_tensor():
    x = _t(np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    np.testing.assert_array_equal(TF.hflip(x).numpy()[0], [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(TF.vflip(x).numpy()[0], [[3, 4, 5], [0, 1, 2]])


# ---------------------------------------------------------------------------------------------- rotation

def _torchvision_rotate(img, angle, mode, expand=False, center=None, fill=None):
    """torchvision's tensor rotate, written out with PyTorch ops (the oracle)."""
    c, h, w = img.shape
    cf = [0.0, 0.0] if center is None else [1.0 * (cc - s * 0.5) for cc, s in zip(center, [w, h])]
    rot = math.radians(-angle)
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    m[2] += m[0] * (-cf[0]) + m[1] * (-cf[1]) + cf[0]
    m[5] += m[3] * (-cf[0]) + m[4] * (-cf[1]) + cf[1]
    if expand:
        pts = torch.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                            [0.5 * w, -0.5 * h, 1.0]])
        new = pts @ torch.tensor(m, dtype=torch.float).view(2, 3).T
        half = torch.tensor((w * 0.5, h * 0.5))
        lo, hi = new.min(0).values + half, new.max(0).values + half
        size = torch.ceil((hi / 1e-4).trunc_() * 1e-4) - torch.floor((lo / 1e-4).trunc_() * 1e-4)
        ow, oh = int(size[0]), int(size[1])
    else:
        ow, oh = w, h
    theta = torch.tensor(m, dtype=torch.float64).reshape(1, 2, 3)
    base = torch.empty(1, oh, ow, 3, dtype=torch.float64)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, steps=oh).unsqueeze_(-1))
    base[..., 2].fill_(1)
    grid = base.view(1, oh * ow, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h],
                                                                              dtype=torch.float64))
    grid = grid.view(1, oh, ow, 2)
    x = torch.from_numpy(img.astype(np.float64))[None]
    if fill is not None:
        x = torch.cat((x, torch.ones(1, 1, h, w, dtype=torch.float64)), dim=1)
    out = tF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask, out = out[:, -1:], out[:, :-1]
        f = torch.tensor(fill if isinstance(fill, (list, tuple)) else [fill], dtype=torch.float64).view(1, -1, 1, 1)
        f = f.expand_as(out)
        mask = mask.expand_as(out)
        if mode == "nearest":
            out = torch.where(mask < 0.5, f, out)
        else:
            out = out * mask + (1.0 - mask) * f
    return out[0].numpy()


@pytest.mark.parametrize("n", [3, 4])
def test_rotate_quarter_turns_are_exact(n):
    img = np.arange(n * n, dtype=np.uint8).reshape(n, n)
    for k, angle in ((1, 90), (2, 180), (3, 270), (-1, -90)):
        np.testing.assert_array_equal(TF.rotate(img, angle), np.rot90(img, k))     # counter-clockwise
        out = TF.rotate(_t(img.astype(np.float32)[None]), angle, interpolation="bilinear")
        np.testing.assert_allclose(out.numpy()[0], np.rot90(img, k), atol=1e-4)
    rgb = RS.randint(0, 256, (n, n, 3)).astype(np.uint8)
    np.testing.assert_array_equal(TF.rotate(rgb, 90), np.rot90(rgb, 1, axes=(0, 1)))


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("angle,expand,center,fill", [(30.0, False, None, None), (-47.5, False, None, 0.25),
                                                      (71.0, True, None, [0.1, 0.5, 0.9]),
                                                      (13.0, False, (1, 2), 0.0), (200.0, True, None, None)])
def test_rotate_matches_torchvision_grid_sample(mode, angle, expand, center, fill):
    x = RS.rand(3, 7, 6).astype(np.float64)
    out = TF.rotate(_t(x), angle, interpolation=mode, expand=expand, center=center, fill=fill).numpy()
    ref = _torchvision_rotate(x, angle, mode, expand, center, fill)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, atol=1e-9)


def test_rotate_expand_grows_the_canvas_and_fill_paints_it():
    img = np.full((3, 3), 7, np.uint8)
    out = TF.rotate(img, 45, expand=True, fill=[200])
    assert out.shape == (5, 5)                       # ceil(3 * sqrt(2)) = 5
    assert out[0, 0] == 200 and out[2, 2] == 7
    with pytest.raises(ValueError, match="number of elements in 'fill' does not match.*2 != 3"):
        TF.rotate(np.zeros((3, 3, 3), np.uint8), 10, fill=[1, 2])
    with pytest.raises(TypeError, match="rotate: Argument angle should be int or float"):
        TF.rotate(img, "10")


# ------------------------------------------------------------------------------------------------- colour

def test_brightness_factor_zero_is_black_and_one_is_identity():
    a = RS.randint(0, 256, (4, 4, 3)).astype(np.uint8)
    assert (TF.adjust_brightness(a, 0.0) == 0).all()
    np.testing.assert_array_equal(TF.adjust_brightness(a, 1.0), a)
    np.testing.assert_array_equal(TF.adjust_brightness(np.array([[100, 200]], np.uint8), 1.5), [[150, 255]])
    x = _t(np.full((3, 2, 2), 0.5, np.float32))
    np.testing.assert_allclose(TF.adjust_brightness(x, 1.5).numpy(), 0.75)
    with pytest.raises(ValueError, match="brightness_factor \\(-1\\) is not non-negative"):
        TF.adjust_brightness(a, -1)


def test_contrast_and_saturation_hand_computed():
    x = np.zeros((3, 1, 2), np.float32)
    x[:, 0, 0] = (1.0, 0.0, 0.0)                     # a red pixel and a black one
    gray_red = 0.2989
    out = TF.adjust_contrast(_t(x), 0.0).numpy()     # uniform mean grey
    np.testing.assert_allclose(out, np.full_like(x, gray_red / 2), atol=1e-6)
    out = TF.adjust_saturation(_t(x), 0.0).numpy()   # the greyscale image on every channel
    np.testing.assert_allclose(out[:, 0, 0], [gray_red] * 3, atol=1e-6)
    np.testing.assert_allclose(TF.adjust_saturation(_t(x), 1.0).numpy(), x)
    np.testing.assert_allclose(TF.rgb_to_grayscale(_t(x)).numpy(), [[[gray_red, 0.0]]], atol=1e-6)
    a = np.array([[[10, 20, 30]]], np.uint8)
    assert TF.rgb_to_grayscale(a)[0, 0] == int(0.2989 * 10 + 0.587 * 20 + 0.114 * 30)   # truncates like torchvision
    assert TF.rgb_to_grayscale(a, num_output_channels=3).shape == (1, 1, 3)


def test_hue_rotation_hand_computed():
    x = np.zeros((3, 1, 3), np.float32)
    x[:, 0, 0] = (1, 0, 0)
    x[:, 0, 1] = (0.2, 0.6, 0.4)
    x[:, 0, 2] = (0.5, 0.5, 0.5)                     # grey: hue has no effect
    np.testing.assert_allclose(TF.adjust_hue(_t(x), 0.0).numpy(), x, atol=1e-6)
    third = TF.adjust_hue(_t(x), 1 / 3).numpy()
    np.testing.assert_allclose(third[:, 0, 0], [0, 1, 0], atol=1e-5)          # red -> green
    np.testing.assert_allclose(third[:, 0, 1], [0.4, 0.2, 0.6], atol=1e-5)    # channels rotate one place
    np.testing.assert_allclose(third[:, 0, 2], [0.5, 0.5, 0.5], atol=1e-6)
    half = TF.adjust_hue(_t(x), -0.5).numpy()
    np.testing.assert_allclose(half[:, 0, 0], [0, 1, 1], atol=1e-5)           # red -> cyan
    u8 = TF.adjust_hue(np.array([[[255, 0, 0]]], np.uint8), 1 / 3)
    np.testing.assert_array_equal(u8, [[[0, 255, 0]]])
    with pytest.raises(ValueError, match="hue_factor \\(0.7\\) is not in \\[-0.5, 0.5\\]"):
        TF.adjust_hue(_t(x), 0.7)
    with pytest.raises(TypeError, match="permitted channel values are \\[1, 3\\], but found 2"):
        TF.adjust_saturation(_t(np.zeros((2, 2, 2), np.float32)), 0.5)


# ------------------------------------------------------------------------------------- normalize, erase

def test_normalize_matches_formula_and_is_differentiable():
    x = RS.rand(3, 4, 5).astype(np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    out = TF.normalize(_t(x), mean, std).numpy()
    ref = ((torch.from_numpy(x) - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    t = ember.tensor(x, requires_grad=True)
    TF.normalize(t, mean, std).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.broadcast_to(1 / np.array(std, np.float32).reshape(3, 1, 1),
                                                                x.shape), rtol=1e-6)
    y = _t(x.copy())
    assert TF.normalize(y, mean, std, inplace=True) is y
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        TF.normalize(np.zeros((3, 2, 2), np.float32), (0,), (1,))
    with pytest.raises(TypeError, match="should be a float tensor. Got ember.uint8"):
        TF.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), (0,), (1,))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        TF.normalize(ember.zeros(3, 2, 2), (0, 0, 0), (1, 0, 1))
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size \\(..., C, H, W\\)"):
        TF.normalize(ember.zeros(2, 2), (0,), (1,))
    with pytest.raises(ValueError, match="mean has 2 values but the image has 3 channels"):
        TF.normalize(ember.zeros(3, 2, 2), (0, 0), (1,))


def test_erase_hand_computed():
    x = _t(np.ones((2, 3, 3), np.float32))
    out = TF.erase(x, 1, 0, 2, 2, np.array([5.0, 6.0], np.float32)).numpy()
    np.testing.assert_array_equal(out[0], [[1, 1, 1], [5, 5, 1], [5, 5, 1]])
    np.testing.assert_array_equal(out[1], [[1, 1, 1], [6, 6, 1], [6, 6, 1]])
    assert (x.numpy() == 1).all()                               # not in place unless asked
    assert TF.erase(x, 0, 0, 1, 1, 0.0, inplace=True) is x and x.numpy()[0, 0, 0] == 0


def test_bad_image_types_are_rejected():
    with pytest.raises(TypeError, match="hflip: img should be an ember Tensor or a NumPy array"):
        TF.hflip([[1, 2]])
    with pytest.raises(TypeError, match="crop: expected an image array of shape \\(H, W\\) or \\(H, W, C\\)"):
        TF.crop(np.zeros((1, 2, 2, 3), np.uint8), 0, 0, 1, 1)
    assert TF.get_dimensions(np.zeros((5, 6, 3), np.uint8)) == [3, 5, 6]
    assert TF.get_dimensions(ember.zeros(2, 5, 6)) == [2, 5, 6]
    assert TF.get_image_size(ember.zeros(2, 5, 6)) == [6, 5]


def test_affine_translation_scale_and_clockwise_angle():
    img = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    np.testing.assert_array_equal(TF.affine(img, 0, [1, 0], 1.0, 0), [[0, 1, 2], [0, 4, 5], [0, 7, 8]])
    np.testing.assert_array_equal(TF.affine(img, 0, [0, -1], 1.0, 0), [[4, 5, 6], [7, 8, 9], [0, 0, 0]])
    np.testing.assert_array_equal(TF.affine(img, 90, [0, 0], 1.0, 0), np.rot90(img, -1))   # affine: clockwise
    x = np.zeros((4, 4), np.float32)
    x[1:3, 1:3] = 1.0
    np.testing.assert_array_equal(TF.affine(x, 0, [0, 0], 2.0, 0), np.ones((4, 4)))      # zoom into the centre
    with pytest.raises(ValueError, match="affine: Argument scale should be positive"):
        TF.affine(img, 0, [0, 0], 0.0, 0)


def _torchvision_adjust_hue(img, hue_factor):
    """torchvision's _rgb2hsv -> shift -> _hsv2rgb on a float image, written with PyTorch ops (the oracle)."""
    r, g, b = img.unbind(dim=-3)
    maxc, minc = img.max(dim=-3).values, img.min(dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    crd = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    h = (maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (2.0 + rc - bc) \
        + ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = (torch.fmod(h / 6.0 + 1.0, 1.0) + hue_factor) % 1.0
    v = maxc
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32) % 6
    p = torch.clamp(v * (1.0 - s), 0.0, 1.0)
    q = torch.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = torch.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    mask = (i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)).to(img.dtype)
    a4 = torch.stack((torch.stack((v, q, p, p, t, v), dim=-3), torch.stack((t, v, v, q, p, p), dim=-3),
                      torch.stack((p, p, t, v, v, q), dim=-3)), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask, a4)


@pytest.mark.parametrize("hue_factor", [-0.5, -0.3, 0.0, 0.1, 0.45])
def test_adjust_hue_matches_torchvision_formulas(hue_factor):
    x = RS.rand(3, 9, 8).astype(np.float32)
    x[:, 0, :3] = x[0, 0, :3]                                 # grey pixels
    x[1, 1, :3] = x[0, 1, :3]                                 # ties between channels
    out = TF.adjust_hue(_t(x), hue_factor).numpy()
    np.testing.assert_allclose(out, _torchvision_adjust_hue(torch.from_numpy(x), hue_factor).numpy(), atol=3e-6)


def test_batched_tensors_and_integer_erasing():
    x = RS.rand(2, 3, 6, 6).astype(np.float32)
    out = TF.resize(_t(x), [3, 3], antialias=False).numpy()
    ref = tF.interpolate(torch.from_numpy(x), size=(3, 3), mode="bilinear", align_corners=False).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-6)
    np.testing.assert_array_equal(TF.rotate(_t(x), 90).numpy(), np.rot90(x, 1, axes=(2, 3)))
    a = np.full((4, 4), 100, np.uint8)
    out = TF.erase(a, 0, 0, 2, 2, np.array([[[-3.0, 300.0], [1.4, 7.6]]], np.float32))
    np.testing.assert_array_equal(out[:2, :2], [[0, 255], [1, 8]])               # rounded and clipped
