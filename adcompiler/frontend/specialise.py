"""specialise: a helper given a list or tuple written out takes its items as arguments of their own.

``_forward(x, [(W1, b1), (W2, b2)])`` passes a helper the arrays of a network's
layers in a list. The derivatives of a list's items are not followed through
a call (a list is differentiated only as a stack), so such a call is, for
this caller, a call of a copy of the helper that takes the items as
parameters and binds its own parameter to the same display at its top:

    def _forward(x, layers__0_0, layers__0_1, layers__1_0, layers__1_1):
        layers = [(layers__0_0, layers__0_1), (layers__1_0, layers__1_1)]
        for W, b in layers:
            ...

    out = _forward__items1(x, W1, b1, W2, b2)

Each array is then an argument of the helper, whose derivative every mode
follows, and the helper's loops over ``layers`` are unrolled
(``frontend/unroll.py``). The arguments are evaluated in the order Python
evaluates the display's items. The display is made at the call, so no other
name holds the list: the helper's own list is the same value (it may append to
it, return it).

A name bound once, at the top level of the caller, to such a display, read only
(iterated, indexed, measured, unpacked, given to numpy) and passed to helpers
that only read it too, is passed its items the same way; items of the display
that are not names bound before it are first bound to names of their own, in
their order.

Contract: ``specialise_container_calls(pf, resolver)`` rewrites ``pf.tree`` in
place and adds the copies to ``pf.lifted`` (the resolver looks names up there
first).
"""
from __future__ import annotations

import ast
import copy
import types

from ..codegen.compile import define_function
from ..codegen.naming import is_generated
from ..errors import AdCompilerError
from ..rules.registry import lookup
from .parse import parse_function
from .resolve import LIFTED
from .unroll import int_constant

_SPECIALISED: dict = {}   # (helper's code, parameter, structure, its tree) -> the copy (stable across analyses)
_READERS = frozenset({"len", "sum", "zip", "enumerate", "reversed", "min", "max", "tuple", "list", "sorted"})
_NUMPY = frozenset({"np", "numpy"})


def specialise_container_calls(pf, resolver) -> None:
    """Rewrite the calls of ``pf`` that give a helper a list or tuple written out (see the module)."""
    if is_generated(pf.filename):   # (derivatives differentiated again: their calls pass arrays)
        return
    helpers = {id(n): f for n in ast.walk(pf.tree) if isinstance(n, ast.Call) and (f := _helper(n, resolver))}
    if not helpers:
        return
    calls = [n for n in ast.walk(pf.tree) if id(n) in helpers]
    named = _named_sequences(pf, resolver, calls)
    k = 0
    for call in calls:
        for arg in _values(call):
            display = arg if _is_display(arg) else named.get(arg.id) if isinstance(arg, ast.Name) else None
            if display is None:
                continue
            spec = _specialise(helpers[id(call)], call, arg, display)
            if spec is None:
                continue
            fn, names = spec
            k += 1
            while f"{call.func.id}__items{k}" in resolver.locals or f"{call.func.id}__items{k}" in pf.lifted:
                k += 1
            name = f"{call.func.id}__items{k}"
            pf.lifted[name] = fn
            resolver.rewritten.add(call.func.id)   # (the caller's code is reused while it means the same helper)
            call.func = ast.copy_location(ast.Name(name, ast.Load()), call.func)
            _replace(call, arg, _leaves(display), names)
            helpers[id(call)] = fn   # (a second list given to the same call: the copy's parameters)
    if pf.lifted:
        LIFTED[pf.func.__code__] = pf.lifted
    resolver.locals |= {n.id for n in ast.walk(pf.tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _values(call) -> list:
    return list(call.args) + [kw.value for kw in call.keywords]


def _is_display(v) -> bool:
    """A list or tuple written out, holding (at any depth of displays) something other than numbers."""
    return isinstance(v, (ast.List, ast.Tuple)) and 0 < len(v.elts) and not any(
        isinstance(e, ast.Starred) for e in v.elts) and any(not _number(x) for x in _leaves(v))


def _number(v) -> bool:
    if isinstance(v, ast.UnaryOp) and isinstance(v.op, (ast.USub, ast.UAdd)):
        v = v.operand
    return isinstance(v, ast.Constant) and (v.value is None or isinstance(v.value, (int, float, complex, str)))


def _leaves(v) -> list:
    """The items of a display, the displays among them read through, in order."""
    if isinstance(v, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in v.elts):
        return [x for e in v.elts for x in _leaves(e)]
    return [v]


def _helper(call, resolver):
    """The user function ``call`` calls by a non-local name (one differentiated by its source)."""
    if not isinstance(call.func, ast.Name) or resolver.is_local(call.func.id) \
            or any(isinstance(a, ast.Starred) for a in call.args) or any(kw.arg is None for kw in call.keywords):
        return None
    try:
        f = resolver.lookup(call.func.id, call)
    except AdCompilerError:   # (an undefined name: refused later, where it is read)
        return None
    if not isinstance(f, types.FunctionType) or lookup(f) is not None or f.__closure__ \
            or (f.__module__ or "").startswith("adcompiler") or f.__name__ == "<lambda>":
        return None
    return f


def _parsed(helper):
    try:
        return parse_function(helper).tree
    except AdCompilerError:   # (a helper whose source cannot be read: refused where it is analysed)
        return None


def _parameter(tree: ast.FunctionDef, call, arg):
    """Where the parameter of ``tree`` that ``arg`` of ``call`` binds is: (the field of ``tree.args``
    holding it, its index there), or None."""
    a = tree.args
    if any(x is arg for x in call.args):
        i = next(k for k, x in enumerate(call.args) if x is arg)
        if i < len(a.posonlyargs):
            return "posonlyargs", i
        return ("args", i - len(a.posonlyargs)) if i < len(a.posonlyargs) + len(a.args) else None
    kw = next(kw for kw in call.keywords if kw.value is arg).arg
    for field in ("args", "kwonlyargs"):
        for i, p in enumerate(getattr(a, field)):
            if p.arg == kw:
                return field, i
    return None


def _specialise(helper, call, arg, display):
    """``(the copy of helper taking display's items, its parameters' names)``, or None."""
    tree = _parsed(helper)
    found = None if tree is None else _parameter(tree, call, arg)
    if found is None:
        return None
    param = getattr(tree.args, found[0])[found[1]].arg
    if any(isinstance(r, ast.Return) and r.value is not None and any(
            isinstance(x, ast.Name) and x.id == param for x in _leaves(r.value)) for r in ast.walk(tree)):
        return None   # (the list itself returned: the caller's writes through it are checked as they were)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {x.arg for x in ast.walk(tree)
                                                                         if isinstance(x, ast.arg)}
    names = []
    for k in range(len(_leaves(display))):
        n, j = f"{param}__{k}", 1
        while n in taken:
            n, j = f"{param}__{k}_{j}", j + 1
        names.append(n)
        taken.add(n)
    key = (helper.__code__, found, _shape(display), ast.dump(tree), _defaults_key(helper))
    fn = _SPECIALISED.get(key)
    if fn is None:
        fn = _define(helper, tree, found, display, names)
        if len(_SPECIALISED) > 512:
            _SPECIALISED.clear()
        _SPECIALISED[key] = fn
    return fn, names


def _shape(display):
    """A display's structure (list or tuple, and the number of items, at each depth)."""
    if isinstance(display, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in display.elts):
        return (type(display).__name__, tuple(_shape(e) for e in display.elts))
    return None


def _define(helper, tree, found, display, names):
    """The copy of ``helper`` (parsed as ``tree``) whose parameter at ``found`` is made ``names``,
    bound to ``display``'s structure of them at its top."""
    field, i = found
    a = tree.args
    group = getattr(a, field)
    old = group[i]
    pos = [p.arg for p in a.posonlyargs + a.args]   # (the helper's, before the items replace ``old``)
    new = [ast.copy_location(ast.arg(n), old) for n in names]
    if field == "kwonlyargs":
        a.kw_defaults[i:i + 1] = [None if a.kw_defaults[i] is None else ast.Constant(None) for _ in new]
    else:
        k = (a.posonlyargs + a.args).index(old) - (len(a.posonlyargs) + len(a.args) - len(a.defaults))
        if k >= 0:   # (a parameter with a default: its items get one too; this call gives them all)
            a.defaults[k:k + 1] = [ast.Constant(None) for _ in new]
    group[i:i + 1] = new
    value = _rebuilt(display, iter(names))
    if _read_only(tree, old.arg, helper_param=True) == []:
        _read_items(tree, old.arg, value)
    if any(isinstance(n, ast.Name) and n.id == old.arg for n in ast.walk(tree)):
        bind = ast.Assign([ast.Name(old.arg, ast.Store())], value)
        for n in ast.walk(bind):
            ast.copy_location(n, tree.body[0])
        tree.body.insert(0, bind)
    fn = _defined(tree, helper)
    defaults = list(helper.__defaults__ or ())
    if field != "kwonlyargs" and defaults and (k := pos.index(old.arg) - (len(pos) - len(defaults))) >= 0:
        defaults[k:k + 1] = [None] * len(names)
    fn.__defaults__ = tuple(defaults) or None
    kw = dict(helper.__kwdefaults__ or {})
    if field == "kwonlyargs" and old.arg in kw:
        del kw[old.arg]
        kw.update({n: None for n in names})
    fn.__kwdefaults__ = kw or None
    fn._ad_items_of = {n: (old.arg, k) for k, n in enumerate(names)}   # (named so in messages)
    if hasattr(helper, "_ad_siblings"):
        fn._ad_siblings = helper._ad_siblings
    return fn


def _read_items(tree, param, value) -> None:
    """In ``tree``, which only reads ``param`` (bound to ``value``, a display of names), read its items
    by a constant index as those names (``state[0]``: ``state__0``) and unpack the display itself
    (``u, v = state``: ``u, v = (state__0, state__1)``)."""
    class Items(ast.NodeTransformer):
        def visit_Subscript(self, n):
            self.generic_visit(n)
            k = int_constant(n.slice)
            if isinstance(n.value, ast.Name) and n.value.id == param and isinstance(n.ctx, ast.Load) \
                    and k is not None and -len(value.elts) <= k < len(value.elts):
                return _located(copy.deepcopy(value.elts[k]), n)
            return n

        def visit_Assign(self, n):
            self.generic_visit(n)
            if isinstance(n.value, ast.Name) and n.value.id == param:
                n.value = _located(copy.deepcopy(value), n.value)
            return n
    tree.body = [Items().visit(st) for st in tree.body]


def _located(new, old):
    for n in ast.walk(new):
        ast.copy_location(n, old)
    return new


def _defaults_key(f) -> tuple:
    """What ``f``'s defaults are now (the objects: a copy keeps them, the cache keys on them)."""
    return tuple(map(id, f.__defaults__ or ())), tuple((k, id(v)) for k, v in (f.__kwdefaults__ or {}).items())


def _defined(tree, f):
    """The function ``tree`` defines in ``f``'s module, its defaults and annotations not evaluated
    again (the caller sets the defaults from ``f``'s own: they were evaluated where ``f`` was
    defined, and may have been set since)."""
    bare = copy.deepcopy(tree)
    a = bare.args
    a.defaults = [ast.Constant(None) for _ in a.defaults]
    a.kw_defaults = [None if d is None else ast.Constant(None) for d in a.kw_defaults]
    for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
        if x is not None:
            x.annotation = None
    bare.returns = None
    fn = define_function(bare, f.__code__.co_filename, f.__globals__)
    fn.__qualname__ = f.__qualname__
    fn._ad_lifted_tree = tree
    fn._ad_copy_of = f   # (a caller's code is reused while f's defaults are the same: pipeline._callee_defaults)
    return fn


def defined_with_defaults(tree, f):
    """``_defined``, with ``f``'s defaults as they are now (a copy whose parameters are ``f``'s)."""
    fn = _defined(tree, f)
    fn.__defaults__, fn.__kwdefaults__ = f.__defaults__, dict(f.__kwdefaults__) if f.__kwdefaults__ else None
    return fn


def _rebuilt(display, reads):
    if isinstance(display, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in display.elts):
        return type(display)([_rebuilt(e, reads) for e in display.elts], ast.Load())
    return ast.Name(next(reads), ast.Load())


def _replace(call, arg, leaves, names) -> None:
    """``call`` with ``arg`` replaced by ``leaves``, where it stood (positional; or by keyword, one each)."""
    leaves = [copy.deepcopy(x) for x in leaves]
    for k, x in enumerate(call.args):
        if x is arg:
            call.args[k:k + 1] = leaves
            return
    k = next(k for k, kw in enumerate(call.keywords) if kw.value is arg)
    call.keywords[k:k + 1] = [ast.keyword(n, v) for n, v in zip(names, leaves)]


# --- a name bound once to a display, read only ---

def _parents(tree) -> dict:
    return {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}


def _read_only(tree, name, helper_param=None) -> list | None:
    """The calls ``name`` is passed to as an argument (``(call, the argument)``) where every other
    read of ``name`` in ``tree`` reads it without changing or keeping the list (iterated, indexed,
    measured, unpacked, given to numpy), and it is bound nowhere; None otherwise."""
    parents = _parents(tree)
    local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    passed = []
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.Lambda)) and n is not tree and any(
                isinstance(x, ast.Name) and x.id == name for x in ast.walk(n)):
            return None
        if not (isinstance(n, ast.Name) and n.id == name):
            continue
        if not isinstance(n.ctx, ast.Load):
            if helper_param is not None or not _the_binding(n, parents, tree):
                return None
            continue
        p = parents.get(id(n))
        if isinstance(p, (ast.For, ast.comprehension)) and p.iter is n \
                or isinstance(p, ast.Subscript) and p.value is n and isinstance(p.ctx, ast.Load) \
                or isinstance(p, ast.Assign) and p.value is n and all(isinstance(t, (ast.Tuple, ast.List))
                                                                      for t in p.targets):
            continue
        if isinstance(p, ast.Call) and any(a is n for a in p.args):
            f = p.func
            if isinstance(f, ast.Name) and f.id in _READERS and f.id not in local:
                continue
            root = f
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(f, ast.Attribute) and isinstance(root, ast.Name) and root.id in _NUMPY \
                    and root.id not in local and "random" not in ast.unparse(f):
                continue
        if isinstance(p, (ast.Call, ast.keyword)) and helper_param is None:
            call = parents.get(id(p)) if isinstance(p, ast.keyword) else p
            if isinstance(call, ast.Call) and call.func is not n:
                passed.append((call, n))
                continue
        return None
    return passed


def _the_binding(n, parents, tree) -> bool:
    p = parents.get(id(n))
    return isinstance(p, ast.Assign) and p in tree.body and len(p.targets) == 1 and p.targets[0] is n


def _named_sequences(pf, resolver, calls) -> dict:
    """The names bound once, at the top level of ``pf``'s body, to a display (``_is_display``) whose
    items are names bound before it (others are bound to names of their own first), read only
    here and by the helpers they are given to: name -> the display."""
    stored: dict = {}
    for n in ast.walk(pf.tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            stored[n.id] = stored.get(n.id, 0) + 1
    params = {x.arg for x in ast.walk(pf.tree.args) if isinstance(x, ast.arg)}
    out = {}
    for k, st in enumerate(pf.tree.body):
        if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                and _is_display(st.value) and stored.get(st.targets[0].id) == 1
                and st.targets[0].id not in params):
            continue
        name = st.targets[0].id
        passed = _read_only(pf.tree, name)
        if not passed or not all(_helper_reads_only(c, a, resolver) for c, a in passed):
            continue
        before = {t.id for s in pf.tree.body[:k] if isinstance(s, ast.Assign) for t in ast.walk(s)
                  if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store) and stored.get(t.id) == 1}
        if all(not isinstance(x, ast.Name) or x.id in before or (x.id not in stored) for x in _leaves(st.value)):
            out[name] = st.value
    if out:
        _bind_items(pf, out)
    return out


def _helper_reads_only(call, arg, resolver) -> bool:
    helper = _helper(call, resolver)
    tree = None if helper is None else _parsed(helper)
    found = None if tree is None else _parameter(tree, call, arg)
    if found is None:
        return False
    return _read_only(tree, getattr(tree.args, found[0])[found[1]].arg, helper_param=True) == []


def _bind_items(pf, named) -> None:
    """Bind the items of the displays of ``named`` that are not names to names of their own, just
    before the display (in their order)."""
    taken = {n.id for n in ast.walk(pf.tree) if isinstance(n, ast.Name)} | {
        x.arg for x in ast.walk(pf.tree.args) if isinstance(x, ast.arg)}
    body = []
    for st in pf.tree.body:
        if isinstance(st, ast.Assign) and st.value is named.get(getattr(st.targets[0], "id", None)):
            body += _named_items(st, taken)
        body.append(st)
    pf.tree.body = body


def _named_items(st, taken) -> list:
    out = []

    def visit(v):
        if isinstance(v, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in v.elts):
            v.elts = [visit(e) for e in v.elts]
            return v
        if isinstance(v, ast.Name):
            return v
        k = len(out)
        n = f"_{st.targets[0].id}_item{k}"
        while n in taken:
            k += 1
            n = f"_{st.targets[0].id}_item{k}"
        taken.add(n)
        out.append(ast.copy_location(ast.Assign([ast.copy_location(ast.Name(n, ast.Store()), v)], v), st))
        return ast.copy_location(ast.Name(n, ast.Load()), v)
    visit(st.value)
    return out


# --- hvp: float arguments copied at the top ---

_COPIED: dict = {}   # (function's code, parameters) -> the copy (stable across calls)


def with_floats_copied(f, params):
    """A copy of ``f`` whose first statements bind each of ``params`` to a copy of itself
    (``p = p * 1.0``), or None where ``f`` cannot be copied (a closure, a lambda). hvp
    differentiates a float argument as a 0-d array, which ``a = p; a *= 0.5`` writes in place
    where Python rebinds the float: on the copy, the write reaches no argument."""
    if f.__closure__ or f.__name__ == "<lambda>":
        return None
    key = (f.__code__, tuple(params), _defaults_key(f))
    fn = _COPIED.get(key)
    if fn is None:
        tree = _parsed(f)
        if tree is None:
            return None
        for p in reversed(params):
            bind = ast.Assign([ast.Name(p, ast.Store())], ast.BinOp(ast.Name(p, ast.Load()), ast.Mult(),
                                                                      ast.Constant(1.0)))
            tree.body.insert(0, _located(bind, tree.body[0]))
        fn = defined_with_defaults(tree, f)
        if len(_COPIED) > 256:
            _COPIED.clear()
        _COPIED[key] = fn
    return fn
