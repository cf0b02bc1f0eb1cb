"""CSI feedback: ``ember train csinet [--dataset csi-indoor|csi-outdoor] [--encoded-dim M]``.

CsiNet (``ember.models.csinet``) learns to compress a simulated massive-MIMO channel matrix (``CSIChannels``:
2 × 32 × 32, angular-delay domain, each sample scaled into [0.1, 0.9] around 0.5) into a codeword of ``M``
numbers (compression ratio ``M / 2048``: 512 -> 1/4, 128 -> 1/16, 64 -> 1/32, 32 -> 1/64) and to rebuild it.
The loss is the MSE of the reconstruction, as in the paper; the reported numbers are the paper's: NMSE in dB
(``test_nmse_db``, lower is better) and the cosine correlation ρ of the frequency responses (``rho``, 1 is
perfect). Adam (lr 5e-4, batches of 32; ``--scheduler cosine`` anneals over ``--epochs``) on 20,000 training
channels per epoch, for at most 5 minutes of wall time by default (``--max-minutes``); the test split (2,000
channels from another random stream) is evaluated after every epoch.

``metrics.json`` holds ``test_nmse_db``, ``rho``, ``compression_ratio``, ``epochs``, ``seconds``...;
``ember eval CKPT`` rebuilds the model from the checkpoint and measures it on a fresh test split.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..training import Metric, Trainer
from . import register
from ._common import SaveEachEpoch, args_dict, checkpoint_path, fit_and_save, make_optimizer

__all__ = ["NMSE", "CsiTrainer", "train_csinet", "evaluate_csinet"]

DATASETS = ("csi-indoor", "csi-outdoor")
_DEFAULT_ENCODED_DIM = 512        # compression 1/4
_TRAIN_SAMPLES, _TEST_SAMPLES = 20000, 2000   # an epoch of 20,000 takes ~1-4 minutes on 2 cores


class NMSE(Metric):
    """Streaming NMSE in dB over samples: ``10·log10(mean_n ‖x̂_n − x_n‖² / ‖x_n‖²)`` with 0.5 (the images'
    zero) subtracted from both, i.e. ``ember.models.csinet.nmse(..., offset=0.5)`` over everything seen.

    Each sample's ratio is invariant to its scale, so this is the NMSE of the de-normalised channels
    ``H = (x − 0.5) / scale`` at unit energy, where the paper's ``E‖H − Ĥ‖² / E‖H‖²`` and
    ``E{‖H − Ĥ‖² / ‖H‖²}`` coincide."""
    name, higher_is_better = "nmse_db", False
    needs_outputs = True

    def update(self, outputs, targets, loss=None, n=None):
        a = _np(outputs).reshape(len(_np(outputs)), -1) - 0.5
        b = _np(targets).reshape(len(a), -1) - 0.5
        self.total += float((((a - b) ** 2).sum(axis=1) / (b ** 2).sum(axis=1)).sum())
        self.count += len(a)

    def compute(self):
        if not self.count:
            return float("nan")
        ratio = self.total / self.count
        return 10.0 * math.log10(ratio) if ratio > 0 else -math.inf


def _np(x):
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


class CsiTrainer(Trainer):
    """An autoencoder's batch: the input is its own target; the loss is the reconstruction's MSE."""

    def training_step(self, batch):
        import ember.nn.functional as F
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        x_hat = self.model(x)
        return {"loss": F.mse_loss(x_hat, x), "n": len(x), "outputs": x_hat, "targets": x}


def _data(dataset, train, num_samples, seed):
    """The split as a TensorDataset of the (N, 2, 32, 32) images (the target is the input)."""
    import ember
    from ..datasets import get_dataset
    from ..utils.data import TensorDataset
    ds = get_dataset(dataset, train=train, num_samples=num_samples, seed=seed)
    return TensorDataset(ember.tensor(ds.data))


def _predict(model, loader):
    """(reconstructions, inputs) as NumPy arrays over a loader, in eval mode without gradients."""
    import ember
    model.eval()
    outs, ins = [], []
    device = next(model.parameters()).device
    with ember.no_grad():
        for (x,) in loader:
            outs.append(model(x.to(device)).cpu().numpy())
            ins.append(x.numpy())
    return np.concatenate(outs), np.concatenate(ins)


def _scores(model, loader):
    from ..datasets.csi import rho
    from ..models.csinet import nmse
    x_hat, x = _predict(model, loader)
    return {"test_nmse_db": nmse(x_hat, x, offset=0.5), "rho": rho(x_hat, x)}


def _build(encoded_dim):
    from ..models import get_model
    return get_model("csinet", encoded_dim=int(encoded_dim))


def train_csinet(args):
    import ember
    import ember.optim.lr_scheduler as S
    from ..training import write_run
    from ..utils.data import DataLoader
    t_start = time.perf_counter()
    ember.manual_seed(args.seed)
    np.random.seed(args.seed)
    encoded_dim = int(getattr(args, "encoded_dim", None) or _DEFAULT_ENCODED_DIM)
    n_train = _TRAIN_SAMPLES if args.subset is None else min(args.subset, _TRAIN_SAMPLES)
    n_test = _TEST_SAMPLES if args.subset is None else min(args.subset, _TEST_SAMPLES)
    t0 = time.perf_counter()
    train_ds = _data(args.dataset, True, n_train, args.seed)
    test_ds = _data(args.dataset, False, n_test, args.seed)
    data_seconds = time.perf_counter() - t0
    model = _build(encoded_dim)
    g = ember.Generator()
    g.manual_seed(args.seed)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, generator=g)
    test_loader = DataLoader(test_ds, batch_size=500)
    opt = make_optimizer(args.optimizer, model.parameters(), args.lr, choices=("adam", "adamw", "sgd", "rmsprop"),
                         weight_decay=args.weight_decay or 0.0)
    sched_name = (args.scheduler or "none").lower()
    if sched_name not in ("cosine", "none"):
        raise ValueError(f"unknown scheduler {args.scheduler!r} for csinet; valid schedulers: cosine, none")
    sched = S.CosineAnnealingLR(opt, T_max=args.epochs) if sched_name == "cosine" else None
    extra = {"recipe": "csinet", "args": args_dict(args), "encoded_dim": encoded_dim}
    trainer = CsiTrainer(model, opt, scheduler=sched, metrics=(NMSE(),), device=args.device,
                         accumulate_steps=args.accumulate_steps or 1,
                         clip_grad_norm=getattr(args, "clip_grad_norm", None), progress=not args.no_progress,
                         max_minutes=args.max_minutes, callbacks=[SaveEachEpoch(checkpoint_path(args), extra)])
    fit_seconds, _ = fit_and_save(trainer, args, train_loader, test_loader, extra)
    metrics = _scores(model, test_loader)
    metrics.update({"test_mse": trainer.history["val_loss"][-1] if trainer.history.get("val_loss") else None,
                    "encoded_dim": encoded_dim, "compression_ratio": f"1/{2048 // encoded_dim}"
                    if 2048 % encoded_dim == 0 else encoded_dim / 2048,
                    "epochs": trainer.epoch, "seconds": round(time.perf_counter() - t_start, 2),
                    "train_seconds": round(fit_seconds, 2), "data_seconds": round(data_seconds, 2),
                    "model": "csinet", "dataset": args.dataset,
                    "parameters": sum(p.numel() for p in model.parameters()), "train_samples": len(train_ds),
                    "test_samples": len(test_ds), "seed": args.seed, "optimizer": args.optimizer, "lr": args.lr,
                    "batch_size": args.batch_size, "data": "simulated (clustered multipath, see CSIChannels)"})
    write_run(args.out, trainer.history, metrics, title=f"CsiNet (M={encoded_dim}) on {args.dataset}",
              val_label="test")
    return metrics


def evaluate_csinet(ckpt, args):
    """``ember eval CKPT [--dataset csi-outdoor]``: NMSE and ρ of the checkpoint's CsiNet on a test split
    simulated with the training run's seed."""
    from ..utils.data import DataLoader
    saved = ckpt["args"]
    dataset = (getattr(args, "dataset", None) or saved.get("dataset") or "csi-indoor").lower()
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r} for model 'csinet'; valid datasets: {', '.join(DATASETS)}")
    model = _build(ckpt["encoded_dim"])
    model.load_state_dict(ckpt["model"])
    subset = saved.get("subset")
    n_test = _TEST_SAMPLES if subset is None else min(int(subset), _TEST_SAMPLES)
    loader = DataLoader(_data(dataset, False, n_test, int(saved.get("seed") or 0)),
                        batch_size=getattr(args, "batch_size", None) or 500)
    result = _scores(model, loader)
    result.update({"dataset": dataset, "test_samples": len(loader.dataset), "encoded_dim": int(ckpt["encoded_dim"])})
    return result


register("csinet", task="autoencoder", default_dataset="csi-indoor", datasets=DATASETS,
         description="CSI-feedback autoencoder on simulated massive-MIMO channels (NMSE dB, rho)",
         evaluate=evaluate_csinet, epochs=30, batch_size=32, lr=5e-4, optimizer="adam", weight_decay=0.0,
         scheduler="none", encoded_dim=_DEFAULT_ENCODED_DIM, max_minutes=5.0)(train_csinet)
