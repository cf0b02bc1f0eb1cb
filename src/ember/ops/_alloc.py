"""Keep freed array memory in the process heap (glibc), so that the next array of the same size reuses it.

NumPy allocates every array with ``malloc``. By default glibc serves blocks above a (dynamic) threshold with
``mmap`` and gives freed memory at the top of the heap back to the kernel, so a training step, which allocates
and frees the same megabyte-sized activations and gradients again and again, pays fresh page faults (the kernel
zeroing each page) for most of its temporaries: a layer norm on (2048, 128) float32 ran 4x slower from that
alone. PyTorch's CPU allocator avoids it; this does the same for NumPy by raising glibc's mmap threshold to its
maximum (32 MiB) and the trim threshold to 256 MiB, which keeps at most that much freed memory for reuse.

Applied once at ``import ember``; skipped off glibc, when the user set ``MALLOC_MMAP_THRESHOLD_`` /
``MALLOC_TRIM_THRESHOLD_`` themselves, or with ``EMBER_MALLOC_TUNE=0``.
"""
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024


def tune_malloc():
    """Raise glibc's mmap and trim thresholds; returns True when applied."""
    if os.environ.get("EMBER_MALLOC_TUNE", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):    # only glibc has these knobs
            return False
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        return libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    except (OSError, AttributeError):
        return False


applied = tune_malloc()
