"""Transform objects (torchvision.transforms' names, arguments and defaults).

A transform is a callable ``t(img) -> img``; ``Compose`` chains them. Random transforms draw from ember's global
random stream, so ``ember.manual_seed(s)`` reproduces an augmentation and each DataLoader worker (reseeded per
worker) augments differently.

    >>> import ember.transforms as T
    >>> train_tf = T.Compose([T.RandomCrop(28, padding=2), T.RandomRotation(10), T.ToTensor(),
    ...                       T.Normalize((0.1307,), (0.3081,))])
    >>> x = train_tf(dataset.data[0])        # uint8 28×28 array -> float32 Tensor 1×28×28
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from .._tensor import Tensor
from . import functional as F
from ._image import rng, uniform, randint, get_dimensions, check_image, to_chw

__all__ = ["Compose", "ToTensor", "ConvertImageDtype", "Normalize", "Resize", "CenterCrop", "Pad", "RandomCrop",
           "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomAffine",
           "ColorJitter", "Grayscale", "RandomGrayscale", "RandomErasing", "Lambda", "RandomApply",
           "RandomChoice", "RandomOrder", "Lighting", "LinearTransformation", "IMAGENET_PCA"]


class Transform:
    """Base class: ``__call__`` runs ``forward`` (subclass either, as with torchvision's nn.Module transforms)."""

    def __call__(self, img):
        return self.forward(img)

    def forward(self, img):
        raise NotImplementedError

    def _args(self) -> str:
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self._args()})"


def _setup_size(size, fname, error_msg="Please provide only two dimensions (h, w) for size."):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(f"{fname}: {error_msg} Got {size!r}")
    return int(size[0]), int(size[1])


def _check_p(p, fname):
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{fname}: probability p should be a number in [0, 1], got {p!r}")
    return float(p)


# ------------------------------------------------------------------------------------------- composition

class Compose(Transform):
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def forward(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda(Transform):
    """Wrap a user function ``lambd(img) -> img`` as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def forward(self, img):
        return self.lambd(img)


class RandomApply(Transform):
    """Apply the list of ``transforms`` with probability ``p`` (all or none)."""

    def __init__(self, transforms, p=0.5):
        self.transforms = list(transforms)
        self.p = _check_p(p, "RandomApply")

    def forward(self, img):
        if self.p < rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def _args(self):
        return f"p={self.p}, transforms={self.transforms}"


class RandomChoice(Transform):
    """Apply one transform picked at random (weights ``p``, uniform if None)."""

    def __init__(self, transforms, p=None):
        self.transforms = list(transforms)
        if p is not None and len(p) != len(self.transforms):
            raise ValueError(f"RandomChoice: Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(self.transforms)}")
        self.p = None if p is None else [float(x) / sum(p) for x in p]

    def forward(self, img):
        i = int(rng().choice(len(self.transforms), p=self.p))
        return self.transforms[i](img)


class RandomOrder(Transform):
    """Apply all ``transforms`` in a random order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def forward(self, img):
        for i in rng().permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img


# -------------------------------------------------------------------------------------------- conversion

class ToTensor(Transform):
    """uint8 array H×W / H×W×C -> float32 Tensor C×H×W in [0, 1] (other dtypes keep their values)."""

    def forward(self, pic):
        return F.to_tensor(pic)


class ConvertImageDtype(Transform):
    """Convert a Tensor image to ``dtype``, rescaling the values (uint8 0..255 <-> float 0..1)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` per channel of a float Tensor image.

    ``Normalize.from_dataset(train_set)`` fits mean and std on a dataset first (see ``compute_mean_std``)."""

    def __init__(self, mean, std, inplace=False):
        self.mean = tuple(float(m) for m in np.asarray(mean, dtype=np.float64).reshape(-1))
        self.std = tuple(float(s) for s in np.asarray(std, dtype=np.float64).reshape(-1))
        self.inplace = inplace

    @classmethod
    def from_dataset(cls, data, inplace=False, **kwargs):
        """A ``Normalize`` whose mean/std are the per-channel statistics of ``data`` (``compute_mean_std``)."""
        from .whitening import compute_mean_std
        mean, std = compute_mean_std(data, **kwargs)
        return cls(mean, std, inplace=inplace)

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def _args(self):
        return f"mean={list(self.mean)}, std={list(self.std)}"


class LinearTransformation(Transform):
    """``(x.flatten() - mean_vector) @ transformation_matrix`` reshaped back (torchvision's; whitening uses it)."""

    def __init__(self, transformation_matrix, mean_vector):
        M = np.asarray(transformation_matrix._data if isinstance(transformation_matrix, Tensor)
                       else transformation_matrix)
        mu = np.asarray(mean_vector._data if isinstance(mean_vector, Tensor) else mean_vector)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"LinearTransformation: transformation_matrix should be square. Got {M.shape} "
                             "rectangular matrix.")
        if mu.reshape(-1).shape[0] != M.shape[0]:
            raise ValueError(f"LinearTransformation: mean_vector should have the same length {mu.size} as any one "
                             f"of the dimensions of the transformation_matrix [{tuple(M.shape)}]")
        self.transformation_matrix = M
        self.mean_vector = mu.reshape(-1)

    def forward(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"LinearTransformation: img should be Tensor Image. Got {type(tensor)}")
        shape = tuple(tensor.shape)
        n = int(np.prod(shape[-3:])) if len(shape) >= 3 else int(np.prod(shape))
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(f"LinearTransformation: Input tensor and transformation matrix have incompatible "
                             f"shape.[{shape[-3:]}] != [{self.transformation_matrix.shape[0]}]")
        x = tensor._data
        flat = x.reshape(-1, n) - self.mean_vector.astype(x.dtype)
        out = flat @ self.transformation_matrix.astype(x.dtype)
        return Tensor._make(out.reshape(shape))


# ---------------------------------------------------------------------------------------------- geometry

class Resize(Transform):
    """Resize to ``size`` (h, w), or match the shorter side to an int ``size``; bilinear by default."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        if not isinstance(size, (numbers.Integral, Sequence)):
            raise TypeError(f"Resize: Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError(f"Resize: If size is a sequence, it should have 1 or 2 values, got {size!r}")
        self.size = size
        self.interpolation = F._mode(interpolation, "Resize")
        self.max_size = max_size
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def _args(self):
        return (f"size={self.size}, interpolation={self.interpolation}, max_size={self.max_size}, "
                f"antialias={self.antialias}")


class CenterCrop(Transform):
    """The central ``size`` window (an int gives a square)."""

    def __init__(self, size):
        self.size = _setup_size(size, "CenterCrop")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def _args(self):
        return f"size={self.size}"


class Pad(Transform):
    """Pad the borders (see ``functional.pad``)."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        F._pad_ltrb(padding, "Pad")
        if padding_mode not in F._PAD_MODES:
            raise ValueError(f"Pad: Padding mode should be either constant, edge, reflect or symmetric, got "
                             f"{padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def _args(self):
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class RandomCrop(Transform):
    """A random ``size`` window, after optional ``padding`` (d2l/ResNet's CIFAR augmentation: ``RandomCrop(32, 4)``).

    ``pad_if_needed`` pads images smaller than ``size``; ``fill``/``padding_mode`` as in ``Pad``."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _setup_size(size, "RandomCrop")
        if padding is not None:
            F._pad_ltrb(padding, "RandomCrop")
        if padding_mode not in F._PAD_MODES:
            raise ValueError(f"RandomCrop: Padding mode should be either constant, edge, reflect or symmetric, got "
                             f"{padding_mode!r}")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random crop of ``output_size``."""
        _, h, w = get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return randint(0, h - th + 1), randint(0, w - tw + 1), th, tw

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = get_dimensions(img)
        if self.pad_if_needed and w < self.size[1]:
            img = F.pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = F.pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        i, j, th, tw = self.get_params(img, self.size)
        return F.crop(img, i, j, th, tw)

    def _args(self):
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(Transform):
    """A random window of ``scale`` × the area and aspect ratio in ``ratio`` (log-uniform), resized to ``size``
    (Inception / ResNet's ImageNet augmentation)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear",
                 antialias=True):
        self.size = _setup_size(size, "RandomResizedCrop")
        if not isinstance(scale, Sequence) or len(scale) != 2:
            raise TypeError("RandomResizedCrop: Scale should be a sequence of two numbers")
        if not isinstance(ratio, Sequence) or len(ratio) != 2:
            raise TypeError("RandomResizedCrop: Ratio should be a sequence of two numbers")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or ratio[0] <= 0:
            raise ValueError(f"RandomResizedCrop: scale must be >= 0 and ratio > 0, got scale={scale}, ratio={ratio}")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation = F._mode(interpolation, "RandomResizedCrop")
        self.antialias = antialias

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, height, width) of the random window (10 tries, then a central crop)."""
        _, height, width = get_dimensions(img)
        area = height * width
        log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
        for _ in range(10):
            target_area = area * uniform(scale[0], scale[1])
            aspect = math.exp(uniform(log_lo, log_hi))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return randint(0, height - h + 1), randint(0, width - w + 1), h, w
        in_ratio = float(width) / float(height)        # fallback: the central crop of the nearest legal ratio
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def _args(self):
        return (f"size={self.size}, scale={self.scale}, ratio={self.ratio}, interpolation={self.interpolation}, "
                f"antialias={self.antialias}")


class RandomHorizontalFlip(Transform):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = _check_p(p, "RandomHorizontalFlip")

    def forward(self, img):
        check_image(img, "RandomHorizontalFlip")
        return F.hflip(img) if rng().random() < self.p else img

    def _args(self):
        return f"p={self.p}"


class RandomVerticalFlip(Transform):
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = _check_p(p, "RandomVerticalFlip")

    def forward(self, img):
        check_image(img, "RandomVerticalFlip")
        return F.vflip(img) if rng().random() < self.p else img

    def _args(self):
        return f"p={self.p}"


def _setup_angle(x, name, fname, req_sizes=(2,)):
    if isinstance(x, numbers.Real):
        if x < 0:
            raise ValueError(f"{fname}: If {name} is a single number, it must be positive.")
        return [-float(x), float(x)]
    if not isinstance(x, Sequence) or len(x) not in req_sizes:
        raise ValueError(f"{fname}: If {name} is a sequence its length should be one of {req_sizes}, got {x!r}")
    return [float(d) for d in x]


def _check_fill(fill, fname):
    if fill is None:
        return None
    if not isinstance(fill, (numbers.Number, Sequence)):
        raise TypeError(f"{fname}: Fill should be either a sequence or a number, got {type(fill).__name__}")
    return fill


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (a number d means (-d, d)), counter-clockwise."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        self.degrees = _setup_angle(degrees, "degrees", "RandomRotation")
        self.interpolation = F._mode(interpolation, "RandomRotation")
        if self.interpolation == "bicubic":
            raise ValueError("RandomRotation: interpolation must be nearest or bilinear")
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError(f"RandomRotation: center should be a sequence of length 2, got {center!r}")
        self.expand, self.center = expand, center
        self.fill = _check_fill(fill, "RandomRotation")

    @staticmethod
    def get_params(degrees):
        return uniform(degrees[0], degrees[1])

    def forward(self, img):
        check_image(img, "RandomRotation")
        angle = self.get_params(self.degrees)
        fill = self.fill
        if isinstance(fill, numbers.Number):
            fill = [float(fill)] * get_dimensions(img)[0]
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def _args(self):
        return (f"degrees={self.degrees}, interpolation={self.interpolation}, expand={self.expand}, "
                f"fill={self.fill}")


class RandomAffine(Transform):
    """Random rotation, translation (fractions of width/height), scale and shear, one affine warp."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="nearest", fill=0,
                 center=None):
        self.degrees = _setup_angle(degrees, "degrees", "RandomAffine")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("RandomAffine: translate should be a sequence of two values in [0, 1]")
        if scale is not None:
            if len(scale) != 2 or any(s <= 0 for s in scale):
                raise ValueError("RandomAffine: scale values should be positive")
        self.translate, self.scale = translate, scale
        self.shear = _setup_angle(shear, "shear", "RandomAffine", (2, 4)) if shear is not None else None
        self.interpolation = F._mode(interpolation, "RandomAffine")
        self.fill = _check_fill(fill, "RandomAffine")
        self.center = center

    def forward(self, img):
        check_image(img, "RandomAffine")
        _, h, w = get_dimensions(img)
        angle = uniform(*self.degrees)
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = float(self.translate[0] * w), float(self.translate[1] * h)
            tx = int(round(uniform(-max_dx, max_dx)))
            ty = int(round(uniform(-max_dy, max_dy)))
        sc = uniform(*self.scale) if self.scale is not None else 1.0
        sx = sy = 0.0
        if self.shear is not None:
            sx = uniform(self.shear[0], self.shear[1])
            if len(self.shear) == 4:
                sy = uniform(self.shear[2], self.shear[3])
        fill = self.fill
        if isinstance(fill, numbers.Number):
            fill = [float(fill)] * get_dimensions(img)[0]
        return F.affine(img, angle, [tx, ty], sc, [sx, sy], self.interpolation, fill, self.center)


# ------------------------------------------------------------------------------------------------ colour

class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    A number b means a factor drawn from [max(0, 1 - b), 1 + b] (hue h: from [-h, h], h <= 0.5); a pair gives
    the range itself."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"ColorJitter: If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"ColorJitter: {name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"ColorJitter: {name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:    # a no-op range: skip the transform altogether
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order of the four adjustments, brightness, contrast, saturation, hue factors; None = skipped)."""
        fn_idx = rng().permutation(4)
        b = None if brightness is None else uniform(*brightness)
        c = None if contrast is None else uniform(*contrast)
        s = None if saturation is None else uniform(*saturation)
        h = None if hue is None else uniform(*hue)
        return fn_idx, b, c, s, h

    def forward(self, img):
        check_image(img, "ColorJitter")
        fn_idx, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in fn_idx:
            if fn_id == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif fn_id == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif fn_id == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif fn_id == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def _args(self):
        return (f"brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, "
                f"hue={self.hue}")


class Grayscale(Transform):
    """RGB -> luma with 1 (default) or 3 identical channels."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def _args(self):
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(Transform):
    """Grayscale with probability ``p``, keeping the channel count."""

    def __init__(self, p=0.1):
        self.p = _check_p(p, "RandomGrayscale")

    def forward(self, img):
        c = get_dimensions(img)[0]
        if rng().random() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=c)
        return img

    def _args(self):
        return f"p={self.p}"


class RandomErasing(Transform):
    """With probability ``p`` erase a random rectangle of ``scale`` × the area and aspect ratio in ``ratio``
    (Zhong et al. 2017), filling it with ``value``: a number, one per channel, or "random" (normal noise)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("RandomErasing: Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("RandomErasing: If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("RandomErasing: Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("RandomErasing: Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("RandomErasing: Scale should be between 0 and 1")
        if not isinstance(p, numbers.Real) or p < 0 or p > 1:
            raise ValueError("RandomErasing: Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = float(p), tuple(scale), tuple(ratio), value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(top, left, h, w, fill values) of the window; the whole image and itself when 10 tries fail."""
        c, img_h, img_w = get_dimensions(img)
        area = img_h * img_w
        log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
        for _ in range(10):
            erase_area = area * uniform(scale[0], scale[1])
            aspect = math.exp(uniform(log_lo, log_hi))
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = rng().standard_normal((c, h, w)).astype(np.float32)
            else:
                v = np.asarray(value, dtype=np.float32).reshape(-1, 1, 1)
            return randint(0, img_h - h + 1), randint(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        check_image(img, "RandomErasing")
        if rng().random() >= self.p:
            return img
        if isinstance(self.value, numbers.Number):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        c = get_dimensions(img)[0]
        if value is not None and len(value) not in (1, c):
            raise ValueError("RandomErasing: If value is a sequence, it should have either a single value or "
                             f"{c} (number of input channels)")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        if v is img:
            return img
        return F.erase(img, i, j, h, w, v, self.inplace)

    def _args(self):
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, inplace={self.inplace}"


# AlexNet's PCA colour augmentation: eigenvalues/vectors of the RGB covariance of ImageNet pixels in [0, 1]
# (as published with fb.resnet.torch and used by most reimplementations); eigvec columns are the components.
IMAGENET_PCA = {
    "eigval": (0.2175, 0.0188, 0.0045),
    "eigvec": ((-0.5675, 0.7192, 0.4009),
               (-0.5808, -0.0045, -0.8140),
               (-0.5836, -0.6948, 0.4203)),
}


class Lighting(Transform):
    """AlexNet's PCA lighting noise: add ``eigvec @ (alpha * eigval)`` to every pixel, alpha ~ N(0, alphastd²).

    Works on float Tensor images C×H×W in [0, 1] (after ``ToTensor``). The defaults are ImageNet's published
    eigen-pairs; ``Lighting.fit(data)`` computes them for another dataset."""

    def __init__(self, alphastd=0.1, eigval=None, eigvec=None):
        self.alphastd = float(alphastd)
        self.eigval = np.asarray(IMAGENET_PCA["eigval"] if eigval is None else eigval, dtype=np.float64)
        self.eigvec = np.asarray(IMAGENET_PCA["eigvec"] if eigvec is None else eigvec, dtype=np.float64)
        k = self.eigval.shape[0]
        if self.eigval.ndim != 1 or self.eigvec.shape != (k, k):
            raise ValueError(f"Lighting: eigval must have shape (C,) and eigvec (C, C), got {self.eigval.shape} and "
                             f"{self.eigvec.shape}")

    @classmethod
    def fit(cls, data, alphastd=0.1):
        """Eigen-pairs of the per-pixel channel covariance of ``data`` (as ``compute_mean_std`` accepts)."""
        from .whitening import channel_covariance
        cov = channel_covariance(data)
        eigval, eigvec = np.linalg.eigh(cov)
        order = np.argsort(eigval)[::-1]
        return cls(alphastd, eigval[order], eigvec[:, order])

    def forward(self, img):
        if not isinstance(img, Tensor) or not img.is_floating_point():
            raise TypeError(f"Lighting: img should be a float Tensor Image (apply ToTensor first). Got "
                            f"{type(img).__name__ if not isinstance(img, Tensor) else img.dtype}")
        arr, back = to_chw(img, "Lighting")
        c = arr.shape[-3]
        if c != self.eigval.shape[0]:
            raise ValueError(f"Lighting: the image has {c} channels but eigval has {self.eigval.shape[0]}")
        if self.alphastd == 0:
            return img
        alpha = rng().normal(0.0, self.alphastd, size=c)
        rgb = self.eigvec @ (alpha * self.eigval)
        return back(arr + rgb.astype(arr.dtype).reshape(-1, 1, 1))

    def _args(self):
        return f"alphastd={self.alphastd}"
