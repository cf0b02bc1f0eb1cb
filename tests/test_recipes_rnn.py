"""The RNN recipes end to end at tiny sizes: train a few steps into tmp_path, check the files, the metrics and that
the loss drops, then use the checkpoint through the CLI (generate, translate, eval)."""
import argparse
import json

import pytest

import ember
from ember.cli import main
from ember.recipes import get_recipe


def _args(model, out, **kw):
    recipe = get_recipe(model)
    args = argparse.Namespace(model=model, dataset=recipe.default_dataset, device="cpu", out=str(out), resume=None,
                              seed=0, root=None, download=False, no_progress=True, max_minutes=None)
    for key, value in recipe.defaults.items():
        setattr(args, key, value)
    for key, value in kw.items():
        setattr(args, key, value)
    return recipe, args


def test_lstm_lm_recipe_end_to_end(tmp_path, capsys):
    recipe, args = _args("lstm-lm", tmp_path / "lm", epochs=3, batch_size=8, lr=1e-2, num_hiddens=32,
                         num_layers=1, embed_size=16, num_steps=16, max_tokens=4000)
    assert recipe.task == "language-model" and recipe.default_dataset == "shakespeare"
    metrics = recipe.train(args)
    assert {p.name for p in (tmp_path / "lm").iterdir()} >= {"checkpoint.safetensors", "curves.png", "metrics.json"}
    saved = json.loads((tmp_path / "lm" / "metrics.json").read_text())
    assert saved["val_perplexity"] == pytest.approx(metrics["val_perplexity"])
    assert saved["epochs"] == 3 and saved["sample"].startswith("ROMEO:")
    history = saved["history"]
    assert history["val_perplexity"][-1] < history["val_perplexity"][0]           # it learns
    assert history["perplexity"][-1] < history["perplexity"][0]
    assert metrics["val_perplexity"] < metrics["vocab_size"]                       # better than uniform
    ckpt = ember.load(tmp_path / "lm" / "checkpoint.safetensors")
    assert ckpt["recipe"] == "lstm-lm" and ckpt["vocab"]["idx_to_token"][0] == "<unk>"
    assert ckpt["args"]["num_hiddens"] == 32

    capsys.readouterr()
    assert main(["generate", str(tmp_path / "lm" / "checkpoint.safetensors"), "--prompt", "ROMEO:", "--length", "30",
                 "--top-k", "5", "--temperature", "0.8"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ROMEO:") and len(text.rstrip("\n")) == 36
    assert main(["generate", str(tmp_path / "lm" / "checkpoint.safetensors"), "--prompt", "ROMEO:", "--length", "10",
                 "--greedy"]) == 0
    assert main(["eval", str(tmp_path / "lm" / "checkpoint.safetensors"), "--batch-size", "1024"]) == 0
    assert "val_perplexity" in capsys.readouterr().out


def test_lm_recipe_resume_and_time_limit(tmp_path):
    recipe, args = _args("gru-lm", tmp_path / "a", epochs=1, batch_size=8, num_hiddens=16, num_layers=1,
                         embed_size=8, num_steps=8, max_tokens=1500)
    recipe.train(args)
    # resume the 1-epoch checkpoint for a second epoch
    recipe, args2 = _args("gru-lm", tmp_path / "b", epochs=2, batch_size=8, num_hiddens=16, num_layers=1,
                          embed_size=8, num_steps=8, max_tokens=1500,
                          resume=str(tmp_path / "a" / "checkpoint.safetensors"))
    metrics = recipe.train(args2)
    assert metrics["epochs"] == 2
    assert len(json.loads((tmp_path / "b" / "metrics.json").read_text())["history"]["loss"]) == 2
    # a zero time budget stops after the first batch, still validates and writes everything
    recipe, args3 = _args("rnn-lm", tmp_path / "c", epochs=5, batch_size=8, num_hiddens=16, num_layers=1,
                          embed_size=8, num_steps=8, max_tokens=1500, max_minutes=0.0, use_random_iter=True)
    metrics = recipe.train(args3)
    assert metrics["epochs"] == 1 and (tmp_path / "c" / "checkpoint.safetensors").exists()


def test_seq2seq_attn_recipe_end_to_end(tmp_path, capsys):
    recipe, args = _args("seq2seq-attn", tmp_path / "mt", epochs=2, batch_size=32, lr=5e-3, embed_size=16,
                         num_hiddens=24, num_layers=1, num_steps=10, num_examples=160, max_test=16)
    assert recipe.task == "translation" and recipe.default_dataset == "bible"
    metrics = recipe.train(args)
    files = {p.name for p in (tmp_path / "mt").iterdir()}
    assert files >= {"checkpoint.safetensors", "curves.png", "metrics.json", "attention.png"}
    saved = json.loads((tmp_path / "mt" / "metrics.json").read_text())
    for key in ("test_bleu", "test_bleu_d2l", "copy_baseline_bleu", "copy_baseline_bleu_d2l"):
        assert 0.0 <= saved[key] <= 1.0
    assert saved["val_perplexity"] > 1.0
    assert saved["test_pairs"] == 16 and len(saved["examples"]) == 5
    assert saved["history"]["loss"][-1] < saved["history"]["loss"][0]
    assert metrics["val_loss"] == pytest.approx(saved["val_loss"])
    ckpt = ember.load(tmp_path / "mt" / "checkpoint.safetensors")
    assert ckpt["recipe"] == "seq2seq-attn" and "<bos>" in ckpt["tgt_vocab"]["idx_to_token"]

    capsys.readouterr()
    path = str(tmp_path / "mt" / "checkpoint.safetensors")
    assert main(["translate", path, "In the beginning God created the heaven and the earth.", "--beam-size", "2",
                 "--max-length", "8"]) == 0
    words = capsys.readouterr().out.split()
    assert 0 <= len(words) <= 8


def test_seq2seq_recipe_without_attention_and_cpu_time_limit(tmp_path):
    recipe, args = _args("seq2seq", tmp_path / "s", epochs=2, batch_size=32, lr=5e-3, embed_size=16,
                         num_hiddens=16, num_layers=2, num_steps=10, num_examples=96, max_test=8)
    metrics = recipe.train(args)
    assert not (tmp_path / "s" / "attention.png").exists()
    assert metrics["epochs"] == 2 and metrics["test_pairs"] == 8 and metrics["cpu_seconds"] > 0
    # a zero CPU-time budget stops after the first batch (epoch 1 of 2 still validates and is scored)
    recipe, args = _args("seq2seq", tmp_path / "t", epochs=2, batch_size=32, embed_size=16, num_hiddens=16,
                         num_layers=1, num_steps=10, num_examples=96, max_test=8, max_cpu_minutes=0.0)
    assert recipe.train(args)["epochs"] == 1


def test_recipe_names_and_unknown_dataset(capsys):
    for name in ("rnn-lm", "gru-lm", "lstm-lm", "seq2seq", "seq2seq-attn"):
        assert get_recipe(name).name == name
    capsys.readouterr()
    assert main(["train", "lstm-lm", "--dataset", "mnist5k"]) == 2
    assert "valid datasets: shakespeare" in capsys.readouterr().err


def test_lm_trainer_state_sequential_vs_random():
    from ember.recipes.language_model import LanguageModelTrainer
    from ember.models import get_model
    model = get_model("gru-lm", vocab_size=7, num_hiddens=4, num_layers=1, embed_size=3)
    batch = (ember.randint(0, 7, (2, 5)), ember.randint(0, 7, (2, 5)))
    for random_iter in (False, True):
        trainer = LanguageModelTrainer(model, ember.optim.SGD(model.parameters(), lr=0.1), metrics=("perplexity",),
                                       progress=False, use_random_iter=random_iter)
        trainer.on_epoch_start(1, True)
        assert trainer.state is None
        trainer.training_step(batch)
        carried = trainer.state
        out = trainer.training_step(batch)
        assert out["n"] == 10 and out["loss"].dim() == 0
        # sequential: the second batch starts from the first one's final state; random: from zeros
        with ember.no_grad():
            expected, _ = model(batch[0], None if random_iter else carried.detach())
            expected = ember.nn.functional.cross_entropy(expected.reshape(-1, 7), batch[1].reshape(-1))
        assert float(out["loss"]) == pytest.approx(float(expected), rel=1e-6)
