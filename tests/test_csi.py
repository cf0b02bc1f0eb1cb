"""CSI feedback: the channel simulator (CSIChannels), its angular-delay transform against numpy.fft, NMSE and rho
against hand-computed values, and a few-step `ember train csinet` run."""
import json
import math

import numpy as np
import pytest

import ember
from ember.datasets import CSIChannels, get_dataset
from ember.datasets.csi import (SCENARIOS, angular_delay, angular_delay_from_rays, angular_delay_to_frequency,
                                frequency_response, from_image, rho, simulate_rays, to_image)
from ember.models.csinet import nmse
from ember.recipes.csi import NMSE


# ------------------------------------------------------------------------------------------------ simulator
def test_shapes_dtype_and_range():
    ds = CSIChannels(train=True, num_samples=50)
    assert len(ds) == 50 and ds.data.shape == (50, 2, 32, 32) and ds.data.dtype == np.float32
    assert ds.data.min() >= 0.0 and ds.data.max() <= 1.0
    # each sample's largest component at 0.5 +- 0.4: within [0.1, 0.9], using the range
    dev = np.abs(ds.data.reshape(50, -1).astype(np.float64) - 0.5)
    np.testing.assert_allclose(dev.max(axis=1), 0.4, rtol=1e-5)
    assert ds.data.min() >= 0.1 - 1e-6 and ds.data.max() <= 0.9 + 1e-6
    # (x - 0.5) / scale is the channel at unit energy
    energy = np.square(dev / ds.scale[:, None]).sum(axis=1)
    np.testing.assert_allclose(energy, 1.0, rtol=1e-5)
    assert np.sqrt(np.square(dev).mean()) > 0.01          # not the old ~0.005 around 0.5
    x, target = ds[3]
    assert x.shape == (2, 32, 32) and x is target
    assert len(CSIChannels(train=False)) == 2000


def test_transform_and_registry():
    ds = get_dataset("csi-outdoor", train=False, num_samples=4, transform=lambda a: a * 2,
                     target_transform=lambda a: a.sum())
    assert ds.scenario.name == "outdoor"
    x, t = ds[0]
    np.testing.assert_array_equal(x, ds.data[0] * 2)
    assert t == pytest.approx(float(ds.data[0].sum()))
    assert get_dataset("csi-indoor", num_samples=2).scenario.name == "indoor"


def test_deterministic_by_seed_and_split():
    a = CSIChannels(num_samples=20, seed=7).data
    np.testing.assert_array_equal(a, CSIChannels(num_samples=20, seed=7).data)
    assert not np.allclose(a, CSIChannels(num_samples=20, seed=8).data)
    assert not np.allclose(a, CSIChannels(num_samples=20, seed=7, train=False).data)
    assert not np.allclose(a, CSIChannels(num_samples=20, seed=7, scenario="outdoor").data)


def _energy(data):
    h = np.abs(from_image(data)) ** 2
    return h / h.sum(axis=(1, 2), keepdims=True)


def test_sparse_in_the_angular_delay_domain():
    indoor = _energy(CSIChannels(num_samples=300).data)
    outdoor = _energy(CSIChannels(num_samples=300, scenario="outdoor").data)
    # indoor: nearly all energy in the first 8 delay taps (400 ns) and in a tenth of the 1024 entries
    assert indoor[:, :8].sum(axis=(1, 2)).mean() > 0.95
    top = np.sort(indoor.reshape(300, -1), axis=1)[:, -102:].sum(axis=1).mean()
    assert top > 0.9
    # outdoor spreads further in delay (it is the harder scenario, as in CsiNet)
    assert outdoor[:, :8].sum(axis=(1, 2)).mean() < indoor[:, :8].sum(axis=(1, 2)).mean() - 0.05
    assert outdoor[:, 8:].sum(axis=(1, 2)).mean() > 0.05


@pytest.mark.parametrize("scenario", ["indoor", "outdoor"])
def test_closed_form_equals_fft_of_the_frequency_response(scenario):
    g, d, a = simulate_rays(4, scenario, np.random.default_rng(3))
    H = frequency_response(g, d, a, scenario)                      # (4, 1024, 32)
    sc = SCENARIOS[scenario]
    assert H.shape == (4, sc.num_subcarriers, sc.num_antennas)
    expected = np.fft.fft(np.fft.ifft(H, axis=1), axis=2)[:, :32, :]
    np.testing.assert_allclose(angular_delay(H), expected, rtol=0, atol=1e-9 * np.abs(expected).max())
    np.testing.assert_allclose(angular_delay_from_rays(g, d, a, scenario), expected, rtol=0,
                               atol=1e-9 * np.abs(expected).max())
    # the first arrival is at delay 0 and the 32 kept taps hold most of the energy
    assert d.min(axis=1).max() == 0.0
    full = np.abs(np.fft.ifft(H, axis=1)) ** 2
    assert (np.abs(expected) ** 2).sum() / (full.sum() * sc.num_antennas) > 0.8


def test_angular_delay_by_dft_matrices_and_round_trip():
    rng = np.random.default_rng(0)
    H = rng.standard_normal((2, 16, 4)) + 1j * rng.standard_normal((2, 16, 4))
    k = np.arange(16)
    n = np.arange(4)
    idft = np.exp(2j * np.pi * np.outer(k, k) / 16) / 16           # subcarriers -> delay
    dft = np.exp(-2j * np.pi * np.outer(n, n) / 4)                 # antennas -> angle
    by_hand = np.einsum("mk,bkn,na->bma", idft, H, dft)
    np.testing.assert_allclose(angular_delay(H, num_taps=16), by_hand, atol=1e-12)
    np.testing.assert_allclose(angular_delay(H, num_taps=5), by_hand[:, :5], atol=1e-12)
    np.testing.assert_allclose(angular_delay_to_frequency(by_hand, num_subcarriers=16), H, atol=1e-12)
    with pytest.raises(ValueError, match="num_taps"):
        angular_delay(H, num_taps=17)


def test_image_round_trip():
    rng = np.random.default_rng(1)
    Had = rng.standard_normal((3, 32, 32)) + 1j * rng.standard_normal((3, 32, 32))
    x = to_image(Had)
    assert x.shape == (3, 2, 32, 32) and x.dtype == np.float32
    x2, s = to_image(Had, return_scale=True)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_allclose(np.square(x2 - 0.5).reshape(3, -1).sum(axis=1) / s ** 2, 1.0, rtol=1e-5)
    back = from_image(x)
    scale = (back.reshape(3, -1)[:, 0] / Had.reshape(3, -1)[:, 0]).real     # each sample's own scale
    np.testing.assert_allclose(back, Had * scale[:, None, None], atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown scenario 'urban'.*indoor, outdoor"):
        CSIChannels(scenario="urban")
    with pytest.raises(ValueError, match="num_samples"):
        CSIChannels(num_samples=0)
    with pytest.raises(ValueError, match="seed"):
        CSIChannels(seed=-1)


# ------------------------------------------------------------------------------------------------ NMSE and rho
def test_nmse_by_hand():
    x = np.full((2, 2, 1, 2), 0.5)
    x_hat = np.full((2, 2, 1, 2), 0.5)
    x[0, 0, 0, 0] += 0.4                   # sample 0: energy 0.16, error (0.4 - 0.2)^2 = 0.04 -> ratio 1/4
    x_hat[0, 0, 0, 0] += 0.2
    x[1, 1, 0, 1] -= 0.2                   # sample 1: energy 0.04, error 0.1^2 + 0.1^2 = 0.02 -> ratio 1/2
    x_hat[1, 1, 0, 1] -= 0.1
    x_hat[1, 0, 0, 0] += 0.1
    expected = 10 * math.log10((0.25 + 0.5) / 2)             # -4.2597 dB
    assert nmse(x_hat, x, offset=0.5) == pytest.approx(expected)
    m = NMSE()
    m.update(ember.tensor(x_hat[:1]), ember.tensor(x[:1]))
    m.update(ember.tensor(x_hat[1:]), ember.tensor(x[1:]))
    assert m.compute() == pytest.approx(expected)


def test_rho_by_hand():
    x = np.full((1, 2, 32, 32), 0.5)
    x[0, 0, 0, 0] = 1.0                    # one path: delay tap 0, angle bin 0
    assert rho(x, x) == pytest.approx(1.0)
    same_direction = x.copy()
    same_direction[0, 0, 0, 0] = 0.7       # a scaled copy has the same direction on every subcarrier
    assert rho(same_direction, x) == pytest.approx(1.0)
    both = x.copy()
    both[0, 1, 0, 1] = 1.0                 # adds j·(angle bin 1): |<e0 + j e1, e0>| / (√2 · 1) = 1/√2
    assert rho(both, x, num_subcarriers=64) == pytest.approx(1 / math.sqrt(2))
    other = np.full((1, 2, 32, 32), 0.5)
    other[0, 0, 0, 5] = 0.0                # a different angle bin: orthogonal on every subcarrier
    assert rho(other, x) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="rho"):
        rho(x[:, :1], x[:, :1])


# ------------------------------------------------------------------------------------------------ training
def test_a_few_steps_lower_the_reconstruction_error():
    import ember.nn.functional as F
    from ember.models import get_model
    ember.manual_seed(0)
    model = get_model("csinet", encoded_dim=64)
    x = ember.tensor(CSIChannels(num_samples=16, seed=1).data)
    opt = ember.optim.Adam(model.parameters(), lr=3e-4)
    losses = []
    for _ in range(6):
        loss = F.mse_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.95 * losses[0]          # from the mean (0 dB) down


def test_csinet_starts_at_the_mean():
    """The identity-path initialisation: the untrained model predicts 0.5 everywhere (0 dB), not ~+20 dB of
    random decoder noise (the default initialisation), so training starts from the mean and goes down."""
    from ember.models import get_model
    ember.manual_seed(0)
    model = get_model("csinet", encoded_dim=128)
    x = ember.tensor(CSIChannels(num_samples=8, seed=2).data)
    assert nmse(model(x), x, offset=0.5) == pytest.approx(0.0, abs=1e-9)


def test_recipe_runs_and_evaluates(tmp_path, capsys):
    from ember.cli import main
    out = tmp_path / "run"
    assert main(["train", "csinet", "--subset", "48", "--epochs", "2", "--batch-size", "24", "--encoded-dim",
                 "128", "--out", str(out), "--no-progress"]) == 0
    for name in ("checkpoint.safetensors", "curves.png", "metrics.json"):
        assert (out / name).is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["encoded_dim"] == 128 and metrics["compression_ratio"] == "1/16"
    assert metrics["epochs"] == 2 and metrics["train_samples"] == 48 and metrics["dataset"] == "csi-indoor"
    assert math.isfinite(metrics["test_nmse_db"]) and 0.0 <= metrics["rho"] <= 1.0
    assert len(metrics["history"]["val_nmse_db"]) == 2
    capsys.readouterr()
    assert main(["eval", str(out / "checkpoint.safetensors")]) == 0
    printed = capsys.readouterr().out
    assert f"test_nmse_db: {metrics['test_nmse_db']:.6g}" in printed
    assert main(["train", "csinet", "--dataset", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "csi-indoor, csi-outdoor" in capsys.readouterr().err
