"""numba_shadows: the shadows of new local arrays in split halves, as the typed tape carries them.

A forward half owns no shadow memory: for the shadow of an array the function makes
(``w = np.zeros(n)``, an array a helper returns) it records a reference, a token holding the
array (``_ad_shadow_ref(None, w)``), and its reverse half makes a zero shadow of that array's
shape (``_ad_rebase``). The typed tape holds numbers and the values of arrays, not references.
Where every shadow a pair of halves records is of new memory (none is a view of an argument or
of another array), the forward half records the array's shape instead (``_ad_shape_of(w)``, an
int array on the tape) and the reverse half makes the zero shadow from it: the same shadow,
made at the same point. The arguments' references (``dx = _ad_shadow_ref(0, x)``), which only
views name, and the arguments pushed for the reverse half's memory map (``_ad_roots``) go.
A name that is an argument itself under another name (``y += e`` binds ``y_1 = y``) records
nothing: its shadow in the reverse half is the argument's. A pair recording any other view
keeps its references, which ``numba_rewrite`` refuses.

Also ``array_adjoints``: the zero a local array's adjoint starts as, made an array of its
shape (numba types a variable once), after the array is bound (a reverse half binds it late).
"""
from __future__ import annotations

import ast
from collections import Counter

from ..analysis.order import heads

SHAPE_TAG = "a1i"   # the tape tag of a recorded shape: a rank-1 int array


def _n(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def _called(e, name) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == name


def _tape_call(e, tape, method) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == method \
        and isinstance(e.func.value, ast.Name) and e.func.value.id == tape


def _statements(body):
    """Every statement of ``body``, nested ones too, with the list holding it."""
    for s in body:
        yield s, body
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _pushed(s, tape):
    """The name ``s`` pushes (``_tape.append(n)`` or of its copy), else None."""
    if not (isinstance(s, ast.Expr) and _tape_call(s.value, tape, "append") and len(s.value.args) == 1):
        return None
    v = s.value.args[0]
    if _called(v, "_ad_copy") and len(v.args) == 1:
        v = v.args[0]
    return v.id if isinstance(v, ast.Name) else None


def _bound(s) -> set:
    """The names the assignment ``s`` binds (``x = ...``, ``x, y = ...``); empty for other statements."""
    if not isinstance(s, ast.Assign):
        return set()
    return {n.id for t in s.targets for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _rank(kinds, namer, primal):
    from ..transform.tape import tape_tag
    tag = tape_tag(kinds, namer, primal) or ""
    return int(tag[1:-1]) if tag.startswith("a") and tag[-1] == "f" and tag[1:-1].isdigit() else 0


class _Plan:
    """What a forward half records for its shadows, if it records only new memory."""

    def __init__(self, fwd, rev, tape, passed):
        self.fwd, self.rev, self.tape = fwd, rev, tape
        self.passed = passed  # (a call, an argument's position) -> whether the callee ignores what it is given
        self.fresh = {}      # shadow name -> its primal's name
        self.aliases = {}    # shadow name -> the argument's reference it is (of ``y_1 = y``, as ``y += e`` binds)
        self.params = []     # the statements binding the arguments' references
        self.refs = []       # the statements binding the fresh references
        self.tail = None     # the push of the arguments (the reverse half's memory map)
        self.roots = None    # the reverse half's memory map: its statement
        self.viewed = []     # (statement, root, view name) of each view's reference

    def read(self) -> bool:
        for s, _ in _statements(self.fwd.body):
            if isinstance(s, ast.Assign) and _called(s.value, "_ad_shadow_ref"):
                if len(s.targets) != 1 or not isinstance(s.targets[0], ast.Name) or len(s.value.args) != 2:
                    return False
                root, view = s.value.args
                if isinstance(root, ast.Subscript) and isinstance(view, ast.Name):
                    self.viewed.append((s, root, view.id))
                    continue
                if not (isinstance(root, ast.Constant) and isinstance(view, ast.Name)):
                    return False   # a view: its root's reference is needed
                if root.value is None:
                    self.fresh[s.targets[0].id] = view.id
                    self.refs.append(s)
                elif isinstance(root.value, int):
                    self.params.append(s)
                else:
                    return False
        if not self._aliases():
            return False
        if not self.fresh and not self.aliases:
            return False
        last = self.fwd.body[-2] if len(self.fwd.body) > 1 else None
        if isinstance(last, ast.Expr) and _tape_call(last.value, self.tape, "append") \
                and isinstance(last.value.args[0], ast.Tuple):
            self.tail = last
        for s in self.rev.body:
            if isinstance(s, ast.Assign) and _called(s.value, "_ad_roots"):
                self.roots = s
        return (self.tail is None) == (self.roots is None) and self._uses_known()

    def _aliases(self) -> bool:
        """Whether every view recorded is an argument itself under another name (``y_1 = y``,
        each binding of it): its shadow in the reverse half is the argument's."""
        refs = {s.targets[0].id: s.value.args for s in self.params}   # dy -> (k, y)
        for s, root, view in self.viewed:
            d = root.value.id if isinstance(root.value, ast.Name) else None
            if not (isinstance(root.slice, ast.Constant) and root.slice.value == 0):
                return False
            if d in refs and isinstance(refs[d][1], ast.Name):
                arg = refs[d][1].id
            elif d in self.fresh and self._bound_once(d):
                arg = self.fresh[d]   # (``_ret = v`` of a new local array ``v``: its shadow is ``v``'s)
            else:
                return False
            for t, _ in _statements(self.fwd.body):
                for n in (n for part in ([t.target] if isinstance(t, ast.For) else []) + heads(t)
                          for n in ast.walk(part)):   # (a statement's own parts: those nested come on their own)
                    if not (isinstance(n, ast.Name) and n.id == view and not isinstance(n.ctx, ast.Load)):
                        continue
                    simple = isinstance(t, ast.Assign) and len(t.targets) == 1 and t.targets[0] is n
                    if not simple or not (isinstance(t.value, ast.Name) and t.value.id == arg
                                          or isinstance(t.value, ast.Constant) and t.value.value is None):
                        return False   # (None: the placeholder of a name the tape carries)
            if self.aliases.get(s.targets[0].id, d) != d:
                return False
            self.aliases[s.targets[0].id] = d
            self.refs.append(s)
        groups: dict = {}
        for a, d in self.aliases.items():
            if d in self.fresh:
                groups.setdefault(d, []).append(a)
        if not all(self._one_shadow(d, members) for d, members in groups.items()):
            return False
        for a in self.aliases:
            self.fresh.pop(a, None)   # (its records of nothing go with the others)
        return True

    def _one_shadow(self, d, members) -> bool:
        """The shadow ``d`` of a new array and the names that are it (``_d_ret`` of ``return v``,
        ``dw`` of ``w = f(u)``, a helper's array ``d`` is): the one the reverse half binds first
        records the array's shape and makes its zero shadow, the others are it."""
        first = {}
        for k, top in enumerate(self.rev.body):
            for s, _ in _statements([top]):
                for m in _bound(s):
                    first.setdefault(m, k)
        carrier = min([d] + members, key=lambda m: first.get(m, len(self.rev.body)))
        if carrier != d:
            if not self._bound_once(carrier):
                return False
            self.fresh[carrier] = next(v for s, _, v in self.viewed if s.targets[0].id == carrier)
            for m in members + [d]:
                self.aliases[m] = carrier
            del self.aliases[carrier]
        return all(self._fresh_alias(m, m == d) for m in [d] + members if m != carrier)

    def _bound_once(self, d) -> bool:
        """Whether the forward half binds the shadow ``d`` of a new array once (besides its
        placeholder) and the reverse half binds it once, at its top."""
        real = [t for t, _ in _statements(self.fwd.body) if d in _bound(t) and not (
            isinstance(t.value, ast.Constant) and t.value.value is None)]
        if len(real) != 1 or not _called(real[0].value, "_ad_shadow_ref"):
            return False
        rebound = [t for t, _ in _statements(self.rev.body) if d in _bound(t)]
        return len(rebound) == 1 and any(t is rebound[0] for t in self.rev.body)

    def _fresh_alias(self, a, once) -> bool:
        """Whether the shadow ``a`` that is the shadow ``d`` of a new array (``_d_ret`` of
        ``return v``) may be ``d`` wherever the reverse half binds it: ``a``'s other records
        are of nothing (``_ret = None`` just before ``_d_ret = _ad_shadow_ref(None, _ret)``),
        and the reverse half reads ``a`` only while it holds its last record (``_d_ret[...] += dret``),
        bound at its top after ``d``."""
        d = self.aliases[a]
        for body in [] if once else [self.fwd.body] + [b for _, b in _statements(self.fwd.body)]:
            for k, s in enumerate(body):
                if a in _bound(s) and _called(s.value, "_ad_shadow_ref") and isinstance(s.value.args[0], ast.Constant):
                    v, before = s.value.args[1], body[k - 1] if k else None
                    if not (isinstance(v, ast.Name) and before is not None and _bound(before) == {v.id}
                            and isinstance(before.value, ast.Constant) and before.value.value is None):
                        return False
        seen_d, bound = False, 0
        for top in self.rev.body:
            stores = [s for s, _ in _statements([top]) if a in _bound(s)]
            reads = [n for n in ast.walk(top) if isinstance(n, ast.Name) and n.id == a and isinstance(n.ctx, ast.Load)]
            seen_d = seen_d or d in _bound(top)
            if stores:
                if not all(self._rebased(s) for s in stores) or reads or not seen_d \
                        or (bound == 0 and stores != [top]):
                    return False
                bound += 1
            elif reads and bound != 1:
                return False
        return True

    def _uses_known(self) -> bool:
        """Whether the forward half reads the fresh references only to push them and the
        arguments' references not at all, and the reverse half reads its memory map only
        to rebase fresh shadows."""
        bound = {id(s) for s in self.params + self.refs}
        params = {s.targets[0].id for s in self.params}
        for s, _ in _statements(self.fwd.body):
            if id(s) in bound or _pushed(s, self.tape) in self.fresh or _pushed(s, self.tape) in self.aliases:
                continue
            for head in heads(s):
                ignored = {id(a) for call in ast.walk(head) if isinstance(call, ast.Call)
                           for k, a in enumerate(call.args) if self.passed(call, k)}
                for node in ast.walk(head):
                    if isinstance(node, ast.Name) and node.id in self.aliases and isinstance(node.ctx, ast.Load):
                        if id(node) in ignored:
                            continue   # (passed to a callee ignoring it: the argument's shadow is passed)
                        return False   # (an alias's shadow read otherwise: kept)
                    if isinstance(node, ast.Name) and (node.id in params or node.id in self.fresh
                                                       or node.id in self.aliases) and id(node) not in ignored:
                        placed = isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant) \
                            and s.value.value is None and (node.id in self.fresh or node.id in self.aliases)
                        if not placed:
                            return False
        if self.roots is None:
            return True
        name = self.roots.targets[0].id
        for s, _ in _statements(self.rev.body):
            if s is self.roots:
                continue
            reads = [node for head in heads(s) for node in ast.walk(head)
                     if isinstance(node, ast.Name) and node.id == name]
            if reads and not self._rebased(s):
                return False
        return True

    def _rebased(self, s):
        """The fresh or alias shadow ``s`` rebases (``dw = _ad_rebase(_tape.pop(), _roots)``), else None."""
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and _called(s.value, "_ad_rebase") and _tape_call(s.value.args[0], self.tape, "pop") \
                and (s.targets[0].id in self.fresh or s.targets[0].id in self.aliases):
            return s.targets[0].id
        return None


class _Ignored:
    """Which shadows a forward half is given it never reads. A forward half binds its own
    references in place of its arguments' shadows (``dx = _ad_shadow_ref(0, x)``) or
    passes them on to its callees' forward halves, which do the same: what a caller
    passes there may be anything (a recorded shape)."""

    def __init__(self, by_name, contexts):
        self.by_name, self.contexts, self.memo = by_name, contexts, {}

    def passed(self, call, k) -> bool:
        """Whether the callee of ``call`` (a forward half of the module) ignores its argument ``k``."""
        if not (isinstance(call.func, ast.Name) and call.func.id.endswith("_fwd") and call.func.id in self.by_name):
            return False
        return self.ignores(call.func.id, k)

    def ignores(self, name, k) -> bool:
        key = (name, k)
        if key not in self.memo:
            self.memo[key] = True   # (a call of itself: decided by its other uses)
            self.memo[key] = self._ignores(self.by_name[name], k)
        return self.memo[key]

    def _ignores(self, fn, k) -> bool:
        params = [a.arg for a in fn.args.args]
        if k >= len(params) or fn.name not in self.contexts:
            return False
        namer = self.contexts[fn.name][1]
        p = params[k]
        if p not in set(namer.adjoints.values()):
            return False   # (only shadows)
        for s in fn.body:
            if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == p for t in s.targets) \
                    and not any(isinstance(n, ast.Name) and n.id == p for n in ast.walk(s.value)):
                return True   # rebound before any read
            passed = {id(a) for call in ast.walk(s) if isinstance(call, ast.Call) for j, a in enumerate(call.args)
                      if isinstance(a, ast.Name) and a.id == p and self.passed(call, j)}
            if any(isinstance(n, ast.Name) and n.id == p and id(n) not in passed for n in ast.walk(s)):
                return False
        return True


def _fused(fn, kinds, namer) -> None:
    """In a function that pushes and pops a shadow itself (the fused function: the shadow of an
    array made at each step of a loop, ``w = u.copy()``, put back for the step before), the shadow
    of new memory is recorded as its shape too: the typed tape holds values, and a zero shadow of
    that shape is what comes back (the forward sweep leaves shadows untouched)."""
    tape, shadows = namer.tape, set(namer.adjoints.values())
    stores, pushes, pops = {}, {}, {}
    for s, body in _statements(fn.body):
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and s.targets[0].id in shadows:
            d = s.targets[0].id
            v = s.value
            fresh = _called(v, "_ad_shadow_like") and len(v.args) == 1 and isinstance(v.args[0], ast.Name)
            placed = isinstance(v, ast.Constant) and v.value is None
            if _tape_call(v, tape, "pop"):
                pops.setdefault(d, []).append((s, body))
            elif not (fresh or placed):
                stores[d] = None   # (bound otherwise: a view of another shadow, an argument's)
            elif fresh and stores.get(d, 0) is not None:
                stores[d] = v.args[0].id if stores.get(d, v.args[0].id) == v.args[0].id else None
        elif _pushed(s, tape) in shadows and not getattr(s.value, "shadow_shape", False):
            pushes.setdefault(_pushed(s, tape), []).append(s)
        else:   # (bound by a swap, ``da, db = db, da``, or as a loop's name: the arrays themselves matter)
            for t in s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.For) else []:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in shadows:
                        stores[n.id] = None
    for d in [d for d in pops if d in pushes and stores.get(d)]:
        rank = _rank(kinds, namer, stores[d])
        viewed = any(isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id in shadows - {d}
                                                       for t in s.targets) and _views(s.value, d, rank)
                     for s, _ in _statements(fn.body))
        if not rank or viewed:
            continue
        for s in pushes[d]:
            s.value.args = [ast.Call(_n("_ad_shape_of"), [_n(d)], [])]   # (the shadow here is an array)
            s.value.tape_tag = SHAPE_TAG
            s.value.shadow_shape = True
        for s, body in pops[d]:
            _zeros_from_shape(s, body, s.value, d, rank, namer)


def _views(v, d, rank) -> bool:
    """Whether the value ``v`` may be a view of the array ``d`` (not one of its elements):
    ``d`` itself, a slice of it, or ``d`` passed to a call (``np.reshape(d, ...)``)."""
    if isinstance(v, ast.Name):
        return v.id == d
    if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id == d:
        idx = v.slice.elts if isinstance(v.slice, ast.Tuple) else [v.slice]
        return len(idx) < rank or any(isinstance(i, ast.Slice) or isinstance(i, ast.Constant)
                                      and i.value in (None, Ellipsis) for i in idx)
    return any(isinstance(n, ast.Call) and any(isinstance(a, ast.Name) and a.id == d for a in n.args)
               for n in ast.walk(v))


def _zeros_from_shape(s, body, pop, d, rank, namer) -> None:
    """``s`` (``d = ...`` of the pop ``pop``) -> ``_shape = <pop>; d = np.zeros((_shape[0], ...))``."""
    shape = namer.role("_shape")
    pop.tape_tag = SHAPE_TAG
    dims = [ast.Subscript(_n(shape), ast.Constant(k), ast.Load()) for k in range(rank)]
    zeros = ast.Call(ast.Attribute(_n("np"), "zeros", ast.Load()), [ast.Tuple(dims, ast.Load())], [])
    k = next(i for i, t in enumerate(body) if t is s)
    body[k:k + 1] = [ast.Assign(targets=[_n(shape, ast.Store)], value=pop),
                     ast.Assign(targets=[_n(d, ast.Store)], value=zeros)]


def fresh_shadows(functions, contexts) -> list:
    """``functions`` with each split pair (``f_fwd``, ``f_rev``) that records only
    shadows of new memory rewritten to record their shapes (see the module's text)."""
    by_name = {fn.name: fn for fn in functions}
    ignores = _Ignored(by_name, contexts)
    for fn in functions:
        if not fn.name.endswith("_fwd"):
            continue
        rev = by_name.get(fn.name[:-4] + "_rev")
        if rev is None or fn.name not in contexts or rev.name not in contexts:
            continue
        kinds, namer = contexts[rev.name]
        plan = _Plan(fn, rev, namer.tape, ignores.passed)
        if not plan.read():
            continue
        ranks = {dn: _rank(kinds, namer, x) for dn, x in plan.fresh.items()}
        if not all(ranks.values()):
            continue
        _rewrite(plan, ranks, namer)
    for fn in functions:
        if fn.name in contexts:
            _fused(fn, *contexts[fn.name])
    return functions


def _rewrite(plan, ranks, namer):
    fwd, rev, tape = plan.fwd, plan.rev, plan.tape
    gone = {id(s) for s in plan.params} | ({id(plan.tail)} if plan.tail is not None else set())
    for s, body in list(_statements(fwd.body)):
        if id(s) in gone or _pushed(s, tape) in plan.aliases or isinstance(s, ast.Assign) \
                and isinstance(s.targets[0], ast.Name) and s.targets[0].id in plan.aliases:
            body.remove(s)   # (an alias's shadow is the argument's in the reverse half: nothing recorded)
        elif any(s is r for r in plan.refs):
            s.value = ast.Call(_n("_ad_shape_of"), [_n(plan.fresh[s.targets[0].id])], [])
        elif _pushed(s, tape) in plan.fresh:
            s.value.args = [_n(_pushed(s, tape))]
            s.value.tape_tag = SHAPE_TAG
            s.value.shadow_shape = True   # (not the shadow itself: numba_rewrite lets it pass)
        elif isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant) and s.value.value is None \
                and isinstance(s.targets[0], ast.Name) and s.targets[0].id in plan.fresh:
            rank = ranks[s.targets[0].id]   # (a shape of zeros: the placeholder of a name never bound)
            s.value = ast.Call(ast.Attribute(_n("np"), "zeros", ast.Load()),
                               [ast.Constant(rank), ast.Attribute(_n("np"), "int64", ast.Load())], [])
    for s, _ in _statements(fwd.body):   # (an alias's shadow passed to a callee ignoring it: the argument's)
        for head in heads(s):
            for name in ast.walk(head):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Load) and name.id in plan.aliases:
                    name.id = plan.aliases[name.id]
    if plan.roots is not None:
        rev.body.remove(plan.roots)
    for s, body in list(_statements(rev.body)):
        dn = plan._rebased(s)
        if dn in plan.aliases:
            s.value = _n(plan.aliases[dn])
        elif dn is not None:
            _zeros_from_shape(s, body, s.value.args[0], dn, ranks[dn], namer)


def view_line(fn):
    """The comment (an index into the module's origins) heading the first statement of ``fn``
    recording the shadow of a view (``_ad_shadow_ref(dw[0], v)``, or a helper's view of its
    argument), where a refusal of split halves is best located; None if there is none."""
    from ..codegen.emit import _MARK_RE
    where = None
    for s, _ in _statements(fn.body):
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Name) and _MARK_RE.match(s.value.id):
            where = int(_MARK_RE.match(s.value.id).group(2))
        elif isinstance(s, ast.Assign) and _called(s.value, "_ad_shadow_ref") and len(s.value.args) == 2 \
                and not isinstance(s.value.args[0], ast.Constant):
            return where
    return None


def array_adjoints(fn, kinds, namer, tape) -> None:
    """``dp = 0.0`` of the adjoint of a local array ``p`` as ``np.zeros_like(p)``: numpy's code starts
    it as a number the first term makes an array; numba types a variable once. (Arrays bound at the
    function's top: ``p = None``, popped in a reverse half, ``p = _tape.pop()``, or bound once.)"""
    stores = Counter(n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    placed = {s.targets[0].id for s in fn.body if isinstance(s, ast.Assign) and len(s.targets) == 1
              and isinstance(s.targets[0], ast.Name) and (stores[s.targets[0].id] == 1 or isinstance(
                  s.value, ast.Constant) and s.value.value is None or isinstance(s.value, ast.Call)
                  and ast.unparse(s.value.func) == f"{tape}.pop")}
    primal_of = {d: x for x, d in namer.adjoints.items() if x in placed}
    body, first = fn.body, {}
    for i, s in enumerate(body):
        for t in (s.targets if isinstance(s, ast.Assign) else []):
            first.setdefault(getattr(t, "id", None), i)
    for i, top in reversed(list(enumerate(body))):   # (from the last: a move changes later positions only)
        for node in ast.walk(top):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Constant) and type(node.value.value) is float \
                    and node.value.value == 0.0 and node.targets[0].id in primal_of:
                p = primal_of[node.targets[0].id]
                k = kinds.get(p)
                if k is None or k.cls != "array" or not k.ndim or k.dtype not in ("f", "c"):
                    continue
                zeros = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "zeros_like", ast.Load()), [ast.Name(p, ast.Load())], [])
                j = first.get(p, -1)
                if j < i:
                    node.value = zeros
                elif node is top and not any(isinstance(n, ast.Name) and n.id == node.targets[0].id
                                             for s in body[i + 1:j + 1] for n in ast.walk(s)):
                    # (a reverse half binds p after the adjoint's first zero: zero it there)
                    body.insert(j + 1, ast.Assign([node.targets[0]], zeros))
                    del body[i]
