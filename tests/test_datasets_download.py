"""download_url and the downloadable datasets against a loopback HTTP server serving real-format files:
success, resume after truncation, wrong checksum, 500 then mirror fallback, all mirrors down (the offline message),
download=False with missing files, and a second construction served from the cache without network."""
import gzip
import hashlib
import io
import socket
import struct
import sys
import tarfile
import zipfile

import numpy as np
import pytest

from _http_server import http_server  # noqa: F401  (a pytest fixture)
from ember.datasets import (CIFAR10, MNIST, FashionMNIST, FraEng, MNIST5k, TimeMachine, WikiText2, cache_dir,
                            download_url)
from ember.datasets import _download
from ember.datasets._download import check_integrity, checksum_kwargs

PAYLOAD = bytes(range(256)) * 300          # 76,800 bytes, several read chunks
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


def _dead_url(path="/x"):
    """A URL on a loopback port nobody listens on: connection refused, like being offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def _statuses(server):
    return [(range_header, status) for _, range_header, status in server.requests]


# ------------------------------------------------------------------------------------------- download_url

def test_download_success(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    dest = tmp_path / "sub" / "f.bin"
    assert download_url(http_server.url("/f.bin"), dest, sha256=SHA256, progress=False) == dest
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "sub" / "f.bin.part").exists()
    assert _statuses(http_server) == [(None, 200)]


def test_verified_file_is_not_downloaded_again(http_server, tmp_path):
    dest = tmp_path / "f.bin"
    dest.write_bytes(PAYLOAD)
    download_url(http_server.url("/f.bin"), dest, sha256=SHA256, progress=False)
    assert http_server.requests == []


def test_resume_after_truncation(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    http_server.truncate["/f.bin"] = 1                 # the first response stops halfway
    dest = tmp_path / "f.bin"
    download_url(http_server.url("/f.bin"), dest, sha256=SHA256, progress=False)
    assert dest.read_bytes() == PAYLOAD
    half = len(PAYLOAD) // 2
    assert _statuses(http_server) == [(None, 200), (f"bytes={half}-", 206)]


def test_resume_a_part_file_left_by_an_earlier_run(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:1000])
    download_url(http_server.url("/f.bin"), dest, sha256=SHA256, progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert _statuses(http_server) == [("bytes=1000-", 206)]


def test_complete_part_file_gets_416_and_is_verified(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    download_url(http_server.url("/f.bin"), tmp_path / "f.bin", sha256=SHA256, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert _statuses(http_server) == [(f"bytes={len(PAYLOAD)}-", 416)]


def test_server_without_range_support_restarts(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    http_server.ranges = False
    (tmp_path / "f.bin.part").write_bytes(b"garbage" * 10)
    download_url(http_server.url("/f.bin"), tmp_path / "f.bin", sha256=SHA256, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert _statuses(http_server) == [("bytes=70-", 200)]


def test_wrong_checksum_deletes_the_file(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    dest = tmp_path / "f.bin"
    with pytest.raises(RuntimeError) as info:
        download_url(http_server.url("/f.bin"), dest, sha256="0" * 64, progress=False)
    message = str(info.value)
    assert "checksum mismatch for f.bin" in message
    assert f"expected {'0' * 64}, got {SHA256}" in message
    assert f"place it at {dest}" in message
    assert not dest.exists() and not (tmp_path / "f.bin.part").exists()


def test_a_stale_file_with_the_wrong_checksum_is_replaced(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"old")
    download_url(http_server.url("/f.bin"), dest, sha256=SHA256, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_500_then_next_mirror(http_server, tmp_path):
    http_server.files["/b/f.bin"] = PAYLOAD
    http_server.errors["/a/f.bin"] = [500]
    mirrors = [http_server.url("/a/f.bin"), http_server.url("/b/f.bin")]
    download_url(mirrors, tmp_path / "f.bin", sha256=SHA256, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert [(p, s) for p, _, s in http_server.requests] == [("/a/f.bin", 500), ("/b/f.bin", 200)]


def test_all_mirrors_down_says_where_to_put_the_file(http_server, tmp_path):
    http_server.errors["/a/f.bin"] = [500]
    dead = _dead_url("/f.bin")
    dest = tmp_path / "MNIST" / "f.bin"
    with pytest.raises(RuntimeError) as info:
        download_url([http_server.url("/a/f.bin"), dead], dest, sha256=SHA256, progress=False)
    message = str(info.value)
    assert message.startswith("download_url(): could not download f.bin. Tried:")
    assert f"{http_server.url('/a/f.bin')}: HTTP Error 500" in message
    assert f"{dead}: unreachable" in message
    assert f"place it at {dest} (sha256 {SHA256})" in message
    assert not dest.exists()


def test_repeated_truncation_gives_up_on_that_mirror(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    http_server.truncate["/f.bin"] = 10
    with pytest.raises(RuntimeError, match="transfer stopped after"):
        download_url(http_server.url("/f.bin"), tmp_path / "f.bin", sha256=SHA256, progress=False)
    assert len(http_server.requests) == _download.RETRIES_PER_URL
    # the bytes received so far are kept for the next attempt
    assert (tmp_path / "f.bin.part").stat().st_size > len(PAYLOAD) // 2


def test_md5_and_sha1_and_no_checksum(http_server, tmp_path):
    http_server.files["/f.bin"] = PAYLOAD
    md5, sha1 = hashlib.md5(PAYLOAD).hexdigest(), hashlib.sha1(PAYLOAD).hexdigest()
    download_url(http_server.url("/f.bin"), tmp_path / "a", progress=False, md5=md5)
    download_url(http_server.url("/f.bin"), tmp_path / "b", progress=False, **checksum_kwargs(sha1))
    download_url(http_server.url("/f.bin"), tmp_path / "c", progress=False)
    assert all((tmp_path / n).read_bytes() == PAYLOAD for n in "abc")
    assert check_integrity(tmp_path / "a", md5=md5) and not check_integrity(tmp_path / "a", md5="0" * 32)
    assert checksum_kwargs(SHA256) == {"sha256": SHA256} and checksum_kwargs(None) == {}
    with pytest.raises(ValueError, match="not an md5, sha1 or sha256"):
        checksum_kwargs("abc")
    with pytest.raises(ValueError, match="url_or_mirrors is empty"):
        download_url([], tmp_path / "d")


def test_progress_bar_and_plain_fallback(http_server, tmp_path, capsys, monkeypatch):
    http_server.files["/f.bin"] = PAYLOAD
    download_url(http_server.url("/f.bin"), tmp_path / "a", sha256=SHA256, progress=True)
    err = capsys.readouterr().err                             # tqdm's bar, on stderr, named after the file
    assert "a:" in err and "/75.0k" in err
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)       # as if tqdm were not installed
    download_url(http_server.url("/f.bin"), tmp_path / "b", sha256=SHA256, progress=True)
    err = capsys.readouterr().err
    assert err.endswith("b: 100% of 76,800 B\n") and "b: 85% of 76,800 B" in err   # 65,536-byte chunks


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home"
    monkeypatch.delenv("EMBER_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "ember"


# ------------------------------------------------------------------------------------------ MNIST (IDX)

def _idx_gz(array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">i", d) for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@pytest.fixture
def mnist_files():
    """Real MNIST digits (from the embedded MNIST5k) repacked into the four IDX files, 100 train / 50 test."""
    train, test = MNIST5k(), MNIST5k(train=False)
    arrays = {"train-images-idx3-ubyte.gz": train.data[:100], "train-labels-idx1-ubyte.gz":
              np.array(train.targets[:100]), "t10k-images-idx3-ubyte.gz": test.data[:50],
              "t10k-labels-idx1-ubyte.gz": np.array(test.targets[:50])}
    return {name: _idx_gz(a) for name, a in arrays.items()}, arrays


def _serve_mnist(monkeypatch, server, files, cls=MNIST, prefix="/mnist/"):
    for name, data in files.items():
        server.files[prefix + name] = data
    monkeypatch.setattr(cls, "mirrors", [server.url(prefix)])
    monkeypatch.setattr(cls, "resources", [(n, hashlib.sha256(d).hexdigest()) for n, d in files.items()])


def test_mnist_download_then_cache(http_server, tmp_path, monkeypatch, mnist_files):
    files, arrays = mnist_files
    _serve_mnist(monkeypatch, http_server, files)
    http_server.truncate["/mnist/train-images-idx3-ubyte.gz"] = 1
    ds = MNIST(root=tmp_path, train=True, download=True)
    assert np.array_equal(ds.data, arrays["train-images-idx3-ubyte.gz"])
    assert ds.targets == arrays["train-labels-idx1-ubyte.gz"].tolist() and all(type(t) is int for t in ds.targets)
    image, target = ds[5]
    assert image.shape == (28, 28) and image.dtype == np.uint8 and target == ds.targets[5]
    assert sorted(p.name for p in (tmp_path / "MNIST").iterdir()) == sorted(files)
    n_requests = len(http_server.requests)
    assert n_requests == 5                                   # four files, one resumed
    test = MNIST(root=tmp_path, train=False)                 # from the cache: no network
    http_server.stop()
    again = MNIST(root=tmp_path, train=True, download=True)
    assert len(http_server.requests) == n_requests
    assert len(test) == 50 and np.array_equal(again.data, ds.data)


def test_mnist_missing_without_download(tmp_path):
    with pytest.raises(RuntimeError, match=r"^Dataset not found. You can use download=True to download it, or "
                                           r"place the files train-images-idx3-ubyte.gz, .* in .*MNIST"):
        MNIST(root=tmp_path)


def test_mnist_offline_download_message(tmp_path, monkeypatch):
    dead = _dead_url("/mnist/")
    monkeypatch.setattr(MNIST, "mirrors", [dead])
    with pytest.raises(RuntimeError) as info:
        MNIST(root=tmp_path, download=True)
    message = str(info.value)
    assert f"{dead}train-images-idx3-ubyte.gz: unreachable" in message
    assert f"place it at {tmp_path / 'MNIST' / 'train-images-idx3-ubyte.gz'} (md5 f68b3c2dcbeaaa9f" in message


def test_mnist_finds_torchvision_layout(tmp_path, monkeypatch, mnist_files):
    files, arrays = mnist_files
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)
    monkeypatch.setattr(MNIST, "resources", [(n, hashlib.md5(d).hexdigest()) for n, d in files.items()])
    assert np.array_equal(MNIST(root=tmp_path, train=False).data, arrays["t10k-images-idx3-ubyte.gz"])


def test_mnist_corrupt_cached_file_is_not_used(tmp_path, monkeypatch, mnist_files):
    files, _ = mnist_files
    monkeypatch.setattr(MNIST, "resources", [(n, hashlib.sha256(d).hexdigest()) for n, d in files.items()])
    folder = tmp_path / "MNIST"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data[:-10] if "t10k-images" in name else data)
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(root=tmp_path, train=True)


def test_fashion_mnist_mirror_fallback(http_server, tmp_path, monkeypatch, mnist_files):
    files, arrays = mnist_files
    _serve_mnist(monkeypatch, http_server, files, cls=FashionMNIST, prefix="/fashion/")
    monkeypatch.setattr(FashionMNIST, "mirrors", [http_server.url("/down/"), http_server.url("/fashion/")])
    monkeypatch.setattr(FashionMNIST, "system_folder", tmp_path / "no-system-copy")
    for name in files:
        http_server.errors["/down/" + name] = [500]
    ds = FashionMNIST(root=tmp_path, train=False, download=True)
    assert np.array_equal(ds.data, arrays["t10k-images-idx3-ubyte.gz"])
    assert ds.classes[9] == "Ankle boot" and (tmp_path / "FashionMNIST").is_dir()


def test_fashion_mnist_accepts_recompressed_copies(tmp_path, monkeypatch, mnist_files):
    """Debian's package recompressed the .gz files: their md5 differs, the IDX bytes inside do not."""
    files, arrays = mnist_files
    system = tmp_path / "usr-share"
    system.mkdir()
    content = {}
    for name, data in files.items():
        raw = gzip.decompress(data)
        (system / name).write_bytes(gzip.compress(raw, compresslevel=1, mtime=12345))
        content[name] = hashlib.sha256(raw).hexdigest()
    monkeypatch.setattr(FashionMNIST, "resources", [(n, hashlib.md5(d).hexdigest()) for n, d in files.items()])
    monkeypatch.setattr(FashionMNIST, "system_folder", system)
    monkeypatch.setattr(FashionMNIST, "content_sha256", content)
    assert np.array_equal(FashionMNIST(root=tmp_path / "root").data, arrays["train-images-idx3-ubyte.gz"])
    monkeypatch.setattr(FashionMNIST, "content_sha256", {n: "0" * 64 for n in files})
    with pytest.raises(RuntimeError, match="Dataset not found"):
        FashionMNIST(root=tmp_path / "root")


# ---------------------------------------------------------------------------------------------- CIFAR-10

def _cifar_tarball(n_per_batch=4, extra_member=None):
    """A cifar-10-python.tar.gz in the real layout: pickled dicts (protocol 2) of uint8 rows (N, 3072) in
    channel-major order (1024 R, then G, then B), labels lists and the batches.meta names."""
    rng = np.random.default_rng(0)
    batches = {}
    for i, name in enumerate(["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                              "test_batch"]):
        batches[name] = {"batch_label": f"batch {i}", "labels": [int(v) for v in rng.integers(0, 10, n_per_batch)],
                         "data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
                         "filenames": [f"img_{i}_{j}.png" for j in range(n_per_batch)]}
    meta = {"num_cases_per_batch": n_per_batch, "num_vis": 3072,
            "label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                            "truck"]}
    import pickle
    members = {name: pickle.dumps(b, protocol=2) for name, b in batches.items()}
    members["batches.meta"] = pickle.dumps(meta, protocol=2)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra_member is not None:
            tar.addfile(extra_member, io.BytesIO(b"x" * extra_member.size))
    md5s = {name: hashlib.md5(data).hexdigest() for name, data in members.items()}
    return buffer.getvalue(), batches, md5s


def _patch_cifar(monkeypatch, server, tarball, md5s):
    server.files["/cifar/cifar-10-python.tar.gz"] = tarball
    monkeypatch.setattr(CIFAR10, "mirrors", [server.url("/cifar/")])
    monkeypatch.setattr(CIFAR10, "resources", [("cifar-10-python.tar.gz", hashlib.md5(tarball).hexdigest())])
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", md5s[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                          "md5": md5s["batches.meta"]})


def test_cifar10_download_extract_and_load(http_server, tmp_path, monkeypatch):
    tarball, batches, md5s = _cifar_tarball()
    _patch_cifar(monkeypatch, http_server, tarball, md5s)
    ds = CIFAR10(root=tmp_path, train=True, download=True)
    assert ds.data.shape == (20, 32, 32, 3) and ds.data.dtype == np.uint8
    assert ds.targets == sum((batches[f"data_batch_{i}"]["labels"] for i in range(1, 6)), [])
    # pixel (row 2, col 5) of image 1: channel c sits at c * 1024 + 2 * 32 + 5 of the flat row
    row = batches["data_batch_1"]["data"][1]
    assert ds.data[1, 2, 5].tolist() == [row[c * 1024 + 69] for c in range(3)]
    image, target = ds[1]
    assert image.shape == (32, 32, 3) and target == ds.targets[1]
    assert ds.classes[0] == "airplane" and ds.classes[9] == "truck"
    test = CIFAR10(root=tmp_path, train=False)               # from the unpacked cache
    assert len(test) == 4 and len(http_server.requests) == 1
    assert (tmp_path / "CIFAR10" / "cifar-10-batches-py" / "test_batch").is_file()


def test_cifar10_hand_placed_tarball_needs_no_network(tmp_path, monkeypatch, http_server):
    tarball, _, md5s = _cifar_tarball()
    _patch_cifar(monkeypatch, http_server, tarball, md5s)
    monkeypatch.setattr(CIFAR10, "mirrors", [_dead_url("/cifar/")])
    (tmp_path / "CIFAR10").mkdir()
    (tmp_path / "CIFAR10" / "cifar-10-python.tar.gz").write_bytes(tarball)
    assert len(CIFAR10(root=tmp_path, train=False)) == 4


def test_cifar10_missing_and_unsafe_archives(tmp_path, monkeypatch, http_server):
    with pytest.raises(RuntimeError, match=r"Dataset not found. .*cifar-10-python.tar.gz in .*CIFAR10"):
        CIFAR10(root=tmp_path)
    escape = tarfile.TarInfo("../outside.txt")
    escape.size = 3
    tarball, _, md5s = _cifar_tarball(extra_member=escape)
    _patch_cifar(monkeypatch, http_server, tarball, md5s)
    with pytest.raises(RuntimeError, match=r"refusing to extract '../outside.txt'"):
        CIFAR10(root=tmp_path, download=True)
    assert not (tmp_path / "outside.txt").exists()


# ------------------------------------------------------------------------------------------ text downloads

TIME_MACHINE = ("The Time Machine, by H. G. Wells [1898]\n\n\nI\n\n\n"
                "The Time Traveller (for so it will be convenient to speak of him)\n"
                "was expounding a recondite matter to us. His grey eyes shone and\n")


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def test_time_machine(http_server, tmp_path, monkeypatch):
    data = TIME_MACHINE.encode()
    http_server.files["/d2l/timemachine.txt"] = data
    monkeypatch.setattr(TimeMachine, "mirrors", [http_server.url("/d2l/")])
    monkeypatch.setattr(TimeMachine, "checksum", hashlib.sha1(data).hexdigest())
    tm = TimeMachine(root=tmp_path, download=True)
    assert tm.text == TIME_MACHINE and len(tm) == len(TIME_MACHINE)
    # d2l's read_time_machine: non-letters -> one space, strip, lower
    assert tm.lines[:6] == ["the time machine by h g wells", "", "", "i", "", ""]
    assert tm.lines[6] == "the time traveller for so it will be convenient to speak of him"
    assert TimeMachine(root=tmp_path).text == TIME_MACHINE
    assert len(http_server.requests) == 1
    with pytest.raises(RuntimeError, match=r"Dataset not found. .*timemachine.txt in .*TimeMachine"):
        TimeMachine(root=tmp_path / "empty")


def test_fra_eng(http_server, tmp_path, monkeypatch):
    fra = "Go.\tVa !\nHi.\tSalut !\nRun!\tCours\u202f!\n\n"
    data = _zip({"fra-eng/_about.txt": "Tatoeba", "fra-eng/fra.txt": fra})
    http_server.files["/d2l/fra-eng.zip"] = data
    http_server.errors["/d2l/fra-eng.zip"] = [503]
    monkeypatch.setattr(FraEng, "mirrors", [http_server.url("/d2l/"), http_server.url("/d2l/")])
    monkeypatch.setattr(FraEng, "checksum", hashlib.sha1(data).hexdigest())
    ds = FraEng(root=tmp_path, download=True)
    assert ds.pairs == [("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours\u202f!")]
    assert len(ds) == 3 and ds[1] == ("Hi.", "Salut !") and ds.text == fra


def test_wikitext2_splits_and_offline(http_server, tmp_path, monkeypatch):
    members = {f"wikitext-2/wiki.{s}.tokens": f" = Heading {s} = \n\n Text of {s} @-@ split . \n"
               for s in ("train", "valid", "test")}
    data = _zip(members)
    http_server.files["/wt/wikitext-2-v1.zip"] = data
    monkeypatch.setattr(WikiText2, "mirrors", [http_server.url("/wt/")])
    monkeypatch.setattr(WikiText2, "checksum", hashlib.sha1(data).hexdigest())
    assert WikiText2(root=tmp_path, split="valid", download=True).text == members["wikitext-2/wiki.valid.tokens"]
    assert WikiText2(root=tmp_path, split="test").lines[2] == " Text of test @-@ split . "
    with pytest.raises(ValueError, match="split must be one of train, valid, test, got 'dev'"):
        WikiText2(root=tmp_path, split="dev")
    monkeypatch.setattr(WikiText2, "mirrors", [_dead_url("/wt/")])
    with pytest.raises(RuntimeError, match=r"(?s)unreachable.*place it at .*WikiText2/wikitext-2-v1.zip \(sha1 "):
        WikiText2(root=tmp_path / "other", download=True)
