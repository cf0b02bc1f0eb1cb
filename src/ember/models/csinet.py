"""CsiNet (Wen, Shih & Jin 2018, "Deep Learning for Massive MIMO CSI Feedback"): a convolutional autoencoder
that compresses a channel matrix at the user equipment into a codeword of ``encoded_dim`` (M) numbers and
reconstructs it at the base station.

The input is the angular-delay channel matrix as 2 channels (real, imaginary) of 32×32, scaled to [0, 1]
(the dataset's values + 0.5); the output has the same shape, through a sigmoid.

    encoder: conv 3×3 (2→2) + BN + LeakyReLU(0.3) → flatten (2048) → dense → codeword (M)
    decoder: dense (M → 2048) → reshape 2×32×32 → 2 RefineNet blocks → conv 3×3 (2→2) → sigmoid
    RefineNet block: conv 3×3 2→8 → 8→16 → 16→2 (BN, LeakyReLU between) + the block's input, LeakyReLU

Initialisation (ember's, not the paper's; the architecture is unchanged): the decoder starts as the identity
path ``x̂ ≈ 0.5 + lrelu(lrelu(dense(code)))`` with the dense layer at zero, i.e. it first predicts exactly 0.5
(0 dB) and learns like a linear autoencoder, the RefineNet blocks growing in from there: the dense decoder
layer is zero, the last batch norm of each RefineNet block has γ = 0 (a "zero-init residual") and the final
convolution is a centred delta times 4 (``sigmoid(4z) ≈ 0.5 + z`` near 0.5). With PyTorch's default
initialisation instead, the random decoder's output noise is ~20 dB above the (small) channel deviations and
a few minutes of CPU training do not get below 0 dB. ``reset_parameters()`` reapplies it.

The compression ratio is ``2048 / M`` (M = 512, 128, 64, 32 in the paper: 1/4 ... 1/64). ``nmse`` measures the
reconstruction in dB, as the paper reports it.
"""
from __future__ import annotations

import math

import numpy as np

from .. import nn
from .._tensor import Tensor
from ..autograd import no_grad as _no_grad
from . import register_model

__all__ = ["CsiNet", "RefineBlock", "nmse", "csinet"]


def _conv_bn(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.BatchNorm2d(out_channels))


class RefineBlock(nn.Module):
    """CsiNet's RefineNet unit: three 3×3 convolutions (2→8→16→2 channels) added to the input (a residual)."""

    def __init__(self, channels: int = 2, negative_slope: float = 0.3):
        super().__init__()
        self.conv1 = _conv_bn(channels, 8)
        self.conv2 = _conv_bn(8, 16)
        self.conv3 = _conv_bn(16, channels)
        self.act = nn.LeakyReLU(negative_slope)

    def forward(self, x):
        y = self.act(self.conv1(x))
        y = self.act(self.conv2(y))
        return self.act(self.conv3(y) + x)


class CsiNet(nn.Module):
    """``CsiNet(encoded_dim=512, in_channels=2, img_size=32, num_refine=2)``; ``forward(x)`` returns the
    reconstruction, ``encode(x)`` the codeword (N, M), ``decode(code)`` the matrix (N, C, H, W).

    ``encoded_dim`` must be between 1 and ``in_channels × img_size²`` (a codeword is a compression).
    """

    default_input_size = (2, 32, 32)

    def __init__(self, encoded_dim: int = 512, in_channels: int = 2, img_size: int = 32, num_refine: int = 2,
                 negative_slope: float = 0.3):
        super().__init__()
        total = in_channels * img_size * img_size
        if not 1 <= encoded_dim <= total:
            raise ValueError(f"CsiNet(): encoded_dim must be in [1, {total}] (= in_channels * img_size**2), "
                             f"got {encoded_dim}")
        self.encoded_dim = encoded_dim
        self.shape = (in_channels, img_size, img_size)
        self.encoder_conv = _conv_bn(in_channels, in_channels)
        self.encoder_fc = nn.Linear(total, encoded_dim)
        self.decoder_fc = nn.Linear(encoded_dim, total)
        self.refine = nn.Sequential(*[RefineBlock(in_channels, negative_slope) for _ in range(num_refine)])
        self.decoder_conv = nn.Conv2d(in_channels, in_channels, kernel_size=3, padding=1)
        self.act = nn.LeakyReLU(negative_slope)
        self.default_input_size = self.shape
        self.reset_parameters()

    def reset_parameters(self):
        """The identity-path initialisation described in the module docstring (the encoder keeps the defaults)."""
        from ..nn import init
        init.zeros_(self.decoder_fc.weight)
        init.zeros_(self.decoder_fc.bias)
        for block in self.refine:
            init.zeros_(block.conv3[1].weight)           # the block's last BatchNorm: γ = 0, the residual is off
        init.dirac_(self.decoder_conv.weight)
        with _no_grad():
            self.decoder_conv.weight.mul_(4.0)
        init.zeros_(self.decoder_conv.bias)

    def encode(self, x):
        if x.dim() != 4 or tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"CsiNet.encode(): expected input of shape (N, {', '.join(map(str, self.shape))}), "
                             f"got {tuple(x.shape)}")
        return self.encoder_fc(self.act(self.encoder_conv(x)).flatten(1))

    def decode(self, code):
        x = self.decoder_fc(code).reshape(code.shape[0], *self.shape)
        return self.decoder_conv(self.refine(x)).sigmoid()

    def forward(self, x):
        return self.decode(self.encode(x))

    @property
    def compression_ratio(self) -> float:
        """Codeword size / input size (1/4 for M = 512 on 2×32×32)."""
        return self.encoded_dim / math.prod(self.shape)


def nmse(x_hat, x, offset: float = 0.0) -> float:
    """Normalised mean squared error in dB: ``10·log10(mean_n(‖x_n − x̂_n‖² / ‖x_n‖²))``, the mean over the
    batch of each sample's error energy relative to its own energy (CsiNet's definition, E{‖H − Ĥ‖²/‖H‖²}).

    ``offset`` is subtracted from both first: CsiNet's data are the channel + 0.5, so pass ``offset=0.5`` to
    measure the channel itself. Accepts Tensors or arrays of the same shape (N, ...); returns a float (−∞ for a
    perfect reconstruction).
    """
    a = x_hat.detach().cpu().numpy() if isinstance(x_hat, Tensor) else np.asarray(x_hat)
    b = x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)
    if a.shape != b.shape or a.ndim < 1 or a.shape[0] == 0:
        raise ValueError(f"nmse(): x_hat and x must have the same non-empty shape (N, ...), "
                         f"got {a.shape} and {b.shape}")
    a = a.astype(np.float64).reshape(a.shape[0], -1) - offset
    b = b.astype(np.float64).reshape(b.shape[0], -1) - offset
    power = (b ** 2).sum(axis=1)
    if np.any(power == 0):
        raise ValueError("nmse(): a sample of x has zero energy (after the offset); its NMSE is undefined")
    ratio = float((((a - b) ** 2).sum(axis=1) / power).mean())
    return 10.0 * math.log10(ratio) if ratio > 0 else -math.inf


@register_model("csinet")
def csinet(**kwargs) -> CsiNet:
    """CsiNet with ``encoded_dim`` M (default 512, compression 1/4)."""
    return CsiNet(**kwargs)
