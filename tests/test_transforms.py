"""ember.transforms' transform objects: seeded reproducibility, the ranges the random draws must respect,
hand-computed results and torchvision's argument errors."""
import warnings

import numpy as np
import pytest

import ember
import ember.transforms as T
import ember.transforms.functional as TF
from ember.utils.data import DataLoader, Dataset

RS = np.random.RandomState(0)
MNIST_LIKE = RS.randint(0, 256, (28, 28)).astype(np.uint8)
CIFAR_LIKE = RS.randint(0, 256, (32, 32, 3)).astype(np.uint8)


def _same(a, b):
    a = a.numpy() if isinstance(a, ember.Tensor) else a
    b = b.numpy() if isinstance(b, ember.Tensor) else b
    return a.shape == b.shape and np.array_equal(a, b)


def _seeded(transform, img, seed):
    ember.manual_seed(seed)
    return transform(img)


RANDOM_TRANSFORMS = [
    T.RandomCrop(24, padding=2),
    T.RandomResizedCrop(20),
    T.RandomHorizontalFlip(),
    T.RandomVerticalFlip(),
    T.RandomRotation(30),
    T.RandomRotation(30, interpolation="bilinear", expand=True),
    T.RandomAffine(20, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
    T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    T.RandomGrayscale(0.5),
    T.Compose([T.ToTensor(), T.RandomErasing(p=1.0, value="random")]),
    T.Compose([T.ToTensor(), T.Lighting(0.1)]),
    T.RandomApply([T.RandomRotation(10)], p=0.5),
    T.RandomChoice([T.RandomCrop(20), T.CenterCrop(20)]),
    T.RandomOrder([T.RandomCrop(30), T.RandomHorizontalFlip()]),
]


@pytest.mark.parametrize("transform", RANDOM_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_manual_seed_reproduces_and_seeds_differ(transform):
    first = _seeded(transform, CIFAR_LIKE, 3)
    assert _same(first, _seeded(transform, CIFAR_LIKE, 3))
    outs = [_seeded(transform, CIFAR_LIKE, s) for s in range(8)]
    assert any(not _same(outs[0], o) for o in outs[1:])


def test_transforms_keep_the_input_kind():
    for img in (MNIST_LIKE, CIFAR_LIKE):
        for t in (T.RandomCrop(16), T.RandomRotation(10), T.Resize(14), T.CenterCrop(10), T.RandomHorizontalFlip(1.0),
                  T.Pad(2), T.RandomResizedCrop(12)):
            out = t(img)
            assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.ndim == img.ndim
            x = T.ToTensor()(img)
            tout = t(x)
            assert isinstance(tout, ember.Tensor) and tout.dtype == ember.float32
            assert tout.shape[0] == (1 if img.ndim == 2 else 3)
            assert tuple(tout.shape[1:]) == out.shape[:2]


def test_compose_to_tensor_normalize_pipeline_and_repr():
    tf = T.Compose([T.CenterCrop(2), T.ToTensor(), T.Normalize((0.5,), (0.25,))])
    img = np.array([[0, 0, 0, 0], [0, 255, 51, 0], [0, 102, 0, 0], [0, 0, 0, 0]], np.uint8)
    out = tf(img)
    np.testing.assert_allclose(out.numpy(), [[[2.0, -1.2], [-0.4, -2.0]]], rtol=1e-6)
    text = repr(tf)
    assert "CenterCrop(size=(2, 2))" in text and "Normalize(mean=[0.5], std=[0.25])" in text
    lam = T.Lambda(lambda x: x * 2)
    assert lam(3) == 6
    with pytest.raises(TypeError, match="Argument lambd should be callable"):
        T.Lambda(3)


def test_random_crop_windows_come_from_the_padded_image():
    img = np.arange(16, dtype=np.uint8).reshape(4, 4) + 1
    padded = TF.pad(img, 1)
    t = T.RandomCrop(3, padding=1)
    windows = {tuple(padded[i:i + 3, j:j + 3].ravel()) for i in range(4) for j in range(4)}
    seen = set()
    ember.manual_seed(0)
    for _ in range(200):
        out = t(img)
        assert tuple(out.ravel()) in windows
        seen.add(tuple(out.ravel()))
    assert len(seen) == 16                                  # every offset is drawn
    assert T.RandomCrop(6, pad_if_needed=True)(img).shape == (6, 6)
    with pytest.raises(ValueError, match="Required crop size \\(5, 5\\) is larger than input image size \\(4, 4\\)"):
        T.RandomCrop(5)(img)
    with pytest.raises(ValueError, match="Padding mode should be either"):
        T.RandomCrop(3, padding_mode="circular")


def test_random_resized_crop_params_respect_scale_and_ratio():
    img = np.zeros((40, 50), np.uint8)
    scale, ratio = (0.2, 0.6), (0.5, 2.0)
    ember.manual_seed(1)
    for _ in range(300):
        i, j, h, w = T.RandomResizedCrop.get_params(img, scale, ratio)
        assert 0 <= i and i + h <= 40 and 0 <= j and j + w <= 50
        # rounding h and w to ints moves area and ratio a little: allow one pixel either way
        assert (h - 1) * (w - 1) <= scale[1] * 2000 and (h + 1) * (w + 1) >= scale[0] * 2000
        assert (w - 1) / (h + 1) <= ratio[1] and (w + 1) / (h - 1) >= ratio[0]
    out = T.RandomResizedCrop((8, 10))(CIFAR_LIKE)
    assert out.shape == (8, 10, 3) and out.dtype == np.uint8
    # impossible ratio: the fallback is the central crop with the nearest legal ratio
    assert T.RandomResizedCrop.get_params(np.zeros((10, 100)), (0.99, 1.0), (1.0, 1.0)) == (0, 45, 10, 10)
    with pytest.warns(UserWarning, match="Scale and ratio should be of kind \\(min, max\\)"):
        T.RandomResizedCrop(8, scale=(1.0, 0.5))


def test_flips_probability_and_values():
    img = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert _same(T.RandomHorizontalFlip(1.0)(img), img[:, ::-1])
    assert _same(T.RandomHorizontalFlip(0.0)(img), img)
    assert _same(T.RandomVerticalFlip(1.0)(img), img[::-1])
    ember.manual_seed(0)
    flips = sum(not _same(T.RandomHorizontalFlip()(img), img) for _ in range(400))
    assert 160 < flips < 240
    with pytest.raises(ValueError, match="probability p should be a number in \\[0, 1\\]"):
        T.RandomHorizontalFlip(1.5)


def test_random_rotation_fixed_angles_and_errors():
    img = np.arange(9, dtype=np.uint8).reshape(3, 3)
    assert _same(T.RandomRotation((90, 90))(img), np.rot90(img))
    assert _same(T.RandomRotation(0)(img), img)
    ember.manual_seed(0)
    angles = [T.RandomRotation.get_params([-10.0, 25.0]) for _ in range(200)]
    assert min(angles) >= -10 and max(angles) < 25 and max(angles) - min(angles) > 25
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive"):
        T.RandomRotation(-5)
    with pytest.raises(ValueError, match="interpolation must be nearest or bilinear"):
        T.RandomRotation(5, interpolation="bicubic")
    with pytest.raises(ValueError, match="center should be a sequence of length 2"):
        T.RandomRotation(5, center=(1,))


def test_color_jitter_identity_ranges_and_errors():
    t = T.ColorJitter()
    assert t.brightness is None and t.hue is None
    assert _same(t(CIFAR_LIKE), CIFAR_LIKE)
    t1 = T.ColorJitter(brightness=(1, 1), contrast=(1, 1), saturation=(1, 1), hue=(0, 0))
    x = T.ToTensor()(CIFAR_LIKE)
    np.testing.assert_allclose(t1(x).numpy(), x.numpy(), atol=1e-6)
    assert T.ColorJitter(brightness=0.5).brightness == (0.5, 1.5)
    assert T.ColorJitter(brightness=2).brightness == (0.0, 3.0)
    ember.manual_seed(0)
    order, b, c, s, h = T.ColorJitter.get_params((0.5, 1.5), None, (0.0, 2.0), (-0.1, 0.1))
    assert sorted(order) == [0, 1, 2, 3] and 0.5 <= b < 1.5 and c is None and 0 <= s < 2 and -0.1 <= h < 0.1
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non negative"):
        T.ColorJitter(brightness=-0.1)
    with pytest.raises(ValueError, match="hue values should be between \\(-0.5, 0.5\\)"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(TypeError, match="contrast should be a single number or a list/tuple with length 2"):
        T.ColorJitter(contrast=(1, 2, 3))


def test_grayscale_transforms():
    g = T.Grayscale()(CIFAR_LIKE)
    assert g.shape == (32, 32)
    assert T.Grayscale(3)(CIFAR_LIKE).shape == (32, 32, 3)
    out = T.RandomGrayscale(1.0)(CIFAR_LIKE)
    assert out.shape == (32, 32, 3) and (out[..., 0] == out[..., 1]).all()


def test_random_erasing_area_within_bounds():
    x = ember.ones(3, 32, 32)
    scale, ratio = (0.02, 0.33), (0.3, 3.3)
    t = T.RandomErasing(p=1.0, scale=scale, ratio=ratio, value=0)
    ember.manual_seed(0)
    for _ in range(100):
        out = t(x).numpy()
        zero = out[0] == 0
        rows, cols = np.nonzero(zero.any(1))[0], np.nonzero(zero.any(0))[0]
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert zero.sum() == h * w                                   # one solid rectangle
        assert (out[:, zero] == 0).all()                             # on every channel
        assert (h - 1) * (w - 1) <= scale[1] * 1024 and (h + 1) * (w + 1) >= scale[0] * 1024
        assert ratio[0] <= (h + 1) / max(w - 1, 1) and (h - 1) / (w + 1) <= ratio[1]
    assert (x.numpy() == 1).all()
    per_channel = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(x).numpy()
    assert set(np.unique(per_channel[2])) == {0.3, 1.0} or set(np.unique(per_channel[2])) == {np.float32(0.3), 1.0}
    assert _same(T.RandomErasing(p=0.0)(x), x)


def test_random_erasing_errors():
    with pytest.raises(TypeError, match="value should be either a number or str or a sequence"):
        T.RandomErasing(value=object())
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="Scale should be between 0 and 1"):
        T.RandomErasing(scale=(0.5, 2.0))
    with pytest.raises(ValueError, match="probability should be between 0 and 1"):
        T.RandomErasing(p=2)
    with pytest.raises(ValueError, match="either a single value or 3 \\(number of input channels\\)"):
        T.RandomErasing(p=1.0, value=(1, 2))(ember.ones(3, 8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="Scale and ratio"):
            T.RandomErasing(ratio=(3.0, 0.3))


def test_lighting_adds_the_pca_shift():
    x = ember.full((3, 4, 4), 0.5)
    ember.manual_seed(7)
    out = T.Lighting(0.1)(x).numpy()
    ember.manual_seed(7)
    alpha = ember.default_generator._rng.normal(0.0, 0.1, size=3)
    eigval = np.array(T.IMAGENET_PCA["eigval"])
    eigvec = np.array(T.IMAGENET_PCA["eigvec"])
    shift = eigvec @ (alpha * eigval)
    np.testing.assert_allclose(out, 0.5 + shift.reshape(3, 1, 1) * np.ones((3, 4, 4)), rtol=1e-6)
    assert _same(T.Lighting(0.0)(x), x)
    with pytest.raises(TypeError, match="Lighting: img should be a float Tensor Image"):
        T.Lighting()(CIFAR_LIKE)


def test_lighting_fit_recovers_the_colour_covariance():
    rs = np.random.RandomState(3)
    mix = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.2, 0.0, 1.0]])
    pixels = rs.randn(4000, 3) @ mix.T * 0.1
    data = pixels.reshape(1000, 2, 2, 3)                       # N×H×W×C float
    lt = T.Lighting.fit(data)
    cov = np.cov(pixels.T)
    np.testing.assert_allclose(lt.eigvec @ np.diag(lt.eigval) @ lt.eigvec.T, cov, atol=1e-10)
    assert (np.diff(lt.eigval) <= 0).all()


class _Augmented(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return T.ToTensor()(T.RandomCrop(20)(MNIST_LIKE)), i


def test_dataloader_workers_draw_different_augmentations():
    loader = DataLoader(_Augmented(), batch_size=4, num_workers=2)
    ember.manual_seed(0)
    batches = [b[0].numpy() for b in loader]
    # worker 0 and worker 1 were seeded differently: their crops differ
    assert not np.array_equal(batches[0], batches[1])
    ember.manual_seed(0)
    again = [b[0].numpy() for b in loader]
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_random_affine_translation_stays_within_bounds():
    img = np.zeros((9, 8), np.uint8)
    img[4, 4] = 255                                        # a single bright pixel shows the shift
    t = T.RandomAffine(0, translate=(0.25, 0.0))
    ember.manual_seed(0)
    shifts = set()
    for _ in range(100):
        ys, xs = np.nonzero(t(img))
        assert list(ys) == [4] and len(xs) == 1
        shifts.add(int(xs[0]) - 4)
    assert shifts <= {-2, -1, 0, 1, 2} and len(shifts) >= 4    # |tx| <= round(0.25 * 8)
    with pytest.raises(ValueError, match="translate should be a sequence of two values in \\[0, 1\\]"):
        T.RandomAffine(0, translate=(2.0, 0.0))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0.0, 1.0))


def test_convert_image_dtype_and_interpolation_mode():
    u8 = ember.from_numpy(np.array([[[0, 128, 255]]], np.uint8))
    f = T.ConvertImageDtype(ember.float32)(u8)
    np.testing.assert_allclose(f.numpy(), [[[0.0, 128 / 255, 1.0]]], rtol=1e-7)
    back = T.ConvertImageDtype(ember.uint8)(f)
    np.testing.assert_array_equal(back.numpy(), [[[0, 128, 255]]])       # × 255.999 and truncate, as torchvision
    up = T.Resize(4, interpolation=T.InterpolationMode.NEAREST)(np.array([[1, 2], [3, 4]], np.uint8))
    np.testing.assert_array_equal(up, [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    with pytest.raises(TypeError, match="Resize: Size should be int or sequence"):
        T.Resize(2.5)
