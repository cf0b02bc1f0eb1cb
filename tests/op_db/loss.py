"""Losses (nn.functional): every reduction, class weights, ignore_index, label smoothing, K-dim inputs."""
import numpy as np

from . import OpInfo, Sample, uniform


def F(lib):
    return lib.nn.functional


def _targets(rng, shape, C, ignore=False):
    t = rng.integers(0, C, size=shape).astype(np.int64)
    if ignore and t.size > 1:
        t.reshape(-1)[0] = -100
    return t


def _pair_samples(rng, dtype):
    out = []
    for red in ("mean", "sum", "none"):
        out.append(Sample((uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype)), {"reduction": red}, red))
    out.append(Sample((uniform(rng, (), dtype), uniform(rng, (), dtype)), {"reduction": "mean"}, "0-d"))
    out.append(Sample((uniform(rng, (0, 3), dtype), uniform(rng, (0, 3), dtype)), {"reduction": "sum"}, "empty"))
    return out


def _weighted_pair_samples(rng, dtype):
    w = uniform(rng, (3, 4), dtype, (0.1, 1.0))
    return [Sample((uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype), w), {"reduction": r}, r)
            for r in ("mean", "sum", "none")]


def _ce_samples(rng, dtype, prob=False):
    s = []
    for red in ("mean", "sum", "none"):
        s.append(Sample((uniform(rng, (5, 4), dtype, (-3, 3)), _targets(rng, (5,), 4)), {"reduction": red}, red))
    s.append(Sample((uniform(rng, (5, 4), dtype, (-3, 3)), _targets(rng, (5,), 4, ignore=True)),
                    {"reduction": "mean"}, "ignore_index"))
    s.append(Sample((uniform(rng, (2, 3, 4, 2), dtype), _targets(rng, (2, 4, 2), 3, ignore=True)),
                    {"reduction": "none"}, "K-dim none"))
    s.append(Sample((uniform(rng, (2, 3, 4), dtype), _targets(rng, (2, 4), 3)), {"reduction": "mean"}, "K-dim"))
    s.append(Sample((uniform(rng, (4,), dtype), _targets(rng, (), 4)), {"reduction": "mean"}, "unbatched"))
    s.append(Sample((uniform(rng, (5, 4), dtype), _targets(rng, (5,), 4), Const(uniform(rng, (4,), dtype, (0.2, 2)))),
                    {"reduction": "mean"}, "weight"))
    s.append(Sample((uniform(rng, (2, 4, 3), dtype), _targets(rng, (2, 3), 4, ignore=True),
                     Const(uniform(rng, (4,), dtype, (0.2, 2)))), {"reduction": "sum"}, "weight K-dim"))
    s.append(Sample((uniform(rng, (1, 1), dtype), _targets(rng, (1,), 1)), {"reduction": "mean"}, "size-1"))
    return s


class Const:
    """A constant (non-differentiable) tensor argument, e.g. class weights."""

    def __init__(self, a):
        self.a = a

    def __call__(self, lib):
        return lib.from_numpy(self.a.copy())


def _w(lib, w):
    return None if w is None else w(lib)


def _ce(lib, x, t, w=None, **kw):
    return F(lib).cross_entropy(x, t, weight=_w(lib, w), **kw)


def _nll(lib, x, t, w=None, **kw):
    return F(lib).nll_loss(F(lib).log_softmax(x, 1 if x.dim() > 1 else 0), t, weight=_w(lib, w), **kw)


def _ce_ls(lib, x, t, w=None, **kw):
    return F(lib).cross_entropy(x, t, weight=_w(lib, w), label_smoothing=0.15, **kw)


def _prob_samples(rng, dtype):
    def probs(shape, axis):
        p = rng.uniform(0.1, 1, size=shape)
        return (p / p.sum(axis, keepdims=True)).astype(dtype)
    return [Sample((uniform(rng, (5, 4), dtype), probs((5, 4), 1)), {"reduction": r}, r) for r in ("mean", "none")] + \
        [Sample((uniform(rng, (2, 3, 4), dtype), probs((2, 3, 4), 1)), {"reduction": "sum"}, "K-dim"),
         Sample((uniform(rng, (2, 3), dtype), probs((2, 3), 1), Const(uniform(rng, (3,), dtype, (0.2, 2)))),
                {"reduction": "mean", "label_smoothing": 0.1}, "weight+smoothing")]


def _bce_samples(rng, dtype):
    out = []
    for red in ("mean", "sum", "none"):
        out.append(Sample((uniform(rng, (3, 4), dtype, (0.05, 0.95)), uniform(rng, (3, 4), dtype, (0, 1))),
                          {"reduction": red}, red))
    out.append(Sample((uniform(rng, (3, 4), dtype, (0.05, 0.95)), uniform(rng, (3, 4), dtype, (0, 1)),
                       Const(uniform(rng, (4,), dtype, (0.1, 2)))), {}, "weight"))
    return out


def _bce_logits_samples(rng, dtype):
    out = [Sample((uniform(rng, (3, 4), dtype, (-30, 30)), uniform(rng, (3, 4), dtype, (0, 1))),
                  {"reduction": r}, r) for r in ("mean", "none")]
    out.append(Sample((uniform(rng, (3, 4), dtype, (-5, 5)), uniform(rng, (3, 4), dtype, (0, 1)),
                       Const(uniform(rng, (4,), dtype, (0.1, 2))), Const(uniform(rng, (4,), dtype, (0.5, 3)))), {},
                      "weights"))
    return out


def _bce_logits(lib, x, t, w=None, pw=None, **kw):
    return F(lib).binary_cross_entropy_with_logits(x, t, weight=_w(lib, w), pos_weight=_w(lib, pw), **kw)


def _sign_target_samples(rng, dtype, shape=(3, 4)):
    t = np.where(rng.uniform(size=shape) > 0.5, 1.0, -1.0).astype(dtype)
    return [Sample((uniform(rng, shape, dtype), Const(t)), {"reduction": r}, r) for r in ("mean", "sum", "none")]


def _multilabel_samples(rng, dtype):
    t = (rng.uniform(size=(3, 5)) > 0.5).astype(dtype)
    return [Sample((uniform(rng, (3, 5), dtype), t), {"reduction": r}, r) for r in ("mean", "none")] + \
        [Sample((uniform(rng, (3, 5), dtype), t, uniform(rng, (5,), dtype, (0.1, 2))), {"reduction": "sum"}, "w")]


def _kl_samples(rng, dtype):
    p = rng.uniform(0.05, 1, size=(3, 4))
    p = (p / p.sum(1, keepdims=True)).astype(dtype)
    logq = np.log(rng.uniform(0.05, 1, size=(3, 4))).astype(dtype)
    return [Sample((logq, p), {"reduction": r}, r) for r in ("batchmean", "sum", "none")] + \
        [Sample((logq, np.log(p)), {"reduction": "batchmean", "log_target": True}, "log_target")]


def _poisson_samples(rng, dtype):
    t = Const(rng.integers(0, 5, size=(3, 4)).astype(dtype))   # torch's target grad is nan at 0 (log 0)
    return [Sample((uniform(rng, (3, 4), dtype, (-1, 1)), t), {"log_input": True}, "log"),
            Sample((uniform(rng, (3, 4), dtype, (0.2, 3)), t), {"log_input": False, "full": True}, "full"),
            Sample((uniform(rng, (3, 4), dtype, (-1, 1)), t), {"reduction": "none", "full": True}, "none")]


def _gauss_samples(rng, dtype):
    return [Sample((uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype, (0.1, 2))),
                   {}, "hetero"),
            Sample((uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype), uniform(rng, (3,), dtype, (0.1, 2))),
                   {"reduction": "sum", "full": True}, "homo"),
            Sample((uniform(rng, (3, 4), dtype), uniform(rng, (3, 4), dtype), uniform(rng, (3, 1), dtype, (0.1, 2))),
                   {"reduction": "none"}, "broadcast")]


def _three_samples(rng, dtype):
    t = np.where(rng.uniform(size=(5,)) > 0.5, 1.0, -1.0).astype(dtype)
    return [Sample((uniform(rng, (5,), dtype), uniform(rng, (5,), dtype), t), {"reduction": r, "margin": 0.2}, r)
            for r in ("mean", "none")]


def _cos_emb_samples(rng, dtype):
    t = np.where(rng.uniform(size=(5,)) > 0.5, 1.0, -1.0).astype(dtype)
    return [Sample((uniform(rng, (5, 3), dtype), uniform(rng, (5, 3), dtype), t), {"reduction": r, "margin": -0.5}, r)
            for r in ("mean", "none")]


def _multi_margin_samples(rng, dtype):
    return [Sample((uniform(rng, (4, 5), dtype), _targets(rng, (4,), 5)), {"p": p, "reduction": r}, f"p={p} {r}")
            for p, r in ((1, "mean"), (2, "none"))] + \
        [Sample((uniform(rng, (4, 5), dtype), _targets(rng, (4,), 5), Const(uniform(rng, (5,), dtype, (0.1, 2)))),
                {"margin": 0.5}, "weight")]


def _triplet_samples(rng, dtype):
    return [Sample((uniform(rng, (4, 3), dtype), uniform(rng, (4, 3), dtype), uniform(rng, (4, 3), dtype)),
                   {"swap": s, "p": p}, f"swap={s} p={p}") for s, p in ((False, 2), (True, 2), (False, 1))]


def _c(name, fn, samples, **kw):
    return OpInfo(name, fn, kind="custom", samples=samples, **kw)


_KINK = dict(atol=1e-4, rtol=1e-4)

OPS = [
    _c("mse_loss", lambda lib, a, b, **kw: F(lib).mse_loss(a, b, **kw), _pair_samples),
    _c("l1_loss", lambda lib, a, b, **kw: F(lib).l1_loss(a, b, **kw), _pair_samples),
    _c("mse_loss_weight", lambda lib, a, b, w, **kw: F(lib).mse_loss(a, b, weight=w, **kw), _weighted_pair_samples),
    _c("l1_loss_weight", lambda lib, a, b, w, **kw: F(lib).l1_loss(a, b, weight=w, **kw), _weighted_pair_samples),
    _c("smooth_l1_loss", lambda lib, a, b, **kw: F(lib).smooth_l1_loss(a, b, beta=0.5, **kw), _pair_samples),
    _c("huber_loss", lambda lib, a, b, **kw: F(lib).huber_loss(a, b, delta=0.7, **kw), _pair_samples),
    _c("huber_loss_weight", lambda lib, a, b, w, **kw: F(lib).huber_loss(a, b, weight=w, **kw),
       _weighted_pair_samples),
    _c("cross_entropy", _ce, _ce_samples),
    _c("cross_entropy_label_smoothing", _ce_ls, _ce_samples),
    _c("nll_loss", _nll, _ce_samples),
    _c("cross_entropy_probs", _ce, _prob_samples),
    _c("binary_cross_entropy", lambda lib, x, t, w=None, **kw: F(lib).binary_cross_entropy(x, t, weight=_w(lib, w), **kw),
       _bce_samples),
    _c("binary_cross_entropy_with_logits", _bce_logits, _bce_logits_samples),
    _c("soft_margin_loss", lambda lib, x, t, **kw: F(lib).soft_margin_loss(x, t(lib), **kw), _sign_target_samples),
    _c("hinge_embedding_loss", lambda lib, x, t, **kw: F(lib).hinge_embedding_loss(x, t(lib), margin=0.5, **kw),
       _sign_target_samples, **_KINK),
    _c("multilabel_soft_margin_loss",
       lambda lib, x, t, w=None, **kw: F(lib).multilabel_soft_margin_loss(x, t, weight=w, **kw), _multilabel_samples),
    _c("kl_div", lambda lib, x, t, **kw: F(lib).kl_div(x, t, **kw), _kl_samples),
    _c("poisson_nll_loss", lambda lib, x, t, **kw: F(lib).poisson_nll_loss(x, t(lib), **kw), _poisson_samples),
    _c("gaussian_nll_loss", lambda lib, x, t, v, **kw: F(lib).gaussian_nll_loss(x, t, v, **kw), _gauss_samples),
    _c("margin_ranking_loss", lambda lib, a, b, t, **kw: F(lib).margin_ranking_loss(a, b, t, **kw), _three_samples,
       **_KINK),
    _c("cosine_embedding_loss", lambda lib, a, b, t, **kw: F(lib).cosine_embedding_loss(a, b, t, **kw),
       _cos_emb_samples, **_KINK),
    _c("multi_margin_loss", lambda lib, x, t, w=None, **kw: F(lib).multi_margin_loss(x, t, weight=_w(lib, w), **kw),
       _multi_margin_samples, gradgrad=False, **_KINK),
    _c("triplet_margin_loss", lambda lib, a, pos, neg, **kw: F(lib).triplet_margin_loss(a, pos, neg, **kw),
       _triplet_samples, **_KINK),
]
