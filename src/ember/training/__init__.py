"""``ember.training``: the ``Trainer``, its metrics and callbacks, and the files a run leaves behind.

    from ember.training import Trainer, EarlyStopping, ModelCheckpoint, write_run
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), metrics=("accuracy",))
    history = trainer.fit(train_loader, val_loader, epochs=10)
    write_run("runs/x", history, {"test_accuracy": trainer.evaluate(test_loader)["accuracy"]})

See ``trainer.py`` for the loop's rules (accumulation, scheduling, NaN checks, checkpoints), ``metrics.py`` and
``callbacks.py`` for what plugs into it, ``report.py`` for ``curves.png`` / ``metrics.json``.
"""
from .trainer import Trainer, NonFiniteError
from .metrics import (Metric, Accuracy, TopKAccuracy, MeanSquaredError, MeanAbsoluteError, Perplexity,
                      ConfusionMatrix, METRICS, get_metric, accuracy, topk_accuracy, confusion_matrix)
from .callbacks import (Callback, ModelCheckpoint, EarlyStopping, LRSchedulerCallback, CSVLogger, JSONLogger,
                        TimeLimit)
from .report import write_run, plot_curves, write_metrics

__all__ = ["Trainer", "NonFiniteError", "Metric", "Accuracy", "TopKAccuracy", "MeanSquaredError",
           "MeanAbsoluteError", "Perplexity", "ConfusionMatrix", "METRICS", "get_metric", "accuracy",
           "topk_accuracy", "confusion_matrix", "Callback", "ModelCheckpoint", "EarlyStopping",
           "LRSchedulerCallback", "CSVLogger", "JSONLogger", "TimeLimit", "write_run", "plot_curves",
           "write_metrics"]
