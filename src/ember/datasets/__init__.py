"""Datasets with torchvision's conventions: ``Cls(root=None, train=True, transform=None, target_transform=None,
download=False)``, ``len(ds)``, ``ds[i] -> (image, target)``.

Embedded (in the package, offline): ``MNIST5k``, ``Digits``, ``BostonHousing`` and the text corpora
``Shakespeare`` and ``BiblePairs``. Downloaded on request (``download=True``; mirrors, resume, checksums, cached in
``$EMBER_HOME`` or ``~/.cache/ember``): ``MNIST``, ``FashionMNIST``, ``CIFAR10``, ``TimeMachine``, ``FraEng``,
``WikiText2``.

    from ember.datasets import MNIST5k, get_dataset
    import ember.transforms as T
    train = MNIST5k(train=True, transform=T.ToTensor())
    test = get_dataset("mnist5k", train=False)            # by the CLI's name; DATASETS lists them

Images without a transform are NumPy uint8 arrays H×W (grey) or H×W×C (colour), as ``np.asarray`` of a PIL image.
"""
from __future__ import annotations

import functools

from ._download import cache_dir, download_url
from .cifar import CIFAR10
from .corpora import BiblePairs, Shakespeare
from .csi import CSIChannels
from .mnist import MNIST, FashionMNIST, read_idx
from .tabular import BostonHousing
from .text_downloads import FraEng, TimeMachine, WikiText2
from .vision import Digits, MNIST5k, VisionDataset

__all__ = ["MNIST5k", "Digits", "BostonHousing", "MNIST", "FashionMNIST", "CIFAR10", "TimeMachine", "FraEng",
           "WikiText2", "Shakespeare", "BiblePairs", "VisionDataset", "DATASETS", "get_dataset", "cache_dir",
           "download_url", "read_idx", "CSIChannels"]

# The CLI's dataset names (lower case) -> classes.
DATASETS = {
    "mnist5k": MNIST5k,
    "digits": Digits,
    "boston": BostonHousing,
    "mnist": MNIST,
    "fashion-mnist": FashionMNIST,
    "cifar10": CIFAR10,
    "shakespeare": Shakespeare,
    "bible": BiblePairs,
    "timemachine": TimeMachine,
    "fra-eng": FraEng,
    "wikitext2": WikiText2,
    "csi-indoor": functools.partial(CSIChannels, scenario="indoor"),     # simulated CsiNet channels
    "csi-outdoor": functools.partial(CSIChannels, scenario="outdoor"),
}

# Other spellings people type.
_ALIASES = {"mnist-5k": "mnist5k", "boston-housing": "boston", "fashionmnist": "fashion-mnist",
            "fashion_mnist": "fashion-mnist", "cifar-10": "cifar10", "time-machine": "timemachine",
            "wikitext-2": "wikitext2", "fra_eng": "fra-eng", "bible-pairs": "bible", "biblepairs": "bible"}


def get_dataset(name: str, **kwargs):
    """Build the dataset registered under ``name`` (see ``DATASETS``), passing ``kwargs`` to its constructor."""
    if not isinstance(name, str):
        raise TypeError(f"get_dataset(): argument 'name' must be str, not {type(name).__name__}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in DATASETS:
        raise ValueError(f"get_dataset(): unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")
    return DATASETS[key](**kwargs)
