"""ember.ops._alloc: glibc's malloc thresholds are raised at import, and the opt-outs are respected."""
import os
import subprocess
import sys

import pytest

_PROBE = ("import ctypes, ember; from ember.ops import _alloc; print(_alloc.applied)")


def _run(env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "EMBER_MALLOC"))}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _glibc():
    import ctypes
    try:
        return hasattr(ctypes.CDLL(None), "gnu_get_libc_version")
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _glibc(), reason="glibc only")
def test_thresholds_applied_and_opt_outs():
    assert _run({}) == "True"
    assert _run({"EMBER_MALLOC_TUNE": "0"}) == "False"
    assert _run({"MALLOC_TRIM_THRESHOLD_": "1000000"}) == "False"
