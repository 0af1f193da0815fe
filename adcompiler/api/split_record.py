"""split_record: what the forward half of split mode hands its reverse half,
and the checks that the arguments it refers to are still as it left them.

The reverse half reads the arrays the function writes in their memory, as the
forward half left them (what it recorded refers to that memory). ``rev`` must
be given the same array objects (``same_written`` refuses another array of
equal values), and, where ``autodiff_thunk`` is driven by a user, their
contents must be unchanged: running the forward half again on the same
array, or writing into it, before the reverse half makes it read other
values, and its derivatives were silently those of other values. A digest of
each written array's bytes (blake2b, no copy for a contiguous array) taken at
the end of the forward half is compared at the start of the reverse half.
The tape adapters, which own the arrays they pass, skip it.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..errors import ActivityError


class Tape:
    """What the forward pass of split mode records for the reverse pass."""

    __slots__ = ("compiled", "stack", "used", "written")

    def __init__(self, compiled, stack, written=()):
        self.compiled = compiled
        self.stack = stack
        self.used = False
        #: (position, array, digest or None) of the arguments the function writes: the record
        #: refers to their memory
        self.written = written


def digest(a: np.ndarray) -> bytes:
    """A digest of ``a``'s values (its bytes in C order, with its shape and dtype)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((a.shape, a.dtype.str)).encode())
    h.update(memoryview(np.ascontiguousarray(a)).cast("B"))
    return h.digest()


def written_record(args, writes, watch: bool) -> tuple:
    """``Tape.written`` of the annotated ``args`` (positions ``writes`` written by the function)."""
    return tuple((k, a.val, digest(a.val) if watch else None) for k, a in enumerate(args)
                 if k in writes and isinstance(a.val, np.ndarray))


def same_written(f, names, args, tape) -> None:
    """Refuse a reverse half given another array than its forward half for an argument
    ``f`` writes, or the same array with other values."""
    for k, was, values in tape.written:
        if k >= len(args):
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
