"""Checkpointed loops (``checkpoint=``): the schedule, and gradients through
every reverse entry point equal to the plain tape's and to finite differences."""
from __future__ import annotations

import functools
import importlib.util
import math
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    autodiff,
    autodiff_thunk,
)
from adcompiler.errors import AdCompilerWarning
from adcompiler.runtime import checkpoint as ck
from adcompiler.testing import check_grads

# -- the schedule -------------------------------------------------------------------


def simulate(steps, snapshots):
    """Run a schedule on a model state (its step number): every step is
    reversed once, in order, from the right state; returns the untaped
    forward steps and the most snapshots held at once."""
    fwd, rev = ck.schedule(steps, snapshots)
    pos, snaps, tape, order, advanced, most = 0, {}, [], [], 0, 0
    for op, a, b in fwd:
        assert op in (ck.SNAP, ck.ADVANCE)
        if op == ck.SNAP:
            assert a == pos
            snaps[a] = pos
        else:
            assert a == pos
            pos, advanced = b, advanced + b - a
        most = max(most, len(snaps))
    assert pos == steps
    for op, a, b in rev:
        if op == ck.SNAP:
            assert a == pos
            snaps[a] = pos
        elif op in (ck.RESTORE, ck.RESTORE_DROP):
            pos = snaps[a]
            if op == ck.RESTORE_DROP:
                del snaps[a]
        elif op == ck.ADVANCE:
            assert a == pos
            pos, advanced = b, advanced + b - a
        elif op == ck.TAPED:
            assert a == pos
            tape += range(a, b)
            pos = b
        else:
            for k in reversed(range(a, b)):
                assert tape.pop() == k
                order.append(k)
        most = max(most, len(snaps))
    assert order == list(reversed(range(steps)))
    assert not snaps and not tape
    return advanced, most


@functools.lru_cache(None)
def fewest(steps, free):
    """The fewest untaped steps reversing ``steps`` steps from a kept state
    with ``free`` more snapshots, by exhaustive dynamic programming."""
    if steps == 1:
        return 0
    if free == 0:
        return steps * (steps - 1) // 2
    return min(m + fewest(steps - m, free - 1) + fewest(m, free) for m in range(1, steps))


@pytest.mark.parametrize("snapshots", range(1, 7))
def test_schedule_is_valid_and_optimal(snapshots):
    for steps in range(1, 45):
        advanced, most = simulate(steps, snapshots)
        # the forward sweep runs every step once; the last one again with its tape
        assert advanced - 1 == fewest(steps, min(snapshots, steps) - 1), (steps, snapshots)
        assert most <= snapshots + 1


def test_schedule_repetitions_of_long_loops():
    # 100 snapshots reverse 10,000 steps with repetition number 3: C(103, 3) >= 1e4 > C(102, 2)
    advanced, most = simulate(10_000, 100)
    assert most <= 101
    assert advanced <= 3 * 10_000
    assert ck.schedule(0, 5) == ((), ())


def test_memory_budgets():
    assert ck.parse_bytes("12MB") == 12_000_000
    assert ck.parse_bytes("1.5 KiB") == 1536
    assert ck.snapshots_for("800KB", 80_000) == 10
    assert ck.snapshots_for("1B", 80_000) == 1
    with pytest.raises(ValueError):
        ck.parse_bytes("lots")
    with pytest.raises(AdCompilerError, match="neither a number of snapshots"):
        autodiff(Reverse, heat, Const, Duplicated(np.ones(4), np.zeros(4)), Const(2), checkpoint="lots")
    with pytest.raises(AdCompilerError):
        autodiff(Reverse, heat, Const, Duplicated(np.ones(4), np.zeros(4)), Const(2), checkpoint=0)
    for budget in ("-5KB", "0B", "0"):   # (taken as one snapshot)
        with pytest.raises(AdCompilerError, match="neither a number of snapshots"):
            autodiff(Reverse, heat, Const, Duplicated(np.ones(4), np.zeros(4)), Const(2), checkpoint=budget)


# -- kernels ------------------------------------------------------------------------


def burgers(u, T, nu):
    for t in range(T):
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])
    return float(np.sum(u ** 2))


def heat(u, T):
    for t in range(T):
        u[1:-1] += 0.2 * (u[2:] - 2 * u[1:-1] + u[:-2])


def recurrence(s, a, b):
    s[0] = b[0]
    for i in range(1, s.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]
    return float(np.sum(s))


def carried_scalar(x, T):
    acc = 0.0
    prev = 1.0
    for t in range(T):
        acc = acc * 0.5 + prev * x[t % x.shape[0]]
        prev = math.sin(acc)
    return acc + prev


def functional_update(u, T, dt):
    for t in range(T):
        u = u + dt * np.tanh(u)
    return float(np.sum(u * u))


def rhs(y, k):
    k[:] = -0.5 * y + np.sin(y)


def rk2_with_helper(y, T, dt):
    k = np.zeros_like(y)
    for t in range(T):
        rhs(y, k)
        y += dt * k
    return float(np.sum(y ** 2))


def read_then_written_after(x, w, T):
    s = 0.0
    for t in range(T):
        s = s + np.sum(w * x) * 0.1 + math.tanh(s)
        x[t % x.shape[0]] += 0.05 * s
    w[...] = w * 2.0
    return s + float(np.sum(w))


def two_loops(u, v, T):
    for t in range(T):
        u[1:] = u[1:] + 0.3 * u[:-1] * v[1:]
    for t in range(T):
        v[:] = v * 0.9 + 0.1 * np.cos(u)
    return float(np.sum(u * v))


def marked_inner(u, T, S):
    for s in range(S):
        u *= 0.9
        # adcompiler: checkpoint
        for t in range(T):
            u[1:] = u[1:] + 0.2 * np.sin(u[:-1])
    return float(np.sum(u))


def stack_in_loop(x, T):
    st = []
    for t in range(T):
        st.append(x[t % x.shape[0]] * 2.0)
        x[t % x.shape[0]] = math.cos(x[(t + 1) % x.shape[0]])
    total = 0.0
    while st:
        total = total * 0.7 + st.pop()
    return total


def with_break(u, T):
    for t in range(T):
        u[1:] = u[1:] * 0.9 + 0.1 * u[:-1]
        if u[-1] > 1e9:
            break
    return float(np.sum(u ** 2))


def break_midway(u, T):
    # leaves the loop at a step that depends on the data (u[0] never changes)
    for t in range(T):
        u[1:] = u[1:] * 0.9 + 0.1 * u[:-1] ** 2
        if u[0] * (t + 1) > 2.0:
            break
    return float(np.sum(u ** 2))


def while_diffusion(u, nu):
    t = 0.0
    while t < 1.0:
        u[1:-1] += nu * (u[2:] - 2 * u[1:-1] + u[:-2])
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2])
        t = t + 0.07
    return float(np.sum(u * u))


def while_carried(x, T):
    s = 0.0
    k = 0
    while k < T:
        s = s * 0.8 + np.sum(x * x) * 0.1
        x[:] = np.sin(x) + 0.1 * s
        k += 1
    return s


def while_reads_outer_name(x, b, z):
    # the condition reads names bound before the loop, which the reverse half gets back
    n = x.shape[0]
    k = 0
    while k < n and b[k] > 0.0:
        x[k] = np.cos(x[k]) / (2.0 + math.cos(x[k] - z))
        k += 1
    return float(np.sum(x * x))


def swap_buffers(u, T):
    w = np.zeros_like(u)
    for t in range(T):
        w[1:-1] = 0.5 * (u[2:] + u[:-2])
        u, w = w, u
    return float(np.sum(u ** 2))


def args_of(name, rng):
    r = lambda *s: rng.uniform(0.2, 0.8, s)
    return {
        "burgers": ([Duplicated(r(30), r(30) * 0), Const(17), Active(0.1)], Active),
        "heat": ([Duplicated(r(20), r(20)), Const(13)], Const),
        "recurrence": ([Duplicated(r(25), r(25) * 0), Duplicated(r(25), r(25) * 0), Duplicated(r(25), r(25) * 0)],
                       Active),
        "carried_scalar": ([Duplicated(r(7), r(7) * 0), Const(19)], Active),
        "functional_update": ([Duplicated(r(6), r(6) * 0), Const(11), Active(0.2)], Active),
        "rk2_with_helper": ([Duplicated(r(5), r(5) * 0), Const(9), Active(0.1)], Active),
        "read_then_written_after": ([Duplicated(r(4), r(4) * 0), Duplicated(r(4), r(4) * 0), Const(10)], Active),
        "two_loops": ([Duplicated(r(6), r(6) * 0), Duplicated(r(6), r(6) * 0), Const(8)], Active),
        "marked_inner": ([Duplicated(r(6), r(6) * 0), Const(7), Const(3)], Active),
        "stack_in_loop": ([Duplicated(r(5), r(5) * 0), Const(12)], Active),
        "with_break": ([Duplicated(r(6), r(6) * 0), Const(9)], Active),
        "break_midway": ([Duplicated(r(8), r(8) * 0), Const(30)], Active),
        "while_diffusion": ([Duplicated(r(20), r(20) * 0), Active(0.1)], Active),
        "while_carried": ([Duplicated(r(6), r(6) * 0), Const(15)], Active),
        "while_reads_outer_name": ([Duplicated(r(6), r(6) * 0), Const(np.array([0.5, 0.4, 0.3, 0.2, -0.1, 0.3])),
                                    Active(0.3)], Active),
    }[name]


KERNELS = {f.__name__: f for f in (burgers, heat, recurrence, carried_scalar, functional_update, rk2_with_helper,
                                    read_then_written_after, two_loops, marked_inner, stack_in_loop, with_break,
                                    break_midway, while_diffusion, while_carried, while_reads_outer_name)}
#: loops whose number of steps is known only at their end: the online schedule
ONLINE = ("with_break", "break_midway", "while_diffusion", "while_carried", "while_reads_outer_name")


def fresh(args):
    return [Duplicated(a.val.copy(), a.dval.copy()) if isinstance(a, Duplicated) else type(a)(a.val) for a in args]


def run_reverse(f, ret, args, mode=Reverse, **options):
    args = fresh(args)
    d = autodiff(mode, f, ret, *args, **options)
    if mode is ReverseWithPrimal:
        d, _ = d
    return [a.val for a in args], [a.dval for a in args if isinstance(a, Duplicated)], d


def run_split(f, ret, args, **options):
    """As the tapes drive it: the forward half on zero shadows, the reverse
    half on other arrays holding the seeds."""
    args = fresh(args)
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, f, ret, *[type(a) for a in args], **options)
    zeros = [Duplicated(a.val, np.zeros_like(a.dval)) if isinstance(a, Duplicated) else a for a in args]
    tape, _ = fwd(*zeros)
    d = rev(*args, 1.0 if ret is Active else None, tape)
    return [a.val for a in args], [a.dval for a in args if isinstance(a, Duplicated)], d


def assert_same(got, want):
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-13)
    for g, w in zip(got[2], want[2]):
        if w is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("spec", [1, 2, 3, 1000, "1KB"])
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_same_gradient_as_the_plain_tape(name, spec):
    f = KERNELS[name]
    args, ret = args_of(name, np.random.default_rng(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdCompilerWarning)
        want = run_reverse(f, ret, args)
        assert_same(run_reverse(f, ret, args, checkpoint=spec), want)
        assert_same(run_reverse(f, ret, args, mode=ReverseWithPrimal, checkpoint=spec), want)
        assert_same(run_split(f, ret, args, checkpoint=spec), want)


@pytest.mark.parametrize("name", ONLINE)
def test_loops_of_unknown_length_are_checkpointed(name):
    """A while loop or a for loop with break is checkpointed (no warning, the
    online schedule in the code), and runs no step more than once forward
    before the reverse sweep."""
    from adcompiler.api.reverse import compiled_for
    f = KERNELS[name]
    args, ret = args_of(name, np.random.default_rng(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", AdCompilerWarning)
        source = compiled_for(f, fresh(args), ret.__name__, checkpoint=2).source
    assert "_ad_checkpoint_online" in source


@pytest.mark.parametrize("steps", [1, 2, 3, 7, 50, 333])
@pytest.mark.parametrize("snapshots", [1, 2, 3, 5, 10, 100])
def test_online_schedule_reverses_every_step_once(steps, snapshots):
    """The online schedule, simulated: snapshots taken while the loop runs
    (never more than half the budget), then every step reversed once, in
    order, each from the state it starts from, within the budget."""
    snaps = {}
    online = ck.Online(snapshots, snaps)
    for k in range(steps):
        if online.wants(k):
            snaps[k] = k
        assert len(snaps) <= max(1, (snapshots + 1) // 2)
    held, state, reversed_steps, forward = dict(snaps), None, [], 0
    peak = len(held)
    actions = online.reverse(steps)
    assert list(actions) == list(actions)   # replayed from the start each time
    for op, a, b in actions:
        if op == "snap":
            assert state == a
            held[a] = a
            peak = max(peak, len(held))
        elif op in ("restore", "restore_drop"):
            state = held[a] if op == "restore" else held.pop(a)
        elif op == "advance":
            assert state == a
            state, forward = b, forward + b - a
        elif op == "taped":
            assert state == a and b == a + 1
            state = b
        else:
            assert op == "reverse" and b == a + 1
            reversed_steps.append(a)
    assert reversed_steps == list(range(steps - 1, -1, -1))
    assert not held and peak <= snapshots
    if snapshots >= 10:   # enough snapshots: at most a few forward runs
        assert forward <= 3 * steps


@pytest.mark.parametrize("name", ["burgers", "carried_scalar", "read_then_written_after", "rk2_with_helper",
                                  "break_midway", "while_diffusion", "while_carried", "while_reads_outer_name"])
def test_checkpointed_gradient_against_finite_differences(name):
    f = KERNELS[name]
    args, ret = args_of(name, np.random.default_rng(5))
    _, shadows, d = run_reverse(f, ret, [Duplicated(a.val, np.zeros_like(a.val)) if isinstance(a, Duplicated) else a
                                        for a in args], checkpoint=2)
    h = 1e-6

    def J(i, j, delta):
        vals = [b.val.copy() if isinstance(b.val, np.ndarray) else b.val for b in args]
        if isinstance(vals[i], np.ndarray):
            vals[i].flat[j] += delta
        else:
            vals[i] += delta
        return f(*vals)
    k = 0
    for i, a in enumerate(args):
        if isinstance(a, Duplicated):
            fd = np.array([(J(i, j, h) - J(i, j, -h)) / (2 * h) for j in range(a.val.size)])
            np.testing.assert_allclose(shadows[k], fd, rtol=1e-5, atol=1e-7)
            k += 1
        elif isinstance(a, Active):
            np.testing.assert_allclose(d[i], (J(i, 0, h) - J(i, 0, -h)) / (2 * h), rtol=1e-5, atol=1e-7)


def test_loops_that_keep_their_tape_are_named():
    from adcompiler import pipeline
    pipeline.clear()   # the warning comes with the code's generation, which is cached
    u = np.linspace(0.1, 0.9, 8)
    with pytest.warns(AdCompilerWarning, match=r"test_checkpoint.py:\d+: this loop keeps a tape .* rebinds `u`"):
        g = ad.gradient(swap_buffers, u, 4, checkpoint=2)[0]
    np.testing.assert_allclose(g, ad.gradient(swap_buffers, u, 4)[0])

    def run_heat(u, T):
        heat(u, T)
        return float(np.sum(u ** 2))
    with pytest.warns(AdCompilerWarning, match=r"test_checkpoint.py:\d+: the loops of `heat`, called here outside a "
                                               "checkpointed loop, keep a tape"):
        g = ad.gradient(run_heat, u, 4, checkpoint=2)[0]
    np.testing.assert_allclose(g, ad.gradient(run_heat, u, 4)[0])


def test_differentiate_on_the_tapes():
    import autograd
    import autograd.numpy as anp

    def kernel(u0, u, T):
        u[...] = u0
        heat(u, T)
    plain = ad.differentiate(kernel, out="u", like="u0")
    ckp = ad.differentiate(kernel, out="u", like="u0", checkpoint=3)
    u0 = np.linspace(0.0, 1.0, 12) ** 2
    w = np.cos(np.arange(12.0))
    got = autograd.grad(lambda x: anp.sum(ckp(x, 9) * w))(u0)
    want = autograd.grad(lambda x: anp.sum(plain(x, 9) * w))(u0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def burgers_into(u0, u, nu, T):
    u[...] = u0
    for t in range(T):
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])


def relax_into(u0, u, nu, T):
    u[...] = u0
    k = 0
    while k < T:
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])
        k += 1


def momentum_pairs_into(u0, u, nu, T):
    # (a loop over (parameter, local state) pairs: the split reverse half runs the steps again with
    # the local states' shadows)
    u[...] = u0
    mu = np.zeros_like(u)
    mv = np.zeros_like(u)
    v = u0 * 0.5
    for t in range(T):
        for p, m in ((u, mu), (v, mv)):
            m *= 0.9
            m += p
            p -= nu * m


@pytest.mark.parametrize("kernel,marker", [(burgers_into, "_ad_checkpoint_actions"),
                                           (relax_into, "_ad_checkpoint_online"),
                                           (momentum_pairs_into, "_ad_checkpoint_actions")])
@pytest.mark.parametrize("tape", ["autograd", "torch", "jax"])
def test_differentiate_checkpointed_on_every_tape(tape, kernel, marker):
    """``differentiate(..., checkpoint=)`` under each tape (the tape drives the
    split halves with fresh shadows) against the plain tape's wrapper."""
    from everywhere import _tape_vjp
    from optional import require
    if tape != "autograd":
        require(tape)

    plain = ad.differentiate(kernel, out="u", like="u0")
    ckp = ad.differentiate(kernel, out="u", like="u0", checkpoint=3)
    rng = np.random.default_rng(2)
    vals = [rng.uniform(0.2, 0.8, 14), 0.1, 9]
    cots = {"u": rng.standard_normal(14)}
    got = _tape_vjp(tape, ckp, vals, ["u"], cots, [0, 1])
    want = _tape_vjp(tape, plain, vals, ["u"], cots, [0, 1])
    for k in (0, 1):
        np.testing.assert_allclose(got[k], want[k], rtol=1e-11, atol=1e-13)
    # the checkpointed wrapper's forward half keeps the snapshots, not a tape of every step
    from adcompiler.api.reverse import compiled_for
    args = [Const(vals[0]), Duplicated(np.zeros(14), np.zeros(14)), Active(0.1), Const(9)]
    assert marker in compiled_for(kernel, args, "Const", checkpoint=3).source


def _emit_checkpointed(tmp_path, stem, source, func):
    """``adcompiler emit --checkpoint 3`` of ``func`` in a file ``stem.py`` holding
    ``source``: (the emitted module's text, the module)."""
    src = tmp_path / f"{stem}.py"
    src.write_text(source)
    out = tmp_path / f"{stem}_reverse.py"
    subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"{src}:{func}", "--active", "nu",
                    "--checkpoint", "3", "-o", str(out)], check=True)
    spec = importlib.util.spec_from_file_location(f"{stem}_reverse", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return out.read_text(), mod


def test_emitted_module_carries_the_schedule(tmp_path):
    text, mod = _emit_checkpointed(
        tmp_path, "kern", "import numpy as np\n\n\ndef burgers(u, T, nu):\n"
        "    for t in range(T):\n"
        "        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])\n"
        "    return float(np.sum(u ** 2))\n", "burgers")
    assert "adcompiler" not in text.split('"""', 2)[2].replace("adcompiler emit", "").replace("adcompiler.runtime", "")
    assert "_ad_checkpoint_actions" in text
    u0 = np.linspace(0.2, 0.8, 30)
    u, du = u0.copy(), np.zeros(30)
    (dnu,) = mod.burgers_reverse(u, du, 17, 0.1)
    want = run_reverse(burgers, Active, [Duplicated(u0, np.zeros(30)), Const(17), Active(0.1)])
    np.testing.assert_allclose(du, want[1][0], rtol=1e-12)
    np.testing.assert_allclose(dnu, want[2][2], rtol=1e-12)
    np.testing.assert_allclose(u, want[0][0], rtol=0)


def test_emitted_module_carries_the_online_schedule(tmp_path):
    text, mod = _emit_checkpointed(
        tmp_path, "kern_online", "import numpy as np\n\n\ndef relax(u, nu):\n"
        "    t = 0.0\n"
        "    while t < 1.0:\n"
        "        u[1:-1] += nu * (u[2:] - 2 * u[1:-1] + u[:-2]) - 0.1 * u[1:-1] ** 2\n"
        "        t = t + 0.05\n"
        "    return float(np.sum(u ** 2))\n", "relax")
    assert "_ad_checkpoint_online" in text and "class _ad_Online" in text
    sys.path.insert(0, str(tmp_path))
    try:
        plain = importlib.import_module("kern_online")
    finally:
        sys.path.pop(0)
    u0 = np.linspace(0.2, 0.8, 16)
    u, du = u0.copy(), np.zeros(16)
    (dnu,) = mod.relax_reverse(u, du, 0.1)
    want = run_reverse(plain.relax, Active, [Duplicated(u0, np.zeros(16)), Active(0.1)])
    np.testing.assert_allclose(du, want[1][0], rtol=1e-12)
    np.testing.assert_allclose(dnu, want[2][1], rtol=1e-12)


def test_memory_stops_growing_with_the_steps():
    n, T = 2000, 300
    u0 = np.linspace(0.0, 1.0, n) ** 2

    def peak(**options):
        u, du = u0.copy(), np.zeros(n)
        autodiff(Reverse, burgers, Active, Duplicated(u, du), Const(T), Active(0.1), **options)  # compile first
        u, du = u0.copy(), np.zeros(n)
        tracemalloc.start()
        autodiff(Reverse, burgers, Active, Duplicated(u, du), Const(T), Active(0.1), **options)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top
    state = u0.nbytes
    plain, checkpointed = peak(), peak(checkpoint=10)
    # the plain tape grows with the steps, by one copy of the overwritten region per step
    assert 0.9 * T * state < plain < 1.3 * T * state
    # 10 snapshots, the final state, a step's temporaries and the schedule (about 1,300 actions)
    assert checkpointed < 40 * state < plain / 5


def test_numba_backend_refuses_checkpoint_and_auto_picks_numpy():
    from adcompiler import backend_report
    args = [Duplicated(np.linspace(0.1, 0.9, 10), np.zeros(10)), Const(4)]
    with pytest.raises(AdCompilerError, match="checkpoint= is not supported with backend='numba'"):
        autodiff(Reverse, heat, Const, *args, backend="numba", checkpoint=2)
    want = run_reverse(heat, Const, args)
    assert_same(run_reverse(heat, Const, args, backend="auto", checkpoint=2), want)
    assert any("checkpoint= runs under numpy" in str(d) for d in backend_report(heat))


def _catalogue_loops():
    import inspect

    from catalogue import cases
    from test_catalogue import annotate
    out = []
    for row, pattern in cases():
        try:
            src = inspect.getsource(row.fn)
        except (OSError, TypeError):
            continue
        if ("for " in src or "while " in src) and "adcompiler" not in src:
            out.append(pytest.param(row, pattern, annotate, id=f"{row.name}-{pattern.replace('>', '_ret')}"))
    return out


@pytest.mark.parametrize("row,pattern,annotate", _catalogue_loops())
def test_catalogue_loops_checkpointed(row, pattern, annotate):
    """The catalogue's loop kernels: checkpointed with 1 and 3 snapshots (and 2 in
    split mode) as the plain tape, which test_catalogue checks against finite differences."""
    args, ret = annotate(row, pattern)
    rng = np.random.default_rng(7)
    args = [Duplicated(a.val, rng.uniform(-1, 1, np.shape(a.val))) if isinstance(a, Duplicated) else a
            for a in args]
    ret = ret or Const
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdCompilerWarning)
        want = run_reverse(row.fn, ret, args)
        for spec in (1, 3):
            assert_same(run_reverse(row.fn, ret, args, checkpoint=spec), want)
        assert_same(run_split(row.fn, ret, args, checkpoint=2), want)


@pytest.mark.parametrize("name", ["burgers", "while_diffusion"])
def test_reverse_half_runs_twice_on_one_record(name):
    """A tape adapter may run the reverse half more than once on one record
    (a copy of the tape each time): the replay must not use up the snapshots
    or the schedule."""
    import copy
    f = KERNELS[name]
    args, ret = args_of(name, np.random.default_rng(4))
    want = run_reverse(f, ret, args)
    args = fresh(args)
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, f, ret, *[type(a) for a in args], checkpoint=3)
    tape, _ = fwd(*[Duplicated(a.val, np.zeros_like(a.dval)) if isinstance(a, Duplicated) else a for a in args])
    stack = copy.copy(tape.stack)
    results = []
    for _ in range(2):
        tape.stack, tape.used = copy.copy(stack), False
        seeds = [Duplicated(a.val, a.dval.copy()) if isinstance(a, Duplicated) else a for a in args]
        d = rev(*seeds, 1.0, tape)
        results.append([s.dval for s in seeds if isinstance(s, Duplicated)] + [x for x in d if x is not None])
    for g, w in zip(*results):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_allclose(results[0][0], want[1][0], rtol=1e-11)


def rebound_after_the_loop(c, y):
    n = len(y)
    s = 0.0
    y += y * y
    for i in range(1, n - 1, 2):
        if y[i] < -0.6:
            break
        y[i] = abs(c)
    for a, b in ((y, y), (y, y * 0.5)):   # b: y, then a new array (one cell for the analyses)
        s += float(np.sum(a * b)) * 0.1
    y[...] = y * 0.5 + np.tanh(y) * 0.25 + s * 0.1


@pytest.mark.parametrize("snapshots", [1, 2, 1000])
def test_memory_bound_after_a_checkpointed_loop(snapshots):
    """A name bound after the loop to a new array shares the loop's written cell
    through a later rebinding: it was snapshotted before it was bound (an
    UnboundLocalError found by the random programs)."""
    y = np.array([0.3, 0.5, 0.1, 0.2, 0.4])
    want = ad.autodiff(Reverse, rebound_after_the_loop, Const, Active(0.7), Duplicated(y.copy(), np.ones(5)))
    dy = np.ones(5)
    got = ad.autodiff(Reverse, rebound_after_the_loop, Const, Active(0.7), Duplicated(y.copy(), dy),
                      checkpoint=snapshots)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    from adcompiler.testing import check_grads
    check = check_grads(rebound_after_the_loop, Active(0.7), Duplicated(y.copy(), np.zeros(5)))
    assert check.errors["all"] < 1e-6


def read_then_rebound_after(x, y):
    for i in np.argsort(-y)[:2]:   # the steps read x, which is written after the loop
        y[i] += np.sin(x[i]) * 0.5
    x *= 0.75
    for a in (x, x * 0.5):         # a: x, then a new array (one cell for the analyses)
        y[:] += np.tanh(a) * 0.25


@pytest.mark.parametrize("snapshots", [1, 1000])
def test_memory_read_by_a_checkpointed_loop_and_rebound_after(snapshots):
    """The memory the steps read that is written after the loop is kept once,
    under its names bound before the loop (a name bound after it was kept unbound)."""
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0.5, 1.5, 5), rng.uniform(0.5, 1.5, 5)
    seeds = rng.normal(size=5), rng.normal(size=5)
    want = [s.copy() for s in seeds]
    ad.autodiff(Reverse, read_then_rebound_after, Const, Duplicated(x.copy(), want[0]), Duplicated(y.copy(), want[1]))
    got = [s.copy() for s in seeds]
    ad.autodiff(Reverse, read_then_rebound_after, Const, Duplicated(x.copy(), got[0]), Duplicated(y.copy(), got[1]),
                checkpoint=snapshots)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    from adcompiler.testing import check_grads
    assert check_grads(read_then_rebound_after, Duplicated(x.copy(), np.zeros(5)),
                       Duplicated(y.copy(), np.zeros(5))).errors["all"] < 1e-6


def _tuple_loop_in_a_branch(x):
    n = len(x)
    w = np.ones(n)
    if np.mean(x) > 0.1:
        for la in (w, w * 0.5):
            x[:] += np.tanh(la) * 0.25
    for r in range(n):
        w[r] = w[r] + x[r]
    return float(np.sum(w * w))


@pytest.mark.parametrize("x", [[-0.7, 0.6], [0.7, 0.6]])
def test_memory_named_on_some_paths_only_is_not_snapshotted(x):
    """A loop writing memory a name bound in a branch may share (the unrolled
    ``for la in (w, w * 0.5)``): the snapshot read the name unbound where the
    branch was not taken (a TypeError); the loop is taped instead."""
    import warnings
    want = np.zeros(2)
    autodiff(Reverse, _tuple_loop_in_a_branch, Active, Duplicated(np.array(x), want))
    got = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        autodiff(Reverse, _tuple_loop_in_a_branch, Active, Duplicated(np.array(x), got), checkpoint=1)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    from adcompiler.testing import check_grads
    check_grads(_tuple_loop_in_a_branch, Duplicated(np.array(x), np.zeros(2)))


def nested_marked_while(u, T, S, dt):
    k = 0
    # adcompiler: checkpoint
    while k < T:
        # adcompiler: checkpoint
        for j in range(S):
            u[:] = u * (1 + dt * np.sin(u[::-1]))
        k += 1
    return np.sum(u ** 2)


def nested_marked_for_break(u, T, S, dt):
    # adcompiler: checkpoint
    for k in range(T):
        # adcompiler: checkpoint
        for j in range(S):
            u[:] = u * (1 + dt * np.sin(u[::-1]))
        if u[0] > 50.0:
            break
    return np.sum(u ** 2)


@pytest.mark.parametrize("f", [nested_marked_while, nested_marked_for_break], ids=lambda f: f.__name__)
@pytest.mark.parametrize("snapshots", [1, 2, 3, 5])
def test_checkpointed_loop_inside_a_checkpointed_loop(f, snapshots):
    """Both loops of a nest marked, the outer one's length known at its end: the
    inner loop counted its steps in the outer's ``_ck_k`` (a schedule for the wrong
    number of steps: wrong gradients, or an IndexError)."""
    u0 = np.array([0.8, 0.4, 0.6, 0.3, 0.9])
    want_u, got_u = np.zeros(5), np.zeros(5)
    want = autodiff(Reverse, f, Active, Duplicated(u0.copy(), want_u), Const(4), Const(2), Active(0.05))
    got = autodiff(Reverse, f, Active, Duplicated(u0.copy(), got_u), Const(4), Const(2), Active(0.05),
                   checkpoint=snapshots)
    np.testing.assert_allclose(got_u, want_u, rtol=1e-12)
    assert got[3] == pytest.approx(want[3], rel=1e-12)
    check_grads(f, Duplicated(u0.copy(), np.zeros(5)), Const(4), Const(2), Active(0.05), ret=Active)


def _scales_and_returns(c, d):
    for _ in range(2):
        d *= c
    return d


def _smooths_and_returns_a_view(c, d):
    for _ in range(3):
        d[1:] = d[1:] * c[1:] + 0.1 * d[:-1]
    return d[1:]


@pytest.mark.parametrize("f", [_scales_and_returns, _smooths_and_returns_a_view])
@pytest.mark.parametrize("checkpoint", [1, 2, 3, "1MB"])
def test_a_loop_writing_the_argument_it_returns(f, checkpoint):
    """The return value may share the written argument's memory: the snapshots
    list it, and before it is bound it holds no array to put back (a TypeError)."""
    from adcompiler import Const, Duplicated, Reverse, autodiff
    from adcompiler.testing import check_grads
    c, d = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 2.0])
    want = [np.zeros(3), np.ones(3)]
    autodiff(Reverse, f, Const, Duplicated(c.copy(), want[0]), Duplicated(d.copy(), want[1]))
    got = [np.zeros(3), np.ones(3)]
    autodiff(Reverse, f, Const, Duplicated(c.copy(), got[0]), Duplicated(d.copy(), got[1]), checkpoint=checkpoint)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-14)
    check_grads(f, Duplicated(c.copy(), np.zeros(3)), Duplicated(d.copy(), np.zeros(3)))


def test_the_reverse_actions_of_a_long_loop_are_made_as_replayed():
    """The reverse part of a binomial schedule was a tuple of every action (50,000
    steps with 10 snapshots: 253,539 actions, 28 MB, against 0.8 MB for the plain
    tape); it is made lazily, the same actions (the schedule stays valid and
    optimal: ``simulate``), and can be replayed again (a loop inside a loop)."""
    tracemalloc.start()
    _, rev = ck.schedule(50_001, 10)
    count = sum(1 for _ in rev)
    held = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count > 250_000 and held < 200_000, held
    _, most = simulate(50_001, 10)
    assert most <= 11
    assert not isinstance(rev, (list, tuple)) and list(rev) == list(rev)


def test_a_byte_budget_counts_what_a_snapshot_takes_in_python():
    """A scalar state was counted as 8 bytes a number: '100KB' kept about 12,500
    snapshots whose tuples and float objects took 6.6 MB at the peak."""
    assert ck.snapshots_for("100KB", ck.state_bytes(0.5)) < 1000
    assert ck.state_bytes(np.zeros(1000)) >= 8000


def _scan(x, T):
    s = 0.0
    for t in range(T):
        s = 0.999 * s + np.sin(x[t % x.shape[0]])
    return s


def test_a_budget_on_a_scalar_loop_stays_near_it():
    x = np.linspace(0.1, 1.0, 7)
    ad.gradient(_scan, x, 20, checkpoint="100KB")   # (compiled before measuring)
    tracemalloc.start()
    g = ad.gradient(_scan, x, 20_000, checkpoint="100KB")[0]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_allclose(g, ad.gradient(_scan, x, 20_000)[0], rtol=1e-10)
    assert peak < 1_000_000, peak


def spring_steps(x, k, nsteps):
    v = np.zeros_like(x)
    for _ in range(nsteps):
        for i in range(x.shape[0] - 1):
            d = x[i + 1] - x[i]
            v[i] += k * d * d
        x += 0.1 * v
    return np.sum(x)


@pytest.mark.parametrize("checkpoint", [None, 2, "1KB"])
def test_split_halves_given_other_arrays_for_written_arguments_refused(checkpoint):
    """The reverse half given a copy of an argument the function writes (equal values,
    other memory): what the forward half recorded refers to the argument's memory (the
    checkpointed steps replayed on it while the snapshots were put back into the copy):
    a wrong gradient without an error. Refused; the same arrays give the gradient, and
    an argument only read may be another array of equal values (as the tapes pass it)."""
    x0 = np.array([0.0, 1.0, 1.5, 3.0])
    want = ad.gradient(spring_steps, x0.copy(), 0.7, 3)
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, spring_steps, Active, Duplicated, Active, Const,
                              checkpoint=checkpoint)
    x = x0.copy()
    tape, _ = fwd(Duplicated(x, np.zeros(4)), Active(0.7), Const(3))
    with pytest.raises(AdCompilerError, match="another array for `x`"):
        rev(Duplicated(x.copy(), np.zeros(4)), Active(0.7), Const(3), 1.0, tape)
    dx = np.zeros(4)
    d = rev(Duplicated(x, dx), Active(0.7), Const(3), 1.0, tape)
    np.testing.assert_allclose(dx, want[0], rtol=1e-12)
    assert d[1] == pytest.approx(want[1], rel=1e-12)
    y, w = np.array([0.5, 1.0, -0.5, 2.0]), np.array([1.0, 2.0, 3.0, 4.0])
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, weighted_steps, Active, Duplicated, Duplicated,
                              checkpoint=checkpoint)
    tape, _ = fwd(Duplicated(y, np.zeros(4)), Duplicated(w, np.zeros(4)))
    dy, dw = np.zeros(4), np.zeros(4)
    rev(Duplicated(y, dy), Duplicated(w.copy(), dw), 1.0, tape)   # (w is only read: a copy is fine)
    want = ad.gradient(weighted_steps, np.array([0.5, 1.0, -0.5, 2.0]), w)
    np.testing.assert_allclose(dy, want[0], rtol=1e-12)
    np.testing.assert_allclose(dw, want[1], rtol=1e-12)


def weighted_steps(y, w):
    for _ in range(3):
        y += 0.1 * w * np.sin(y)
    return np.sum(y * y)


def _momentum_over_pairs(a, b, lr, T):
    ma = np.zeros_like(a)
    mb = np.zeros_like(b)
    for _ in range(T):
        for p, m in ((a, ma), (b, mb)):   # (the local states' shadows: read by the steps run again)
            m *= 0.9
            m += p
            p -= lr * m
    return float(np.sum(a * a) + np.sum(b * b))


def test_split_halves_run_again_steps_reading_local_shadows():
    # (the reverse half read `dma`, the shadow of a local the forward half bound: NameError)
    from everywhere import check_everywhere
    a, b = np.array([1.0, 2.0]), np.array([0.5, -1.0, 3.0])
    ref = ad.gradient(_momentum_over_pairs, a.copy(), b.copy(), 0.1, 4)
    for k in (1, 2, 3):
        fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, _momentum_over_pairs, Active, Duplicated, Duplicated,
                                  Active, Const, checkpoint=k)
        x, y = a.copy(), b.copy()
        tape, _ = fwd(Duplicated(x, np.zeros(2)), Duplicated(y, np.zeros(3)), Active(0.1), Const(4))
        dx, dy = np.zeros(2), np.zeros(3)
        d = rev(Duplicated(x, dx), Duplicated(y, dy), Active(0.1), Const(4), 1.0, tape)
        np.testing.assert_allclose(dx, ref[0], rtol=1e-13)
        np.testing.assert_allclose(dy, ref[1], rtol=1e-13)
        np.testing.assert_allclose(d[2], ref[2], rtol=1e-13)
    check_everywhere(_momentum_over_pairs, Duplicated(a.copy(), np.zeros(2)), Duplicated(b.copy(), np.zeros(3)),
                     Active(0.1), Const(4))
