"""User-defined ``autograd.Function`` against PyTorch: the same Function class body is written once per library."""
import numpy as np
import pytest
import torch

import ember


def npy(t):
    return t.detach().numpy()


def conv(r):
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        return npy(r)
    if isinstance(r, (tuple, list)):
        return [conv(x) for x in r]
    return r


def assert_same(fn, atol=1e-6):
    t, e = conv(fn(torch)), conv(fn(ember))
    _eq(t, e, atol)


def _eq(t, e, atol):
    if isinstance(t, list):
        assert isinstance(e, list) and len(t) == len(e), (t, e)
        for a, b in zip(t, e):
            _eq(a, b, atol)
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray), (t, e)
        assert t.shape == e.shape and t.dtype == e.dtype, (t.shape, e.shape, t.dtype, e.dtype)
        np.testing.assert_allclose(e, t, atol=atol, rtol=1e-5)
    else:
        assert t == e, (t, e)


def raises_same(fn, match=None):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert type(ee.value).__name__ == type(te.value).__name__, (te.value, ee.value)
    if match is not None:
        assert match in str(te.value), str(te.value)
        assert match in str(ee.value), str(ee.value)


# ------------------------------------------------------------------------------------------ Function classes
def make_exp(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y
    return Exp


def make_scale(lib):
    class Scale(lib.autograd.Function):
        """Non-tensor arguments: backward returns None for them."""
        @staticmethod
        def forward(ctx, x, factor, w, flag=True):
            ctx.factor = factor
            ctx.save_for_backward(x, w)
            return x * w * factor

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            gx = g * w * ctx.factor if ctx.needs_input_grad[0] else None
            gw = g * x * ctx.factor if ctx.needs_input_grad[2] else None
            return gx, None, gw, None
    return Scale


def make_two_out(lib):
    class SinCos(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            x, = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()
    return SinCos


def make_cube(lib):
    class Cube(lib.autograd.Function):
        """backward written in differentiable ops: double backward works."""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x * x
    return Cube


def test_forward_backward_saved_tensors():
    def f(lib):
        x = lib.tensor([0.5, 1.0, -2.0], requires_grad=True)
        y = make_exp(lib).apply(x)
        (y * y).sum().backward()
        return y, x.grad, y.grad_fn is not None, y.requires_grad
    assert_same(f)


def test_grad_fn_name():
    e = make_exp(ember).apply(ember.tensor([1.0], requires_grad=True))
    t = make_exp(torch).apply(torch.tensor([1.0], requires_grad=True))
    assert e.grad_fn.name() == t.grad_fn.name() == "ExpBackward"


def test_non_tensor_args_and_needs_input_grad():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0])
        seen = []
        Scale = make_scale(lib)

        class Spy(Scale):
            @staticmethod
            def backward(ctx, g):
                seen.append(tuple(ctx.needs_input_grad))
                return Scale.backward(ctx, g)
        y = Spy.apply(x, 2.5, w, False)
        y.sum().backward()
        return x.grad, seen
    assert_same(f)


def test_no_input_requires_grad():
    def f(lib):
        y = make_exp(lib).apply(lib.tensor([1.0]))
        return y.requires_grad, y.grad_fn is None
    assert_same(f)


def test_under_no_grad():
    def f(lib):
        with lib.no_grad():
            y = make_exp(lib).apply(lib.tensor([1.0], requires_grad=True))
        return y.requires_grad
    assert_same(f)


def test_several_outputs():
    def f(lib):
        x = lib.tensor([0.3, 1.2], requires_grad=True)
        s, c = make_two_out(lib).apply(x)
        (s * 2 + c * 3).sum().backward()
        g1 = x.grad.clone()
        x.grad = None
        s, c = make_two_out(lib).apply(x)
        s.sum().backward()   # the cos output gets no gradient: materialized as zeros
        return g1, x.grad
    assert_same(f)


def test_set_materialize_grads_false():
    def f(lib):
        seen = []

        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                seen.append((g1 is None, g2 is None))
                out = 0
                if g1 is not None:
                    out = out + g1 * 2
                if g2 is not None:
                    out = out + g2 * 3
                return out
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = F.apply(x)
        a.sum().backward()
        return x.grad, seen
    assert_same(f)


def test_mark_non_differentiable():
    def f(lib):
        class SortVals(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                idx = x.argsort() if hasattr(x, "argsort") else None
                mask = x > 0
                ctx.mark_non_differentiable(mask)
                ctx.save_for_backward(mask)
                return x * 2, mask

            @staticmethod
            def backward(ctx, g, gmask):
                mask, = ctx.saved_tensors
                return g * 2
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        y, m = SortVals.apply(x)
        y.sum().backward()
        return m.requires_grad, y.requires_grad, x.grad

    def g(lib):
        class Half(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                a, b = x * 2, x * 3
                ctx.mark_non_differentiable(b)
                return a, b

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = Half.apply(x)
        return a.requires_grad, b.requires_grad, b.grad_fn is None
    assert_same(f)
    assert_same(g)


def test_mark_dirty():
    def f(lib):
        class AddOneInplace(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        x = a * 2
        y = AddOneInplace.apply(x)
        same = y is x
        (y * y).sum().backward()
        return same, x, a.grad
    assert_same(f)


def test_mark_dirty_on_leaf_raises():
    def f(lib):
        class AddOneInplace(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        AddOneInplace.apply(lib.tensor([1.0, 2.0], requires_grad=True))
    raises_same(f, "a leaf Variable that requires grad")


def test_once_differentiable():
    def f(lib):
        class Sq(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                assert not lib.is_grad_enabled()
                return 2 * g * x
        x = lib.tensor([1.0, 3.0], requires_grad=True)
        g, = lib.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
        with pytest.raises(RuntimeError):   # both refuse the second derivative
            lib.autograd.grad(g.sum(), x)
        return g
    assert_same(f)


def test_double_backward_through_function():
    def f(lib):
        x = lib.tensor([0.5, -1.5], requires_grad=True, dtype=lib.float64)
        y = make_cube(lib).apply(x)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x, create_graph=True)
        ggg, = lib.autograd.grad(gg.sum(), x)
        return g, gg, ggg
    assert_same(f)


def test_gradcheck_and_gradgradcheck():
    Cube = make_cube(ember)
    x = ember.tensor([0.5, -1.5, 2.0], requires_grad=True, dtype=ember.float64)
    assert ember.autograd.gradcheck(Cube.apply, (x,))
    assert ember.autograd.gradgradcheck(Cube.apply, (x,))
    Scale = make_scale(ember)
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda a, b: Scale.apply(a, 1.5, b), (x, w))


def test_gradcheck_catches_wrong_backward():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x   # should be 2 * g * x
    x = ember.tensor([0.5, -1.5], requires_grad=True, dtype=ember.float64)
    with pytest.raises(RuntimeError):
        ember.autograd.gradcheck(Bad.apply, (x,))
    assert ember.autograd.gradcheck(Bad.apply, (x,), raise_exception=False) is False


def test_wrong_number_of_gradients():
    def f(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g
        x = lib.tensor([1.0], requires_grad=True)
        F.apply(x, lib.tensor([2.0])).sum().backward()
    raises_same(f, "incorrect number of gradients")


def test_saved_tensors_freed_after_backward():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = make_exp(lib).apply(x).sum()
        y.backward()
        y.backward()
    raises_same(f, "Trying to backward through the graph a second time")


def test_saved_tensor_modified_inplace():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = make_exp(lib).apply(x)
        y.mul_(2)
        y.sum().backward()
    raises_same(f, "modified by an inplace operation")


def test_function_output_used_in_graph():
    def f(lib):
        x = lib.tensor([0.1, 0.2], requires_grad=True)
        w = lib.tensor([1.0, -1.0], requires_grad=True)
        Exp, Scale = make_exp(lib), make_scale(lib)
        h = Exp.apply(x * w)
        z = Scale.apply(h, 3.0, w)
        (z.sin()).sum().backward()
        return x.grad, w.grad
    assert_same(f)


def test_forward_returns_input_unchanged():
    def f(lib):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 5
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = Ident.apply(x)
        y.sum().backward()
        return y is x, y.is_leaf, x.grad
    assert_same(f)


def test_forward_runs_without_grad():
    def f(lib):
        seen = []

        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                seen.append(lib.is_grad_enabled())
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        F.apply(lib.tensor([1.0], requires_grad=True))
        return seen
    assert_same(f)


def test_backward_returns_wrong_type():
    def f(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return 3
        F.apply(lib.tensor([1.0], requires_grad=True)).sum().backward()
    raises_same(f)
