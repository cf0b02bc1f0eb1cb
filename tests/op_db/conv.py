"""Convolutions: conv1d/2d/3d (stride, padding incl. 'same', dilation, groups, bias), conv_transpose1d/2d/3d
(output_padding, groups, dilation), unfold/fold. Custom samples: each op has its own shape rules."""
import warnings

from . import OpInfo, Sample, uniform


def _F(name):
    def fn(lib, *a, **k):
        if lib.__name__ == "torch":   # torch warns that padding='same' with even kernels copies the input
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Using padding='same'")
                return getattr(lib.nn.functional, name)(*a, **k)
        return getattr(lib.nn.functional, name)(*a, **k)
    return fn


def _conv_samples(nd):
    def samples(rng, dtype):
        u = lambda *s: uniform(rng, s, dtype)  # noqa: E731
        sp = (5, 4, 3)[:nd]
        ks = (3, 2, 2)[:nd]
        out = [
            Sample((u(2, 4, *sp), u(6, 4, *ks), u(6)), dict(stride=1, padding=1), "pad1 bias"),
            Sample((u(2, 4, *sp), u(6, 2, *ks)), dict(stride=2, padding=1, dilation=1, groups=2), "stride2 groups"),
            Sample((u(1, 3, *sp), u(3, 1, *ks)), dict(groups=3, padding="same"), "depthwise same"),
            Sample((u(3, *sp), u(2, 3, *ks)), dict(padding="valid"), "unbatched"),
            Sample((u(0, 2, *sp), u(3, 2, *ks)), {}, "empty batch"),
            Sample((u(2, 2, *(s + 2 for s in sp)), u(3, 2, *ks)), dict(dilation=2, padding=(1,) * nd), "dilated"),
        ]
        if nd == 2:
            out.append(Sample((u(2, 2, 6, 5), u(2, 2, 2, 3)), dict(padding="same", dilation=(1, 2)),
                              "same asymmetric"))
            out.append(Sample((u(1, 2, 6, 7), u(4, 1, 3, 1), u(4)), dict(stride=(2, 3), padding=(0, 1), groups=2),
                              "tuples"))
        return out
    return samples


def _convt_samples(nd):
    def samples(rng, dtype):
        u = lambda *s: uniform(rng, s, dtype)  # noqa: E731
        sp = (4, 3, 3)[:nd]
        ks = (3, 2, 2)[:nd]
        out = [
            Sample((u(2, 4, *sp), u(4, 3, *ks), u(3)), dict(stride=2, padding=1, output_padding=1), "stride2 opad"),
            Sample((u(2, 4, *sp), u(4, 1, *ks)), dict(groups=2, dilation=2, padding=1), "groups dilation"),
            Sample((u(4, *sp), u(4, 2, *ks)), {}, "unbatched"),
            Sample((u(1, 2, *sp), u(2, 2, *ks)), dict(stride=1, dilation=3, output_padding=2), "opad < dilation"),
        ]
        return out
    return samples


def _unfold_samples(rng, dtype):
    u = lambda *s: uniform(rng, s, dtype)  # noqa: E731
    return [Sample((u(2, 3, 5, 6),), dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))),
            Sample((u(3, 4, 4),), dict(kernel_size=2, stride=2), "unbatched")]


def _fold_samples(rng, dtype):
    u = lambda *s: uniform(rng, s, dtype)  # noqa: E731
    return [Sample((u(2, 12, 18),), dict(output_size=(5, 6), kernel_size=(2, 3), padding=1, stride=(2, 1))),
            Sample((u(8, 9),), dict(output_size=(4, 4), kernel_size=2, dilation=1, stride=1), "unbatched")]


def _T(name):
    def fn(lib, *a, **k):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Using padding='same'")
            return getattr(lib, name)(*a, **k)
    return fn


_tol = dict(atol=1e-4, rtol=1e-4, max_examples=1)

OPS = [
    OpInfo("nn.functional.conv1d", _F("conv1d"), kind="custom", samples=_conv_samples(1), **_tol),
    OpInfo("nn.functional.conv2d", _F("conv2d"), kind="custom", samples=_conv_samples(2), **_tol),
    OpInfo("nn.functional.conv3d", _F("conv3d"), kind="custom", samples=_conv_samples(3), **_tol),
    OpInfo("torch.conv2d", _T("conv2d"), kind="custom", samples=_conv_samples(2),
           gradgrad=False, noncontiguous=False, **_tol),
    OpInfo("nn.functional.conv_transpose1d", _F("conv_transpose1d"), kind="custom", samples=_convt_samples(1), **_tol),
    OpInfo("nn.functional.conv_transpose2d", _F("conv_transpose2d"), kind="custom", samples=_convt_samples(2), **_tol),
    OpInfo("nn.functional.conv_transpose3d", _F("conv_transpose3d"), kind="custom", samples=_convt_samples(3), **_tol),
    OpInfo("nn.functional.unfold", _F("unfold"), kind="custom", samples=_unfold_samples, **_tol),
    OpInfo("nn.functional.fold", _F("fold"), kind="custom", samples=_fold_samples, **_tol),
]
