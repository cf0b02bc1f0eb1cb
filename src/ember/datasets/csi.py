"""``CSIChannels``: simulated massive-MIMO channel matrices for CSI-feedback autoencoders (CsiNet).

CsiNet (Wen, Shih & Jin 2018) trained on channels *simulated* with the COST 2100 model: a 32-antenna
half-wavelength ULA at the base station, 1024 OFDM subcarriers, indoor picocell at 5.3 GHz and outdoor rural at
300 MHz. That data is not available offline, so this module simulates the same kind of channel with a documented
geometric, clustered multipath model in the spirit of COST 2100 (not its calibrated parameter tables):

* each channel has a few **clusters** (the scenario's range); a cluster has a delay (exponential, mean
  ``cluster_delay_mean``, cut at ``max_delay``), a mean angle of departure (uniform in ``±angle_range``) and a
  power that decays exponentially with its delay (``delay_decay``: an exponential power-delay profile) times a
  log-normal shadowing term;
* each cluster has ``rays`` **rays**: a delay spread around the cluster's (exponential, ``ray_delay_spread``),
  an angle around the cluster's mean (Laplacian, ``angle_spread``) and a complex Gaussian (Rayleigh) gain;
* the channel between the 32 antennas and the user at subcarrier ``k`` (frequency ``k·Δf``) is
  ``H[k, n] = Σ_l g_l · exp(-j2π k Δf τ_l) · exp(-jπ n sin θ_l)``; delays are relative to the first arrival
  (the receiver is time-synchronised) and ``Δf = bandwidth / Nc``;
* as in the paper, ``H`` (Nc × Nt) moves to the **angular-delay domain** by a 2-D DFT (an inverse DFT over the
  subcarriers gives delay taps of ``1/bandwidth``, a DFT over the antennas gives angle bins) and only the first
  32 delay rows are kept: the channel is sparse there (few clusters, short delays), which is why it compresses;
* real and imaginary parts become 2 channels of 32 × 32 (rows: delay, columns: angle), normalised into
  ``[0, 1]`` around 0.5 so that the data use the range, as the paper's do: per sample
  ``x = 0.5 + 0.4 · H̃ / max|H̃|`` (max over the real and imaginary parts), so values lie in [0.1, 0.9] and each
  sample's largest component sits at 0.1 or 0.9, clear of the sigmoid's flat ends. ``.scale[i]`` is the factor
  with ``x − 0.5 = scale · H̃ / ‖H̃‖``, so ``(x − 0.5) / scale`` is the channel at unit energy. CsiNet's NMSE
  and ρ are invariant to a sample's scale (the path loss is what a real system normalises away before
  feedback). The earlier ``0.5 + H̃ / (4‖H̃‖)`` left the channels' 2,048 entries at ~0.005 around 0.5 (most of
  a matrix's energy is in a few entries): the model learned the constant 0.5 and little else.

The truncated angular-delay matrix is computed in closed form (the inverse DFT of a complex exponential over
the subcarriers is a Dirichlet kernel), so the 1024-point response is never materialised: 20,000 channels take
about a second. ``frequency_response`` and ``angular_delay`` are the slow, literal path (used by the tests to
check the fast one against ``numpy.fft``); ``angular_delay_to_frequency`` goes back (for the correlation ρ).

    from ember.datasets import CSIChannels
    train = CSIChannels(train=True, scenario="indoor")        # 20,000 channels; test: 2,000, another seed
    x, target = train[0]                                      # float32 (2, 32, 32) in [0.1, 0.9]; target is x
    train.data.shape                                          # (20000, 2, 32, 32)

The data are generated deterministically from ``seed`` (train and test draw from different streams) and kept in
memory; generation is fast enough that no cache file is written (``root`` is accepted for the torchvision
signature and ignored).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CSIChannels", "Scenario", "SCENARIOS", "simulate_rays", "angular_delay_from_rays",
           "frequency_response", "angular_delay", "angular_delay_to_frequency", "to_image", "from_image", "rho"]


@dataclass(frozen=True)
class Scenario:
    """Geometry and propagation parameters of one simulated environment (delays in seconds, angles in degrees)."""
    name: str
    carrier_hz: float           # documentation only: a ULA's response in sin(θ) does not depend on it
    bandwidth_hz: float         # delay tap = 1 / bandwidth
    num_subcarriers: int        # Nc
    num_antennas: int           # Nt, half-wavelength ULA
    num_taps: int               # delay rows kept after the DFT
    clusters: tuple             # (min, max) clusters per channel, inclusive
    rays: int                   # rays per cluster
    cluster_delay_mean: float   # clusters' excess delays ~ Exponential(mean), cut at max_delay
    max_delay: float
    delay_decay: float          # power-delay profile: cluster power ∝ exp(-τ / delay_decay)
    ray_delay_spread: float     # rays' delays around their cluster's: Exponential(mean)
    angle_range: float          # clusters' mean angles ~ Uniform(-angle_range, angle_range)
    angle_spread: float         # rays' angles around the cluster mean: Laplacian with this std
    shadowing_db: float         # clusters' log-normal shadowing std in dB


SCENARIOS = {
    # 5.3 GHz picocell: few clusters, short delays (within ~8 taps of 50 ns), wide angles around the BS.
    "indoor": Scenario("indoor", carrier_hz=5.3e9, bandwidth_hz=20e6, num_subcarriers=1024, num_antennas=32,
                       num_taps=32, clusters=(2, 4), rays=10, cluster_delay_mean=60e-9, max_delay=400e-9,
                       delay_decay=80e-9, ray_delay_spread=10e-9, angle_range=60.0, angle_spread=3.0,
                       shadowing_db=3.0),
    # 300 MHz rural macrocell: more clusters, long delays (up to 30 taps), wider angular spread per cluster.
    "outdoor": Scenario("outdoor", carrier_hz=300e6, bandwidth_hz=20e6, num_subcarriers=1024, num_antennas=32,
                        num_taps=32, clusters=(4, 8), rays=10, cluster_delay_mean=400e-9, max_delay=1.5e-6,
                        delay_decay=500e-9, ray_delay_spread=50e-9, angle_range=60.0, angle_spread=6.0,
                        shadowing_db=4.0),
}


def _scenario(scenario, fn):
    if isinstance(scenario, Scenario):
        return scenario
    if scenario not in SCENARIOS:
        raise ValueError(f"{fn}: unknown scenario {scenario!r}; valid scenarios: {', '.join(SCENARIOS)}")
    return SCENARIOS[scenario]


def simulate_rays(n: int, scenario="indoor", rng=None):
    """Draw ``n`` channels' rays -> ``(gains complex128 (n, L), delays seconds (n, L), angles radians (n, L))``,
    ``L = max clusters × rays``; the rays of clusters a channel does not have get gain 0."""
    sc = _scenario(scenario, "simulate_rays")
    rng = np.random.default_rng(rng)
    c_max, r = sc.clusters[1], sc.rays
    n_clusters = rng.integers(sc.clusters[0], sc.clusters[1] + 1, size=n)
    present = np.arange(c_max)[None, :] < n_clusters[:, None]                        # (n, C)
    c_delay = np.minimum(rng.exponential(sc.cluster_delay_mean, size=(n, c_max)), sc.max_delay)
    c_delay[:, 0] = 0.0                                                               # the first arrival
    c_power = np.exp(-c_delay / sc.delay_decay) * 10 ** (rng.normal(0, sc.shadowing_db, (n, c_max)) / 10)
    c_power = np.where(present, c_power, 0.0)
    c_angle = np.deg2rad(rng.uniform(-sc.angle_range, sc.angle_range, size=(n, c_max)))
    r_delay = c_delay[:, :, None] + rng.exponential(sc.ray_delay_spread, size=(n, c_max, r))
    # Laplacian with standard deviation s has scale s / sqrt(2)
    r_angle = c_angle[:, :, None] + np.deg2rad(rng.laplace(0, sc.angle_spread / np.sqrt(2), size=(n, c_max, r)))
    r_angle = np.clip(r_angle, -np.pi / 2, np.pi / 2)
    gains = (rng.standard_normal((n, c_max, r)) + 1j * rng.standard_normal((n, c_max, r))) / np.sqrt(2)
    gains = gains * np.sqrt(c_power[:, :, None] / r)
    delays = r_delay - np.where(present[:, :, None], r_delay, np.inf).min(axis=(1, 2))[:, None, None]
    return gains.reshape(n, -1), delays.reshape(n, -1), r_angle.reshape(n, -1)


def _dirichlet(x, n, bins):
    """``Σ_{k<n} exp(j2πk(b - x)/n)`` for ``b = 0..bins-1`` as (real, imag) float64 arrays (x.shape + (bins,)):
    the DFT of a complex exponential with a fractional frequency ``x``, in closed form
    ``exp(jπ(n-1)(b-x)/n) · sin(π(b-x)) / sin(π(b-x)/n)``. Every sine and cosine of ``b - x`` is expanded by
    the angle-difference formulas, so only per-ray and per-bin trigonometry is evaluated (the cost is a few
    multiplications per entry)."""
    b = np.arange(bins, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)[..., None]
    num = -np.where(b % 2 == 0, 1.0, -1.0) * np.sin(np.pi * x)                  # sin(π(b - x)), b an integer
    den = np.sin(np.pi * b / n) * np.cos(np.pi * x / n) - np.cos(np.pi * b / n) * np.sin(np.pi * x / n)
    close = np.abs(den) < 1e-12
    ratio = num / np.where(close, 1.0, den)
    if close.any():                                  # b - x a multiple of n: the limit n·cos(π·)/cos(π·/n)
        diff = np.broadcast_to(b - x, ratio.shape)[close]
        ratio[close] = n * np.cos(np.pi * diff) / np.cos(np.pi * diff / n)
    c = np.pi * (n - 1) / n
    cb, sb, cx, sx = np.cos(c * b), np.sin(c * b), np.cos(c * x), np.sin(c * x)
    return ratio * (cb * cx + sb * sx), ratio * (sb * cx - cb * sx)


def angular_delay_from_rays(gains, delays, angles, scenario="indoor"):
    """The truncated angular-delay matrices (n, num_taps, Nt) complex128 of ``simulate_rays``' output, in closed
    form: equal to ``angular_delay(frequency_response(...))`` without the Nc-point response."""
    sc = _scenario(scenario, "angular_delay_from_rays")
    nc, nt = sc.num_subcarriers, sc.num_antennas
    # delay: (1/Nc) Σ_k exp(-j2π k d/Nc) exp(j2π k m/Nc), d the ray's delay in taps of 1/bandwidth
    kr, ki = _dirichlet(np.asarray(delays) * sc.bandwidth_hz, nc, sc.num_taps)
    kr, ki = kr / nc, ki / nc
    # angle: Σ_n exp(-jπ n sin θ) exp(-j2π n a/Nt) = conj(Σ_n exp(j2π n (a - x)/Nt)) with x = -Nt sin(θ)/2
    ar, ai = _dirichlet(-nt * np.sin(angles) / 2, nt, nt)
    ai = -ai
    g = np.asarray(gains)
    pr = np.ascontiguousarray((g.real[..., None] * kr - g.imag[..., None] * ki).transpose(0, 2, 1))
    pi = np.ascontiguousarray((g.real[..., None] * ki + g.imag[..., None] * kr).transpose(0, 2, 1))
    # Σ_l over rays as real batched matmuls (NumPy's complex batched matmul is far slower)
    return (pr @ ar - pi @ ai) + 1j * (pr @ ai + pi @ ar)


def frequency_response(gains, delays, angles, scenario="indoor"):
    """The literal channel ``H[k, n]`` (n, Nc, Nt) complex128 over all subcarriers and antennas (slow; tests)."""
    sc = _scenario(scenario, "frequency_response")
    f = np.arange(sc.num_subcarriers) * (sc.bandwidth_hz / sc.num_subcarriers)
    phase = np.exp(-2j * np.pi * f[None, :, None] * np.asarray(delays)[:, None, :])    # (n, Nc, L)
    steering = np.exp(-1j * np.pi * np.sin(angles)[..., None] * np.arange(sc.num_antennas))  # (n, L, Nt)
    return np.matmul(phase * np.asarray(gains)[:, None, :], steering)


def angular_delay(H, num_taps=32):
    """CsiNet's 2-D DFT of a frequency response ``H`` (..., Nc, Nt): inverse DFT over subcarriers (-> delay),
    DFT over antennas (-> angle), first ``num_taps`` delay rows kept -> (..., num_taps, Nt)."""
    H = np.asarray(H)
    if H.ndim < 2 or H.shape[-2] < num_taps:
        raise ValueError(f"angular_delay(): expected H of shape (..., Nc, Nt) with Nc >= num_taps={num_taps}, "
                         f"got {H.shape}")
    return np.fft.fft(np.fft.ifft(H, axis=-2), axis=-1)[..., :num_taps, :]


def angular_delay_to_frequency(Had, num_subcarriers=1024):
    """Back from (truncated) angular-delay matrices (..., taps, Nt) to the frequency response (..., Nc, Nt):
    the dropped delay rows are zeros. Inverse of ``angular_delay`` when nothing was truncated away."""
    Had = np.asarray(Had)
    taps = Had.shape[-2]
    if num_subcarriers < taps:
        raise ValueError(f"angular_delay_to_frequency(): num_subcarriers={num_subcarriers} is less than the "
                         f"{taps} delay taps")
    pad = [(0, 0)] * (Had.ndim - 2) + [(0, num_subcarriers - taps), (0, 0)]
    return np.fft.fft(np.fft.ifft(np.pad(Had, pad), axis=-1), axis=-2)


def to_image(Had, scale: float = 0.4, return_scale: bool = False):
    """Complex (n, taps, Nt) -> float32 (n, 2, taps, Nt): real and imaginary parts of each sample scaled so that
    its largest |component| is ``scale``, around 0.5: ``x = 0.5 + scale · H / max|H|``. With the default 0.4
    every value lies in [0.1, 0.9] and each sample uses most of the sigmoid's range. ``return_scale=True`` also
    returns the per-sample factors ``s`` (float64 (n,)) with ``x − 0.5 = s · H / ‖H‖_F``."""
    parts = np.stack([Had.real, Had.imag], axis=1)
    flat = np.abs(parts).reshape(len(parts), -1)
    peak = flat.max(axis=1)
    peak = np.where(peak > 0, peak, 1.0)
    image = (0.5 + scale * parts / peak[:, None, None, None]).astype(np.float32)
    if not return_scale:
        return image
    norm = np.sqrt(np.square(flat).sum(axis=1))
    return image, scale * np.where(norm > 0, norm, 1.0) / peak


def from_image(x):
    """float (n, 2, taps, Nt) in [0, 1] -> complex (n, taps, Nt) (up to each sample's scale)."""
    x = np.asarray(x, dtype=np.float64) - 0.5
    return x[:, 0] + 1j * x[:, 1]


def rho(x_hat, x, num_subcarriers=1024, chunk: int = 256) -> float:
    """CsiNet's cosine correlation ``ρ = E{ (1/Nc) Σ_k |ĥ_kᴴ h_k| / (‖ĥ_k‖ ‖h_k‖) }`` between reconstructed and
    true channel images (float (n, 2, taps, Nt) in [0, 1], Tensors or arrays): each is taken back to the
    frequency response over ``num_subcarriers`` (``angular_delay_to_frequency``) and ``h_k`` is the antenna
    vector at subcarrier k. 1 means every subcarrier's beam direction is exact; invariant to each sample's scale.
    """
    a, b = _host(x_hat), _host(x)
    if a.shape != b.shape or a.ndim != 4 or a.shape[1] != 2 or len(a) == 0:
        raise ValueError(f"rho(): x_hat and x must have the same non-empty shape (N, 2, taps, Nt), "
                         f"got {a.shape} and {b.shape}")
    total = 0.0
    for start in range(0, len(a), chunk):
        h_hat = angular_delay_to_frequency(from_image(a[start:start + chunk]), num_subcarriers)
        h = angular_delay_to_frequency(from_image(b[start:start + chunk]), num_subcarriers)
        inner = np.abs((np.conj(h_hat) * h).sum(axis=-1))
        norms = np.linalg.norm(h_hat, axis=-1) * np.linalg.norm(h, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            total += float(np.where(norms > 0, inner / np.where(norms > 0, norms, 1.0), 0.0).mean(axis=-1).sum())
    return total / len(a)


def _host(x):
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def simulate(n: int, scenario="indoor", seed=0, chunk: int = 2000, return_scale: bool = False):
    """``n`` channel images float32 (n, 2, 32, 32) from ``seed`` (deterministic; generated in chunks); with
    ``return_scale`` also their ``to_image`` scales (n,)."""
    sc = _scenario(scenario, "simulate")
    rng = np.random.default_rng(seed)
    out = np.empty((n, 2, sc.num_taps, sc.num_antennas), dtype=np.float32)
    scales = np.empty(n, dtype=np.float64)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        out[start:start + m], scales[start:start + m] = to_image(
            angular_delay_from_rays(*simulate_rays(m, sc, rng), scenario=sc), return_scale=True)
    return (out, scales) if return_scale else out


class CSIChannels:
    """``CSIChannels(root=None, train=True, scenario="indoor", num_samples=None, transform=None,
    target_transform=None, seed=0)``: simulated angular-delay channel matrices for CSI feedback.

    ``ds[i] -> (x, x)``: the float32 (2, 32, 32) image in [0.1, 0.9] and, as the target of an autoencoder, the same
    image (``transform`` / ``target_transform`` applied to each). ``.data`` holds all of them (N, 2, 32, 32);
    ``.scale`` (N,) the normalisation: ``(data − 0.5) / scale`` is each channel at unit energy.
    ``num_samples`` defaults to 20,000 (train) / 2,000 (test); train and test come from different random
    streams of ``seed``. ``scenario`` is ``"indoor"`` (5.3 GHz picocell) or ``"outdoor"`` (300 MHz rural).
    """

    def __init__(self, root=None, train: bool = True, scenario: str = "indoor", num_samples=None, transform=None,
                 target_transform=None, seed: int = 0, download: bool = False):
        self.scenario = _scenario(scenario, "CSIChannels")
        if num_samples is None:
            num_samples = 20000 if train else 2000
        if int(num_samples) != num_samples or num_samples < 1:
            raise ValueError(f"CSIChannels: num_samples must be a positive integer, got {num_samples!r}")
        if int(seed) != seed or seed < 0:
            raise ValueError(f"CSIChannels: seed must be a non-negative integer, got {seed!r}")
        self.root, self.train, self.seed = root, bool(train), int(seed)
        self.transform, self.target_transform = transform, target_transform
        scenario_id = list(SCENARIOS).index(self.scenario.name) if self.scenario.name in SCENARIOS else 99
        stream = np.random.SeedSequence([self.seed, 0 if self.train else 1, scenario_id])
        self.data, self.scale = simulate(int(num_samples), self.scenario, seed=stream, return_scale=True)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        x = self.data[index]
        image = self.transform(x) if self.transform is not None else x
        target = self.target_transform(x) if self.target_transform is not None else x
        return image, target

    def __repr__(self):
        split = "train" if self.train else "test"
        return (f"CSIChannels(scenario={self.scenario.name!r}, split={split!r}, num_samples={len(self)}, "
                f"seed={self.seed})")
