"""Recurrent layers: RNN, GRU, LSTM (multi-layer, bidirectional, batch_first, projections, PackedSequence) and the
single-step cells, with PyTorch's constructor arguments, parameter names, initialisation and errors.

Speed: per layer and direction, the inputs of every time step are projected with ONE ``addmm``
(``x @ W_ih^T + b``); the recurrence itself is one fused Op (``ember.ops.rnn``) whose forward and hand-written
backward loop over the steps in NumPy. So a layer costs a handful of graph nodes, not a few per time step.
"""
import math
import numbers
import warnings

from ..._tensor import Tensor
from ...ops import rnn as _ops
from .. import init
from ..parameter import Parameter
from .module import Module
from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _E():
    import ember
    return ember


def _F():
    from .. import functional
    return functional


_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _apply_permutation(t, perm, dim=1):
    return t.index_select(dim, perm)


class RNNBase(Module):
    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers="
                          f"{num_layers}")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        gate_size = _GATES[mode] * hidden_size

        self._flat_weights_names = []
        self._all_weights = []
        from ...ops.creation import empty
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden = proj_size if proj_size > 0 else hidden_size
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                w_ih = Parameter(empty((gate_size, layer_input), **factory_kwargs))
                w_hh = Parameter(empty((gate_size, real_hidden), **factory_kwargs))
                b_ih = Parameter(empty(gate_size, **factory_kwargs))
                b_hh = Parameter(empty(gate_size, **factory_kwargs))
                if proj_size == 0:
                    params = (w_ih, w_hh, b_ih, b_hh) if bias else (w_ih, w_hh)
                else:
                    w_hr = Parameter(empty((proj_size, hidden_size), **factory_kwargs))
                    params = (w_ih, w_hh, b_ih, b_hh, w_hr) if bias else (w_ih, w_hh, w_hr)
                suffix = "_reverse" if direction == 1 else ""
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    names += ["weight_hr_l{}{}"]
                names = [x.format(layer, suffix) for x in names]
                for name, param in zip(names, params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, w) for w in weights] for weights in self._all_weights]

    def flatten_parameters(self):
        pass

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        self.__dict__.update(state)

    # ------------------------------------------------------------------------------------------ checks
    def _name(self):
        return {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)

    def _check_input(self, input, batch_sizes):
        if batch_sizes is None and input.dim() not in (2, 3):
            raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")

    def _expected_hidden_size(self, input, batch_sizes):
        mini_batch = int(batch_sizes[0]) if batch_sizes is not None else \
            (input.shape[0] if self.batch_first else input.shape[1])
        D = 2 if self.bidirectional else 1
        out = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * D, mini_batch, out)

    @staticmethod
    def _check_hidden_size(hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.shape)))

    # ------------------------------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        E = _E()
        is_lstm = self.mode == "LSTM"
        D = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        sorted_indices = unsorted_indices = None
        if packed:
            data, bs_t, sorted_indices, unsorted_indices = input
            batch_sizes = [int(b) for b in bs_t._data.tolist()]
            self._check_input(data, batch_sizes)
            max_batch = batch_sizes[0]
            x = data
            is_batched = True
        else:
            batch_sizes = None
            if not isinstance(input, Tensor):
                raise TypeError(f"{self._name()}: expected input to be a Tensor or PackedSequence, got "
                                f"{type(input).__name__}")
            if input.dim() not in (2, 3):
                raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.dim()}D instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(1)
                self._check_unbatched_hx(hx, is_lstm)
                if hx is not None:
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if is_lstm else hx.unsqueeze(1)
            else:
                self._check_batched_hx(hx, is_lstm)
            if self.batch_first and is_batched:
                input = input.transpose(0, 1)
            self._check_input(input, None)
            T, max_batch = input.shape[0], input.shape[1]
            batch_sizes = [max_batch] * T
            x = input.reshape(T * max_batch, input.shape[2])

        H = self.hidden_size
        Hout = self.proj_size if self.proj_size > 0 else H
        if hx is None:
            h0 = E.zeros((self.num_layers * D, max_batch, Hout), dtype=x.dtype, device=x.device)
            c0 = E.zeros((self.num_layers * D, max_batch, H), dtype=x.dtype, device=x.device) if is_lstm else None
        else:
            if is_lstm:
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            if sorted_indices is not None:
                h0 = _apply_permutation(h0, sorted_indices)
                if c0 is not None:
                    c0 = _apply_permutation(c0, sorted_indices)
            exp = (self.num_layers * D, max_batch, Hout)
            if is_lstm:
                self._check_hidden_size(h0, exp, "Expected hidden[0] size {}, got {}")
                self._check_hidden_size(c0, (self.num_layers * D, max_batch, H), "Expected hidden[1] size {}, got {}")
            else:
                self._check_hidden_size(h0, exp)

        out, h_n, c_n = self._run(x, h0, c0, batch_sizes)

        if packed:
            output = PackedSequence(out, bs_t, sorted_indices, unsorted_indices)
        else:
            output = out.reshape(len(batch_sizes), max_batch, out.shape[-1])
            if self.batch_first and is_batched:
                output = output.transpose(0, 1)
            if not is_batched:
                output = output.squeeze(1)
        if unsorted_indices is not None:
            h_n = _apply_permutation(h_n, unsorted_indices)
            if c_n is not None:
                c_n = _apply_permutation(c_n, unsorted_indices)
        if not is_batched:
            h_n = h_n.squeeze(1)
            if c_n is not None:
                c_n = c_n.squeeze(1)
        return (output, (h_n, c_n)) if is_lstm else (output, h_n)

    def _check_unbatched_hx(self, hx, is_lstm):
        if hx is None:
            return
        if is_lstm:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        elif hx.dim() != 2:
            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")

    def _check_batched_hx(self, hx, is_lstm):
        if hx is None:
            return
        if is_lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM: expected hx to be a tuple (h_0, c_0)")
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        elif hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")

    def _run(self, x, h0, c0, batch_sizes):
        """All layers and directions on packed rows ``x`` (N, I): returns out (N, D*Hout), h_n, c_n."""
        E = _E()
        F = _F()
        D = 2 if self.bidirectional else 1
        mode = self.mode
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                w_ih = getattr(self, "weight_ih" + sfx)
                w_hh = getattr(self, "weight_hh" + sfx)
                b_ih = getattr(self, "bias_ih" + sfx) if self.bias else None
                b_hh = getattr(self, "bias_hh" + sfx) if self.bias else None
                k = layer * D + d
                h_init = h0[k]
                rev = d == 1
                if mode == "GRU":
                    gx = E.addmm(b_ih, x, w_ih.t()) if b_ih is not None else x.matmul(w_ih.t())
                    bh = b_hh if b_hh is not None else E.zeros(w_hh.shape[0], dtype=x.dtype, device=x.device)
                    o, hn = _ops.gru_layer(gx, h_init, w_hh, bh, batch_sizes=batch_sizes, reverse=rev)
                else:
                    gx = E.addmm(b_ih + b_hh, x, w_ih.t()) if b_ih is not None else x.matmul(w_ih.t())
                    if mode == "LSTM":
                        w_hr = getattr(self, "weight_hr" + sfx) if self.proj_size > 0 else None
                        o, hn, cn = _ops.lstm_layer(gx, h_init, c0[k], w_hh, w_hr, batch_sizes=batch_sizes,
                                                    reverse=rev)
                        cs.append(cn)
                    else:
                        o, hn = _ops.rnn_layer(gx, h_init, w_hh, batch_sizes=batch_sizes, reverse=rev,
                                               nonlinearity="relu" if mode == "RNN_RELU" else "tanh")
                outs.append(o)
                hs.append(hn)
            x = outs[0] if D == 1 else E.cat(outs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = E.stack(hs, 0)
        c_n = E.stack(cs, 0) if cs else None
        return x, h_n, c_n


class RNN(RNNBase):
    """Elman RNN with ``tanh`` or ``relu``: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o; ``proj_size`` > 0 projects h with ``weight_hr``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        from ...ops.creation import empty
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **factory_kwargs))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input, hx_list):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for h in hx_list:
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                               f"{self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(self.weight_ih.dtype)} but found "
                               f"{_scalar_name(input.dtype)}")
        E = _E()
        B = input.shape[0]
        out = []
        for i, h in enumerate(hx_list):
            if h is None:
                h = E.zeros((B, self.hidden_size), dtype=input.dtype, device=input.device)
            else:
                if not batched:
                    h = h.unsqueeze(0)
                if h.shape[0] != B:
                    raise RuntimeError(f"Input batch size {B} doesn't match hidden{i} batch size {h.shape[0]}")
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                       f"{self.hidden_size}")
            out.append(h)
        return input, out, batched

    def _gx(self, x, fold_hh_bias=True):
        E = _E()
        if self.bias_ih is None:
            return x.matmul(self.weight_ih.t())
        b = self.bias_ih + self.bias_hh if fold_hh_bias else self.bias_ih
        return E.addmm(b, x, self.weight_ih.t())


def _scalar_name(dt):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}.get(
        str(dt).replace("torch.", "").replace("ember.", ""), str(dt))


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        x, (h,), batched = self._prepare(input, [hx])
        _, hn = _ops.rnn_layer(self._gx(x), h, self.weight_hh, batch_sizes=(x.shape[0],),
                               nonlinearity=self.nonlinearity)
        return hn if batched else hn.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        x, (h, c), batched = self._prepare(input, list(hx))
        _, hn, cn = _ops.lstm_layer(self._gx(x), h, c, self.weight_hh, batch_sizes=(x.shape[0],))
        if not batched:
            return hn.squeeze(0), cn.squeeze(0)
        return hn, cn


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        E = _E()
        x, (h,), batched = self._prepare(input, [hx])
        bh = self.bias_hh if self.bias_hh is not None else \
            E.zeros(3 * self.hidden_size, dtype=x.dtype, device=x.device)
        _, hn = _ops.gru_layer(self._gx(x, fold_hh_bias=False), h, self.weight_hh, bh, batch_sizes=(x.shape[0],))
        return hn if batched else hn.squeeze(0)
