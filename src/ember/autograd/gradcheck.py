"""float64 finite-difference checks of gradients (and of gradients of gradients).

A random direction keeps it cheap: compare the analytic directional derivative ``<v, J u>`` with
``(f(x + eps u) - f(x - eps u)) / 2 eps`` projected on ``v``, for a random upstream ``v`` and direction ``u``.
With ``fast_mode=False`` every input element is perturbed (the full Jacobian, column by column).
"""
import numpy as np


class GradcheckError(RuntimeError):
    pass


def _inputs_needing_grad(inputs):
    from .._tensor import Tensor
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _flat_outputs(out):
    from .._tensor import Tensor
    if isinstance(out, Tensor):
        return [out]
    return [o for o in out if isinstance(o, Tensor) and o.dtype.is_floating_point]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, fast_mode=True,
              seed=0, **_ignored):
    """Check the gradients of ``func`` at ``inputs`` (float64 tensors that require grad) by finite differences."""
    from .._tensor import Tensor
    from . import grad as autograd_grad
    from .._config import no_grad
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    idx = _inputs_needing_grad(inputs)
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in idx:
        if inputs[i].dtype.name != "float64":
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "The gradient check may fail due to lack of precision.", UserWarning)
    rng = np.random.default_rng(seed)
    outs = _flat_outputs(func(*inputs))
    vs = [Tensor._make(rng.standard_normal(o.shape)).to(o.dtype) for o in outs]
    diff_outs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not diff_outs:
        raise GradcheckError("gradcheck: no output requires grad")
    analytic = autograd_grad([o for o, _ in diff_outs], [inputs[i] for i in idx], [v for _, v in diff_outs],
                             allow_unused=True)

    def projected(args):
        # grad mode stays on: ``func`` may itself differentiate (gradgradcheck's first gradient)
        os_ = _flat_outputs(func(*args))
        with no_grad():
            return sum(float((o.detach().double() * v.double()).sum()) for o, v in zip(os_, vs))

    for k, i in enumerate(idx):
        x = inputs[i]
        a = analytic[k]
        a = np.zeros(x.shape) if a is None else a.detach().double().numpy()
        directions = ([rng.standard_normal(x.shape)] if fast_mode else
                      [np.eye(x.numel())[j].reshape(x.shape) for j in range(x.numel())])
        for u in directions:
            xp = x.detach().double().numpy() + eps * u
            xm = x.detach().double().numpy() - eps * u
            args_p = list(inputs)
            args_m = list(inputs)
            args_p[i] = Tensor._make(xp).to(x.dtype).requires_grad_()
            args_m[i] = Tensor._make(xm).to(x.dtype).requires_grad_()
            numeric = (projected(args_p) - projected(args_m)) / (2 * eps)
            analytic_dir = float((a * u).sum())
            if not np.isclose(analytic_dir, numeric, atol=atol, rtol=rtol):
                msg = (f"Jacobian mismatch for output 0 with respect to input {i},\n"
                       f"numerical:{numeric}\nanalytical:{analytic_dir}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  seed=0, **_ignored):
    """Check second derivatives: finite differences of the (create_graph) first gradient."""
    from .._tensor import Tensor
    from . import grad as autograd_grad
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    idx = _inputs_needing_grad(inputs)
    rng = np.random.default_rng(seed + 1)
    outs = _flat_outputs(func(*inputs))
    if grad_outputs is None:
        grad_outputs = [Tensor._make(rng.standard_normal(o.shape)).to(o.dtype).requires_grad_() for o in outs]

    def first_grad(*args):
        xs = args[:len(inputs)]
        gos = args[len(inputs):]
        os_ = _flat_outputs(func(*xs))
        gs = autograd_grad(os_, [xs[i] for i in idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed + 2)
