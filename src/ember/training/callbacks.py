"""Callbacks: code that runs at fixed points of ``Trainer.fit`` without subclassing the trainer.

    trainer = Trainer(model, opt, loss_fn, callbacks=[ModelCheckpoint("runs/x"), EarlyStopping("val_loss", 3),
                                                      CSVLogger("runs/x/log.csv")])

A callback overrides any of the hooks below; each gets the ``Trainer`` first. ``logs`` at epoch end is that
epoch's row of ``trainer.history`` (``epoch``, ``loss``, ``val_loss``, metric values, ``lr``, ``seconds``).
Setting ``trainer.stop_training = True`` ends ``fit`` after the current batch (``on_train_batch_end``) or
epoch (``on_epoch_end``).
"""
from __future__ import annotations

import csv
import json
import math
import os
import time

__all__ = ["Callback", "ModelCheckpoint", "EarlyStopping", "LRSchedulerCallback", "CSVLogger", "JSONLogger",
           "TimeLimit"]


class Callback:
    def on_fit_start(self, trainer):
        pass

    def on_epoch_start(self, trainer, epoch):
        pass

    def on_train_batch_end(self, trainer, batch_idx, logs):
        """After each training batch; ``logs`` holds the batch ``loss`` (float) and ``n``."""

    def on_optimizer_step(self, trainer):
        """After each optimiser step (every ``accumulate_steps`` batches)."""

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_fit_end(self, trainer):
        pass


def _check_mode(mode, who):
    if mode not in ("min", "max"):
        raise ValueError(f"{who}: mode must be 'min' or 'max', got {mode!r}")


def _monitored(logs, monitor, who):
    if monitor not in logs:
        raise KeyError(f"{who}: monitored value {monitor!r} is not in the epoch logs; available: "
                       f"{', '.join(sorted(logs))}")
    return logs[monitor]


def _improved(value, best, mode, min_delta=0.0):
    if best is None:
        return not math.isnan(value)
    return value < best - min_delta if mode == "min" else value > best + min_delta


class ModelCheckpoint(Callback):
    """Save ``last.safetensors`` after every epoch and ``best.safetensors`` whenever ``monitor`` improves, in
    ``dirpath``, through ``Trainer.save_checkpoint`` (model, optimiser, scheduler, epoch, history, RNG states).
    ``extra`` (a dict) is stored in each checkpoint too (e.g. the recipe name and arguments)."""

    def __init__(self, dirpath, monitor="val_loss", mode="min", save_best=True, save_last=True, extra=None):
        _check_mode(mode, "ModelCheckpoint")
        self.dirpath, self.monitor, self.mode = os.fspath(dirpath), monitor, mode
        self.save_best, self.save_last, self.extra = save_best, save_last, extra
        self.best = None
        self.best_epoch = None

    @property
    def last_path(self):
        return os.path.join(self.dirpath, "last.safetensors")

    @property
    def best_path(self):
        return os.path.join(self.dirpath, "best.safetensors")

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.dirpath, exist_ok=True)
        if self.save_last:
            trainer.save_checkpoint(self.last_path, extra=self.extra)
        if self.save_best:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if _improved(value, self.best, self.mode):
                self.best, self.best_epoch = value, epoch
                trainer.save_checkpoint(self.best_path, extra=self.extra)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs. With
    ``restore_best_weights`` the model gets the best epoch's parameters back when training stops."""

    def __init__(self, monitor="val_loss", patience=3, mode="min", min_delta=0.0, restore_best_weights=False):
        _check_mode(mode, "EarlyStopping")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.mode = monitor, int(patience), mode
        self.min_delta, self.restore_best_weights = float(min_delta), restore_best_weights
        self.best, self.best_epoch, self.wait, self.stopped_epoch = None, None, 0, None
        self._best_state = None

    def on_fit_start(self, trainer):
        self.wait = 0

    def on_epoch_end(self, trainer, epoch, logs):
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            trainer.log(f"early stopping at epoch {epoch}: {self.monitor} has not improved for {self.wait} "
                        f"epochs (best {self.best:.6g} at epoch {self.best_epoch})")
            if self.restore_best_weights and self._best_state is not None:
                trainer.model.load_state_dict(self._best_state)


class LRSchedulerCallback(Callback):
    """Step an LR scheduler once per epoch (``interval="epoch"``) or per optimiser step (``"step"``: warm-up,
    ``OneCycleLR``, ``CyclicLR``). ``ReduceLROnPlateau`` is stepped with the epoch's ``monitor`` value.
    ``Trainer(scheduler=...)`` uses this callback itself and checkpoints the scheduler's state."""

    def __init__(self, scheduler, interval="epoch", monitor="val_loss"):
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'step', got {interval!r}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor

    def _plateau(self):
        return type(self.scheduler).__name__ == "ReduceLROnPlateau"

    def on_optimizer_step(self, trainer):
        if self.interval == "step":
            self.scheduler.step()

    def on_epoch_end(self, trainer, epoch, logs):
        if self.interval != "epoch":
            return
        if self._plateau():
            monitor = self.monitor if self.monitor in logs else "loss"
            self.scheduler.step(logs[monitor])
        else:
            self.scheduler.step()


class CSVLogger(Callback):
    """Write one CSV row per epoch (the epoch's logs) to ``filename``, rewriting the file each epoch so the
    header always covers every column."""

    def __init__(self, filename):
        self.filename = os.fspath(filename)

    def on_epoch_end(self, trainer, epoch, logs):
        rows = trainer.history_rows()
        keys = list(dict.fromkeys(k for row in rows for k in row))
        os.makedirs(os.path.dirname(os.path.abspath(self.filename)), exist_ok=True)
        with open(self.filename, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)


class JSONLogger(Callback):
    """Write the whole history (a list of per-epoch dicts) as JSON to ``filename`` after each epoch."""

    def __init__(self, filename):
        self.filename = os.fspath(filename)

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(os.path.dirname(os.path.abspath(self.filename)), exist_ok=True)
        tmp = self.filename + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(trainer.history_rows(), fh, indent=1)
        os.replace(tmp, self.filename)


class TimeLimit(Callback):
    """Stop cleanly (after the current batch) once ``max_minutes`` of wall time have passed since ``fit``
    started. ``Trainer(max_minutes=...)`` adds one.

    With ``cpu_time=True`` the budget is this process's CPU time instead (all threads counted): on a machine
    shared with other jobs wall time says little about the work done, while with one BLAS thread 10 CPU-minutes
    are what 10 minutes of a quiet core give."""

    def __init__(self, max_minutes, cpu_time=False):
        self.max_seconds = float(max_minutes) * 60.0
        self.clock = time.process_time if cpu_time else time.perf_counter
        self.what = "CPU time" if cpu_time else "time"
        self.start = None

    def on_fit_start(self, trainer):
        self.start = self.clock()

    def on_train_batch_end(self, trainer, batch_idx, logs):
        if self.clock() - self.start >= self.max_seconds and not trainer.stop_training:
            trainer.stop_training = True
            trainer.log(f"{self.what} limit of {self.max_seconds / 60:g} minutes reached: stopping")
