"""``Trainer``: the training loop d2l writes by hand, once, with the practice around it.

    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=sched, metrics=("accuracy", "top5"),
                      callbacks=[EarlyStopping("val_loss", patience=3)], accumulate_steps=1,
                      clip_grad_norm=None, device="cpu", out_dir="runs/x", progress=True)
    history = trainer.fit(train_loader, val_loader, epochs=10)   # {"loss": [...], "val_loss": [...], ...}
    trainer.evaluate(test_loader)                                # {"loss": ..., "accuracy": ...}
    trainer.save_checkpoint("ckpt.safetensors"); trainer.load_checkpoint("ckpt.safetensors")

* ``epochs`` is the epoch to train up to: a trainer resumed from an epoch-k checkpoint runs epochs k+1..epochs.
* Gradient accumulation (Caffe's ``accum_batch_size``): each batch's loss is scaled by 1/``accumulate_steps`` and
  the optimiser steps every ``accumulate_steps`` batches, so k batches of b equal one batch of k*b (for a model
  without batch statistics). A trailing group of m < k batches is stepped with its gradients scaled by k/m.
* The scheduler steps once per epoch, or once per optimiser step with ``scheduler_interval="step"`` (the
  default for ``OneCycleLR`` and ``CyclicLR``); ``ReduceLROnPlateau`` is stepped with ``val_loss`` (``loss``
  without validation).
* Every batch's loss is checked; a NaN/Inf raises ``NonFiniteError`` naming the epoch, the step and the first
  non-finite parameter or gradient (or saying that the loss itself overflowed).
* Checkpoints (``ember.save``, safetensors, atomic) hold model, optimiser, scheduler, epoch, history and the RNG
  states (ember's default generator, NumPy's and Python's global ones, the train loader's generator), so a
  resumed run is bit-identical to an uninterrupted one.

Subclass to customise one batch: ``training_step(batch) -> dict(loss=<0-d Tensor>, n=<samples or tokens>,
outputs=..., targets=...)`` and ``validation_step(batch)`` (same dict; default: the same as training), and the
per-epoch state with ``on_epoch_start(epoch, train)`` (e.g. reset an RNN's hidden state). ``outputs``/``targets``
feed the metrics; they may be omitted when only loss-based metrics (``perplexity``) are asked for.
"""
from __future__ import annotations

import math
import random
import time

import numpy as np

from .callbacks import Callback, LRSchedulerCallback, TimeLimit
from .metrics import get_metric

__all__ = ["Trainer", "NonFiniteError"]

_PER_STEP_SCHEDULERS = ("OneCycleLR", "CyclicLR")


class NonFiniteError(RuntimeError):
    """Training produced a NaN or Inf (in the loss, a gradient or a parameter)."""


class Trainer:
    def __init__(self, model, optimizer, loss_fn=None, *, scheduler=None, metrics=("accuracy",), callbacks=(),
                 accumulate_steps=1, clip_grad_norm=None, device="cpu", out_dir=None, progress=True,
                 scheduler_interval=None, max_minutes=None, check_finite=True):
        if int(accumulate_steps) != accumulate_steps or accumulate_steps < 1:
            raise ValueError(f"Trainer: accumulate_steps must be a positive integer, got {accumulate_steps!r}")
        if clip_grad_norm is not None and not clip_grad_norm > 0:
            raise ValueError(f"Trainer: clip_grad_norm must be a positive number or None, got {clip_grad_norm!r}")
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback instances, got {type(cb).__name__}")
        from ..backend import device as _device
        self.device = _device(device)
        self.model = model.to(self.device)
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.scheduler = scheduler
        self.metric_names = tuple(metrics)
        self.metrics = [get_metric(m) for m in self.metric_names]
        self.accumulate_steps = int(accumulate_steps)
        self.clip_grad_norm = clip_grad_norm
        self.out_dir = out_dir
        self.progress = progress
        self.check_finite = check_finite
        self.callbacks = []
        if scheduler is not None:
            if scheduler_interval is None:
                scheduler_interval = "step" if type(scheduler).__name__ in _PER_STEP_SCHEDULERS else "epoch"
            # first, so that the checkpoint callbacks see the scheduler already stepped for this epoch
            self.callbacks.append(LRSchedulerCallback(scheduler, scheduler_interval))
        if max_minutes is not None:
            self.callbacks.append(TimeLimit(max_minutes))
        self.callbacks.extend(callbacks)
        self.epoch = 0            # epochs completed
        self.global_step = 0      # optimiser steps taken
        self.history: dict[str, list] = {}
        self.stop_training = False
        self._train_loader = None
        self._pending_loader_state = None
        self._bar = None

    # ------------------------------------------------------------------------------------------ one batch
    def training_step(self, batch):
        """One batch: ``(inputs, targets)`` -> forward and loss. Override for other batch layouts."""
        if self.loss_fn is None:
            raise ValueError("Trainer: no loss_fn given; pass one or override training_step")
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise ValueError("Trainer.training_step: expected batches of (inputs, targets); override "
                             "training_step for other layouts")
        x, y = batch
        outputs = self.model(x)
        return {"loss": self.loss_fn(outputs, y), "n": len(y), "outputs": outputs, "targets": y}

    def validation_step(self, batch):
        return self.training_step(batch)

    def on_epoch_start(self, epoch, train):
        """Hook for per-epoch state (e.g. an RNN's hidden state); ``train`` is False before validation."""

    # ------------------------------------------------------------------------------------------ the loop
    def fit(self, train_loader, val_loader=None, epochs=10):
        """Train until ``epochs`` epochs are complete (validating after each when ``val_loader`` is given);
        returns ``history``: per-epoch lists keyed ``epoch``, ``loss``, metric names, ``val_loss``,
        ``val_<metric>``, ``lr``, ``samples_per_sec``, ``seconds``."""
        self.stop_training = False
        self._train_loader = train_loader
        if self._pending_loader_state is not None:
            gen = getattr(train_loader, "generator", None)
            if gen is not None:
                gen.set_state(self._pending_loader_state)
            self._pending_loader_state = None
        for cb in self.callbacks:
            cb.on_fit_start(self)
        if self.epoch >= int(epochs):
            self.log(f"Trainer.fit: already trained for {self.epoch} epochs (epochs={epochs}); nothing to do")
        for epoch in range(self.epoch + 1, int(epochs) + 1):
            t0 = time.perf_counter()
            row = {"epoch": epoch}
            row.update(self._train_epoch(train_loader, epoch, int(epochs)))
            if val_loader is not None:
                row.update({f"val_{k}": v for k, v in self.evaluate(val_loader, epoch=epoch).items()
                            if _is_scalar(v)})
            row["lr"] = self.optimizer.param_groups[0]["lr"]
            row["seconds"] = time.perf_counter() - t0
            self.epoch = epoch
            for key, value in row.items():
                self.history.setdefault(key, []).append(value)
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch, row)
            self.log(self._epoch_line(row, int(epochs)))
            if self.stop_training:
                break
        for cb in self.callbacks:
            cb.on_fit_end(self)
        if self.out_dir is not None:
            from .report import write_run
            write_run(self.out_dir, self.history, self.final_metrics())
        return self.history

    def _train_epoch(self, loader, epoch, epochs):
        self.model.train()
        self.on_epoch_start(epoch, True)
        for cb in self.callbacks:
            cb.on_epoch_start(self, epoch)
        for m in self.metrics:
            m.reset()
        try:
            n_batches = len(loader)
        except TypeError:
            n_batches = None
        k = self.accumulate_steps
        total_loss, total_n, pending = 0.0, 0, 0
        t0 = time.perf_counter()
        self._open_bar(n_batches, epoch, epochs)
        self.optimizer.zero_grad()
        i = -1
        try:
            for i, batch in enumerate(loader):
                out = self.training_step(self._to_device(batch))
                loss = out["loss"]
                value = float(loss.item())
                if self.check_finite and not math.isfinite(value):
                    raise self._non_finite(f"the loss is {value}", epoch, i + 1)
                (loss / k if k > 1 else loss).backward()
                pending += 1
                n = _count(out)
                total_loss += value * n
                total_n += n
                self._update_metrics(out, loss, n)
                if pending == k or (n_batches is not None and i + 1 == n_batches):
                    self._optimizer_step(pending, epoch, i + 1)
                    pending = 0
                logs = {"loss": value, "n": n}
                for cb in self.callbacks:
                    cb.on_train_batch_end(self, i, logs)
                self._advance_bar(total_loss / total_n, total_n, t0)
                if self.stop_training:
                    break
            if pending:
                self._optimizer_step(pending, epoch, i + 1)
        finally:
            self._close_bar()
        if self.check_finite:
            bad = self._first_non_finite(grads=False)
            if bad:
                raise self._non_finite(f"parameter {bad!r} is not finite after the last step", epoch, i + 1)
        seconds = time.perf_counter() - t0
        row = {"loss": total_loss / total_n if total_n else float("nan")}
        row.update(self._computed_metrics())
        row["samples_per_sec"] = total_n / seconds if seconds > 0 else float("nan")
        return row

    def _optimizer_step(self, pending, epoch, step):
        params = [p for p in self.model.parameters() if p.requires_grad]
        if pending < self.accumulate_steps:      # a short trailing group: its mean, not a fraction of it
            scale = self.accumulate_steps / pending
            for p in params:
                if p.grad is not None:
                    p.grad.mul_(scale)
        if self.clip_grad_norm is not None:
            from ..nn.utils import clip_grad_norm_
            total = float(clip_grad_norm_(params, self.clip_grad_norm))
            if self.check_finite and not math.isfinite(total):
                bad = self._first_non_finite(grads=True)
                raise self._non_finite(f"the gradient norm is {total}", epoch, step, bad)
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.global_step += 1
        for cb in self.callbacks:
            cb.on_optimizer_step(self)

    def evaluate(self, loader, epoch=None):
        """Mean loss and metrics over ``loader`` in eval mode without gradients -> ``{"loss": ..., name: ...}``."""
        from .. import no_grad
        was_training = self.model.training
        self.model.eval()
        self.on_epoch_start(self.epoch if epoch is None else epoch, False)
        for m in self.metrics:
            m.reset()
        total_loss, total_n = 0.0, 0
        try:
            with no_grad():
                for batch in loader:
                    out = self.validation_step(self._to_device(batch))
                    n = _count(out)
                    total_loss += float(out["loss"].item()) * n
                    total_n += n
                    self._update_metrics(out, out["loss"], n)
        finally:
            self.model.train(was_training)
        result = {"loss": total_loss / total_n if total_n else float("nan")}
        result.update(self._computed_metrics())
        return result

    # ------------------------------------------------------------------------------------------ metrics
    def _update_metrics(self, out, loss, n):
        outputs, targets = out.get("outputs"), out.get("targets")
        for m in self.metrics:
            if getattr(m, "needs_outputs", True) and (outputs is None or targets is None):
                raise ValueError(f"Trainer: metric {m.name!r} needs 'outputs' and 'targets' in the dict that "
                                 "training_step/validation_step return")
            m.update(outputs, targets, loss=loss.detach(), n=n)

    def _computed_metrics(self):
        values = {m.name: m.compute() for m in self.metrics}
        return {name: v for name, v in values.items() if _is_scalar(v)}     # a confusion matrix is not history

    def history_rows(self):
        """``history`` as a list of per-epoch dicts."""
        keys = list(self.history)
        n = max((len(v) for v in self.history.values()), default=0)
        return [{k: self.history[k][i] for k in keys if i < len(self.history[k])} for i in range(n)]

    def final_metrics(self):
        """The last epoch's values (``loss``, ``val_loss``, metrics...), plus ``epochs``."""
        out = {k: v[-1] for k, v in self.history.items() if v and k != "epoch"}
        out["epochs"] = self.epoch
        return out

    # ------------------------------------------------------------------------------------------ NaN/Inf
    def _first_non_finite(self, grads):
        for name, p in self.model.named_parameters():
            t = p.grad if grads else p
            if t is not None and not np.isfinite(_host(t)).all():
                return name
        return None

    def _non_finite(self, what, epoch, step, bad=None):
        where = f"at epoch {epoch}, step {step} (optimiser step {self.global_step + 1})"
        if bad is None and what.startswith("the loss"):
            bad = self._first_non_finite(grads=False)
            if bad is None:
                hint = ("every parameter is finite, so the forward pass itself overflowed: lower the learning "
                        "rate, clip gradients (clip_grad_norm=...) or check the inputs")
            else:
                hint = f"first non-finite parameter: {bad!r}"
        elif bad is not None:
            hint = f"first non-finite gradient: {bad!r}"
        else:
            hint = "lower the learning rate or clip gradients (clip_grad_norm=...)"
        return NonFiniteError(f"Trainer.fit: {what} {where}; {hint}")

    # ------------------------------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path, extra=None):
        """Save model, optimiser, scheduler, epoch, history and RNG states (plus the ``extra`` dict's entries)
        with ``ember.save`` (safetensors, written atomically)."""
        from .. import save
        ckpt = dict(extra or {})
        ckpt.update({
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "epoch": self.epoch,
            "global_step": self.global_step,
            "history": self.history,
            "rng": _rng_state(self._train_loader),
        })
        save(ckpt, path)

    def load_checkpoint(self, path, restore_rng=True):
        """Restore what ``save_checkpoint`` wrote; returns the whole checkpoint dict (for its extra entries).
        The train loader's generator state is applied when ``fit`` next starts."""
        from .. import load
        ckpt = load(path)
        for key in ("model", "optimizer", "epoch"):
            if key not in ckpt:
                raise KeyError(f"Trainer.load_checkpoint: {path!r} has no {key!r} entry (not a Trainer checkpoint)")
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.scheduler is not None and ckpt.get("scheduler") is not None:
            self.scheduler.load_state_dict(ckpt["scheduler"])
        self.epoch = int(ckpt["epoch"])
        self.global_step = int(ckpt.get("global_step", 0))
        self.history = {k: list(v) for k, v in (ckpt.get("history") or {}).items()}
        if restore_rng and ckpt.get("rng") is not None:
            self._pending_loader_state = _set_rng_state(ckpt["rng"])
        return ckpt

    # ------------------------------------------------------------------------------------------ plumbing
    def _to_device(self, batch):
        if self.device.type == "cpu":
            return batch
        return _move(batch, self.device)

    def log(self, msg):
        """Print a line without breaking the progress bar."""
        if self._bar is not None:
            self._bar.write(msg)
        else:
            print(msg, flush=True)

    def _open_bar(self, total, epoch, epochs):
        self._bar, self._last_postfix = None, 0.0
        if not self.progress:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self._bar = tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False,
                         dynamic_ncols=True)

    def _advance_bar(self, mean_loss, seen, t0):
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.perf_counter()
        if now - self._last_postfix < 0.5:
            return
        self._last_postfix = now
        parts = [f"loss={mean_loss:.4f}"]
        for m in self.metrics:
            value = m.compute()
            if _is_scalar(value):
                parts.append(f"{m.name}={value:.4f}")
        parts.append(f"lr={self.optimizer.param_groups[0]['lr']:.3g}")
        parts.append(f"samples/s={seen / max(now - t0, 1e-9):.0f}")
        self._bar.set_postfix_str(" ".join(parts), refresh=False)

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _epoch_line(self, row, epochs):
        parts = [f"epoch {row['epoch']}/{epochs}"]
        for key, value in row.items():
            if key in ("epoch", "seconds", "samples_per_sec", "lr"):
                continue
            parts.append(f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}")
        parts.append(f"lr {row['lr']:.3g}")
        parts.append(f"{row.get('samples_per_sec', float('nan')):.0f} samples/s")
        parts.append(f"{row['seconds']:.1f} s")
        return " | ".join(parts)


def _count(out):
    n = out.get("n")
    if n is None:
        targets = out.get("targets")
        n = len(targets) if targets is not None else 1
    return int(n)


def _is_scalar(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _host(t):
    data = t.detach()._data
    return data.get() if hasattr(data, "get") else data


def _move(obj, device):
    from .._tensor import Tensor
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(x, device) for x in obj)
    if isinstance(obj, dict):
        return {k: _move(v, device) for k, v in obj.items()}
    return obj


def _rng_state(loader):
    """Every random stream a training run draws from, in a form ``ember.save`` stores."""
    from .. import get_rng_state
    _, keys, pos, has_gauss, cached = np.random.get_state()
    gen = getattr(loader, "generator", None) if loader is not None else None
    return {
        "ember": get_rng_state(),
        "numpy": {"keys": keys.astype(np.int64), "pos": int(pos), "has_gauss": int(has_gauss),
                  "cached_gaussian": float(cached)},
        "python": list(random.getstate()[1]) + [random.getstate()[0]],
        "python_gauss": random.getstate()[2],
        "loader": gen.get_state() if gen is not None else None,
    }


def _set_rng_state(state):
    """Restore what ``_rng_state`` saved; returns the loader generator's state (applied by ``fit``)."""
    from .. import set_rng_state
    set_rng_state(state["ember"])
    np_state = state["numpy"]
    np.random.set_state(("MT19937", np.asarray(np_state["keys"]).astype(np.uint32), np_state["pos"],
                         np_state["has_gauss"], np_state["cached_gaussian"]))
    py = list(state["python"])
    random.setstate((py[-1], tuple(py[:-1]), state.get("python_gauss")))
    return state.get("loader")
