"""Trainer: learning, gradient accumulation, clipping, schedulers, NaN detection and bit-identical resume."""
import math
import random

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.training import Trainer, NonFiniteError
from ember.utils.data import DataLoader, TensorDataset


def _blobs(n=128, d=6, classes=3, seed=0):
    """A small separable classification set (real enough to learn, fast enough for a unit test)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (classes, d))
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.normal(0, 1, (n, d))
    return TensorDataset(ember.tensor(x, dtype=ember.float32), ember.tensor(y))


def _mlp(d=6, classes=3, dropout=0.0):
    return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, classes))


def _params(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_fit_learns_and_fills_history(capsys):
    ember.manual_seed(0)
    ds = _blobs()
    model = _mlp()
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), metrics=("accuracy", "top2"), progress=False)
    history = trainer.fit(DataLoader(ds, batch_size=16, shuffle=True), DataLoader(ds, batch_size=64), epochs=4)
    for key in ("epoch", "loss", "accuracy", "top2", "val_loss", "val_accuracy", "val_top2", "lr",
                "samples_per_sec", "seconds"):
        assert len(history[key]) == 4, key
    assert history["epoch"] == [1, 2, 3, 4]
    assert history["loss"][-1] < history["loss"][0] / 3
    assert history["val_accuracy"][-1] > 0.9
    out = capsys.readouterr().out
    assert out.count("epoch ") == 4 and "val_accuracy" in out          # the plain one-line-per-epoch fallback
    result = trainer.evaluate(DataLoader(ds, batch_size=50))
    assert result["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert trainer.final_metrics()["epochs"] == 4


def test_progress_bar_draws_on_stderr(capsys):
    ember.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=True)
    trainer.fit(DataLoader(_blobs(), batch_size=16), epochs=1)
    captured = capsys.readouterr()
    assert "epoch 1/1" in captured.err and "batch" in captured.err
    assert "epoch 1/1 | loss" in captured.out


@pytest.mark.parametrize("k", [2, 4])
def test_gradient_accumulation_equals_one_big_batch(k):
    """k batches of 32/k with accumulation give the same parameters as batches of 32 (float tolerance)."""
    ds = _blobs(n=96)

    def run(batch, steps):
        ember.manual_seed(3)
        model = _mlp()
        opt = ember.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), accumulate_steps=steps, progress=False, metrics=())
        trainer.fit(DataLoader(ds, batch_size=batch), epochs=2)
        return _params(model), trainer.global_step

    big, steps_big = run(32, 1)
    small, steps_small = run(32 // k, k)
    assert steps_big == steps_small == 6
    for name in big:
        np.testing.assert_allclose(small[name], big[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_accumulation_trailing_group_is_its_mean():
    """5 batches with k=2: the last lone batch is stepped as a full-weight update (scaled by k/m)."""
    ds = _blobs(n=40)
    ember.manual_seed(1)
    model = _mlp()
    ref = _mlp()
    ref.load_state_dict(model.state_dict())
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), metrics=(),
                      accumulate_steps=2, progress=False)
    trainer.fit(DataLoader(ds, batch_size=8), epochs=1)
    assert trainer.global_step == 3
    opt = ember.optim.SGD(ref.parameters(), lr=0.1)     # the same by hand: pairs of batches, then the last one
    x, y = ds.tensors
    for lo, hi in ((0, 16), (16, 32), (32, 40)):
        opt.zero_grad()
        nn.CrossEntropyLoss()(ref(x[lo:hi]), y[lo:hi]).backward()
        opt.step()
    got, want = _params(model), _params(ref)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_bounds_each_update():
    ember.manual_seed(0)
    model = _mlp()
    before = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=1.0), nn.CrossEntropyLoss(),
                      clip_grad_norm=1e-3, progress=False, metrics=())
    trainer.fit(DataLoader(_blobs(n=16), batch_size=16), epochs=1)
    after = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    assert np.linalg.norm(after - before) == pytest.approx(1e-3, rel=1e-4)


def test_nan_parameter_is_named():
    ember.manual_seed(0)
    model = _mlp()
    with ember.no_grad():
        model[3].weight[1, 2] = float("nan")
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=False)
    with pytest.raises(NonFiniteError,
                       match=r"loss is nan at epoch 1, step 1 .*first non-finite parameter: '3.weight'"):
        trainer.fit(DataLoader(_blobs(), batch_size=16), epochs=1)


def test_overflowing_loss_is_reported_with_finite_parameters():
    ember.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1),
                      lambda out, y: out.abs().sum() * float("inf"), progress=False, metrics=())
    with pytest.raises(NonFiniteError, match=r"loss is inf at epoch 1, step 1.*forward pass itself overflowed"):
        trainer.fit(DataLoader(_blobs(), batch_size=16), epochs=1)


def test_diverging_training_stops_at_the_step():
    """A huge learning rate blows the weights up; the error names the step where the loss first goes bad."""
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 1))
    ds = _blobs()
    ds = TensorDataset(ds.tensors[0] * 1e3, ds.tensors[1].float().unsqueeze(1))
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=1e3), nn.MSELoss(), progress=False, metrics=())
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(NonFiniteError, match=r"loss is inf at epoch 1, step [2-9] "):
        trainer.fit(DataLoader(ds, batch_size=8), epochs=20)


def test_scheduler_per_epoch_and_per_step():
    ember.manual_seed(0)
    model = _mlp()
    opt = ember.optim.SGD(model.parameters(), lr=1.0)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, progress=False)
    history = trainer.fit(DataLoader(_blobs(), batch_size=32), epochs=3)
    assert history["lr"] == [1.0, 0.5, 0.25]
    assert opt.param_groups[0]["lr"] == 0.125

    model = _mlp()
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(_blobs(), batch_size=32)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=3 * len(loader))
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, progress=False)   # auto: per step
    trainer.fit(loader, epochs=3)
    assert sched.last_epoch == 3 * len(loader)


def test_reduce_lr_on_plateau_uses_val_loss():
    ember.manual_seed(0)
    model = _mlp()
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    ds = _blobs()
    flat = lambda out, y: nn.functional.cross_entropy(out * 0, y)     # constant loss: val_loss never improves
    trainer = Trainer(model, opt, flat, scheduler=sched, progress=False)
    history = trainer.fit(DataLoader(ds, batch_size=64), DataLoader(ds, batch_size=64), epochs=3)
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)


def _resume_setup(seed):
    ember.manual_seed(seed)
    model = _mlp(dropout=0.3)           # dropout draws from ember's generator: the RNG state must resume too
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    g = ember.Generator()
    g.manual_seed(seed + 100)
    loader = DataLoader(_blobs(), batch_size=16, shuffle=True, generator=g)
    return Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, progress=False), loader


def test_resume_is_bit_identical(tmp_path):
    straight, loader = _resume_setup(0)
    straight.fit(loader, epochs=4)

    first, loader = _resume_setup(0)
    first.fit(loader, epochs=2)
    first.save_checkpoint(tmp_path / "ckpt.safetensors", extra={"note": "epoch 2"})
    # a "new process": every random stream and the model are different until the checkpoint is loaded
    np.random.seed(123)
    random.seed(123)
    resumed, loader = _resume_setup(7)
    ckpt = resumed.load_checkpoint(tmp_path / "ckpt.safetensors")
    assert ckpt["note"] == "epoch 2" and resumed.epoch == 2
    history = resumed.fit(loader, epochs=4)
    assert history["epoch"] == [1, 2, 3, 4]
    a, b = _params(straight.model), _params(resumed.model)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert history["loss"] == straight.history["loss"]


def test_python_and_numpy_rng_are_checkpointed(tmp_path):
    ember.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=False)
    np.random.seed(5)
    random.seed(5)
    trainer.save_checkpoint(tmp_path / "c.safetensors")
    want = (np.random.rand(3), random.random(), ember.rand(2).numpy())
    np.random.seed(9)
    random.seed(9)
    ember.manual_seed(9)
    trainer.load_checkpoint(tmp_path / "c.safetensors")
    got = (np.random.rand(3), random.random(), ember.rand(2).numpy())
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]
    np.testing.assert_array_equal(got[2], want[2])


def test_load_checkpoint_rejects_other_files(tmp_path):
    ember.save({"weights": ember.zeros(2)}, tmp_path / "w.safetensors")
    model = _mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss())
    with pytest.raises(KeyError, match="no 'model' entry"):
        trainer.load_checkpoint(tmp_path / "w.safetensors")


def test_custom_training_step_and_loss_only_metric():
    """A subclass returning only loss and token count works with the perplexity metric."""
    class LM(Trainer):
        starts = []

        def training_step(self, batch):
            x, y = batch
            logits = self.model(x)
            return {"loss": nn.functional.cross_entropy(logits, y), "n": len(y)}

        def on_epoch_start(self, epoch, train):
            self.starts.append((epoch, train))

    ember.manual_seed(0)
    model = _mlp()
    trainer = LM(model, ember.optim.SGD(model.parameters(), lr=0.1), metrics=("perplexity",), progress=False)
    ds = _blobs()
    history = trainer.fit(DataLoader(ds, batch_size=32), DataLoader(ds, batch_size=32), epochs=2)
    assert history["perplexity"][0] == pytest.approx(math.exp(history["loss"][0]))
    assert history["val_perplexity"][1] == pytest.approx(math.exp(history["val_loss"][1]))
    assert trainer.starts == [(1, True), (1, False), (2, True), (2, False)]


def test_missing_outputs_for_accuracy_is_a_clear_error():
    class Bare(Trainer):
        def training_step(self, batch):
            x, y = batch
            return {"loss": nn.functional.cross_entropy(self.model(x), y), "n": len(y)}

    model = _mlp()
    trainer = Bare(model, ember.optim.SGD(model.parameters(), lr=0.1), progress=False)
    with pytest.raises(ValueError, match="metric 'accuracy' needs 'outputs' and 'targets'"):
        trainer.fit(DataLoader(_blobs(), batch_size=32), epochs=1)


def test_bad_arguments():
    model = _mlp()
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="accumulate_steps must be a positive integer, got 0"):
        Trainer(model, opt, nn.CrossEntropyLoss(), accumulate_steps=0)
    with pytest.raises(ValueError, match="clip_grad_norm must be a positive number"):
        Trainer(model, opt, nn.CrossEntropyLoss(), clip_grad_norm=-1)
    with pytest.raises(TypeError, match="callbacks must be Callback instances"):
        Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[print])
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        Trainer(model, opt, nn.CrossEntropyLoss(), metrics=("f1",))
    with pytest.raises(ValueError, match="no loss_fn given"):
        Trainer(model, opt, progress=False).fit(DataLoader(_blobs(), batch_size=32), epochs=1)


def test_fine_tuning_frozen_backbone_and_param_groups():
    """The two fine-tuning set-ups of examples/finetune.py: frozen parameters never move; a backbone group at
    lr/10 moves exactly 10x less than the same group at the head's lr would (plain SGD, one step)."""
    ds = _blobs(n=32)
    ember.manual_seed(0)
    model = _mlp()
    for p in model[0].parameters():
        p.requires_grad_(False)
    before = _params(model)
    opt = ember.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    Trainer(model, opt, nn.CrossEntropyLoss(), progress=False).fit(DataLoader(ds, batch_size=32), epochs=1)
    after = _params(model)
    np.testing.assert_array_equal(after["0.weight"], before["0.weight"])
    assert not np.array_equal(after["3.weight"], before["3.weight"])

    def one_step(backbone_lr):
        ember.manual_seed(0)
        m = _mlp()
        start = _params(m)
        groups = [{"params": list(m[0].parameters()), "lr": backbone_lr}, {"params": list(m[3].parameters())}]
        Trainer(m, ember.optim.SGD(groups, lr=0.1), nn.CrossEntropyLoss(), progress=False, metrics=()).fit(
            DataLoader(ds, batch_size=32), epochs=1)
        return _params(m)["0.weight"] - start["0.weight"]

    np.testing.assert_allclose(one_step(0.01), one_step(0.1) / 10, rtol=1e-4, atol=1e-7)   # float32 weights


def test_empty_loader_and_nothing_to_do(capsys):
    model = _mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=False)
    x, y = _blobs().tensors
    history = trainer.fit(DataLoader(TensorDataset(x[:0], y[:0]), batch_size=4), epochs=1)
    assert math.isnan(history["loss"][0]) and trainer.global_step == 0
    trainer.fit(DataLoader(_blobs(), batch_size=32), epochs=1)
    assert "already trained for 1 epochs (epochs=1); nothing to do" in capsys.readouterr().out


def test_non_finite_gradient_is_named_when_clipping():
    """A finite loss with an infinite gradient (sqrt at 0) is caught at the clipping step, before any update."""
    ember.manual_seed(0)
    model = _mlp()
    before = _params(model)
    sqrt_at_zero = lambda out, y: (out - out.detach()).abs().sqrt().sum()     # value 0, gradient inf
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), sqrt_at_zero, clip_grad_norm=1.0,
                      progress=False, metrics=())
    with np.errstate(divide="ignore", invalid="ignore"), pytest.raises(
            NonFiniteError, match=r"gradient norm is (inf|nan) at epoch 1, step 1 .*first non-finite gradient: "
                                  r"'0.weight'"):
        trainer.fit(DataLoader(_blobs(), batch_size=16), epochs=1)
    after = _params(model)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


_RESUME_SCRIPT = """
import sys, numpy as np, ember, ember.nn as nn
from ember.training import Trainer
from ember.utils.data import DataLoader, TensorDataset
rng = np.random.default_rng(0)
y = rng.integers(0, 3, 128)
x = rng.normal(0, 3, (3, 6))[y] + rng.normal(0, 1, (128, 6))
ds = TensorDataset(ember.tensor(x, dtype=ember.float32), ember.tensor(y))
ember.manual_seed(int(sys.argv[3]))
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
opt = ember.optim.Adam(model.parameters(), lr=0.01)
g = ember.Generator().manual_seed(int(sys.argv[3]) + 100)
trainer = Trainer(model, opt, nn.CrossEntropyLoss(), progress=False)
if sys.argv[1] != "-":
    trainer.load_checkpoint(sys.argv[1])
trainer.fit(DataLoader(ds, batch_size=16, shuffle=True, generator=g), epochs=int(sys.argv[4]))
trainer.save_checkpoint(sys.argv[2])
"""


def test_resume_in_a_new_process_is_bit_identical(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "run.py"
    script.write_text(_RESUME_SCRIPT)

    def run(*args):
        subprocess.run([sys.executable, str(script), *map(str, args)], check=True, capture_output=True)

    run("-", tmp_path / "straight.safetensors", 0, 4)
    run("-", tmp_path / "half.safetensors", 0, 2)
    run(tmp_path / "half.safetensors", tmp_path / "resumed.safetensors", 5, 4)   # other seeds until the load
    a = ember.load(tmp_path / "straight.safetensors")
    b = ember.load(tmp_path / "resumed.safetensors")
    assert a["epoch"] == b["epoch"] == 4
    for name in a["model"]:
        np.testing.assert_array_equal(a["model"][name].numpy(), b["model"][name].numpy(), err_msg=name)
    assert a["history"]["loss"] == b["history"]["loss"]


def test_without_tqdm_falls_back_to_plain_lines(capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)      # import tqdm.auto -> ImportError
    ember.manual_seed(0)
    model = _mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=True)
    trainer.fit(DataLoader(_blobs(), batch_size=32), epochs=2)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.count("samples/s") == 2
