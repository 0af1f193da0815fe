"""``adcompiler rules``: the registered rules as a text table."""
from __future__ import annotations

from ..rules import all_rules
from .check import _table


def _status(rule) -> tuple[str, str]:
    if rule.kind == "nondiff":
        return "no derivative", "-"
    if rule.kind == "alloc":
        return "new array", "-"
    if rule.split is not None:
        return "reverse (split functions)", ", ".join(p for p, _ in rule.params)
    fwd = bool(rule.tangents) or rule.kind == "elementwise" or rule.tangent is not None
    return ("reverse+forward" if fwd else "reverse"), ", ".join(rule.adjoints) or "-"


def rules_table(search: str | None) -> str:
    """The registered rules (optionally filtered by WORD) as a text table."""
    rows = []
    for r in sorted(all_rules(), key=lambda r: r.name):
        status, wrt = _status(r)
        if search and search.lower() not in f"{r.name} {r.kind} {r.doc}".lower():
            continue
        rows.append((r.name, r.kind, status, wrt, r.doc or ""))
    if not rows:
        return f"no rule matches `{search}`.\n"
    text = _table(("function", "kind", "status", "with respect to", "note"), rows, False)
    return text + f"{len(rows)} rule(s)\n"
