"""``MNIST`` and ``FashionMNIST``: the full sets, downloaded in LeCun's IDX format, and the IDX reader.

    ds = MNIST(root=None, train=True, transform=None, target_transform=None, download=True)

Files live in ``<root>/<ClassName>/`` (``root`` defaults to ``$EMBER_HOME`` or ``~/.cache/ember``); a
torchvision data folder (``<root>/<ClassName>/raw/``) is found too. ``mirrors`` and ``resources`` (file name,
md5 or sha256) are class attributes, so a local mirror or other checksums need only a subclass or an assignment.
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from ._download import check_integrity, checksum_kwargs, download_url
from .vision import DIGIT_CLASSES, VisionDataset

__all__ = ["read_idx", "MNIST", "FashionMNIST", "DownloadableDataset"]

# IDX type codes (the third byte of the magic number)
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (LeCun's MNIST format; gzip-compressed if the name ends in ``.gz``) into an array.

    The header is the magic ``0x0000TTDD`` (type code ``TT``, ``DD`` dimensions) and ``DD`` big-endian int32 sizes;
    the data follows in C order. Multi-byte types are returned in native byte order."""
    path = Path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise RuntimeError(f"read_idx(): {path} is not an IDX file (magic bytes {raw[:4].hex() or 'missing'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"read_idx(): {path} is truncated inside its header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise RuntimeError(f"read_idx(): {path} holds {len(raw):,} bytes but its header {shape} needs "
                           f"{expected:,}; the file is truncated or corrupt")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))      # a writable copy in native byte order


class DownloadableDataset(VisionDataset):
    """Shared download logic: ``mirrors`` (base URLs ending in '/') x ``resources`` (file name, checksum)."""

    mirrors: list = []
    resources: list = []

    @property
    def folder(self) -> Path:
        """Where this dataset's files are kept: ``<root>/<ClassName>``."""
        return self.root / type(self).__name__

    def _candidate_folders(self):
        return [self.folder]

    def _find(self, filename: str, checksum: str | None = None):
        """The path of a present, intact copy of ``filename``, or None (remembered once found)."""
        found = self.__dict__.setdefault("_found", {})
        if filename not in found:
            found[filename] = next((folder / filename for folder in self._candidate_folders()
                                    if self._intact(folder / filename, checksum)), None)
        return found[filename]

    def _intact(self, path: Path, checksum: str | None) -> bool:
        return check_integrity(path, **checksum_kwargs(checksum))

    def _check_exists(self) -> bool:
        return all(self._find(name, checksum) is not None for name, checksum in self.resources)

    def download(self) -> None:
        """Download every missing resource into ``self.folder`` (verified, resumable; see ``download_url``)."""
        for filename, checksum in self.resources:
            if self._find(filename, checksum) is None:
                self._found[filename] = download_url([m + filename for m in self.mirrors], self.folder / filename,
                                                     **checksum_kwargs(checksum))

    def _prepare(self, download: bool) -> None:
        if download:
            self.download()
        if not self._check_exists():
            files = ", ".join(name for name, _ in self.resources)
            raise RuntimeError(f"Dataset not found. You can use download=True to download it, or place the files "
                               f"{files} in {self.folder} (mirrors: {', '.join(self.mirrors)})")


class MNIST(DownloadableDataset):
    """LeCun, Cortes & Burges' MNIST: 60,000 train / 10,000 test 28×28 grey digits (IDX files, torchvision's
    mirrors and md5s). ``ds[i] -> (uint8 array (28, 28), int label)``."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = DIGIT_CLASSES

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download=False):
        super().__init__(root, train, transform, target_transform)
        self._prepare(download)
        prefix = "train" if train else "t10k"
        checksums = dict(self.resources)
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte.gz", checksums[f"{prefix}-images-idx3-ubyte.gz"]))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte.gz", checksums[f"{prefix}-labels-idx1-ubyte.gz"]))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels) or images.dtype != np.uint8:
            raise RuntimeError(f"{type(self).__name__}: images {images.shape} {images.dtype} and labels "
                               f"{labels.shape} do not form an image dataset")
        self.data = images
        self.targets = labels.astype(np.int64).tolist()

    # sha256 of the decompressed IDX bytes, accepted when a hand-placed .gz was recompressed (its md5 differs)
    content_sha256: dict = {}

    def _candidate_folders(self):
        return [self.folder, self.folder / "raw"]      # ember's layout, then torchvision's

    def _intact(self, path: Path, checksum: str | None) -> bool:
        if super()._intact(path, checksum):
            return True
        content = self.content_sha256.get(path.name)
        if content is None or not path.is_file():
            return False
        try:
            return hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == content
        except (OSError, EOFError):          # not a gzip file, or a truncated one
            return False


class FashionMNIST(MNIST):
    """Xiao, Rasul & Vollgraf's Fashion-MNIST (Zalando, MIT licence): 60,000 / 10,000 28×28 grey clothing images,
    same IDX layout as MNIST. ``ds[i] -> (uint8 array (28, 28), int label)``."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    # Debian's dataset-fashion-mnist package ships recompressed .gz files (other md5s); these are the sha256 of
    # their decompressed IDX bytes, so with that package installed FashionMNIST works offline from
    # /usr/share/datasets/fashion-mnist, and copies of those files are accepted in the dataset folder.
    content_sha256 = {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }
    system_folder = Path("/usr/share/datasets/fashion-mnist")
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]

    def _candidate_folders(self):
        return super()._candidate_folders() + [self.system_folder]
