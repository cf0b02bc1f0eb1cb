"""ember.set_num_threads / get_num_threads drive NumPy's OpenBLAS like torch's do its own pool."""
import subprocess
import sys

import pytest
import torch

import ember


def test_set_and_get_num_threads_round_trip():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2
    finally:
        ember.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_counts_raise_like_torch(bad):
    with pytest.raises(Exception) as t_err:
        torch.set_num_threads(bad)
    with pytest.raises(type(t_err.value)):
        ember.set_num_threads(bad)


def test_blas_really_follows_the_setting():
    # In a fresh process, so the library is looked up from scratch: the OpenBLAS count changes, not a variable.
    code = ("import ember, numpy as np; from ember.backend import threads; ember.set_num_threads(1); "
            "print(bool(threads._find_blas()), ember.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "1"
