"""``CIFAR10``: Krizhevsky's 60,000 32×32 colour images in 10 classes, from the python-pickle tarball.

    ds = CIFAR10(root=None, train=True, transform=None, target_transform=None, download=True)

``cifar-10-python.tar.gz`` is downloaded to ``<root>/CIFAR10/`` and unpacked there into ``cifar-10-batches-py/``
(``data_batch_1..5``, ``test_batch``, ``batches.meta``; torchvision's ``<root>/cifar-10-batches-py`` is found too).
The batches are pickles; they are read with an unpickler that allows nothing but NumPy's array reconstruction,
so a tampered file cannot run code.
"""
from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from ._download import check_integrity, checksum_kwargs, download_url
from .mnist import DownloadableDataset

__all__ = ["CIFAR10", "load_pickle"]

# The only globals a CIFAR batch may reference (NumPy 1.x and 2.x names; _codecs.encode appears in pickles of
# bytes written by Python 3 at protocol 2).
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"load_pickle(): global '{module}.{name}' is not allowed in a dataset file")


def load_pickle(path):
    """Unpickle a dataset file (Python 2 pickles too, bytes decoded as latin-1), allowing only NumPy arrays."""
    data = Path(path).read_bytes()
    return _ArrayUnpickler(io.BytesIO(data), encoding="latin1").load()


def _get(entry: dict, key: str):
    """``entry[key]`` whether the pickle's keys are str (Python 2 files read as latin-1) or bytes."""
    if key in entry:
        return entry[key]
    if key.encode() in entry:
        return entry[key.encode()]
    raise RuntimeError(f"CIFAR10: batch has no {key!r} entry (keys: {sorted(map(str, entry))})")


def _text(value):
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


class CIFAR10(DownloadableDataset):
    """CIFAR-10: 50,000 train / 10,000 test colour images (32×32×3 uint8, H×W×C like a PIL image), 10 classes.
    ``ds[i] -> (uint8 array (32, 32, 3), int label)``. torchvision's URL and md5s."""

    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    resources = [("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")]
    base_folder = "cifar-10-batches-py"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download=False):
        super().__init__(root, train, transform, target_transform)
        self._prepare(download)
        folder = self._batches_folder()
        data, targets = [], []
        for name, _ in (self.train_list if train else self.test_list):
            entry = load_pickle(folder / name)
            data.append(np.asarray(_get(entry, "data"), dtype=np.uint8).reshape(-1, 3, 32, 32))
            targets.extend(int(t) for t in _get(entry, "labels"))
        self.data = np.ascontiguousarray(np.concatenate(data).transpose(0, 2, 3, 1))    # N×H×W×C
        self.targets = targets
        self.classes = [_text(c) for c in _get(load_pickle(folder / self.meta["filename"]), self.meta["key"])]

    def _batches_folders(self):
        return [self.folder / self.base_folder, self.root / self.base_folder]   # ember's layout, torchvision's

    def _batches_intact(self, folder: Path) -> bool:
        files = self.train_list + self.test_list + [[self.meta["filename"], self.meta["md5"]]]
        return all(check_integrity(folder / name, md5=md5) for name, md5 in files)

    def _batches_folder(self):
        return next((f for f in self._batches_folders() if self._batches_intact(f)), None)

    def _check_exists(self) -> bool:
        return self._batches_folder() is not None

    def _prepare(self, download: bool) -> None:
        # a tarball placed by hand is unpacked without download=True (no network is needed for that)
        super()._prepare(download or self._find(*self.resources[0]) is not None)

    def download(self) -> None:
        if self._check_exists():
            return
        filename, checksum = self.resources[0]
        archive = download_url([m + filename for m in self.mirrors], self.folder / filename,
                               **checksum_kwargs(checksum))
        _extract_tar(archive, self.folder)


def _extract_tar(archive: Path, dest: Path) -> None:
    """Unpack a tarball into ``dest``, refusing members that are not plain files/folders or that leave ``dest``."""
    dest = dest.resolve()
    with tarfile.open(archive, "r:*") as tar:
        for member in tar.getmembers():
            target = (dest / member.name).resolve()
            if not (member.isfile() or member.isdir()) or not target.is_relative_to(dest):
                raise RuntimeError(f"CIFAR10: refusing to extract {member.name!r} from {archive}")
        tar.extractall(dest, filter="data")
