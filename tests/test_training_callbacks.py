"""Callbacks: checkpoints (best/last), early stopping, loggers, time limit, and their argument errors."""
import csv
import json

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.training import (Trainer, Callback, ModelCheckpoint, EarlyStopping, CSVLogger, JSONLogger, TimeLimit,
                            LRSchedulerCallback)
from ember.utils.data import DataLoader, TensorDataset


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 1, (n, 4)) + 2.0 * y[:, None]
    return TensorDataset(ember.tensor(x, dtype=ember.float32), ember.tensor(y))


def _trainer(lr=0.1, callbacks=(), loss_fn=None, **kw):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    return Trainer(model, ember.optim.SGD(model.parameters(), lr=lr), loss_fn or nn.CrossEntropyLoss(),
                   callbacks=callbacks, progress=False, **kw)


def test_hooks_run_in_order():
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_fit_start(self, trainer):
            self.events.append("fit_start")

        def on_epoch_start(self, trainer, epoch):
            self.events.append(f"epoch_start {epoch}")

        def on_train_batch_end(self, trainer, batch_idx, logs):
            self.events.append(f"batch {batch_idx} n={logs['n']}")

        def on_optimizer_step(self, trainer):
            self.events.append(f"step {trainer.global_step}")

        def on_epoch_end(self, trainer, epoch, logs):
            self.events.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_fit_end(self, trainer):
            self.events.append("fit_end")

    rec = Recorder()
    _trainer(callbacks=[rec], accumulate_steps=2).fit(DataLoader(_data(n=48), batch_size=16), epochs=1)
    # the optimiser steps inside batches 1 and 2 (the second a trailing group of one), before their end hooks
    assert rec.events == ["fit_start", "epoch_start 1", "batch 0 n=16", "step 1", "batch 1 n=16", "step 2",
                          "batch 2 n=16",
                          "epoch_end 1 ['accuracy', 'epoch', 'loss', 'lr', 'samples_per_sec', 'seconds']",
                          "fit_end"]


def test_model_checkpoint_best_and_last(tmp_path):
    ds = _data()
    ckpt = ModelCheckpoint(tmp_path / "ckpts", monitor="val_accuracy", mode="max", extra={"recipe": "toy"})
    trainer = _trainer(callbacks=[ckpt])
    history = trainer.fit(DataLoader(ds, batch_size=16), DataLoader(ds, batch_size=96), epochs=4)
    best_epoch = int(np.argmax(history["val_accuracy"])) + 1          # the first of equal maxima
    assert ckpt.best_epoch == best_epoch and ckpt.best == max(history["val_accuracy"])
    last, best = ember.load(ckpt.last_path), ember.load(ckpt.best_path)
    assert last["epoch"] == 4 and best["epoch"] == best_epoch and best["recipe"] == "toy"
    np.testing.assert_array_equal(last["model"]["0.weight"].numpy(), trainer.model[0].weight.detach().numpy())


def test_model_checkpoint_names_missing_monitor(tmp_path):
    trainer = _trainer(callbacks=[ModelCheckpoint(tmp_path, monitor="val_loss")])
    with pytest.raises(KeyError, match="'val_loss' is not in the epoch logs; available: accuracy, epoch, loss"):
        trainer.fit(DataLoader(_data(), batch_size=32), epochs=1)


def test_early_stopping_stops_after_patience_and_restores_best():
    ds = _data()
    flat = lambda out, y: nn.functional.cross_entropy(out * 0, y)     # constant loss: never improves
    stop = EarlyStopping("val_loss", patience=2, mode="min")
    trainer = _trainer(callbacks=[stop], loss_fn=flat)
    history = trainer.fit(DataLoader(ds, batch_size=32), DataLoader(ds, batch_size=96), epochs=20)
    assert history["epoch"] == [1, 2, 3, 4] and stop.stopped_epoch == 4 and stop.best_epoch == 1

    # with a real loss that improves and then is made worse on purpose, the best weights come back
    class Sabotage(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 3:
                with ember.no_grad():
                    trainer.model[2].weight.mul_(-1.0)

    stop = EarlyStopping("val_accuracy", patience=0, mode="max", restore_best_weights=True)
    trainer = _trainer(lr=0.5, callbacks=[stop])
    trainer.callbacks.insert(0, Sabotage())
    trainer.fit(DataLoader(ds, batch_size=16), DataLoader(ds, batch_size=96), epochs=10)
    assert stop.stopped_epoch is not None
    assert trainer.evaluate(DataLoader(ds, batch_size=96))["accuracy"] == stop.best


def test_csv_and_json_loggers(tmp_path):
    ds = _data()
    trainer = _trainer(callbacks=[CSVLogger(tmp_path / "log.csv"), JSONLogger(tmp_path / "log.json")])
    history = trainer.fit(DataLoader(ds, batch_size=32), DataLoader(ds, batch_size=96), epochs=3)
    with open(tmp_path / "log.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [float(r["val_loss"]) for r in rows] == pytest.approx(history["val_loss"])
    with open(tmp_path / "log.json") as fh:
        rows = json.load(fh)
    assert [r["loss"] for r in rows] == pytest.approx(history["loss"])


def test_time_limit_stops_after_the_current_batch(capsys):
    trainer = _trainer(max_minutes=0)
    history = trainer.fit(DataLoader(_data(), batch_size=16), epochs=5)
    assert history["epoch"] == [1] and trainer.global_step == 1
    assert "time limit of 0 minutes reached" in capsys.readouterr().out
    TimeLimit(1.5)     # constructible directly too


def test_callback_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'up'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience must be >= 0, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="ModelCheckpoint: mode must be"):
        ModelCheckpoint(tmp_path, mode="best")
    with pytest.raises(ValueError, match="interval must be 'epoch' or 'step', got 'batch'"):
        LRSchedulerCallback(None, interval="batch")
