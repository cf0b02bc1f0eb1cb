"""Activations, softmax family, erf/erfc/erfinv, glu/prelu, deterministic dropout cases (nn.functional)."""
import numpy as np

from . import OpInfo, Sample, uniform


def F(lib):
    return lib.nn.functional


def _near(*points, eps=0.05):
    return lambda x: np.any([np.abs(x - p) < eps for p in points], axis=0)


def _u(name, fn, **kw):
    return OpInfo(name, fn, kind="unary", **kw)


def _dim_samples(rng, dtype):
    return [Sample((uniform(rng, (3, 4, 5), dtype, (-3, 3)),), {"dim": d}, f"dim={d}") for d in (0, 1, -1)] + \
        [Sample((uniform(rng, (), dtype, (-3, 3)),), {"dim": 0}, "0-d"),
         Sample((uniform(rng, (0, 4), dtype),), {"dim": 1}, "empty"),
         Sample((uniform(rng, (2, 1, 3), dtype, (-3, 3)),), {"dim": 1}, "size-1 dim"),
         Sample((uniform(rng, (4,), dtype, (-30, 30)),), {"dim": 0}, "large")]


def _glu_samples(rng, dtype):
    return [Sample((uniform(rng, (3, 4), dtype),), {"dim": -1}), Sample((uniform(rng, (2, 6, 1), dtype),),
                                                                       {"dim": 1}),
            Sample((uniform(rng, (0, 4), dtype),), {"dim": 1})]


def _prelu_samples(rng, dtype):
    def x(shape):
        a = uniform(rng, shape, dtype)
        a[np.abs(a) < 0.05] += 0.1
        return a
    return [Sample((x((2, 3, 4)), uniform(rng, (3,), dtype, (0.1, 0.5))), name="channels"),
            Sample((x((2, 3)), uniform(rng, (1,), dtype, (0.1, 0.5))), name="single"),
            Sample((x((5,)), uniform(rng, (1,), dtype, (0.1, 0.5))), name="1-d"),
            Sample((x(()), uniform(rng, (1,), dtype, (0.1, 0.5))), name="0-d")]


OPS = [
    _u("erf", lambda lib, x: lib.erf(x), domain=(-3, 3)),
    _u("erfc", lambda lib, x: lib.erfc(x), domain=(-3, 3)),
    _u("erfinv", lambda lib, x: lib.erfinv(x), domain=(-0.95, 0.95), atol=1e-4, rtol=1e-4),
    _u("erf_method", lambda lib, x: x.erf() + x.erfc()),
    _u("relu", lambda lib, x: F(lib).relu(x), avoid=_near(0)),
    _u("torch_relu", lambda lib, x: lib.relu(x) + x.relu(), avoid=_near(0)),
    _u("relu6", lambda lib, x: F(lib).relu6(x * 4), avoid=_near(0, 1.5)),
    _u("hardtanh", lambda lib, x: F(lib).hardtanh(x, -0.5, 1.0), avoid=_near(-0.5, 1.0)),
    _u("leaky_relu", lambda lib, x: F(lib).leaky_relu(x, 0.2), avoid=_near(0)),
    _u("threshold", lambda lib, x: F(lib).threshold(x, 0.3, -2.0), avoid=_near(0.3)),
    _u("hardshrink", lambda lib, x: F(lib).hardshrink(x, 0.4), avoid=_near(0.4, -0.4)),
    _u("softshrink", lambda lib, x: F(lib).softshrink(x, 0.4), avoid=_near(0.4, -0.4)),
    _u("hardsigmoid", lambda lib, x: F(lib).hardsigmoid(x * 2), avoid=_near(1.5, -1.5), gradgrad=False),
    _u("hardswish", lambda lib, x: F(lib).hardswish(x * 2), avoid=_near(1.5, -1.5)),
    _u("elu", lambda lib, x: F(lib).elu(x, alpha=0.7), avoid=_near(0)),
    _u("selu", lambda lib, x: F(lib).selu(x) + lib.selu(x), avoid=_near(0)),
    _u("celu", lambda lib, x: F(lib).celu(x, alpha=1.5), avoid=_near(0)),
    _u("gelu", lambda lib, x: F(lib).gelu(x), domain=(-4, 4)),
    _u("gelu_tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh"), domain=(-4, 4)),
    _u("silu", lambda lib, x: F(lib).silu(x), domain=(-6, 6)),
    _u("mish", lambda lib, x: F(lib).mish(x), domain=(-6, 6)),
    _u("softplus", lambda lib, x: F(lib).softplus(x), domain=(-6, 6)),
    _u("softplus_beta", lambda lib, x: F(lib).softplus(x, beta=2, threshold=3), domain=(-3, 3),
       avoid=_near(1.5)),
    _u("softsign", lambda lib, x: F(lib).softsign(x), avoid=_near(0)),
    _u("logsigmoid", lambda lib, x: F(lib).logsigmoid(x), domain=(-20, 20)),
    _u("tanhshrink", lambda lib, x: F(lib).tanhshrink(x)),
    _u("sigmoid_tanh_functional", lambda lib, x: F(lib).sigmoid(x) * F(lib).tanh(x)),
    _u("rrelu_eval", lambda lib, x: F(lib).rrelu(x), avoid=_near(0)),
    _u("dropout_eval", lambda lib, x: F(lib).dropout(x, 0.3, training=False) * 2),
    _u("dropout_p0", lambda lib, x: F(lib).dropout(x, 0.0) * 2),
    _u("dropout_p1", lambda lib, x: F(lib).dropout(x, 1.0) + x),
    _u("alpha_dropout_eval", lambda lib, x: F(lib).alpha_dropout(x, 0.3) * 2),
    OpInfo("softmax", lambda lib, x, dim: F(lib).softmax(x, dim), kind="custom", samples=_dim_samples),
    OpInfo("log_softmax", lambda lib, x, dim: F(lib).log_softmax(x, dim), kind="custom", samples=_dim_samples),
    OpInfo("softmin", lambda lib, x, dim: F(lib).softmin(x, dim=dim), kind="custom", samples=_dim_samples),
    OpInfo("softmax_method", lambda lib, x, dim: x.softmax(dim) + lib.log_softmax(x, dim, dtype=lib.float64).float(),
           kind="custom", samples=_dim_samples),
    OpInfo("glu", lambda lib, x, dim: F(lib).glu(x, dim), kind="custom", samples=_glu_samples),
    OpInfo("prelu", lambda lib, x, w: F(lib).prelu(x, w), kind="custom", samples=_prelu_samples),
]
