"""Shrink a failing program by deleting statements while the failure persists.

Line-based delta debugging: repeatedly try to delete one statement (a line
together with the lines indented below it, e.g. a whole loop, branch arm or
helper) and keep the deletion when the smaller program still runs as plain
Python and the checker still gives the same verdict (``wrong`` or ``error``
with the same exception type).
"""
from __future__ import annotations

import dataclasses

from .check import Outcome, check_program
from .generate import Unsuitable, suitable
from .spec import Program


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _block(lines: list[str], k: int) -> int:
    """Index one past the statement starting at line ``k``."""
    end = k + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > _indent(lines[k])):
        end += 1
    return end


def _unwrap(lines: list[str], k: int) -> list[str] | None:
    """Replace the compound statement at ``k`` by its first body, dedented."""
    head = lines[k].strip()
    if not head.endswith(":") or head.startswith(("def ", "else", "elif")):
        return None
    end = _block(lines, k)
    body = []
    for line in lines[k + 1:end]:
        if line.strip() and _indent(line) <= _indent(lines[k]) + 4 and line.strip().startswith(("else", "elif")):
            break
        body.append(line[4:] if line.strip() else line)
    rest = _block(lines, k)
    while rest < len(lines) and lines[rest].strip().startswith(("else", "elif")) \
            and _indent(lines[rest]) == _indent(lines[k]):
        rest = _block(lines, rest)
    return lines[:k] + body + lines[rest:]


def _same(out: Outcome, first: Outcome) -> bool:
    return out.status == first.status and out.error_type == first.error_type


def _reads_uninitialised(source: str) -> bool:
    """True if an ``np.empty`` local lost the statement that fills it."""
    lines = source.splitlines()
    for k, line in enumerate(lines):
        if "= np.empty(" in line:
            name = line.split("=")[0].strip()
            if k + 1 >= len(lines) or not lines[k + 1].strip().startswith(f"{name}[:] ="):
                return True
    return False


def _still_fails(program: Program, source: str, first: Outcome, check=check_program) -> Outcome | None:
    if _reads_uninitialised(source):
        return None
    cand = dataclasses.replace(program, source=source)
    try:
        compile(source, "<reduce>", "exec")
        suitable(cand, cand.build_inputs(first.input_seed))
    except (SyntaxError, Unsuitable):
        return None
    except Exception:  # noqa: BLE001 - a deletion that breaks the program is just rejected
        return None
    out = check(cand)
    return out if _same(out, first) else None


def reduce_program(program: Program, first: Outcome, rounds: int = 20, check=check_program) -> Outcome:
    """The smallest failing variant found (an Outcome on the reduced program).

    ``check``: the checker whose verdict must persist, e.g.
    ``functools.partial(check_all, entries=("split",))``."""
    best = first
    lines = program.source.splitlines()
    for _ in range(rounds):
        changed = False
        k = 0
        while k < len(lines):
            line = lines[k]
            if not line.strip() or line.startswith(("import", "def ")) or line.strip() in ("else:",) \
                    or line.strip().startswith("elif"):
                k += 1
                continue
            variants = [lines[:k] + lines[_block(lines, k):]]
            unwrapped = _unwrap(lines, k)
            if unwrapped is not None:
                variants.append(unwrapped)
            for cand in variants:
                out = _still_fails(program, "\n".join(cand) + "\n", first, check)
                if out is not None:
                    lines, best, changed = cand, out, True
                    break
            else:
                k += 1
        if not changed:
            break
    return best
