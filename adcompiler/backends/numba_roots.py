"""numba_roots: split halves whose shadows are the arguments' own, under names that swap.

A double buffer (``u, v = v, u`` in a time loop) binds the names ``u_1`` and ``v_1`` to one
argument's array and then to the other's. A forward half records each such name's shadow as a
reference naming the argument it is (``du_1 = _ad_shadow_ref(_d_t10[0], u_1)``, the root
carried from ``dv = _ad_shadow_ref(1, v)``), and its reverse half takes that argument's shadow
from its own (``_ad_rebase``). The typed tape holds numbers, not references: where every view
a pair of halves records is an argument's array itself (each name bound only to arguments and
to other such names), the forward half records the argument's position, an int (-1 for a name
not bound yet), and the reverse half picks the argument's shadow by it (``du if k == 0 else
dv``). Any other reference (a slice's, a new array's) leaves the pair as it was, for
``numba_shadows`` or the refusal.
"""
from __future__ import annotations

import ast

from .numba_shadows import _called, _n, _statements, _tape_call


def indexed_pairs(functions, contexts) -> list:
    """``functions`` with each split pair (``f_fwd``, ``f_rev``) that ``numba_shadows`` left
    recording references rewritten by ``indexed`` where it applies."""
    by_name = {fn.name: fn for fn in functions}
    for fn in functions:
        rev = by_name.get(fn.name[:-4] + "_rev") if fn.name.endswith("_fwd") else None
        if rev is not None and fn.name in contexts and rev.name in contexts \
                and any(_called(n, "_ad_shadow_ref") for n in ast.walk(fn)):
            indexed(fn, rev, contexts[rev.name][1].tape)
    return functions


def indexed(fwd, rev, tape) -> bool:
    """Rewrite the pair ``fwd``/``rev`` as the module's text says and return True, or leave it
    and return False."""
    refs = _References(fwd)
    if not refs.read() or not refs.views_are_arguments() or not refs.only_pushed(tape):
        return False
    # (the arguments pushed last for the reverse half's memory map, popped first into it)
    pushes = [s for s in fwd.body if isinstance(s, ast.Expr) and _tape_call(s.value, tape, "append")]
    tail = pushes[-1] if pushes and len(pushes[-1].value.args) == 1 \
        and isinstance(pushes[-1].value.args[0], ast.Tuple) else None
    pops = [s for s in rev.body if any(_tape_call(n, tape, "pop") for n in ast.walk(s))]
    made = pops[0] if pops and isinstance(pops[0], ast.Assign) and _called(pops[0].value, "_ad_roots") else None
    if tail is None or made is None or len(made.value.args) != 2 or not isinstance(made.value.args[1], ast.Tuple) \
            or not all(isinstance(e, ast.Name) for e in made.value.args[1].elts):
        return False
    shadows = [e.id for e in made.value.args[1].elts]
    rebases = _rebases(rev, made.targets[0].id, tape, refs.roots)
    if rebases is None or any(not refs.roots[d] or max(refs.roots[d]) >= len(shadows) for _, d in rebases):
        return False
    _rewrite_forward(fwd, refs, tape, tail)
    rev.body.remove(made)
    for (s, body), d in rebases:
        k = "_ad_root0"
        pop = s.value.args[0]
        pop.tape_tag = "i"
        choices = sorted(refs.roots[d])
        pick = _n(shadows[choices[-1]])
        for j in reversed(choices[:-1]):
            pick = ast.IfExp(ast.Compare(_n(k), [ast.Eq()], [ast.Constant(j)]), _n(shadows[j]), pick)
        at = next(i for i, t in enumerate(body) if t is s)
        body[at:at + 1] = [ast.Assign([_n(k, ast.Store)], pop), ast.Assign([_n(d, ast.Store)], pick)]
    return True


class _References:
    """The references a forward half binds: the arguments' (``dx = _ad_shadow_ref(k, x)``) and
    those carried from them (``d = _ad_shadow_ref(e[0], v)``), with the arguments each may be."""

    def __init__(self, fwd):
        self.fwd = fwd
        self.arguments = {}   # an argument's reference -> (its position, its array's name)
        self.links = {}       # a carried reference -> the references it is carried from
        self.views = set()    # the names of the arrays the carried references are of
        self.binds = []       # the statements binding references
        self.roots = {}       # a reference -> the positions of the arguments it may be

    def read(self) -> bool:
        params = {a.arg for a in self.fwd.args.args}
        for s, _ in _statements(self.fwd.body):
            if not (isinstance(s, ast.Assign) and _called(s.value, "_ad_shadow_ref")):
                continue
            if len(s.targets) != 1 or not isinstance(s.targets[0], ast.Name) or len(s.value.args) != 2 \
                    or not isinstance(s.value.args[1], ast.Name):
                return False
            d, (root, view) = s.targets[0].id, s.value.args
            if isinstance(root, ast.Constant) and type(root.value) is int and d in params:
                self.arguments[d] = (root.value, view.id)
            elif isinstance(root, ast.Subscript) and isinstance(root.value, ast.Name) \
                    and isinstance(root.slice, ast.Constant) and root.slice.value == 0:
                self.links.setdefault(d, set()).add(root.value.id)
                self.views.add(view.id)
            else:
                return False   # (a new array's: numba_shadows' part)
            self.binds.append(s)
        if not self.links or set(self.arguments) & set(self.links):
            return False
        self.roots = {d: {k} for d, (k, _) in self.arguments.items()} | {d: set() for d in self.links}
        changed = True
        while changed:
            changed = False
            for d, sources in self.links.items():
                if not sources <= set(self.roots):
                    return False
                new = set().union(*(self.roots[e] for e in sources))
                if not new <= self.roots[d]:
                    self.roots[d] |= new
                    changed = True
        return True

    def views_are_arguments(self) -> bool:
        """Whether each view name is only ever bound to an argument's array or another view
        name (or None, a placeholder), and the arguments' names are never bound again."""
        arrays = {x for _, x in self.arguments.values()}
        allowed = arrays | self.views
        for node in ast.walk(self.fwd):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and node.id in arrays:
                return False
        for s, _ in _statements(self.fwd.body):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(
                s, (ast.AugAssign, ast.AnnAssign, ast.For)) else []
            for t in targets:
                for n in ast.walk(t):
                    if not (isinstance(n, ast.Name) and n.id in self.views and isinstance(n.ctx, ast.Store)):
                        continue
                    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and s.targets[0] is n and (
                            isinstance(s.value, ast.Name) and s.value.id in allowed
                            or isinstance(s.value, ast.Constant) and s.value.value is None)):
                        return False
        return True

    def only_pushed(self, tape) -> bool:
        """Whether the forward half reads its references only to push them or to carry them,
        and binds them only so (or to None, a placeholder)."""
        names = set(self.roots)
        bound = {id(s) for s in self.binds}
        for s, _ in _statements(self.fwd.body):
            if id(s) in bound:
                carried = s.value.args[0]
                if isinstance(carried, ast.Subscript) and any(
                        isinstance(n, ast.Name) and n.id in names and n is not carried.value
                        for n in ast.walk(s.value)):
                    return False
                continue
            pushed = isinstance(s, ast.Expr) and _tape_call(s.value, tape, "append") and len(s.value.args) == 1 \
                and isinstance(s.value.args[0], ast.Name) and s.value.args[0].id in names
            placed = isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and s.targets[0].id in self.links and isinstance(s.value, ast.Constant) and s.value.value is None
            if pushed or placed:
                continue
            heads = [s] if not isinstance(s, (ast.For, ast.While, ast.If)) else \
                [s.iter if isinstance(s, ast.For) else s.test] + ([s.target] if isinstance(s, ast.For) else [])
            if any(isinstance(n, ast.Name) and n.id in names for h in heads for n in ast.walk(h)):
                return False
        return True


def _rebases(rev, roots_name, tape, roots):
    """``[((statement, its list), reference)]`` of each ``d = _ad_rebase(_tape.pop(), _roots)`` of a
    reference of the forward half's, or None where the memory map is read otherwise."""
    out = []
    for s, body in _statements(rev.body):
        if isinstance(s, ast.Assign) and _called(s.value, "_ad_roots"):
            continue   # (the map itself)
        if isinstance(s, ast.Assign) and _called(s.value, "_ad_rebase"):
            if not (len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and s.targets[0].id in roots
                    and len(s.value.args) == 2 and _tape_call(s.value.args[0], tape, "pop")
                    and isinstance(s.value.args[1], ast.Name) and s.value.args[1].id == roots_name):
                return None
            out.append(((s, body), s.targets[0].id))
            continue
        heads = [s] if not isinstance(s, (ast.For, ast.While, ast.If)) else \
            [s.iter if isinstance(s, ast.For) else s.test]
        if any(isinstance(n, ast.Name) and n.id == roots_name for h in heads for n in ast.walk(h)):
            return None
    return out


def _rewrite_forward(fwd, refs, tape, tail) -> None:
    """The references as ints: an argument's its position, a carried one its source's."""
    rename = {d: f"_ad_root{i}" for i, d in enumerate(sorted(refs.arguments), 1)}   # (the parameter keeps its type)

    def name(d):
        return rename.get(d, d)
    bound = {id(s) for s in refs.binds}
    for s, body in list(_statements(fwd.body)):
        if s is tail:
            body.remove(s)
        elif id(s) in bound:
            d, root = s.targets[0].id, s.value.args[0]
            s.targets = [_n(name(d), ast.Store)]
            s.value = ast.Constant(root.value) if d in refs.arguments else _n(name(root.value.id))
        elif isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id in refs.links \
                and isinstance(s.value, ast.Constant) and s.value.value is None:
            s.value = ast.Constant(-1)
        elif isinstance(s, ast.Expr) and _tape_call(s.value, tape, "append") and isinstance(s.value.args[0], ast.Name) \
                and s.value.args[0].id in refs.roots:
            s.value.args = [_n(name(s.value.args[0].id))]
            s.value.tape_tag = "i"


def returned_alias(value, origin):
    """``value`` as the numba backend's, where it is the shadow of what a helper returned as its
    argument in the function that runs both sweeps (``_ad_rebase(_ad_shadow_ref(0, _t1),
    _ad_roots((u,), (du,)))``): ``_ad_alias_of(du, u, _t1, where)`` (``numba_guards``), else None.
    ``origin``: the user's (file, line, text) of the call."""
    if not (_called(value, "_ad_rebase") and len(value.args) == 2 and _called(value.args[0], "_ad_shadow_ref")
            and _called(value.args[1], "_ad_roots") and len(value.args[1].args) == 2):
        return None
    (k, v), (xs, ds) = value.args[0].args, value.args[1].args
    if not (isinstance(k, ast.Constant) and type(k.value) is int and isinstance(xs, ast.Tuple)
            and isinstance(ds, ast.Tuple) and len(xs.elts) == len(ds.elts) > k.value >= 0):
        return None
    where = ast.Tuple([ast.Constant(c) for c in origin or (None, None, None)], ast.Load())
    return ast.Call(_n("_ad_alias_of"), [ds.elts[k.value], xs.elts[k.value], v, where], [])
