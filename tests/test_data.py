"""ember.utils.data against torch.utils.data: batch structure and contents for the same sampler order, length
rules, errors, reproducible shuffling, and worker processes (kept few and small: each start costs time)."""
import collections
import math

import numpy as np
import pytest
import torch

import ember
from ember.utils import data as ed
import torch.utils.data as td


def to_np(x):
    if isinstance(x, ember.Tensor):
        return x.detach().numpy()
    return x.detach().numpy()


def assert_same(e, t):
    """Same nesting, container types, tensor dtypes/shapes/values, and plain values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(to_np(e), to_np(t))
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            assert_same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t), (type(e), type(t))
        for a, b in zip(e, t):
            assert_same(a, b)
    else:
        assert type(e) is type(t) and e == t


def both(make_ds, **kw):
    """Iterate the same loader configuration in torch and in ember."""
    out = []
    for lib, data in ((ember, ed), (torch, td)):
        ds = make_ds(lib, data)
        out.append(list(data.DataLoader(ds, **kw(lib, data, ds) if callable(kw) else kw)))
    return out


Point = collections.namedtuple("Point", ["x", "y"])


class MixedDataset:
    """Samples of every type default_collate knows."""

    def __init__(self, lib, n=7):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        lib = self.lib
        return {
            "t": lib.arange(6, dtype=lib.float32).reshape(2, 3) * i,
            "i": lib.tensor(i),
            "np": np.full((2,), i, dtype=np.int32),
            "npf": np.float32(i) / 2,
            "npi": np.int64(i),
            "f": float(i) / 4,
            "n": i,
            "b": bool(i % 2),
            "s": f"item{i}",
            "by": b"x",
            "tup": (i, lib.ones(2) * i),
            "lst": [i, i + 1],
            "pt": Point(i, float(i)),
            "od": collections.OrderedDict(a=i),
        }


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (1, False), (7, False)])
def test_default_collate_matches_torch(batch_size, drop_last):
    e, t = both(lambda lib, data: MixedDataset(lib), batch_size=batch_size, drop_last=drop_last)
    assert len(e) == len(t)
    assert_same(e, t)


def test_no_auto_batching_default_convert():
    e, t = both(lambda lib, data: MixedDataset(lib, 3), batch_size=None)
    assert_same(e, t)


def test_tensor_dataset_and_loader_order_follow_sampler():
    order = [5, 2, 8, 0, 9, 1, 3]
    res = []
    for lib, data in ((torch, td), (ember, ed)):
        x = lib.arange(20, dtype=lib.float32).reshape(10, 2)
        y = lib.arange(10)
        ds = data.TensorDataset(x, y)
        res.append(list(data.DataLoader(ds, batch_size=3, sampler=order)))
    assert_same(res[1], res[0])
    # a batch_sampler given as a plain iterable of lists
    res = []
    for lib, data in ((torch, td), (ember, ed)):
        ds = data.TensorDataset(lib.arange(10))
        res.append(list(data.DataLoader(ds, batch_sampler=[[3, 1], [0], [9, 8, 7]])))
    assert_same(res[1], res[0])


def test_collate_errors_match_torch():
    for bad in ([object(), object()], [[1, 2], [3]], [np.array(["a"]), np.array(["b"])]):
        with pytest.raises(Exception) as te:
            td.default_collate(bad)
        with pytest.raises(type(te.value)) as ee:
            ed.default_collate(bad)
        assert str(ee.value).split(";")[0] == str(te.value).split(";")[0]
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ed.default_collate([ember.zeros(2), ember.zeros(3)])


def test_collate_numpy_scalars_and_dtypes():
    for batch in ([np.float32(1), np.float32(2)], [np.float64(1)], [np.int32(3), np.int32(4)], [np.bool_(True)],
                  [1.5, 2.5], [1, 2], [True, False], [np.zeros((2, 2), np.float16)]):
        assert_same(ed.default_collate(batch), td.default_collate(batch))


def test_len_rules():
    for n, bs, dl in [(10, 3, False), (10, 3, True), (9, 3, True), (0, 2, False)]:
        e = ed.DataLoader(list(range(n)), batch_size=bs, drop_last=dl)
        t = td.DataLoader(list(range(n)), batch_size=bs, drop_last=dl)
        assert len(e) == len(t) == len(list(e))
    assert len(ed.DataLoader(list(range(10)), batch_size=None)) == 10
    s = ed.RandomSampler(range(5), replacement=True, num_samples=70)
    assert len(s) == 70 and len(list(s)) == 70
    assert len(ed.DataLoader(range(5), sampler=s, batch_size=8)) == 9

    class Sized(ed.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7
    assert len(ed.DataLoader(Sized(), batch_size=3)) == 3
    assert len(ed.DataLoader(Sized(), batch_size=3, drop_last=True)) == 2

    class Liar(Sized):
        def __len__(self):
            return 2
    dl = ed.DataLoader(Liar(), batch_size=None)
    assert len(dl) == 2
    with pytest.warns(UserWarning, match="Length of IterableDataset"):
        list(dl)


def test_loader_argument_errors_match_torch():
    cases = [
        dict(batch_sampler=[[0]], batch_size=2),
        dict(batch_sampler=[[0]], shuffle=True),
        dict(batch_sampler=[[0]], sampler=[0]),
        dict(batch_sampler=[[0]], drop_last=True),
        dict(sampler=[0, 1], shuffle=True),
        dict(batch_size=None, drop_last=True),
        dict(num_workers=-1),
        dict(timeout=-1),
        dict(prefetch_factor=2),
        dict(persistent_workers=True),
        dict(multiprocessing_context="spawn"),
        dict(num_workers=1, multiprocessing_context="nope"),
        dict(num_workers=1, prefetch_factor=-1),
    ]
    for kw in cases:
        with pytest.raises(Exception) as te:
            td.DataLoader(list(range(4)), **kw)
        with pytest.raises(type(te.value)) as ee:
            ed.DataLoader(list(range(4)), **kw)
        assert str(ee.value) == str(te.value), kw

    class It(ed.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    class TIt(td.IterableDataset):
        def __iter__(self):
            return iter(range(3))
    for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError) as te:
            td.DataLoader(TIt(), **kw)
        with pytest.raises(ValueError) as ee:
            ed.DataLoader(It(), **kw)
        assert str(ee.value).split(", but got")[0] == str(te.value).split(", but got")[0]
    dl = ed.DataLoader([1, 2])
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        dl.batch_size = 3


def test_sampler_errors_match_torch():
    cases = [
        (lambda d: d.RandomSampler(range(3), replacement=1)),
        (lambda d: d.RandomSampler(range(3), num_samples=0)),
        (lambda d: d.RandomSampler([])),
        (lambda d: d.WeightedRandomSampler([1.0, 2.0], 0)),
        (lambda d: d.WeightedRandomSampler([1.0, 2.0], 2, replacement=None)),
        (lambda d: d.WeightedRandomSampler([[1.0, 2.0]], 2)),
        (lambda d: d.BatchSampler(range(3), 0, False)),
        (lambda d: d.BatchSampler(range(3), True, False)),
        (lambda d: d.BatchSampler(range(3), 2, 1)),
    ]
    for make in cases:
        with pytest.raises(Exception) as te:
            make(td)
        with pytest.raises(type(te.value)) as ee:
            make(ed)
        assert str(ee.value) == str(te.value)


def test_samplers_behaviour():
    assert list(ed.SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(ed.BatchSampler(range(10), 3, False)) == list(td.BatchSampler(range(10), 3, False))
    assert list(ed.BatchSampler(range(10), 3, True)) == list(td.BatchSampler(range(10), 3, True))
    assert len(ed.BatchSampler(range(10), 3, True)) == 3 and len(ed.BatchSampler(range(10), 3, False)) == 4
    g = ember.Generator().manual_seed(0)
    perm = list(ed.RandomSampler(range(10), generator=g))
    assert sorted(perm) == list(range(10))
    rep = list(ed.RandomSampler(range(10), num_samples=25))   # > n without replacement: whole permutations
    assert len(rep) == 25 and sorted(rep[:10]) == list(range(10)) and sorted(rep[10:20]) == list(range(10))
    wr = list(ed.RandomSampler(range(3), replacement=True, num_samples=40))
    assert len(wr) == 40 and set(wr) <= {0, 1, 2}
    sub = list(ed.SubsetRandomSampler([10, 20, 30, 40]))
    assert sorted(sub) == [10, 20, 30, 40]
    w = list(ed.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50))
    assert len(w) == 50 and set(w) <= {1, 3}
    wn = list(ed.WeightedRandomSampler([1.0, 1.0, 0.0, 3.0], 3, replacement=False))
    assert sorted(wn) == [0, 1, 3]
    assert isinstance(ed.WeightedRandomSampler(ember.tensor([1.0, 2.0]), 2).weights, ember.Tensor)


def test_shuffle_reproducible_and_fresh_each_epoch():
    ds = list(range(50))
    ember.manual_seed(7)
    dl = ed.DataLoader(ds, batch_size=50, shuffle=True)
    a1, a2 = next(iter(dl)).tolist(), next(iter(dl)).tolist()
    ember.manual_seed(7)
    b1, b2 = [b.tolist() for b in dl][0], [b.tolist() for b in dl][0]
    assert a1 == b1 and a2 == b2 and a1 != a2 and sorted(a1) == ds
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    x = [b.tolist() for b in ed.DataLoader(ds, batch_size=10, shuffle=True, generator=g1)]
    y = [b.tolist() for b in ed.DataLoader(ds, batch_size=10, shuffle=True, generator=g2)]
    assert x == y
    # the epoch's iterator is fresh: two iterators over one loader are independent
    dl = ed.DataLoader(list(range(6)), batch_size=2)
    i1, i2 = iter(dl), iter(dl)
    assert next(i1).tolist() == [0, 1] and next(i2).tolist() == [0, 1] and next(i1).tolist() == [2, 3]


def test_datasets_match_torch():
    e = ed.ConcatDataset([list(range(3)), list(range(10, 14))])
    t = td.ConcatDataset([list(range(3)), list(range(10, 14))])
    assert len(e) == len(t) == 7 and [e[i] for i in range(-7, 7)] == [t[i] for i in range(-7, 7)]
    assert e.cumulative_sizes == t.cumulative_sizes
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        e[-8]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ed.ConcatDataset([])
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        ed.TensorDataset(ember.zeros(3), ember.zeros(4))
    sub = ed.Subset(list("abcdef"), [4, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == ["e", "a", "c"] and sub.__getitems__([1, 2]) == ["a", "c"]
    st = ed.StackDataset(list(range(3)), list("abc"))
    assert st[1] == (1, "b") and st.__getitems__([0, 2]) == [(0, "a"), (2, "c")]
    sd = ed.StackDataset(x=list(range(3)), y=list("abc"))
    assert sd[2] == {"x": 2, "y": "c"} and len(sd) == 3
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        ed.StackDataset([1], [1, 2])

    class A(ed.Dataset):
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return i
    assert isinstance(A(2) + A(3), ed.ConcatDataset) and len(A(2) + A(3)) == 5

    class It(ed.IterableDataset):
        def __init__(self, r):
            self.r = r

        def __iter__(self):
            return iter(self.r)
    ch = It(range(2)) + It(range(5, 7))
    assert isinstance(ch, ed.ChainDataset) and list(ch) == [0, 1, 5, 6]
    assert [b.tolist() for b in ed.DataLoader(ch, batch_size=3)] == [[0, 1, 5], [6]]
    assert [b.tolist() for b in ed.DataLoader(ch, batch_size=3, drop_last=True)] == [[0, 1, 5]]


def test_random_split():
    g = ember.Generator().manual_seed(0)
    parts = ed.random_split(range(10), [3, 7], generator=g)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    # fractions: floor each, remainder round robin, as torch
    for fr in ([0.3, 0.3, 0.4], [0.5, 0.5], [0.33, 0.33, 0.34], [0.1] * 10):
        e = [len(p) for p in ed.random_split(range(31), fr)]
        t = [len(p) for p in td.random_split(range(31), fr)]
        assert e == t
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        ed.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        ed.random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ed.random_split(range(1), [0.5, 0.5])
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    assert ed.random_split(range(9), [4, 5], g1)[0].indices == ed.random_split(range(9), [4, 5], g2)[0].indices


def test_worker_info_main_process_and_frozen():
    assert ed.get_worker_info() is None
    wi = ed.WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        wi.id = 2


# ------------------------------------------------------------------------------------------------ workers
class WhoLoads(ed.Dataset):
    """Each sample says which process loaded it."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        import os
        info = ed.get_worker_info()
        return {"i": i, "worker": -1 if info is None else info.id, "pid": os.getpid(),
                "x": ember.full((2,), float(i)), "seed": -1 if info is None else info.seed,
                "init": _INIT_MARK[0]}


_INIT_MARK = [None]


def _init_fn(worker_id):
    _INIT_MARK[0] = f"init{worker_id}"


def test_workers_map_style_order_and_processes():
    import os
    dl = ed.DataLoader(WhoLoads(), batch_size=2, num_workers=2, worker_init_fn=_init_fn, prefetch_factor=1)
    batches = list(dl)
    assert [b["i"].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    workers = {w for b in batches for w in b["worker"].tolist()}
    pids = {p for b in batches for p in b["pid"].tolist()}
    assert workers == {0, 1} and os.getpid() not in pids and len(pids) == 2
    # batches alternate between the workers (round robin), init fn ran in each, seeds are base + id
    assert [b["worker"].tolist()[0] for b in batches] == [0, 1, 0, 1, 0, 1]
    assert {s for b in batches for s in b["init"]} == {"init0", "init1"}
    seeds = {b["worker"].tolist()[0]: b["seed"].tolist()[0] for b in batches}
    assert seeds[1] == seeds[0] + 1
    np.testing.assert_array_equal(batches[2]["x"].numpy(), [[4.0, 4.0], [5.0, 5.0]])
    assert _INIT_MARK[0] is None   # the main process never ran the init fn


class Sharded(ed.IterableDataset):
    def __iter__(self):
        info = ed.get_worker_info()
        if info is None:
            return iter(range(10))
        return iter(range(info.id, 10, info.num_workers))


def test_workers_iterable_sharding_and_persistent_epochs():
    dl = ed.DataLoader(Sharded(), batch_size=3, num_workers=2, persistent_workers=True)
    for _ in range(2):   # the same processes serve a second (and a half-consumed) epoch
        got = [b.tolist() for b in dl]
        assert got == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
        it = iter(dl)
        next(it)
    pids = [w.pid for w in dl._iterator._workers]
    assert [b.tolist() for b in dl] == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    assert [w.pid for w in dl._iterator._workers] == pids and all(w.is_alive() for w in dl._iterator._workers)
    dl._iterator._shutdown_workers()
    assert not any(w.is_alive() for w in dl._iterator._workers)


class Boom(ed.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError("bad key 2")
        return i


def test_worker_exception_reraised_with_type_and_traceback():
    dl = ed.DataLoader(Boom(), batch_size=1, num_workers=1)
    it = iter(dl)
    assert next(it).tolist() == [0] and next(it).tolist() == [1]
    with pytest.raises(KeyError) as ei:
        next(it)
    msg = str(ei.value)
    assert "Caught KeyError in DataLoader worker process 0" in msg and "bad key 2" in msg and "Traceback" in msg
    it._shutdown_workers()


class Troubled(ed.Dataset):
    """Sample 1 kills its worker; sample 2 is slow."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        import os
        import signal
        import time
        if i == 1 and self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == 2 and self.slow:
            time.sleep(2)
        return ember.full((2,), float(i))

    def __init__(self, kill=False, slow=False):
        self.kill, self.slow = kill, slow


def test_worker_death_timeout_spawn_and_unordered():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(ed.DataLoader(Troubled(kill=True), num_workers=1))
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        list(ed.DataLoader(Troubled(slow=True), batch_size=2, num_workers=1, timeout=0.2))
    # spawn: the dataset, batches and tensors travel pickled between fresh interpreters
    got = [b.tolist() for b in ed.DataLoader(Troubled(), batch_size=3, num_workers=1, multiprocessing_context="spawn")]
    assert got == [[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [[3.0, 3.0]]]
    got = [b.tolist()[0][0] for b in ed.DataLoader(Troubled(), num_workers=2, in_order=False)]
    assert sorted(got) == [0.0, 1.0, 2.0, 3.0]
