"""The fused recurrent layer ops of ``ember.ops.rnn`` (one Op per layer direction, all time steps), checked
against the same recurrence written with PyTorch ops (gradients and double gradients through torch autograd).
Inputs are laid out packed: step t owns ``batch_sizes[t]`` rows of ``gx``."""
from . import OpInfo, Sample, uniform


def _steps(bs, reverse):
    out, s = [], 0
    for b in bs:
        out.append((s, s + b, b))
        s += b
    return out[::-1] if reverse else out


def _run(lib, step, gx, states, bs, reverse):
    """The recurrence on packed rows, written with the library's ops only (the reference)."""
    B = states[0].shape[0]
    outs = {}
    for s, e, b in _steps(bs, reverse):
        new = step(gx[s:e], [st[:b] for st in states])
        outs[s] = new[0]
        states = [lib.cat([n, st[b:]]) if b < B else n for n, st in zip(new, states)]
    return (lib.cat([outs[k] for k in sorted(outs)]),) + tuple(states)


def _lstm_ref(lib, gx, h0, c0, w, *, batch_sizes, reverse):
    def step(g, st):
        h, c = st
        i, f, gg, o = (g + h.matmul(w.t())).chunk(4, 1)
        cn = f.sigmoid() * c + i.sigmoid() * gg.tanh()
        return [o.sigmoid() * cn.tanh(), cn]
    return _run(lib, step, gx, [h0, c0], batch_sizes, reverse)


def _lstm_proj_ref(lib, gx, h0, c0, w, wr, *, batch_sizes, reverse):
    def step(g, st):
        h, c = st
        i, f, gg, o = (g + h.matmul(w.t())).chunk(4, 1)
        cn = f.sigmoid() * c + i.sigmoid() * gg.tanh()
        return [(o.sigmoid() * cn.tanh()).matmul(wr.t()), cn]
    return _run(lib, step, gx, [h0, c0], batch_sizes, reverse)


def _gru_ref(lib, gx, h0, w, bh, *, batch_sizes, reverse):
    def step(g, st):
        h, = st
        xr, xz, xn = g.chunk(3, 1)
        hr, hz, hn = (h.matmul(w.t()) + bh).chunk(3, 1)
        r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return [n + z * (h - n)]
    return _run(lib, step, gx, [h0], batch_sizes, reverse)


def _rnn_ref(lib, gx, h0, w, *, batch_sizes, reverse, nonlinearity):
    def step(g, st):
        pre = g + st[0].matmul(w.t())
        return [pre.relu() if nonlinearity == "relu" else pre.tanh()]
    return _run(lib, step, gx, [h0], batch_sizes, reverse)


def _ops(lib):
    import ember.ops.rnn as R
    return R


def _samples(G, extra=(), H=3, P=None):
    P = P or H

    def samples(rng, dtype):
        out = []
        for bs, rev in [((2, 2, 2), False), ((3, 2, 2, 1), True), ((3, 1), False), ((2,), False)]:
            B, N = bs[0], sum(bs)
            args = [uniform(rng, (N, G * H), dtype), uniform(rng, (B, P), dtype, (-1, 1))]
            if G == 4:
                args.append(uniform(rng, (B, H), dtype, (-1, 1)))
            args.append(uniform(rng, (G * H, P), dtype, (-0.7, 0.7)))
            for shape in extra:
                args.append(uniform(rng, shape, dtype, (-0.7, 0.7)))
            out.append(Sample(tuple(args), {"batch_sizes": bs, "reverse": rev}, f"bs={bs} reverse={rev}"))
        return out
    return samples


OPS = [
    OpInfo("rnn.lstm_layer", lambda lib, *a, **k: _ops(lib).lstm_layer(*a, **k), kind="custom",
           samples=_samples(4), torch_fn=_lstm_ref, noncontiguous=True, max_examples=2),
    OpInfo("rnn.lstm_layer_proj", lambda lib, *a, **k: _ops(lib).lstm_layer(*a, **k), kind="custom",
           samples=_samples(4, extra=[(2, 3)], P=2), torch_fn=_lstm_proj_ref, max_examples=2),
    OpInfo("rnn.gru_layer", lambda lib, *a, **k: _ops(lib).gru_layer(*a, **k), kind="custom",
           samples=_samples(3, extra=[(9,)]), torch_fn=_gru_ref, max_examples=2),
    OpInfo("rnn.rnn_tanh_layer", lambda lib, *a, **k: _ops(lib).rnn_layer(*a, nonlinearity="tanh", **k),
           kind="custom", samples=_samples(1), torch_fn=lambda lib, *a, **k: _rnn_ref(lib, *a, nonlinearity="tanh",
                                                                                      **k), max_examples=2),
    OpInfo("rnn.rnn_relu_layer", lambda lib, *a, **k: _ops(lib).rnn_layer(*a, nonlinearity="relu", **k),
           kind="custom", samples=_samples(1), torch_fn=lambda lib, *a, **k: _rnn_ref(lib, *a, nonlinearity="relu",
                                                                                      **k), max_examples=2),
]
