"""split_record: what the forward half of split mode hands its reverse half,
and the checks that the arguments it refers to are still as it left them.

The reverse half reads the arrays the function writes in their memory, as the
forward half left them (what it recorded refers to that memory). ``rev`` must
be given the same array objects (``same_written`` refuses another array of
equal values), and, where ``autodiff_thunk`` is driven by a user, their
contents must be unchanged: running the forward half again on the same
array, or writing into it, before the reverse half makes it read other
values, and its derivatives were silently those of other values. A digest of
each array argument's bytes (blake2b, no copy for a contiguous array) taken at
the end of the forward half is compared at the start of the reverse half; an
array the function only reads may be another array of equal values, as the
contract allows, but not of other values (the record was computed from them).
The same holds for what else the function reads: the numbers and containers
given as Const or Active (a dict of parameters, a float) and the arrays it
reads from its module or closure (also through a dict, list or tuple there),
which the reverse half reads again: a fingerprint of each is compared too.
The tape adapters, which own the arrays they pass (and check the module's
arrays themselves), skip it.
"""
from __future__ import annotations

import numpy as np

from ..errors import ActivityError
from .copies import digest, fingerprint


class Tape:
    """What the forward pass of split mode records for the reverse pass."""

    __slots__ = ("compiled", "read", "stack", "used", "written")

    def __init__(self, compiled, stack, written=(), read=()):
        self.compiled = compiled
        self.stack = stack
        self.used = False
        #: (position, array, digest or None) of the arguments the function writes: the record
        #: refers to their memory
        self.written = written
        #: (position or module name, fingerprint) of the other values it reads (``read_record``)
        self.read = read


def written_record(args, writes, watch: bool) -> tuple:
    """``Tape.written`` of the annotated ``args`` (positions ``writes`` written by the function):
    ``(position, array or None, digest or None)``, the array for one the function writes
    (rev must be given it), a digest of each array's values where ``watch``."""
    return tuple((k, a.val if k in writes else None, digest(a.val) if watch else None) for k, a in enumerate(args)
                 if isinstance(a.val, np.ndarray) and (watch or k in writes))


def read_record(args, comp) -> tuple:
    """``Tape.read``: the fingerprint of each argument that is not an array (a number, a container
    given as Const or Active), and of each array the function reads from its module or closure."""
    from .arguments import _follow, _leaves
    out = [(k, fingerprint(a.val)) for k, a in enumerate(args) if not isinstance(a.val, np.ndarray)]
    for name, v, paths in comp.module_arrays:
        for path in paths:
            label = name + "".join(f"[{k!r}]" for k in path)
            out.append((label, tuple(fingerprint(g) for g in _leaves(_follow(v, path)))))
    return tuple(out)


def same_read(f, names, args, comp, tape) -> None:
    """Refuse a reverse half whose function reads other values than its forward half did:
    an argument that is not an array, or an array of its module, changed between them."""
    now = read_record(args, comp)   # (in the order fwd recorded: two modules' arrays may share a name)
    for (k, then), (k_now, fp) in zip(tape.read, now + ((None, None),) * max(0, len(tape.read) - len(now))):
        if k == k_now and fp == then:
            continue
        if isinstance(k, str):
            raise ActivityError(
                f"`{k}`, an array `{f.__name__}` reads from its module (or closure), was written between fwd and "
                "rev: the reverse half reads it again, and would differentiate other values than fwd computed.",
                construct=k, hint="write it only after the reverse half, or pass it to the function as an "
                                  "argument (Const).")
        name = names[k] if k < len(names) else f"argument {k}"
        raise ActivityError(
            f"`{name}` holds other values than it did when fwd ran: `{f.__name__}` reads it, and "
            "what fwd recorded was computed from those values.",
            construct=name, hint="pass rev the values fwd was given (the same numbers and containers, unchanged).")


def same_written(f, names, args, tape) -> None:
    """Refuse a reverse half given another array than its forward half for an argument
    ``f`` writes, or the same array with other values."""
    for k, was, values in tape.written:
        if k >= len(args):
            continue
        if was is None:   # (an array the function only reads: another array of equal values will do)
            now = args[k].val
            if values is not None and (not isinstance(now, np.ndarray) or digest(now) != values):
                raise ActivityError(
                    f"`{names[k]}` holds other values than it did when fwd ran: `{f.__name__}` reads it, and "
                    "what fwd recorded was computed from those values.",
                    construct=names[k], hint="pass rev the values fwd was given (the same array unchanged, or "
                                             "an equal copy).")
            continue
        if args[k].val is not was:
            raise ActivityError(
                f"rev was given another array for `{names[k]}` than fwd was: `{f.__name__}` writes it, and what "
                "fwd recorded refers to its memory (a copy of equal values is other memory).",
                construct=names[k], hint="pass rev the arrays fwd was given for the arguments the function "
                                         "writes (other buffers of equal values only for the ones it reads).")
        if values is not None and digest(was) != values:
            raise ActivityError(
                f"`{names[k]}` holds other values than fwd left in it: `{f.__name__}` writes it, and the reverse "
                "half reads it as fwd left it (another forward half run on the same array, or a write into it, "
                "came between).",
                construct=names[k], hint="run each reverse half before the array is written again (reverse "
                                         "the most recent forward half first only when the others ran on "
                                         "other arrays), or give each forward half its own copy.")
