"""Embedded datasets (MNIST5k, Digits, BostonHousing), the torchvision-style item protocol, the IDX and CIFAR
readers, and get_dataset/DATASETS. Download paths are in test_datasets_download.py."""
import gzip
import hashlib
import importlib.util
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.datasets import (DATASETS, BostonHousing, Digits, MNIST5k, get_dataset, read_idx)
from ember.datasets.cifar import load_pickle
from ember.datasets.vision import DATA_DIR
from ember.utils.data import DataLoader

ROOT = Path(__file__).resolve().parent.parent

# sha256 of the shipped files; tools/build_image_datasets.py rebuilds them byte for byte.
SHIPPED = {
    "mnist5k.npz": "400be8c85a7e0f4997aec73c426b0aae2c1fb6a4d9a1f9357cefb7586efe68fd",
    "digits.npz": "42d100d62cec7a3565be1af8e20b7c66c64bcce6df4ecb93236059944342893a",
    "boston.npz": "b92551df2d3f4e7ac93c2824837e87de597e07a90f098be6918c4fd29dc13b6c",
}


def _raw(name):
    with np.load(DATA_DIR / name, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_image_datasets", ROOT / "tools" / "build_image_datasets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------- shipped files

@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_file_sha256(name):
    assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == SHIPPED[name]


def test_shipped_files_hold_no_pickles():
    for name in SHIPPED:
        for array in _raw(name).values():          # np.load(allow_pickle=False) would raise on object arrays
            assert array.dtype != object


# ------------------------------------------------------------------------------------------------- MNIST5k

def test_mnist5k_shapes_dtypes_and_balance():
    train, test = MNIST5k(train=True), MNIST5k(train=False)
    assert (len(train), len(test)) == (4000, 1000)
    assert train.data.shape == (4000, 28, 28) and test.data.shape == (1000, 28, 28)
    assert train.data.dtype == np.uint8 and test.data.dtype == np.uint8
    assert all(type(t) is int for t in train.targets)
    assert np.bincount(train.targets).tolist() == [400] * 10
    assert np.bincount(test.targets).tolist() == [100] * 10
    assert len(train.classes) == 10 and train.class_to_idx["7 - seven"] == 7


def test_mnist5k_is_real_mnist():
    data = MNIST5k().data
    # MNIST's mean intensity is 0.1307 * 255 = 33.3; the digit sits in the centre, the border rows are blank
    assert 31.0 < data.mean() < 36.0
    assert data.min() == 0 and data.max() == 255
    assert data[:, 0, :].max() == 0 and data[:, 14, 14].mean() > 100


def test_mnist5k_split_is_disjoint_and_stratified():
    raw = _raw("mnist5k.npz")
    train_idx, test_idx = raw["train_index"], raw["test_index"]
    assert len(np.intersect1d(train_idx, test_idx)) == 0
    assert np.array_equal(np.sort(np.concatenate([train_idx, test_idx])), np.arange(5000))
    # no image appears in both splits (the source rows are distinct images)
    train_rows = {row.tobytes() for row in raw["train_images"]}
    assert not any(row.tobytes() in train_rows for row in raw["test_images"])
    # the stored order is shuffled, not sorted by label
    assert (np.diff(raw["train_labels"]) != 0).sum() > 1000


def test_item_protocol_and_transforms():
    ds = MNIST5k(train=False, transform=lambda im: im.astype(np.float32) / 255, target_transform=lambda t: t + 100)
    image, target = ds[3]
    assert image.dtype == np.float32 and image.shape == (28, 28)
    assert target == ds.targets[3] + 100
    plain = MNIST5k(train=False)
    image, target = plain[-1]
    assert np.array_equal(image, plain.data[999]) and target == plain.targets[999]
    image[:] = 7                                  # a copy: the dataset is unchanged
    assert not (plain.data[999] == 7).all()
    with pytest.raises(IndexError, match="index 1000 is out of range"):
        plain[1000]
    with pytest.raises(TypeError):
        plain[1.5]
    with pytest.raises(TypeError, match="'transform' must be callable"):
        MNIST5k(transform=3)
    with pytest.raises(TypeError, match="'train' must be bool"):
        MNIST5k(train="yes")


def test_repr():
    text = repr(MNIST5k(train=False, transform=abs))
    assert text.startswith("Dataset MNIST5k\n    Number of datapoints: 1000")
    assert "Split: Test" in text and "transform: <built-in function abs>" in text


def test_dataloader_batches():
    images, labels = next(iter(DataLoader(MNIST5k(), batch_size=8)))
    assert tuple(images.shape) == (8, 28, 28) and images.dtype == ember.uint8
    assert labels.dtype == ember.int64 and labels.tolist() == MNIST5k().targets[:8]


def test_with_ember_transforms_when_present():
    transforms = pytest.importorskip("ember.transforms")
    image, _ = MNIST5k(transform=transforms.ToTensor())[0]
    assert tuple(image.shape) == (1, 28, 28) and image.dtype == ember.float32
    assert np.allclose(image.numpy()[0], MNIST5k().data[0] / 255.0)


# -------------------------------------------------------------------------------------------------- Digits

def test_digits_shapes_rescaling_and_split():
    train, test = Digits(), Digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    assert train.data.shape == (1437, 8, 8) and train.data.dtype == np.uint8
    raw = _raw("digits.npz")
    # 0..16 -> 0..255 as (v * 255 + 8) // 16: hand values 0->0, 1->16, 8->128, 15->239, 16->255
    lut = {0: 0, 1: 16, 8: 128, 15: 239, 16: 255}
    for v, expected in lut.items():
        assert (train.data[raw["train_images"] == v] == expected).all()
    assert sorted(np.unique(train.data).tolist()) == [(v * 255 + 8) // 16 for v in range(17)]
    # sklearn's class counts, split 80/20 within each class
    counts = np.bincount(train.targets) + np.bincount(test.targets)
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert np.abs(np.bincount(test.targets) - counts * 360 / 1797).max() < 1
    assert np.array_equal(np.sort(np.concatenate([raw["train_index"], raw["test_index"]])), np.arange(1797))
    # the first digit of the UCI file is a 0 (row 0 of sklearn's digits)
    first = np.flatnonzero(raw["train_index"] == 0)
    row = raw["train_images"][first[0]] if len(first) else raw["test_images"][raw["test_index"] == 0][0]
    assert row[0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


# ------------------------------------------------------------------------------------------- BostonHousing

def test_boston_shapes_and_known_values():
    train, test = BostonHousing(), BostonHousing(train=False)
    assert train.data.shape == (404, 13) and test.data.shape == (102, 13)
    assert train.data.dtype == np.float32 and train.targets.dtype == np.float32
    assert len(train.feature_names) == 13 and train.feature_names[5] == "RM"
    x, y = train[0]
    assert x.shape == (13,) and x.dtype == np.float32 and isinstance(y, np.float32)
    everything = np.concatenate([train.targets, test.targets]).astype(np.float64)
    # MEDV over all 506 houses: mean 22.5328, min 5, max 50 (the capped values)
    assert abs(everything.mean() - 22.532806) < 1e-4
    assert everything.min() == 5.0 and everything.max() == 50.0
    # the first row of the original file: CRIM 0.00632, ZN 18, ..., LSTAT 4.98, MEDV 24.0
    raw = _raw("boston.npz")
    where = np.flatnonzero(raw["train_index"] == 0)
    x0 = raw["train_x"][where[0]] if len(where) else raw["test_x"][raw["test_index"] == 0][0]
    assert np.allclose(x0[[0, 1, 2, 5, 12]], [0.00632, 18.0, 2.31, 6.575, 4.98])
    split = np.concatenate([raw["train_index"], raw["test_index"]])
    assert np.array_equal(np.sort(split), np.arange(506))


def test_boston_dataloader_regression_batch():
    x, y = next(iter(DataLoader(BostonHousing(), batch_size=16)))
    assert tuple(x.shape) == (16, 13) and x.dtype == ember.float32
    assert tuple(y.shape) == (16,) and y.dtype == ember.float32


# -------------------------------------------------------------------------------------------- build script

def test_build_tool_split_and_npz_are_deterministic(tmp_path):
    tool = _build_tool()
    labels = np.repeat(np.arange(3), [5, 7, 9])
    train, test = tool.stratified_split(labels, 6, np.random.default_rng(0))
    assert len(test) == 6 and len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 21
    # largest remainder: 5*6/21 = 1.43, 7*6/21 = 2.0, 9*6/21 = 2.57 -> 1, 2, 3
    assert np.bincount(labels[test]).tolist() == [1, 2, 3]
    arrays = {"a": np.arange(12, dtype=np.uint8).reshape(3, 4), "b": np.array([1.5, -2.0])}
    tool.write_npz(tmp_path / "x.npz", arrays)
    first = (tmp_path / "x.npz").read_bytes()
    tool.write_npz(tmp_path / "x.npz", arrays)
    assert (tmp_path / "x.npz").read_bytes() == first
    with np.load(tmp_path / "x.npz", allow_pickle=False) as f:
        assert np.array_equal(f["a"], arrays["a"]) and np.array_equal(f["b"], arrays["b"])


# --------------------------------------------------------------------------------------------------- IDX

def _idx(array, code):
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">i", d) for d in array.shape)
    return header + array.tobytes()


def test_read_idx_hand_built(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "i.gz").write_bytes(gzip.compress(_idx(images, 0x08)))
    assert np.array_equal(read_idx(tmp_path / "i.gz"), images)
    ints = np.array([1, -2, 70000], dtype=">i4")
    (tmp_path / "j").write_bytes(_idx(ints, 0x0C))
    got = read_idx(tmp_path / "j")
    assert got.tolist() == [1, -2, 70000] and got.dtype == np.int32 and got.dtype.isnative
    floats = np.array([[0.5, -1.25]], dtype=">f4")
    (tmp_path / "f").write_bytes(_idx(floats, 0x0D))
    assert read_idx(tmp_path / "f").tolist() == [[0.5, -1.25]]
    # the header: magic 0x00000803 then the sizes, big-endian
    assert _idx(images, 0x08)[:16] == bytes.fromhex("00000803" "00000002" "00000003" "00000004")


def test_read_idx_rejects_bad_files(tmp_path):
    images = np.zeros((2, 3, 4), np.uint8)
    (tmp_path / "short").write_bytes(_idx(images, 0x08)[:-1])
    with pytest.raises(RuntimeError, match=r"holds 39 bytes but its header \(2, 3, 4\) needs 40"):
        read_idx(tmp_path / "short")
    (tmp_path / "magic").write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(RuntimeError, match="is not an IDX file"):
        read_idx(tmp_path / "magic")


def test_read_idx_on_repacked_mnist5k(tmp_path):
    data = MNIST5k(train=False).data[:100]
    (tmp_path / "x.gz").write_bytes(gzip.compress(_idx(data, 0x08)))
    assert np.array_equal(read_idx(tmp_path / "x.gz"), data)


# ------------------------------------------------------------------------------------------- CIFAR pickles

class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar_unpickler_allows_arrays_only(tmp_path):
    batch = {"batch_label": "training batch 1 of 5", "labels": [3, 1],
             "data": np.arange(2 * 3072, dtype=np.uint16).astype(np.uint8).reshape(2, 3072),
             "filenames": ["a.png", "b.png"]}
    (tmp_path / "ok").write_bytes(pickle.dumps(batch, protocol=2))
    loaded = load_pickle(tmp_path / "ok")
    assert loaded["labels"] == [3, 1] and np.array_equal(loaded["data"], batch["data"])
    (tmp_path / "evil").write_bytes(pickle.dumps({"data": _Evil()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="'posix.system' is not allowed|'os.system' is not allowed"):
        load_pickle(tmp_path / "evil")


# ---------------------------------------------------------------------------------------------- registry

def test_get_dataset_names_and_errors():
    assert {"mnist5k", "digits", "boston", "mnist", "fashion-mnist", "cifar10"} <= set(DATASETS)
    ds = get_dataset("mnist5k", train=False)
    assert isinstance(ds, MNIST5k) and len(ds) == 1000
    assert isinstance(get_dataset("Boston"), BostonHousing)
    assert isinstance(get_dataset("digits", train=False), Digits)
    with pytest.raises(ValueError, match=r"unknown dataset 'imagenet'; valid datasets: mnist5k, digits, boston"):
        get_dataset("imagenet")
    with pytest.raises(TypeError, match="'name' must be str"):
        get_dataset(3)


def test_import_ember_datasets_needs_only_numpy():
    import subprocess
    import sys
    code = ("import sys; import ember.datasets; "
            "bad = [m for m in ('torch', 'tqdm', 'matplotlib', 'torchvision') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
