"""Sixteen threads differentiating at once: right answers, one transformation per signature.

``adcompiler.codegen.cache.stats["transforms"]`` counts transformations; each
test clears the cache, releases all threads together from a barrier, and
checks every thread's derivatives against hand-derived formulas and the
number of transformations against the number of distinct (function, mode,
activities, kinds, dtypes) signatures among the calls.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest

from adcompiler import Active, Const, Duplicated, Forward, Reverse, autodiff
from adcompiler.codegen import cache

from . import kernels_trust as K

THREADS = 16


def _run_together(jobs) -> list:
    """Run each zero-argument job in its own thread, all released at once; return results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            results[i] = exc
    threads = [threading.Thread(target=worker, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock in the cache?)"
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def _rows(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 1.5, (3, 4))


def job_rowsum(seed: int, dtype=np.float64):
    """rowsum_into: s[i] = sum_j A[i, j]**2, so dA = 2 A ds[i] (row-wise)."""
    def run():
        A = _rows(seed).astype(dtype)
        dA, s, ds = np.zeros_like(A), np.zeros(3, dtype), np.arange(1.0, 4.0).astype(dtype)
        autodiff(Reverse, K.rowsum_into, Const, Duplicated(s, ds.copy()), Duplicated(A, dA))
        return dA, 2.0 * A * ds[:, None]
    return run


def job_weighted(seed: int):
    """weighted: sum(w sin x) with Const w, so dx = w cos x."""
    def run():
        x = np.random.default_rng(seed).uniform(0.5, 1.5, 5)
        w = np.arange(5.0)
        dx = np.zeros(5)
        autodiff(Reverse, K.weighted, Active, Duplicated(x, dx), Const(w))
        return dx, w * np.cos(x)
    return run


def job_scalar(seed: int):
    def run():
        v = 0.5 + seed / 16
        (d,) = autodiff(Reverse, K.scalar_poly, Active, Active(v))
        return np.array(d), np.array(3 * v * v + np.cos(v))
    return run


def job_forward(seed: int):
    def run():
        x = np.random.default_rng(seed).uniform(0.5, 1.5, 4)
        t = np.ones(4)
        (tangent,) = autodiff(Forward, K.cube_sum, Duplicated, Duplicated(x, t))
        return np.array(tangent), np.array(np.sum(3 * x ** 2))
    return run


def _check(results) -> None:
    for got, want in results:
        np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("round_", range(3))
def test_same_function_same_signature_is_transformed_once(round_):
    cache.clear()
    before = cache.stats["transforms"]
    _check(_run_together([job_rowsum(i) for i in range(THREADS)]))
    assert cache.stats["transforms"] - before == 1


@pytest.mark.parametrize("round_", range(3))
def test_mixed_functions_signatures_and_modes(round_):
    cache.clear()
    before = cache.stats["transforms"]
    makers = [job_rowsum, lambda s: job_rowsum(s, np.float32), job_weighted, job_scalar, job_forward]
    jobs = [makers[i % len(makers)](i) for i in range(THREADS)]
    _check(_run_together(jobs))
    # rowsum float64, rowsum float32, weighted, scalar_poly, cube_sum forward: five signatures
    assert cache.stats["transforms"] - before == len(makers)


def test_threads_reuse_entries_built_before():
    cache.clear()
    _check([job_weighted(0)()])
    before = cache.stats["transforms"]
    _check(_run_together([job_weighted(i) for i in range(THREADS)]))
    assert cache.stats["transforms"] == before


def test_clear_while_threads_differentiate():
    """Clearing the cache under concurrent use costs retransformations, never a wrong answer."""
    cache.clear()
    stop = threading.Event()

    def clearer():
        while not stop.is_set():
            cache.clear()
    t = threading.Thread(target=clearer)
    t.start()
    try:
        _check(_run_together([job_weighted(i) if i % 2 else job_rowsum(i) for i in range(THREADS)]))
    finally:
        stop.set()
        t.join()
