"""The transformer-mt and gpt-mini recipes end to end on tiny settings (files, metrics, checkpoint, CLI)."""
import argparse
import json

import numpy as np
import pytest

import ember
import ember.text
from ember.cli import _fill_defaults, main
from ember.recipes import get_recipe
from ember.recipes.transformer import TranslationTrainer, _optimizer_and_schedule


def _args(model, out, **kw):
    args = argparse.Namespace(model=model, dataset=None, epochs=None, batch_size=None, lr=None, optimizer=None,
                              device="cpu", out=str(out), resume=None, seed=0, root=None, download=False,
                              no_progress=True, max_minutes=None)
    for key, value in kw.items():
        setattr(args, key, value)
    _fill_defaults(args, get_recipe(model))
    return args


TINY = dict(d_model=32, nhead=2, num_layers=1, dim_feedforward=64, warmup=4)


def test_transformer_mt_recipe_end_to_end(tmp_path, capsys):
    out = tmp_path / "mt"
    args = _args("transformer-mt", out, epochs=2, batch_size=32, lr=3e-3, num_examples=192, max_test=8, num_steps=12,
                 **TINY)
    metrics = get_recipe("transformer-mt").train(args)
    for name in ("checkpoint.safetensors", "curves.png", "metrics.json"):
        assert (out / name).is_file()
    written = json.loads((out / "metrics.json").read_text())
    for key in ("test_bleu", "copy_baseline_bleu", "val_perplexity", "epochs", "seconds"):
        assert key in written
    assert metrics["epochs"] == 2 and metrics["test_pairs"] == 8
    assert 0.0 <= metrics["test_bleu"] <= 1.0
    assert metrics["val_perplexity"] == pytest.approx(np.exp(metrics["val_loss"]))
    ckpt = ember.load(str(out / "checkpoint.safetensors"))
    assert ckpt["recipe"] == "transformer-mt" and ckpt["args"]["d_model"] == 32
    assert ember.text.Vocab.from_state_dict(ckpt["tgt_vocab"])["<bos>"] == 2
    history = ckpt["history"]
    assert history["val_loss"][1] < history["val_loss"][0]

    capsys.readouterr()
    assert main(["translate", str(out / "checkpoint.safetensors"), "And God said, Let there be light.",
                 "--beam-size", "2", "--max-length", "6"]) == 0
    translation = capsys.readouterr().out.strip()
    assert 0 < len(translation.split()) <= 6
    assert main(["eval", str(out / "checkpoint.safetensors")]) == 0
    assert "test_pairs: 8" in capsys.readouterr().out


def test_gpt_mini_recipe_end_to_end(tmp_path, capsys):
    out = tmp_path / "gpt"
    args = _args("gpt-mini", out, epochs=2, batch_size=16, lr=3e-3, max_tokens=12000, num_steps=32, **TINY)
    metrics = get_recipe("gpt-mini").train(args)
    for name in ("checkpoint.safetensors", "curves.png", "metrics.json"):
        assert (out / name).is_file()
    assert metrics["epochs"] == 2 and metrics["sample"].startswith("ROMEO:")
    assert metrics["val_perplexity"] < metrics["vocab_size"]           # better than guessing uniformly
    history = json.loads((out / "metrics.json").read_text())
    assert history["val_perplexity"] == pytest.approx(metrics["val_perplexity"])

    capsys.readouterr()
    assert main(["generate", str(out / "checkpoint.safetensors"), "--prompt", "First", "--length", "20",
                 "--top-k", "3"]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    assert text.startswith("First") and len(text) >= 25
    assert main(["eval", str(out / "checkpoint.safetensors")]) == 0
    assert "val_perplexity" in capsys.readouterr().out


def test_noam_schedule_peaks_at_lr():
    model = ember.nn.Linear(2, 2)
    optimizer, scheduler = _optimizer_and_schedule("adam", model, 1e-3, d_model=64, warmup=5)
    lrs = []
    for _ in range(20):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert max(lrs) == pytest.approx(1e-3) and int(np.argmax(lrs)) == 5
    assert lrs[1] == pytest.approx(1e-3 / 5) and lrs[20 - 1] == pytest.approx(1e-3 * (5 / 19) ** 0.5)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.98)
    with pytest.raises(ValueError, match="valid optimizers: adam, adamw"):
        _optimizer_and_schedule("sgd", model, 1e-3, 64, 5)


def test_translation_step_ignores_padding_columns():
    """Cutting a batch to its longest sentence leaves the loss unchanged (padding is ignored either way)."""
    from ember.models.transformer_mt import TransformerMT
    ember.manual_seed(0)
    model = TransformerMT(12, 12, d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                          dim_feedforward=16, dropout=0.0, padding_idx=1).eval()
    trainer = TranslationTrainer(model, ember.optim.SGD(model.parameters(), lr=0.0), bos=2, pad=1,
                                 label_smoothing=0.1, metrics=(), progress=False)
    X = ember.tensor([[4, 5, 3, 1, 1, 1], [6, 7, 8, 3, 1, 1]])
    Y = ember.tensor([[9, 3, 1, 1, 1, 1], [10, 11, 3, 1, 1, 1]])
    xl, yl = ember.tensor([3, 4]), ember.tensor([2, 3])
    out = trainer.training_step((X, xl, Y, yl))
    assert out["n"] == 5
    bos = ember.full((2, 1), 2, dtype=ember.int64)
    logits = model(X, ember.cat([bos, Y[:, :-1]], dim=1), xl)
    full = ember.nn.functional.cross_entropy(logits.reshape(-1, 12), Y.reshape(-1), ignore_index=1,
                                             label_smoothing=0.1)
    assert out["loss"].item() == pytest.approx(full.item(), rel=1e-5)
    assert trainer.validation_step((X, xl, Y, yl))["loss"].item() < out["loss"].item()
