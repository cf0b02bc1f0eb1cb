"""Vision classification and tabular regression recipes: ``ember train <zoo model> --dataset D`` and
``ember train mlp|linear --dataset boston``.

Classification: any vision model of the zoo (``ember.models``) on ``mnist5k`` (embedded, the default),
``digits`` (embedded), ``mnist``, ``fashion-mnist`` or ``cifar10`` (downloaded with ``--download``). Images are
resized to the model's ``default_input_size`` when they differ, normalised with the training set's own
per-channel mean and std, and augmented (``--no-augment`` turns it off): small rotations and shifts for digits,
shifts and flips for Fashion-MNIST and CIFAR-10. The optimiser follows ``--optimizer`` with a one-cycle
learning-rate schedule stepped per batch (``--scheduler`` picks ``cosine``, ``step`` or ``none`` instead). The
test split is evaluated after every epoch (d2l's train/test curves; nothing is selected on it) and once at the end.

``ember train`` with no arguments is the README's main job: LeNet (ReLU, max-pooling, batch norm) on MNIST5k.

Regression: ``mlp`` (13-64-64-1 with ReLU) and ``linear`` on Boston housing; features are standardised with
training-set statistics that live in the model as buffers, so the checkpoint alone reproduces the predictions.
"""
from __future__ import annotations

import time

import numpy as np

from . import register
from ._common import SaveEachEpoch, args_dict, checkpoint_path, fit_and_save, make_optimizer

CLASSIFIERS = ("lenet", "lenet5", "alexnet", "vgg11", "vgg16", "nin", "googlenet", "resnet18", "resnet34",
               "resnet50", "densenet121")
IMAGE_DATASETS = ("mnist5k", "digits", "mnist", "fashion-mnist", "cifar10")
_DOWNLOADABLE = ("mnist", "fashion-mnist", "cifar10")

# Per-model defaults: the main job (lenet) is tuned for >= 97% on MNIST5k in well under 5 minutes on 2 cores.
_MODEL_KWARGS = {"lenet": {"activation": "relu", "pool": "max", "batch_norm": True}}
_CLASSIFIER_DEFAULTS = dict(epochs=10, batch_size=128, lr=0.01, optimizer="sgd", weight_decay=5e-4,
                            scheduler="onecycle", augment=True)
# Peak learning rates of the one-cycle schedule: d2l's choices for these networks (its chapter 8), where the
# network has no batch norm (AlexNet, VGG, NiN) a notch lower.
_PER_MODEL_DEFAULTS = {
    "lenet": dict(epochs=20, batch_size=64, lr=0.1),
    "lenet5": dict(epochs=20, batch_size=64, lr=0.1),
    "alexnet": dict(lr=0.01),
    "vgg11": dict(lr=0.02),
    "vgg16": dict(lr=0.02),
    "nin": dict(lr=0.05),
    "googlenet": dict(lr=0.05),
    "resnet18": dict(lr=0.05),
    "resnet34": dict(lr=0.05),
    "resnet50": dict(lr=0.05),
    "densenet121": dict(lr=0.05),
}


# ------------------------------------------------------------------------------------------------ data
def _dataset(args, train, transform=None):
    from ..datasets import get_dataset
    kw = {"train": train, "transform": transform}
    if args.dataset in _DOWNLOADABLE:
        kw.update(root=args.root, download=bool(args.download))
    try:
        return get_dataset(args.dataset, **kw)
    except (RuntimeError, FileNotFoundError) as e:
        raise SystemExit(f"ember train: {e}") from None


def _image_shape(ds):
    """(C, H, W) of a dataset's images, from its uint8 ``.data`` (N×H×W or N×H×W×C)."""
    data = ds.data
    return (1, *data.shape[1:3]) if data.ndim == 3 else (data.shape[3], *data.shape[1:3])


def _channel_stats(ds):
    """Per-channel mean and std of the training images in [0, 1] (the fitted normaliser), accumulated in float64
    over chunks so CIFAR-10's 50,000 images never need a float copy of the whole array."""
    data = ds.data if ds.data.ndim == 4 else ds.data[..., None]
    total = np.zeros(data.shape[-1])
    total_sq = np.zeros(data.shape[-1])
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096].astype(np.float64) / 255.0
        total += chunk.sum(axis=(0, 1, 2))
        total_sq += np.square(chunk).sum(axis=(0, 1, 2))
    count = data.shape[0] * data.shape[1] * data.shape[2]
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0.0))
    return mean.tolist(), std.tolist()


def _augmentation(dataset, size):
    """The random part of the training transform for each dataset (on H×W[×C] uint8 arrays)."""
    import ember.transforms as T
    h = size[0]
    if dataset in ("mnist5k", "mnist", "digits"):
        # digits are not mirror-symmetric: no flips; small rotations and shifts (about 2 pixels at 28×28)
        return [T.RandomAffine(degrees=10, translate=(0.08, 0.08), scale=(0.95, 1.05))]
    if dataset == "fashion-mnist":
        return [T.RandomCrop(h, padding=max(1, h // 14)), T.RandomHorizontalFlip()]
    return [T.RandomCrop(h, padding=max(1, h // 8)), T.RandomHorizontalFlip()]          # cifar10


def _transforms(args, shape, target_size, mean, std):
    import ember.transforms as T
    resize = [T.Resize(list(target_size))] if tuple(shape[1:]) != tuple(target_size) else []
    tail = [T.ToTensor(), T.Normalize(mean, std)]
    train = resize + (_augmentation(args.dataset, target_size) if args.augment else []) + tail
    return T.Compose(train), T.Compose(resize + tail)


def _materialise(ds, limit=None):
    """Apply a deterministic transform once to every sample -> a TensorDataset (fast repeated evaluation)."""
    import ember
    from ..utils.data import TensorDataset
    n = len(ds) if limit is None else min(limit, len(ds))
    xs, ys = zip(*(ds[i] for i in range(n)))
    return TensorDataset(ember.stack(list(xs)), ember.tensor(list(ys), dtype=ember.int64))


def _subset(ds, n):
    from ..utils.data import Subset
    return ds if n is None or n >= len(ds) else Subset(ds, list(range(n)))


def _build_classifier(name, num_classes, in_channels):
    from ..models import get_model
    kwargs = dict(_MODEL_KWARGS.get(name, {}), num_classes=num_classes, in_channels=in_channels)
    if name != "lenet5":
        kwargs["small_input"] = True
    return get_model(name, **kwargs)


# ------------------------------------------------------------------------------------------------ training
def _optimizer(args, params):
    momentum = dict(momentum=0.9, nesterov=True) if (args.optimizer or "").lower() == "sgd" else {}
    return make_optimizer(args.optimizer, params, args.lr, weight_decay=args.weight_decay or 0.0, **momentum)


def _scheduler(args, opt, steps_per_epoch):
    import ember.optim.lr_scheduler as S
    name = (args.scheduler or "none").lower()
    if name == "onecycle":
        total = args.epochs * steps_per_epoch
        if total < 4:            # too short to warm up and anneal (OneCycleLR would divide by zero)
            return None
        # a quarter of the run warms up; at least two steps, so each phase has a length
        return S.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=max(0.25, 2.0 / total))
    if name == "cosine":
        return S.CosineAnnealingLR(opt, T_max=args.epochs)
    if name == "step":
        return S.StepLR(opt, step_size=max(1, args.epochs // 3), gamma=0.1)
    if name == "none":
        return None
    raise ValueError(f"unknown scheduler {args.scheduler!r}; valid schedulers: onecycle, cosine, step, none")


def _fit(args, model, loss_fn, metrics, train_loader, test_loader, extra, accumulate=1):
    """Shared by both tasks: optimiser, schedule, Trainer, resume, per-epoch checkpoint, final files."""
    from ..training import Trainer
    opt = _optimizer(args, model.parameters())
    steps = -(-len(train_loader) // accumulate)
    sched = _scheduler(args, opt, steps)
    trainer = Trainer(model, opt, loss_fn, scheduler=sched, metrics=metrics, accumulate_steps=accumulate,
                      clip_grad_norm=getattr(args, "clip_grad_norm", None), device=args.device,
                      progress=not args.no_progress, max_minutes=args.max_minutes,
                      callbacks=[SaveEachEpoch(checkpoint_path(args), extra)])
    seconds, _ = fit_and_save(trainer, args, train_loader, test_loader, extra)
    return trainer, seconds


def train_classifier(args):
    import ember
    import ember.nn as nn
    from ..training import write_run, ConfusionMatrix
    from ..utils.data import DataLoader
    t_start = time.perf_counter()
    ember.manual_seed(args.seed)
    np.random.seed(args.seed)
    raw_train = _dataset(args, True)
    shape = _image_shape(raw_train)
    num_classes = len(raw_train.classes)
    model = _build_classifier(args.model, num_classes, shape[0])
    target = tuple(model.default_input_size[1:])
    mean, std = _channel_stats(raw_train)
    train_tf, test_tf = _transforms(args, shape, target, mean, std)
    train_ds = _subset(_dataset(args, True, train_tf), args.subset)
    test_ds = _materialise(_dataset(args, False, test_tf), args.subset)
    g = ember.Generator()
    g.manual_seed(args.seed)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, generator=g)
    test_loader = DataLoader(test_ds, batch_size=256)
    extra = {"recipe": args.model, "args": args_dict(args), "num_classes": num_classes,
             "in_channels": shape[0], "normalize": {"mean": mean, "std": std}, "input_size": list(target)}
    trainer, fit_seconds = _fit(args, model, nn.CrossEntropyLoss(), ("accuracy", "top5") if num_classes > 5
                                else ("accuracy",), train_loader, test_loader, extra,
                                accumulate=args.accumulate_steps or 1)
    cm = ConfusionMatrix(num_classes)
    result = _evaluate_classifier(trainer, test_loader, cm)
    metrics = {"test_accuracy": result["accuracy"], "test_loss": result["loss"]}
    if "top5" in result:
        metrics["test_top5"] = result["top5"]
    metrics.update({"epochs": trainer.epoch, "seconds": round(time.perf_counter() - t_start, 2),
                    "train_seconds": round(fit_seconds, 2), "model": args.model, "dataset": args.dataset,
                    "parameters": sum(p.numel() for p in model.parameters()),
                    "train_samples": len(train_ds), "test_samples": len(test_ds), "seed": args.seed,
                    "optimizer": args.optimizer, "lr": args.lr, "batch_size": args.batch_size,
                    "augment": bool(args.augment), "confusion_matrix": cm.compute().tolist()})
    write_run(args.out, trainer.history, metrics, title=f"{args.model} on {args.dataset}", val_label="test")
    return {k: v for k, v in metrics.items() if k != "confusion_matrix"}


def _evaluate_classifier(trainer, loader, cm):
    """``trainer.evaluate`` with the confusion matrix ``cm`` filled in as well (not part of the history)."""
    trainer.metrics.append(cm)
    try:
        return trainer.evaluate(loader)
    finally:
        trainer.metrics.remove(cm)


def evaluate_classifier(ckpt, args):
    """``ember eval CKPT``: rebuild the model from the checkpoint and measure it on the test split."""
    import ember.nn as nn
    from ..training import Trainer, ConfusionMatrix
    from ..utils.data import DataLoader
    import ember.transforms as T
    targs = _ns(ckpt["args"], args)
    model = _build_classifier(ckpt["recipe"], ckpt["num_classes"], ckpt["in_channels"])
    model.load_state_dict(ckpt["model"])
    target = tuple(ckpt["input_size"])
    test_raw = _dataset(targs, False)
    shape = _image_shape(test_raw)
    if shape[0] != ckpt["in_channels"]:
        raise ValueError(f"dataset {targs.dataset!r} has {shape[0]}-channel images but the checkpoint's model "
                         f"takes {ckpt['in_channels']}")
    resize = [T.Resize(list(target))] if tuple(shape[1:]) != target else []
    tf = T.Compose(resize + [T.ToTensor(), T.Normalize(ckpt["normalize"]["mean"], ckpt["normalize"]["std"])])
    loader = DataLoader(_materialise(_dataset(targs, False, tf)), batch_size=targs.batch_size or 256)
    trainer = Trainer(model, _NoOptimizer(), nn.CrossEntropyLoss(), metrics=("accuracy",), device=targs.device,
                      progress=False)
    cm = ConfusionMatrix(ckpt["num_classes"])
    result = _evaluate_classifier(trainer, loader, cm)
    print("confusion matrix (rows: true class, columns: predicted):")
    print(cm.compute())
    return {"test_accuracy": result["accuracy"], "test_loss": result["loss"], "dataset": targs.dataset,
            "test_samples": len(loader.dataset)}


class _NoOptimizer:
    """Evaluation needs a Trainer but never steps; this stands in for the optimiser."""
    param_groups = [{"lr": 0.0}]


def _ns(saved, cli):
    """The training run's arguments, with what the ``ember eval`` command line sets on top."""
    import argparse
    merged = dict(saved)
    for key in ("dataset", "device", "root", "batch_size"):
        value = getattr(cli, key, None)
        if value is not None:
            merged[key] = value.lower() if key == "dataset" else value
    merged.setdefault("download", False)
    return argparse.Namespace(**merged)


# ------------------------------------------------------------------------------------------------ regression
def _regression_model(name, n_features, x_mean, x_std, y_mean, y_std):
    import ember
    import ember.nn as nn

    class Standardized(nn.Module):
        """``net`` on standardised features, predicting in the target's own units (statistics as buffers)."""

        def __init__(self, net):
            super().__init__()
            self.net = net
            self.register_buffer("x_mean", ember.tensor(x_mean, dtype=ember.float32))
            self.register_buffer("x_std", ember.tensor(x_std, dtype=ember.float32))
            self.register_buffer("y_mean", ember.tensor(y_mean, dtype=ember.float32))
            self.register_buffer("y_std", ember.tensor(y_std, dtype=ember.float32))

        def forward(self, x):
            return self.net((x - self.x_mean) / self.x_std) * self.y_std + self.y_mean

    if name == "linear":
        net = nn.Linear(n_features, 1)
    else:
        net = nn.Sequential(nn.Linear(n_features, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 64), nn.ReLU(),
                            nn.Linear(64, 1))
    return Standardized(net)


def _tabular(args, train, limit=None):
    """The whole table as one TensorDataset (x float32 (N, F), y float32 (N, 1)); ``limit`` keeps the first rows."""
    import ember
    from ..utils.data import TensorDataset
    ds = _dataset(args, train)
    n = len(ds) if limit is None else min(limit, len(ds))
    x = np.stack([np.asarray(ds[i][0], dtype=np.float32) for i in range(n)])
    y = np.asarray([float(ds[i][1]) for i in range(n)], dtype=np.float32).reshape(-1, 1)
    return TensorDataset(ember.tensor(x), ember.tensor(y))


def train_regressor(args):
    import ember
    import ember.nn as nn
    from ..training import write_run
    from ..utils.data import DataLoader
    t_start = time.perf_counter()
    ember.manual_seed(args.seed)
    train_ds, test_ds = _tabular(args, True, args.subset), _tabular(args, False)
    xs, ys = train_ds.tensors
    x, y = xs.numpy(), ys.numpy()
    std = x.std(axis=0)
    model = _regression_model(args.model, x.shape[1], x.mean(axis=0), np.where(std > 0, std, 1.0),
                              y.mean(), y.std())
    g = ember.Generator()
    g.manual_seed(args.seed)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, generator=g)
    test_loader = DataLoader(test_ds, batch_size=256)
    extra = {"recipe": args.model, "args": args_dict(args), "n_features": int(x.shape[1])}
    trainer, fit_seconds = _fit(args, model, nn.MSELoss(), ("mse", "mae"), train_loader, test_loader, extra,
                                accumulate=args.accumulate_steps or 1)
    result = trainer.evaluate(test_loader)
    metrics = {"test_mse": result["mse"], "test_mae": result["mae"], "test_rmse": float(np.sqrt(result["mse"])),
               "epochs": trainer.epoch, "seconds": round(time.perf_counter() - t_start, 2),
               "train_seconds": round(fit_seconds, 2), "model": args.model, "dataset": args.dataset,
               "parameters": sum(p.numel() for p in model.parameters()), "train_samples": len(train_ds),
               "test_samples": len(test_ds), "seed": args.seed}
    write_run(args.out, trainer.history, metrics, title=f"{args.model} on {args.dataset}", val_label="test")
    return metrics


def evaluate_regressor(ckpt, args):
    import ember.nn as nn
    from ..training import Trainer
    from ..utils.data import DataLoader
    targs = _ns(ckpt["args"], args)
    model = _regression_model(ckpt["recipe"], ckpt["n_features"], np.zeros(ckpt["n_features"]),
                              np.ones(ckpt["n_features"]), 0.0, 1.0)
    model.load_state_dict(ckpt["model"])
    loader = DataLoader(_tabular(targs, False), batch_size=256)
    trainer = Trainer(model, _NoOptimizer(), nn.MSELoss(), metrics=("mse", "mae"), device=targs.device,
                      progress=False)
    result = trainer.evaluate(loader)
    return {"test_mse": result["mse"], "test_mae": result["mae"], "test_rmse": float(np.sqrt(result["mse"])),
            "dataset": targs.dataset, "test_samples": len(loader.dataset)}


# ------------------------------------------------------------------------------------------------ registry
for _name in CLASSIFIERS:
    register(_name, task="classification", default_dataset="mnist5k", datasets=IMAGE_DATASETS,
             description=f"{_name} image classifier", evaluate=evaluate_classifier,
             **dict(_CLASSIFIER_DEFAULTS, **_PER_MODEL_DEFAULTS.get(_name, {})))(train_classifier)

register("mlp", "linear", task="regression", default_dataset="boston", datasets=("boston",),
         description="house-price regression (test MSE/MAE)", evaluate=evaluate_regressor,
         epochs=200, batch_size=32, lr=0.003, optimizer="adam", weight_decay=1e-4, scheduler="cosine",
         augment=False)(train_regressor)
