"""Side-by-side timing of the same work on ember and PyTorch, in one process, 2 BLAS threads for both.

Import this module before numpy/torch/ember: it pins the thread counts through the environment.
"""
import os

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
for _k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_k] = str(THREADS)

import statistics  # noqa: E402
import time  # noqa: E402


def bench(fn, repeat=30, warmup=3, min_seconds=0.5):
    """Median wall time of ``fn()`` over ``repeat`` runs (more while under ``min_seconds``)."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def compare(name, ember_fn, torch_fn, rounds=3, **kw):
    """Alternate the two frameworks ``rounds`` times (machine noise hits both alike); report the best medians."""
    import torch
    torch.set_num_threads(THREADS)
    e_times, t_times = [], []
    for _ in range(rounds):
        t_times.append(bench(torch_fn, **kw))
        e_times.append(bench(ember_fn, **kw))
    te, tt = min(e_times), min(t_times)
    print(f"{name:44s} ember {te * 1e3:9.3f} ms   torch {tt * 1e3:9.3f} ms   ratio {te / tt:5.2f}x")
    return te / tt
