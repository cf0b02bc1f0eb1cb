"""The examples the README points to run as scripts (tiny settings: they must start, train and print, not
converge; the measured runs are in the README)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CASES = {
    "linear_regression.py": [],
    "char_lm.py": ["--steps", "2", "--batch-size", "4", "--num-steps", "8"],
    "seq2seq.py": ["--epochs", "1", "--num-examples", "64", "--out", "attention.png"],
    "transformer_mt.py": ["--minutes", "0.01", "--num-examples", "64", "--num-test", "3"],
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs(script, tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *CASES[script]], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the example printed nothing"
