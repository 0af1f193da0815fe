"""numba_views: split halves whose shadows are views of an argument's (``t = y[1:]``, ``r = A[i]``).

A forward half owns no shadow memory: for the shadow of a view of an argument it records a
reference, the view itself with its root (``dt = _ad_shadow_ref(dy[0], t)``), and its reverse
half takes the same view of its own shadow of that argument (``_ad_rebase``). The typed tape holds
numbers, not references: where every reference a pair of halves records is of a view whose root
is one argument known when the code is generated (a chain of views of views included), the
forward half records the view's geometry instead, an int array (``_ad_geometry(y, t)``: its byte
offset in the argument's memory, its shape and strides, the argument's shape and strides), and
the reverse half takes that view of the argument's shadow (``_ad_view1(dy, g)``: the same bytes
where the shadow's strides are the argument's, else the same elements). A view outside the
argument's memory (a copy) raises, as the numpy backend's ``_ad_rebase`` does. Any other
reference (a new array's, a root chosen at run time) leaves the pair for the refusal.
"""
from __future__ import annotations

import ast

from .numba_roots import indexed_pairs
from .numba_shadows import (
    _called,
    _Ignored,
    _n,
    _rank,
    _statements,
    _tape_call,
    fresh_shadows,
)

GEOMETRY_TAG = "a1i"   # a geometry on the typed tape: a rank-1 int array


def split_pairs(functions, contexts) -> list:
    """``functions`` with the split pairs recording shadows the typed tape can carry rewritten: new
    local arrays' (``numba_shadows``), arguments' under swapped names (``numba_roots``), views of
    arguments (here); the others are left recording references, which ``numba_rewrite`` refuses."""
    return fresh_shadows(viewed_pairs(indexed_pairs(functions, contexts), contexts), contexts)


def viewed_pairs(functions, contexts) -> list:
    """``functions`` with each split pair recording views of arguments rewritten (the module's text)."""
    by_name = {fn.name: fn for fn in functions}
    ignores = _Ignored(by_name, contexts)
    for fn in functions:
        rev = by_name.get(fn.name[:-4] + "_rev") if fn.name.endswith("_fwd") else None
        if rev is not None and fn.name in contexts and rev.name in contexts \
                and any(_called(n, "_ad_shadow_ref") for n in ast.walk(fn)):
            kinds, namer = contexts[rev.name]
            pair = _Pair(fn, rev, namer.tape, ignores.passed)
            if pair.read():
                ranks = {d: _rank(kinds, namer, next((p for p, a in namer.adjoints.items() if a == d), None))
                         for d in pair.views}
                if all(ranks.values()):
                    pair.rewrite(ranks)
    return functions


class _Pair:
    def __init__(self, fwd, rev, tape, passed):
        self.fwd, self.rev, self.tape, self.passed = fwd, rev, tape, passed
        self.arguments = {}   # an argument's reference -> (its position, its array's name)
        self.views = {}       # a view's reference -> the position of its root argument
        self.binds = []       # the statements binding references
        self.tail = None      # the push of the arguments (the reverse half's memory map)
        self.roots = None     # the reverse half's memory map: its statement
        self.fresh = set()    # new arrays' references, left for numba_shadows (after this pass)

    def read(self) -> bool:
        params = {a.arg for a in self.fwd.args.args}
        sources = {}
        for s, _ in _statements(self.fwd.body):
            if not (isinstance(s, ast.Assign) and _called(s.value, "_ad_shadow_ref")):
                continue
            if len(s.targets) != 1 or not isinstance(s.targets[0], ast.Name) or len(s.value.args) != 2:
                return False
            d, (root, view) = s.targets[0].id, s.value.args
            if _called(view, "_ad_view_checked") and view.args and isinstance(view.args[0], ast.Name) \
                    and not isinstance(root, ast.Constant):
                view = view.args[0]   # (np.reshape's view, checked to be one)
            if not isinstance(view, ast.Name):
                return False
            if isinstance(root, ast.Constant) and type(root.value) is int and d in params:
                self.arguments[d] = (root.value, view.id)
            elif isinstance(root, ast.Subscript) and isinstance(root.value, ast.Name) \
                    and isinstance(root.slice, ast.Constant) and root.slice.value == 0:
                sources.setdefault(d, set()).add(root.value.id)
            elif isinstance(root, ast.Constant) and root.value is None:
                self.fresh.add(d)   # (a new array's: numba_shadows' part, once the views are rewritten)
                continue
            else:
                return False
            self.binds.append(s)
        if not sources or set(self.arguments) & set(sources):
            return False
        changed = True
        while changed:
            changed = False
            for d, from_ in sources.items():
                known = {self.arguments[e][0] if e in self.arguments else self.views.get(e) for e in from_}
                if None in known or len(known) != 1:
                    if any(e not in self.arguments and e not in sources for e in from_):
                        return False
                    continue
                if self.views.get(d) != next(iter(known)):
                    if d in self.views:
                        return False   # (a root that differs between bindings)
                    self.views[d] = next(iter(known))
                    changed = True
        return set(self.views) == set(sources) and self._arrays_kept() and self._uses_known() \
            and self._memory_map()

    def _arrays_kept(self) -> bool:
        """Whether the arguments' arrays keep their names in the forward half."""
        arrays = {x for _, x in self.arguments.values()}
        return not any(isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and n.id in arrays
                       for n in ast.walk(self.fwd))

    def _uses_known(self) -> bool:
        """Whether the forward half reads its references only to carry them, push them or pass them
        to a callee ignoring them, and binds them only so (or to None, a placeholder)."""
        names = set(self.arguments) | set(self.views)
        bound = {id(s) for s in self.binds}
        pushes = [s for s in self.fwd.body if isinstance(s, ast.Expr) and _tape_call(s.value, self.tape, "append")]
        if pushes and len(pushes[-1].value.args) == 1 and isinstance(pushes[-1].value.args[0], ast.Tuple):
            self.tail = pushes[-1]
        for s, _ in _statements(self.fwd.body):
            if id(s) in bound:
                if any(isinstance(n, ast.Name) and n.id in names and n is not s.value.args[0].value
                       for n in ast.walk(s.value) if not isinstance(s.value.args[0], ast.Constant)):
                    return False
                continue
            if s is self.tail or isinstance(s, ast.Expr) and _tape_call(s.value, self.tape, "append") \
                    and len(s.value.args) == 1 and isinstance(s.value.args[0], ast.Name) \
                    and s.value.args[0].id in self.views:
                continue
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                    and s.targets[0].id in names:
                if not (isinstance(s.value, ast.Constant) and s.value.value is None and s.targets[0].id in self.views):
                    return False
                continue
            for h in _heads(s):
                ignored = {id(a) for call in ast.walk(h) if isinstance(call, ast.Call)
                           for k, a in enumerate(call.args) if k and self.passed(call, k)
                           and isinstance(call.args[k - 1], ast.Name)}
                if any(isinstance(n, ast.Name) and n.id in names and id(n) not in ignored for n in ast.walk(h)):
                    return False
        return True

    def _memory_map(self) -> bool:
        """Whether the reverse half reads its memory map only to rebase the views' shadows."""
        for s in self.rev.body:
            if isinstance(s, ast.Assign) and _called(s.value, "_ad_roots"):
                self.roots = s
        if self.roots is None or self.tail is None or len(self.roots.value.args) != 2 \
                or not isinstance(self.roots.value.args[1], ast.Tuple) \
                or not all(isinstance(e, ast.Name) for e in self.roots.value.args[1].elts) \
                or max(self.views.values()) >= len(self.roots.value.args[1].elts):
            return False
        name = self.roots.targets[0].id
        for s, _ in _statements(self.rev.body):
            if s is self.roots:
                continue
            reads = any(isinstance(n, ast.Name) and n.id == name for h in _heads(s) for n in ast.walk(h))
            if reads and self._rebased(s) is None and self._rebased(s, self.fresh) is None:
                return False
        return True

    def _rebased(self, s, names=None):
        """The view's shadow ``s`` rebases (``dt = _ad_rebase(_tape.pop(), _roots)``; of ``names``, a new
        array's), else None."""
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and s.targets[0].id in (self.views if names is None else names) and _called(s.value, "_ad_rebase") \
                and len(s.value.args) == 2 \
                and _tape_call(s.value.args[0], self.tape, "pop") and isinstance(s.value.args[1], ast.Name) \
                and s.value.args[1].id == self.roots.targets[0].id:
            return s.targets[0].id
        return None

    def rewrite(self, ranks) -> None:
        geometry = {d: f"_ad_geo{k}" for k, d in enumerate(sorted(self.views), 1)}
        arrays = {d: x for d, (_, x) in self.arguments.items()}
        root_array = {d: next(x for j, x in self.arguments.values() if j == k) for d, k in self.views.items()}
        bound = {id(s) for s in self.binds}
        for s, body in list(_statements(self.fwd.body)):
            if s is self.tail and not self.fresh or id(s) in bound and s.targets[0].id in arrays:
                body.remove(s)   # (the arguments' push stays for numba_shadows' new arrays)
            elif id(s) in bound:
                d = s.targets[0].id
                s.targets = [_n(geometry[d], ast.Store)]
                s.value = ast.Call(_n("_ad_geometry"), [_n(root_array[d]), s.value.args[1]], [])
            elif isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id in self.views:
                s.targets = [_n(geometry[s.targets[0].id], ast.Store)]   # (a placeholder: no view yet)
                s.value = ast.Call(ast.Attribute(_n("np"), "zeros", ast.Load()),
                                   [ast.Constant(0), ast.Attribute(_n("np"), "int64", ast.Load())], [])
            elif isinstance(s, ast.Expr) and _tape_call(s.value, self.tape, "append") \
                    and isinstance(s.value.args[0], ast.Name) and s.value.args[0].id in self.views:
                s.value.args = [_n(geometry[s.value.args[0].id])]
                s.value.tape_tag = GEOMETRY_TAG
            else:
                for h in _heads(s):   # (passed to a callee ignoring it: the primal before it, of its type)
                    for call in [c for c in ast.walk(h) if isinstance(c, ast.Call)]:
                        for k, a in enumerate(call.args):
                            if isinstance(a, ast.Name) and (a.id in self.views or a.id in arrays) and k:
                                call.args[k] = _n(call.args[k - 1].id)
        shadows = [e.id for e in self.roots.value.args[1].elts]
        if not self.fresh:
            self.rev.body.remove(self.roots)
        for s, body in list(_statements(self.rev.body)):
            d = self._rebased(s)
            if d is None:
                continue
            pop = s.value.args[0]
            pop.tape_tag = GEOMETRY_TAG
            at = next(i for i, t in enumerate(body) if t is s)
            body[at:at + 1] = [ast.Assign([_n(geometry[d], ast.Store)], pop),
                               ast.Assign([_n(d, ast.Store)], ast.Call(
                                   _n(f"_ad_view{ranks[d]}"), [_n(shadows[self.views[d]]), _n(geometry[d])], []))]


def _heads(s):
    return [s] if not isinstance(s, (ast.For, ast.While, ast.If)) else \
        [s.iter if isinstance(s, ast.For) else s.test] + ([s.target] if isinstance(s, ast.For) else [])


VIEWS = '''

@_ad_jit
def _ad_geometry(x, v):
    """The geometry of the view ``v`` of ``x`` (the bytes from ``x``'s first element to ``v``'s,
    ``v``'s shape and strides, ``x``'s shape and strides), checked to lie in ``x``'s memory."""
    r, n = v.ndim, x.ndim
    g = np.empty(1 + 2 * r + 2 * n, np.int64)
    g[0] = v.ctypes.data - x.ctypes.data
    for k in range(r):
        g[1 + k] = v.shape[k]
        g[1 + r + k] = v.strides[k]
    for k in range(n):
        g[1 + 2 * r + k] = x.shape[k]
        g[1 + 2 * r + n + k] = x.strides[k]
    if v.size and not _ad_within(g[0], g[1:1 + r], g[1 + r:1 + 2 * r], g[1 + 2 * r:1 + 2 * r + n],
                                 g[1 + 2 * r + n:], x.itemsize):
        raise ValueError("the shadow of a view: the view is not in its array's memory (a copy)")
    return g


@_ad_jit
def _ad_within(start, shape, strides, xshape, xstrides, itemsize):
    lo, hi, xlo, xhi = start, start, 0, 0
    for k in range(shape.shape[0]):
        step = strides[k] * (shape[k] - 1)
        lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
    for k in range(xshape.shape[0]):
        step = xstrides[k] * (xshape[k] - 1)
        xlo, xhi = (xlo + step, xhi) if step < 0 else (xlo, xhi + step)
    return xlo <= lo and hi <= xhi


@_ad_jit
def _ad_unravel(off, shape, strides):
    """The multi-index of the element ``off`` bytes after element 0 (of ``shape`` and ``strides``)."""
    n = shape.shape[0]
    index = np.zeros(n, np.int64)
    done = np.zeros(n, np.bool_)
    for _ in range(n):
        k, big = -1, -1
        for j in range(n):
            if not done[j] and strides[j] != 0 and shape[j] > 1 and abs(strides[j]) > big:
                k, big = j, abs(strides[j])
        if k < 0:
            break
        done[k] = True
        lo, hi = 0, 0
        for j in range(n):
            if not done[j] and strides[j] != 0 and shape[j] > 1:
                step = strides[j] * (shape[j] - 1)
                lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
        s = strides[k]
        q = -((hi - off) // s) if s > 0 else -((lo - off) // s)
        index[k] = min(max(q, 0), shape[k] - 1)
        off -= index[k] * s
    if off != 0:
        raise ValueError("the shadow of a view: the view is not in its array's memory (a copy)")
    return index


@_ad_jit
def _ad_view_start(dx, g, r):
    """The byte offset from ``dx``'s first element and the strides of the view of ``dx`` that
    the geometry ``g`` (``_ad_geometry``) describes of the argument."""
    n = dx.ndim
    xshape, xstrides = g[1 + 2 * r:1 + 2 * r + n], g[1 + 2 * r + n:]
    strides = g[1 + r:1 + 2 * r].copy()
    for j in range(r):
        if g[1 + j] == 0:
            return 0, strides   # (an empty view, whose offset may lie past the argument's end: no element)
    same = True
    for k in range(n):
        same = same and xstrides[k] == dx.strides[k]
    if same:
        return g[0], strides
    first = _ad_unravel(g[0], xshape, xstrides)
    start = 0
    for k in range(n):
        start += first[k] * dx.strides[k]
    for j in range(r):
        strides[j] = 0
        if g[1 + j] > 1:
            step = _ad_unravel(g[0] + g[1 + r + j], xshape, xstrides)
            for k in range(n):
                strides[j] += (step[k] - first[k]) * dx.strides[k]
    return start, strides


@_ad_jit
def _ad_view_base(dx, start):
    """A view of ``dx``'s memory whose first element is ``start`` bytes after ``dx``'s."""
    size = dx.itemsize
    if start >= 0:
        return np.lib.stride_tricks.as_strided(dx, shape=(start // size + 1,), strides=(size,))[start // size:]
    return np.lib.stride_tricks.as_strided(dx, shape=(-start // size + 1,), strides=(-size,))[-start // size:]


@_ad_jit
def _ad_view1(dx, g):
    if g.shape[0] == 0:
        return np.zeros(0)
    start, st = _ad_view_start(dx, g, 1)
    return np.lib.stride_tricks.as_strided(_ad_view_base(dx, start), shape=(g[1],), strides=(st[0],))


@_ad_jit
def _ad_view2(dx, g):
    if g.shape[0] == 0:
        return np.zeros((0, 0))
    start, st = _ad_view_start(dx, g, 2)
    return np.lib.stride_tricks.as_strided(_ad_view_base(dx, start), shape=(g[1], g[2]), strides=(st[0], st[1]))


@_ad_jit
def _ad_view3(dx, g):
    if g.shape[0] == 0:
        return np.zeros((0, 0, 0))
    start, st = _ad_view_start(dx, g, 3)
    return np.lib.stride_tricks.as_strided(_ad_view_base(dx, start), shape=(g[1], g[2], g[3]),
                                           strides=(st[0], st[1], st[2]))
'''
