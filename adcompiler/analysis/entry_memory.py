"""entry_memory: whether the memory a parameter holds on entry may be written, path by path.

``Effects`` gives a name one memory for the whole function, so a parameter rebound in a
loop to a new array that is then written (``for ...: r = u + 1.0; r *= 1.5; u = r``, power
iteration's ``v = A @ v; v /= norm(v)``) is taken as written: its cell holds the new arrays
too. Here the names that may hold the entry memory of a parameter (it, a view of it, or a
container holding it) are followed through the body in the order it runs, loops to a fixed
point: a write through one of them writes the parameter; a name bound to a new array stops
holding it. Every doubt (a user function's result, a container, a statement not known here)
counts as holding or writing.

Contract: ``entry_writes(eff, kinds, body, params)``: the positions of the parameters whose
entry memory may be written, a subset of those whose cell ``Effects`` finds written.
"""
from __future__ import annotations

import ast

from ..frontend import notes
from .nondiff_kinds import root_name

#: numpy functions of "general" rules that may return their argument or a view of it
_MAY_VIEW = frozenset({"broadcast_to", "sliding_window_view", "array", "real_if_close", "diag", "diagonal",
                       "asarray_chkfinite", "require", "asanyarray"})
_VALUE_KINDS = frozenset({"array", "num", "float", "int", "bool", "complex"})


def entry_writes(eff, kinds: dict, body: list, params: list) -> frozenset:
    out = set()
    for k, p in enumerate(params):
        if eff.cell(p) in eff.written and _Flow(eff, kinds).may_write(body, p):
            out.add(k)
    return frozenset(out)


def _join(*states):
    live = [s for s in states if s is not None]
    return frozenset().union(*live) if live else None


class _Flow:
    """The names that may hold a parameter's entry memory, statement by statement."""

    def __init__(self, eff, kinds):
        self.eff, self.kinds = eff, kinds
        self.hit = False
        self.loops: list = []   # (break states, continue states) of the loops around

    def may_write(self, body, p) -> bool:
        self.run(body, frozenset({p}))
        return self.hit

    def run(self, stmts, state):
        for s in stmts:
            if state is None or self.hit:
                return state
            state = self.stmt(s, state)
        return state

    def stmt(self, s, state):
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)):
            if any(n in state for n in self.eff.stmt_writes.get(id(s), ())):
                self.hit = True
            return self.binds(s, state)
        if isinstance(s, ast.If):
            return _join(self.run(s.body, state), self.run(s.orelse, state))
        if isinstance(s, (ast.For, ast.While)):
            return self.loop(s, state)
        if isinstance(s, ast.Break):
            self.loops[-1][0].append(state)
            return None
        if isinstance(s, ast.Continue):
            self.loops[-1][1].append(state)
            return None
        if isinstance(s, (ast.Return, ast.Raise)):
            return None
        if isinstance(s, ast.Pass):
            return state
        self.hit = True   # (a statement not known here: taken as writing)
        return state

    def loop(self, s, state):
        head = state
        while True:
            self.loops.append(([], []))
            entry = head
            if isinstance(s, ast.For):
                entry = self.bind_names(_targets(s.target), self.carries(s.iter, head), head)
            end = self.run(s.body, entry)
            breaks, conts = self.loops.pop()
            grown = _join(head, end, *conts)
            if grown == head or self.hit:
                break
            head = grown
        return _join(self.run(s.orelse, head), *breaks)

    def binds(self, s, state):
        value = s.value
        if isinstance(s, ast.Expr):
            return self.stores_into(value, state)
        if value is None:   # (an annotation without a value)
            return state
        state = self.stores_into(value, state)
        carried = self.carries(value, state)
        if isinstance(s, ast.AugAssign):
            t = s.target
            if isinstance(t, ast.Name):   # (``lst += [x]`` holds x; ``x += 1`` keeps what x held)
                return state | {t.id} if carried else state
            return state | {root_name(t)} if carried and root_name(t) else state
        out = state
        for t in (s.targets if isinstance(s, ast.Assign) else [s.target]):
            if isinstance(t, ast.Name):
                out = out | {t.id} if carried else out - {t.id}
            elif isinstance(t, (ast.Subscript, ast.Attribute)):   # (stored into a container it holds)
                root = root_name(t)
                if root is None:
                    self.hit = True
                elif carried:
                    out = out | {root}
            else:
                out = self.bind_names(_targets(t), carried, out)
        return out

    @staticmethod
    def bind_names(targets, carried, state):
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        return state | names if carried else state - names

    def stores_into(self, value, state):
        """A call given a name that holds the memory may store it into a container it is given
        (``lst.append(x)``, a helper's ``acc.append(x)``): those containers hold it too."""
        for call in (n for n in ast.walk(value) if isinstance(n, ast.Call)):
            given = [*call.args, *(k.value for k in call.keywords)]
            if not any(self.carries(a, state) for a in given):
                continue
            receivers = given + ([call.func.value] if isinstance(call.func, ast.Attribute) else [])
            state = state | {n.id for r in receivers for n in ast.walk(r)
                             if isinstance(n, ast.Name) and not self._value(n.id)}
        return state

    def _value(self, name) -> bool:
        k = self.kinds.get(name)
        return k is not None and k.cls in _VALUE_KINDS

    def carries(self, value, state) -> bool:
        """Whether ``value`` may be, view, or hold memory one of the names in ``state`` holds."""
        names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        if not names & state:
            return False
        if isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Compare)):   # (numpy's operators make new arrays)
            return not all(self._value(n) for n in names & state)
        if isinstance(value, ast.Call) and not notes.is_user_call(value) and self.eff.view_base(value) is None:
            rule = notes.rule(value)
            if rule is not None and (rule.kind in ("elementwise", "alloc") or rule.kind == "general" and (
                    getattr(rule.func, "__module__", None) or "").startswith("numpy")
                    and getattr(rule.func, "__name__", "") not in _MAY_VIEW):
                return False
        return True


def _targets(t) -> list:
    if isinstance(t, (ast.Tuple, ast.List)):
        return [e for x in t.elts for e in _targets(x)]
    if isinstance(t, ast.Starred):
        return _targets(t.value)
    return [t]
