"""linear/bilinear, normalisation layers, normalize and distances, embedding (nn.functional)."""
import numpy as np

from . import OpInfo, Sample, uniform


def F(lib):
    return lib.nn.functional


class Const:
    """A constant (non-differentiable) tensor argument: running statistics, indices."""

    def __init__(self, a):
        self.a = a

    def __call__(self, lib):
        return lib.from_numpy(self.a.copy())


def _c(name, fn, samples, **kw):
    return OpInfo(name, fn, kind="custom", samples=samples, **kw)


def _linear_samples(rng, dtype):
    return [Sample((uniform(rng, (4, 3), dtype), uniform(rng, (5, 3), dtype), uniform(rng, (5,), dtype)), name="2-d"),
            Sample((uniform(rng, (2, 4, 3), dtype), uniform(rng, (5, 3), dtype), uniform(rng, (5,), dtype)),
                   name="3-d"),
            Sample((uniform(rng, (3,), dtype), uniform(rng, (5, 3), dtype), uniform(rng, (5,), dtype)), name="1-d"),
            Sample((uniform(rng, (0, 3), dtype), uniform(rng, (5, 3), dtype), uniform(rng, (5,), dtype)),
                   name="empty"),
            Sample((uniform(rng, (4, 3), dtype), uniform(rng, (1, 3), dtype), uniform(rng, (1,), dtype)),
                   name="size-1")]


def _bilinear_samples(rng, dtype):
    return [Sample((uniform(rng, (4, 3), dtype), uniform(rng, (4, 2), dtype), uniform(rng, (5, 3, 2), dtype),
                    uniform(rng, (5,), dtype))),
            Sample((uniform(rng, (2, 4, 3), dtype), uniform(rng, (2, 4, 2), dtype), uniform(rng, (1, 3, 2), dtype)))]


def _bn_samples(rng, dtype):
    out = []
    for shape in ((6, 3), (4, 3, 5), (2, 3, 4, 4)):
        out.append(Sample((uniform(rng, shape, dtype), uniform(rng, (3,), dtype), uniform(rng, (3,), dtype)),
                          {"training": True}, f"train {shape}"))
        out.append(Sample((uniform(rng, shape, dtype), uniform(rng, (3,), dtype), uniform(rng, (3,), dtype)),
                          {"training": False}, f"eval {shape}"))
    return out


def _bn(lib, x, w, b, training):
    C = x.shape[1]
    rm = lib.from_numpy(np.linspace(-0.5, 0.5, C).astype(str(x.dtype).split(".")[-1]))
    rv = lib.from_numpy(np.linspace(0.5, 1.5, C).astype(str(x.dtype).split(".")[-1]))
    y = F(lib).batch_norm(x, rm, rv, w, b, training=training, momentum=0.3)
    return y, rm, rv


def _ln_samples(rng, dtype):
    return [Sample((uniform(rng, (3, 4), dtype), uniform(rng, (4,), dtype), uniform(rng, (4,), dtype)), {"ns": (4,)}),
            Sample((uniform(rng, (2, 3, 4), dtype), uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype)),
                   {"ns": (3, 4)}),
            Sample((uniform(rng, (0, 4), dtype), uniform(rng, (4,), dtype), uniform(rng, (4,), dtype)), {"ns": (4,)},
                   "empty")]


def _gn_samples(rng, dtype):
    return [Sample((uniform(rng, (2, 6, 3), dtype), uniform(rng, (6,), dtype), uniform(rng, (6,), dtype)), {"g": 3}),
            Sample((uniform(rng, (2, 4, 2, 2), dtype), uniform(rng, (4,), dtype), uniform(rng, (4,), dtype)),
                   {"g": 1}),
            Sample((uniform(rng, (3, 4, 5), dtype), uniform(rng, (4,), dtype), uniform(rng, (4,), dtype)), {"g": 4})]


def _in_samples(rng, dtype):
    return [Sample((uniform(rng, (2, 3, 5), dtype), uniform(rng, (3,), dtype), uniform(rng, (3,), dtype))),
            Sample((uniform(rng, (2, 3, 2, 3), dtype), uniform(rng, (3,), dtype), uniform(rng, (3,), dtype)))]


def _in(lib, x, w, b):
    C = x.shape[1]
    rm = lib.zeros(C, dtype=x.dtype)
    rv = lib.ones(C, dtype=x.dtype)
    return F(lib).instance_norm(x, rm, rv, w, b, momentum=0.2), rm, rv


def _x_samples(rng, dtype, shapes=((3, 4), (2, 3, 4), (1, 5), (4, 1))):
    return [Sample((uniform(rng, s, dtype),), name=str(s)) for s in shapes]


def _two_samples(rng, dtype):
    return [Sample((uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype)), name="same"),
            Sample((uniform(rng, (3, 4), dtype), uniform(rng, (4,), dtype)), name="broadcast"),
            Sample((uniform(rng, (2, 3, 4), dtype), uniform(rng, (2, 3, 4), dtype)), name="3-d")]


def _emb_samples(rng, dtype):
    idx = np.array([[0, 2, 4], [2, 2, 1]], dtype=np.int64)
    return [Sample((Const(idx), uniform(rng, (5, 3), dtype)), {}, "plain"),
            Sample((Const(idx), uniform(rng, (5, 3), dtype)), {"padding_idx": 2}, "padding_idx"),
            Sample((Const(idx), uniform(rng, (5, 3), dtype)), {"scale_grad_by_freq": True}, "freq"),
            Sample((Const(np.array(3, dtype=np.int64)), uniform(rng, (5, 3), dtype)), {}, "0-d index")]


def _emb_bag_samples(rng, dtype):
    idx = np.array([0, 2, 4, 2, 2, 1, 3], dtype=np.int64)
    off = np.array([0, 3, 3, 5], dtype=np.int64)
    return [Sample((Const(idx), uniform(rng, (5, 3), dtype), Const(off)), {"mode": m}, m)
            for m in ("sum", "mean", "max")]


def _lrn_samples(rng, dtype):
    return [Sample((uniform(rng, (2, 5, 3), dtype),), {"size": 3}), Sample((uniform(rng, (2, 6, 2, 2), dtype),),
                                                                           {"size": 2}),
            Sample((uniform(rng, (1, 4, 2, 2, 2), dtype),), {"size": 5})]


OPS = [
    _c("linear", lambda lib, x, w, b: F(lib).linear(x, w, b), _linear_samples),
    _c("linear_nobias", lambda lib, x, w, b: F(lib).linear(x, w) * 2, _linear_samples),
    _c("bilinear", lambda lib, a, b, w, bias=None: F(lib).bilinear(a, b, w, bias), _bilinear_samples),
    _c("batch_norm", _bn, _bn_samples, atol=1e-4, rtol=1e-4),
    _c("batch_norm_no_stats", lambda lib, x, w, b, training: F(lib).batch_norm(x, None, None, w, b, training=True),
       _bn_samples, atol=1e-4, rtol=1e-4),
    _c("layer_norm", lambda lib, x, w, b, ns: F(lib).layer_norm(x, ns, w, b, eps=1e-3), _ln_samples, atol=1e-4,
       rtol=1e-4),
    _c("layer_norm_plain", lambda lib, x, w, b, ns: F(lib).layer_norm(x, ns), _ln_samples, atol=1e-4, rtol=1e-4),
    _c("group_norm", lambda lib, x, w, b, g: F(lib).group_norm(x, g, w, b), _gn_samples, atol=1e-4, rtol=1e-4),
    _c("instance_norm", _in, _in_samples, atol=1e-4, rtol=1e-4),
    _c("local_response_norm", lambda lib, x, size: F(lib).local_response_norm(x, size, alpha=0.5, beta=0.7, k=1.5),
       _lrn_samples, noncontiguous=False),   # torch's own LRN fails on non-contiguous 4-D input (.view)
    _c("normalize", lambda lib, x: F(lib).normalize(x), _x_samples),
    _c("normalize_p1_dim", lambda lib, x: F(lib).normalize(x, p=1, dim=-1), _x_samples),
    _c("normalize_p3", lambda lib, x: F(lib).normalize(x, p=3, dim=0), _x_samples),
    _c("cosine_similarity", lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=-1), _two_samples),
    _c("pairwise_distance", lambda lib, a, b: F(lib).pairwise_distance(a, b), _two_samples),
    _c("pairwise_distance_p1", lambda lib, a, b: F(lib).pairwise_distance(a, b, p=1, keepdim=True), _two_samples,
       gradgrad=False),
    _c("embedding", lambda lib, i, w, **kw: F(lib).embedding(i(lib), w, **kw), _emb_samples),
    _c("embedding_bag", lambda lib, i, w, o, **kw: F(lib).embedding_bag(i(lib), w, o(lib), **kw), _emb_bag_samples,
       gradgrad=False),
    _c("one_hot", lambda lib, i: F(lib).one_hot(i(lib), 6),
       lambda rng, dtype: [Sample((Const(np.array([[0, 5], [3, 3]], dtype=np.int64)),))], grad=False,
       dtypes=("float64",)),
]
