"""ember.save / ember.load: round trips, safetensors interop both ways, torch.save files (zip and legacy) through the
restricted unpickler, refusal of malicious pickles, atomic writes, and clear errors on damaged files."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
import safetensors.torch as st

import ember
from ember.serialization import CheckpointError

ALL_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def sample(dtype, shape=(2, 3), seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 50
    return ember.tensor(np.asarray(a > 0 if dtype == "bool" else a.astype(dtype)))


def same_tensor(a, b):
    assert isinstance(a, ember.Tensor)
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def same(a, b):
    if isinstance(b, ember.Tensor):
        same_tensor(a, b)
    elif isinstance(b, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in b:
            same(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(b, float) and b != b:
        assert a != a
    else:
        assert type(a) is type(b) and a == b


def as_np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dtypes_round_trip_and_torch_reads_them(tmp_path, dtype):
    sd = collections.OrderedDict(a=sample(dtype), scalar=sample(dtype, ()), empty=sample(dtype, (0, 4)),
                                 nc=sample(dtype, (3, 4)).t() if hasattr(ember.Tensor, "t") else sample(dtype, (4,)))
    path = tmp_path / "m.safetensors"
    ember.save(sd, path)
    same(ember.load(path), sd)
    tt = st.load_file(str(path))
    assert set(tt) == set(sd)
    for k, v in sd.items():
        assert str(tt[k].dtype) == "torch." + dtype and tuple(tt[k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(tt[k].numpy(), v.numpy())


def test_nested_structures_round_trip(tmp_path):
    w = ember.randn(3, 2)
    obj = {
        "model": collections.OrderedDict([("l.weight", w), ("l.bias", ember.zeros(2))]),
        "optimizer": {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(3, 2)}, 1: {}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                                        "amsgrad": False, "maximize": False, "foreach": None, "params": [0, 1]}]},
        "scheduler": {"last_epoch": 4, "_last_lr": [0.01], "base_lrs": [0.1], "verbose": False},
        "epoch": 7, "loss": 0.25, "best": float("inf"), "nan": float("nan"), "name": "run-α", "none": None,
        "flags": [True, False], "tup": (1, (2.5, "x"), []), "bytes": b"\x00\xff", (1, 2): "tuple key",
        "dtype": ember.float16, "device": ember.device("cpu"), "size": ember.Size([2, 3]),
        "np": np.arange(4, dtype=np.int16), "npscalar": np.float64(1.5),
    }
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    out = ember.load(buf)
    obj2 = dict(obj)
    np_arr = obj2.pop("np")
    out_np = out.pop("np")
    obj2["npscalar"] = 1.5
    same(out, obj2)
    np.testing.assert_array_equal(out_np, np_arr)
    assert out_np.dtype == np.int16
    assert out["dtype"] is ember.float16 and isinstance(out["size"], ember.Size)
    # a file path works the same, and the model part is readable by safetensors
    ember.save(obj["model"], tmp_path / "model.st")
    tt = st.load_file(str(tmp_path / "model.st"))
    np.testing.assert_array_equal(tt["l.weight"].numpy(), w.numpy())


def test_bare_tensor_requires_grad_and_parameter_subclass(tmp_path):
    t = ember.randn(4, requires_grad=True)
    ember.save(t, tmp_path / "t")
    u = ember.load(tmp_path / "t")
    assert u.requires_grad and u.is_leaf
    np.testing.assert_array_equal(u.detach().numpy(), t.detach().numpy())
    p = ember.nn.Parameter(ember.ones(2, 2))
    ember.save({"p": p, "frozen": ember.nn.Parameter(ember.zeros(1), requires_grad=False)}, tmp_path / "p")
    q = ember.load(tmp_path / "p")
    assert isinstance(q["p"], ember.nn.Parameter) and q["p"].requires_grad
    assert isinstance(q["frozen"], ember.nn.Parameter) and not q["frozen"].requires_grad
    assert st.load_file(str(tmp_path / "p"))["p"].shape == (2, 2)


def test_shared_tensors_stay_shared(tmp_path):
    w = ember.randn(3)
    ember.save({"enc.weight": w, "dec.weight": w, "other": ember.zeros(1)}, tmp_path / "tied")
    out = ember.load(tmp_path / "tied")
    assert out["enc.weight"] is out["dec.weight"]
    tt = st.load_file(str(tmp_path / "tied"))   # every key is present for flat readers
    np.testing.assert_array_equal(tt["dec.weight"].numpy(), w.numpy())


def test_state_dict_metadata_kept(tmp_path):
    sd = collections.OrderedDict(w=ember.ones(2))
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    ember.save(sd, tmp_path / "s")
    out = ember.load(tmp_path / "s")
    assert out._metadata == {"": {"version": 1}}


def test_unsupported_objects_refused_before_touching_file(tmp_path):
    path = tmp_path / "keep"
    ember.save({"a": ember.ones(1)}, path)
    before = path.read_bytes()
    for bad in (object(), {"f": lambda x: x}, {"s": {1, 2}}, collections.namedtuple("P", "x")(1)):
        with pytest.raises(TypeError, match="ember.save"):
            ember.save(bad, path)
        assert path.read_bytes() == before
    cyc = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match="contains itself"):
        ember.save(cyc, io.BytesIO())
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]   # no temporary files left behind


def test_safetensors_written_by_torch_loads(tmp_path):
    tensors = {"w": torch.randn(3, 4), "i": torch.arange(5, dtype=torch.int32), "b": torch.tensor([True]),
               "h": torch.randn(2, dtype=torch.float16), "e": torch.zeros(0, 3), "s": torch.tensor(2.5)}
    st.save_file(tensors, str(tmp_path / "x.safetensors"), metadata={"note": "hi"})
    out = ember.load(tmp_path / "x.safetensors")
    assert type(out) is dict and set(out) == set(tensors)
    for k, v in tensors.items():
        assert str(out[k].dtype) == str(v.dtype).replace("torch", "ember")
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
    # bfloat16 has no ember twin: widened exactly to float32
    bf = torch.randn(5).to(torch.bfloat16)
    st.save_file({"bf": bf}, str(tmp_path / "bf"))
    got = ember.load(tmp_path / "bf")["bf"]
    assert got.dtype == ember.float32
    np.testing.assert_array_equal(got.numpy(), bf.float().numpy())
    # file objects as well as paths
    with open(tmp_path / "x.safetensors", "rb") as fh:
        assert set(ember.load(fh)) == set(tensors)


def _torch_state_dict():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    m.register_buffer("mask", torch.tensor([True, False]))
    m.register_buffer("h16", torch.randn(3, dtype=torch.float16))
    return m.state_dict()


@pytest.mark.parametrize("legacy", [False, True])
def test_torch_save_files_load(tmp_path, legacy):
    sd = _torch_state_dict()
    path = tmp_path / "model.pt"
    torch.save(sd, path, _use_new_zipfile_serialization=not legacy)
    out = ember.load(path)
    assert isinstance(out, collections.OrderedDict) and list(out) == list(sd)
    for k, v in sd.items():
        assert str(out[k].dtype) == str(v.dtype).replace("torch", "ember"), k
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
    assert out._metadata == sd._metadata
    with open(path, "rb") as fh:
        assert list(ember.load(fh)) == list(sd)


def test_torch_save_views_params_and_containers(tmp_path):
    base = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    p = torch.nn.Parameter(torch.randn(2, 2))
    obj = {"t": base.t(), "row": base[1], "same": base, "p": p, "frozen": torch.nn.Parameter(torch.ones(1), False),
           "grad": torch.ones(2, requires_grad=True), "size": torch.Size([2, 3]), "list": [1, 2.5, "s", None],
           "tup": (torch.tensor(7), True), "bf": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
           "opt": torch.optim.SGD([p], lr=0.1, momentum=0.9).state_dict()}
    torch.save(obj, tmp_path / "o.pt")
    out = ember.load(tmp_path / "o.pt")
    np.testing.assert_array_equal(out["t"].numpy(), base.t().numpy())
    np.testing.assert_array_equal(out["row"].numpy(), base[1].numpy())
    assert isinstance(out["p"], ember.nn.Parameter) and out["p"].requires_grad
    np.testing.assert_array_equal(out["p"].detach().numpy(), p.detach().numpy())
    assert not out["frozen"].requires_grad and out["grad"].requires_grad
    assert out["size"] == (2, 3) and isinstance(out["size"], ember.Size)
    assert out["list"] == [1, 2.5, "s", None] and out["tup"][0].item() == 7 and out["tup"][1] is True
    assert out["bf"].dtype == ember.float32 and out["bf"].tolist() == [1.5, -2.0]
    assert out["opt"]["param_groups"][0]["lr"] == 0.1 and out["opt"]["param_groups"][0]["params"] == [0]


def test_map_location(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "a.pt")
    ember.save({"w": ember.ones(2)}, tmp_path / "a.st")
    for f in ("a.pt", "a.st"):
        for ml in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda t, loc: t * 2):
            out = ember.load(tmp_path / f, map_location=ml)
            assert out["w"].device == ember.device("cpu")
        assert ember.load(tmp_path / f, map_location=lambda t, loc: t * 2)["w"].tolist() == [2.0, 2.0]
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="torch.cuda.is_available\\(\\) is False"):
            ember.load(tmp_path / "a.pt", map_location="cuda")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def _zip_with_pickle(path, payload, prefix="archive"):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{prefix}/data.pkl", payload)
        z.writestr(f"{prefix}/byteorder", "little")
        z.writestr(f"{prefix}/version", "3\n")


def test_malicious_pickles_refused_without_running(tmp_path, monkeypatch):
    path = tmp_path / "evil.pt"
    evil = pickle.dumps(Evil(), protocol=2)
    # 1) a real torch.save of an object whose unpickling would call os.system
    torch.save({"w": torch.ones(1), "x": Evil()}, path)
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        ember.load(path)
    # 2) a hand-made zip whose data.pkl imports builtins.eval
    _zip_with_pickle(path, b"cbuiltins\neval\n(S'1+1'\ntR.")
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        ember.load(path)
    # 3) a legacy-format file with a malicious main pickle
    legacy = io.BytesIO()
    for obj in (0x1950a86a20f9469cfc6c, 1001, {"little_endian": True}):
        pickle.dump(obj, legacy, protocol=2)
    legacy.write(evil)
    path.write_bytes(legacy.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="system"):
        ember.load(path)
    # 4) even allow-listed names cannot be used to smuggle other types
    _zip_with_pickle(path, b"ctorch._utils\n_rebuild_tensor_v2\n(S'not a storage'\nI0\n(t(ttR.")
    with pytest.raises(CheckpointError, match="not a storage"):
        ember.load(path)
    assert calls == []


def test_out_of_bounds_tensor_geometry_refused(tmp_path):
    torch.save({"w": torch.ones(4)}, tmp_path / "ok.pt")
    with zipfile.ZipFile(tmp_path / "ok.pt") as z:
        names = {n: z.read(n) for n in z.namelist()}
    pkl_name = next(n for n in names if n.endswith("data.pkl"))
    # size 4 -> size 400: would read past the 4-element storage
    names[pkl_name] = names[pkl_name].replace(b"K\x04\x85", b"M\x90\x01\x85")
    with zipfile.ZipFile(tmp_path / "bad.pt", "w") as z:
        for n, data in names.items():
            z.writestr(n, data)
    with pytest.raises(CheckpointError, match="past the end of its storage"):
        ember.load(tmp_path / "bad.pt")


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    old = {"w": ember.ones(1000)}
    ember.save(old, path)
    before = path.read_bytes()
    from ember.serialization import _safetensors
    real = _safetensors.host_le
    count = [0]

    def flaky(arr):   # the second tensor's bytes fail half-way through the save
        count[0] += 1
        if count[0] == 2:
            raise OSError("disk full")
        return real(arr)
    monkeypatch.setattr(_safetensors, "host_le", flaky)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"a": ember.zeros(10), "b": ember.zeros(10)}, path)
    assert path.read_bytes() == before
    monkeypatch.setattr(_safetensors, "host_le", real)

    def dying_replace(src, dst):   # killed just before the rename: the temporary file never replaces the target
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        ember.save({"new": ember.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]
    same(ember.load(path), old)
    # a successful save replaces the file, keeps its permissions
    os.chmod(path, 0o640)
    ember.save({"new": ember.zeros(3)}, str(path))
    assert list(ember.load(path)) == ["new"] and (os.stat(path).st_mode & 0o777) == 0o640


def test_damaged_files_give_clear_errors(tmp_path):
    path = tmp_path / "c.st"
    ember.save({"w": ember.randn(100), "i": ember.arange(10)}, path)
    good = path.read_bytes()
    cases = {
        "empty": b"",
        "short": good[:5],
        "cut header": good[:40],
        "cut data": good[:-7],
        "trailing": good + b"xx",
        "garbage": b"hello world, this is not a checkpoint",
        "bad json": good[:8] + b"{" + b"!" * (int.from_bytes(good[:8], "little") - 1) + good[8 + int.from_bytes(
            good[:8], "little"):],
    }
    for name, data in cases.items():
        path.write_bytes(data)
        with pytest.raises(CheckpointError) as ei:
            ember.load(path)
        assert "c.st" in str(ei.value), name
    torch.save({"w": torch.ones(3)}, tmp_path / "t.pt")
    raw = (tmp_path / "t.pt").read_bytes()
    for data in (raw[:len(raw) // 2], raw[:100]):
        (tmp_path / "t.pt").write_bytes(data)
        with pytest.raises(CheckpointError, match="t.pt"):
            ember.load(tmp_path / "t.pt")
    torch.save({"w": torch.ones(3)}, tmp_path / "l.pt", _use_new_zipfile_serialization=False)
    raw = (tmp_path / "l.pt").read_bytes()
    (tmp_path / "l.pt").write_bytes(raw[:-5])
    with pytest.raises(CheckpointError, match="truncated"):
        ember.load(tmp_path / "l.pt")
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing")
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist."):
        ember.save({}, tmp_path / "no" / "x.pt")
