"""Binomial checkpointing schedules for the loops generated code checkpoints.

A checkpointed loop runs its steps without a tape on the forward sweep,
keeping a few *snapshots* of its state (the memory the loop writes and the
names it carries from one step to the next). The reverse sweep then replays
the schedule: it restores a snapshot, advances without a tape, takes more
snapshots, and finally runs a step with its tape and that step's adjoint.

A schedule is two tuples of actions ``(op, a, b)`` (the forward part, then
the reverse part), with ``op`` one of the strings

- ``"snap"``: keep the working state as snapshot ``a``;
- ``"restore"`` / ``"restore_drop"``: make snapshot ``a`` the working state (and
  forget it);
- ``"advance"``: run steps ``a .. b-1`` without a tape;
- ``"taped"``: run steps ``a .. b-1`` with their tape;
- ``"reverse"``: run the adjoints of steps ``b-1 .. a``.

The placement is the binomial one (Griewank's revolve): ``c`` snapshots
reverse ``l`` steps with repetition number ``r``, the least ``r`` with
``C(c + r, c) >= l``, and the split points make the number of forward steps
the least any schedule with that memory can do. This module imports nothing but the
standard library; emitted modules carry a copy.
"""
from __future__ import annotations

import math

SNAP, RESTORE, RESTORE_DROP, ADVANCE, TAPED, REVERSE = "snap", "restore", "restore_drop", "advance", "taped", "reverse"


def _beta(s: int, r: int) -> int:
    """How many steps ``s`` free snapshots reverse with ``r`` repetitions."""
    return math.comb(s + r, s) if r >= 0 else 0


def _cost(l: int, c: int) -> int:
    """The least number of untaped forward steps that reverse ``l`` steps from
    a state kept in one of ``c`` snapshots: ``r * l - C(c + r, c + 1)`` with
    ``r`` the least repetition number such that ``C(c + r, c) >= l``."""
    if c == 1:
        return l * (l - 1) // 2
    r = 0
    while _beta(c, r) < l:
        r += 1
    return r * l - _beta(c + 1, r - 1)


def _split(n: int, c: int) -> int:
    """Where to take the next snapshot when reversing ``n`` steps with ``c``
    snapshots: the ``m`` minimising ``m + cost(n - m, c - 1) + cost(m, c)``
    (the advance, then the right part with one snapshot less, then the left
    part). The total is convex in ``m``: a bisection on its slope finds it."""
    def total(m):
        return m + _cost(n - m, c - 1) + _cost(m, c)
    lo, hi = 1, n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if total(mid + 1) - total(mid) >= 0:
            hi = mid
        else:
            lo = mid + 1
    return lo


def schedule(steps: int, snapshots: int, _cache={}) -> tuple:  # noqa: B006 (the cache is meant to persist)
    """``(forward actions, reverse actions)`` for a loop of ``steps`` steps
    keeping at most ``snapshots`` snapshots (at least 1: the loop's initial
    state), plus the one taken where the forward part stops taping."""
    snapshots = max(1, int(snapshots))
    key = (steps, min(snapshots, max(steps, 1)))
    if key in _cache:
        return _cache[key]
    if len(_cache) > 64:
        _cache.clear()
    _cache[key] = out = _binomial(steps, snapshots)
    return out


def _binomial(steps: int, snapshots: int) -> tuple:
    if steps <= 0:
        return ((), ())
    free = min(snapshots, steps) - 1
    forward, pos, slots = [(SNAP, 0, 0)], 0, {0}
    for op in _reversal(steps, free):   # (the actions before the first taped step: a few)
        if op[0] == TAPED:
            break
        if op[0] == ADVANCE:
            forward.append(op)
            pos = op[2]
        elif op[0] == SNAP:
            forward.append(op)
            slots.add(op[1])
    # the forward sweep runs the loop to its end: the state where the first
    # taped step starts is kept if no snapshot holds it
    if pos not in slots:
        forward.append((SNAP, pos, 0))
    if pos < steps:
        forward.append((ADVANCE, pos, steps))
    return tuple(forward), BinomialActions(steps, free, pos)


def _reversal(l: int, s: int):
    """The actions reversing steps ``0 .. l-1`` from the working state at step 0,
    which is snapshot 0, with ``s`` further snapshots, made one at a time; each
    snapshot's last restore is a ``RESTORE_DROP``: the restore in the leaf part
    that starts at it (a part's right half runs first, so no part restores a
    snapshot after the leaf that starts at it)."""
    todo = [(0, l, s)]
    while todo:
        a, b, free = todo.pop()
        n = b - a
        if n == 1:
            yield from ((RESTORE_DROP, a, 0), (TAPED, a, b), (REVERSE, a, b))
            continue
        if free == 0:
            for k in range(b - 1, a - 1, -1):
                yield (RESTORE if k > a else RESTORE_DROP, a, 0)
                if k > a:
                    yield (ADVANCE, a, k)
                yield from ((TAPED, k, k + 1), (REVERSE, k, k + 1))
            continue
        m = a + _split(n, free + 1)
        yield from ((RESTORE, a, 0), (ADVANCE, a, m), (SNAP, m, 0))
        todo.append((a, m, free))
        todo.append((m, b, free - 1))


class BinomialActions:
    """The reverse actions of a binomial schedule, made as they are replayed (a
    long loop's actions, kept whole, took far more memory than its snapshots:
    250,000 of them for 50,000 steps): the working state restored from where the
    first taped step starts (the forward part kept it; nothing restores it
    again), then the reversal from that step on."""

    def __init__(self, steps: int, free: int, pos: int):
        self.steps, self.free, self.pos = steps, free, pos

    def __iter__(self):
        yield (RESTORE_DROP, self.pos, 0)
        ops = _reversal(self.steps, self.free)
        for op in ops:
            if op[0] == TAPED:
                yield op
                break
        yield from ops


def snapshots_for(spec, state_bytes: int) -> int:
    """The number of snapshots a ``checkpoint=`` value allows: an int is a
    number of snapshots; a string such as ``"12MB"`` or ``"500 KiB"`` is a
    memory budget, divided by the bytes of one state."""
    if isinstance(spec, str):
        return max(1, parse_bytes(spec) // max(1, state_bytes))
    return max(1, int(spec))


def parse_bytes(text: str) -> int:
    """``"12MB"`` -> 12_000_000 (units b, kb, mb, gb, kib, mib, gib)."""
    t = text.strip().lower().replace(" ", "").replace("_", "")
    i = len(t)
    while i and not t[i - 1].isdigit() and t[i - 1] != ".":
        i -= 1
    number, unit = t[:i], t[i:]
    units = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}
    if not number or unit not in units:
        raise ValueError(f"not a memory size: {text!r} (write e.g. '12MB', '500KiB' or a number of bytes)")
    return int(float(number) * units[unit])


def state_bytes(*values) -> int:
    """The bytes one snapshot takes: the arrays' data and headers, a number's
    object, and the tuple and dictionary entry that hold them (counted as 8 bytes
    a number, a scalar state's budget kept thousands of snapshots whose Python
    objects took 20 times the budget)."""
    return 120 + sum(getattr(v, "nbytes", 0) + 112 if hasattr(v, "nbytes") else 32 for v in values)


def checkpoint_actions(steps: int, spec, *state) -> tuple:
    """The schedule of a checkpointed loop of ``steps`` steps whose state is
    ``state`` (the values a snapshot keeps), under ``checkpoint=spec``."""
    return schedule(steps, snapshots_for(spec, state_bytes(*state)))


def put_back(memory, saved) -> None:
    """Write a snapshot's copy back into the array or list it was taken of (a
    name that may share an array's memory but holds none there, the return
    value before it is bound, has nothing to put back)."""
    if memory is None:
        return
    if isinstance(memory, list):
        memory[:] = saved
    else:
        memory[...] = saved


class Online:
    """The snapshots of a loop whose number of steps is not known before it
    ends (a ``while`` loop, a ``for`` loop with ``break``): an online schedule.

    While the loop runs, a snapshot is taken every ``every`` steps; when
    ``keep`` snapshots are held, ``every`` doubles and the snapshots off the
    new spacing are dropped, so the kept ones stay evenly spread over the
    steps run so far (at most about ``2 * steps / keep`` apart). Half the
    snapshots are kept for this; the other half serve the reversal: once the
    loop has ended, the segments between kept snapshots are reversed from
    the last to the first, each with the binomial schedule and the snapshots
    not in use, and each snapshot is dropped after its segment."""

    def __init__(self, spec, snaps: dict, *state):
        self.total = snapshots_for(spec, state_bytes(*state))
        self.keep = max(1, (self.total + 1) // 2)
        self.every = 1
        self.snaps = snaps

    def wants(self, k: int) -> bool:
        """Whether to keep the state at the start of step ``k`` (``k`` = 0, 1, ...)."""
        if k % self.every:
            return False
        if len(self.snaps) >= self.keep:
            self.every *= 2
            for key in [key for key in self.snaps if key % self.every]:
                del self.snaps[key]
            return k % self.every == 0
        return True

    def reverse(self, steps: int):
        """The reverse actions, once the loop has run ``steps`` steps."""
        return OnlineActions(tuple(sorted(self.snaps)), steps, self.total)


class OnlineActions:
    """The reverse actions of an online schedule, made segment by segment as
    they are replayed (a long loop's actions would take more memory than
    its snapshots); each iteration replays them from the start."""

    def __init__(self, starts: tuple, steps: int, total: int):
        self.starts, self.steps, self.total = starts, steps, total

    def __iter__(self):
        starts = self.starts if self.steps > 0 else ()
        for j in range(len(starts) - 1, -1, -1):
            a = starts[j]
            b = starts[j + 1] if j + 1 < len(starts) else self.steps
            # (each snapshot is restored only within its segment: its last restore there forgets it)
            yield from ((op, x + a, y + a) if op in (ADVANCE, TAPED, REVERSE) else (op, x + a, 0)
                        for op, x, y in _reversal(b - a, max(0, self.total - (j + 1))))


def checkpoint_online(spec, snaps: dict, *state):
    """The online schedule of a checkpointed loop of unknown length whose
    snapshots go into ``snaps`` and whose state is ``state``."""
    return Online(spec, snaps, *state)
