"""tuple_parts: an element of a tuple written in place through a name of its own.

``r = pair(x); c = r[0]; c *= x`` writes the array that ``r[0]`` also is.
The derivatives follow ``c`` (its own shadow and tangent) and the tuple
(its element adjoints) apart: a later read of ``r[0]`` (``np.sum(r[0])``,
``p, q = r``, ``r`` passed or returned) would take its derivative from the
element as it was bound, not as written. Such reads are refused at their
line; reads of the tuple's other elements (``return r[1]``) and the writes
themselves stay differentiated.
"""
from __future__ import annotations

import ast
from collections import Counter

from ..errors import UnsupportedSyntaxError
from .kinds import length
from .order import in_order, walk_stmts


def constant_index(node, size):
    """``k`` of ``t[k]`` for an int constant ``k`` (a negative one counted from
    the end when the tuple's length is known), else None."""
    idx = node.slice
    if isinstance(idx, ast.UnaryOp) and isinstance(idx.op, ast.USub) and isinstance(idx.operand, ast.Constant):
        value = -idx.operand.value if type(idx.operand.value) is int else None
    else:
        value = idx.value if isinstance(idx, ast.Constant) and type(idx.value) is int else None
    if value is not None and value < 0:
        value = value + size if size is not None else None
    return value


def variable_index_said(m) -> tuple:
    """(message, hint) of the refusal of a tuple ``m`` that carries derivatives read by an index not known."""
    what = f"`{m}` is a tuple" if not m.startswith("_") else "a tuple (a result looped over)"
    said = f"{what} that carries derivatives and is indexed with a variable (or from the end, of lengths that " \
           "differ between paths)."
    return said, "index it with a constant from its start, or unpack it."


def _loops_around(body) -> tuple:
    """(statement id -> its position in execution order, statement id -> the ids of the loops around it)."""
    listed = in_order(body)
    return ({id(st): k for k, (st, _) in enumerate(listed)},
            {id(st): frozenset(map(id, loops)) for st, loops in listed})


def _paths(stmts, kinds) -> dict:
    """name -> (the tuple it is bound from, the element indices leading to it)
    for the names bound to a tuple's elements, at any depth (``c = r[0][0]``)."""
    paths = {n: (n, ()) for n, k in kinds.items() if k is not None and k.cls == "tuple"}
    grew = True
    while grew:
        grew = False
        for s in stmts:
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
                continue
            m, v = s.targets[0].id, s.value
            if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id in paths:
                g = paths[v.value.id]
                size = length(kinds[g[0]]) if not g[1] else None
                k = constant_index(v, size)
                if k is not None and (m not in paths or paths[m][0] == m) and paths.get(m) != (g[0], g[1] + (k,)):
                    paths[m] = (g[0], g[1] + (k,))
                    grew = True
    return paths


def _refuse_nested(eff, kinds, pf, paths) -> None:
    """An array of a tuple held in a tuple, written in place through a name bound
    to it (or any element written where the tuple holds tuples): the checks of
    what such a write reaches follow one level of elements only."""
    for m, (root, path) in sorted(paths.items()):
        if not path or not eff.maybe_array(m) or eff.cell(m) not in eff.written:
            continue
        k = kinds.get(root)
        if len(path) > 1 or (k is not None and k.elts is not None
                             and any(e is not None and e.cls == "tuple" for e in k.elts)):
            s = next(s for s in eff.stmts if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                     and s.targets[0].id == m)
            name = min((n for n in kinds if not n.startswith("_") and eff.maybe_array(n)
                        and eff.cell(n) == eff.cell(m)), default=None) or (None if m.startswith("_") else m)
            what = f"`{name}`, an array" if name else "an array"
            where = f" `{root}" + "".join(f"[{i}]" for i in path) + "`" if not root.startswith("_") else ""
            raise UnsupportedSyntaxError(
                f"{what} of a tuple that holds tuples{where} is written in place: what the write reaches "
                "through the tuples is not followed.",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint="write a copy of the array (`v = v.copy()` before the write), or return flat tuples.")


def refuse_written_elements_differentiated_again(ctx) -> None:
    """Code differentiated again (hvp, hessian): refuse an array of a tuple written in place
    through a name bound to it (``F, r = parts(x); F *= 0.5``): the tangent of the write did
    not reach the tuple's element, and the second derivative through it was lost (a Hessian of
    2.0 where it is 2.845)."""
    from ..frontend import notes
    eff, pf = ctx.eff, ctx.an.pf
    made = {s.targets[0].id: s.value for s in eff.stmts if isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)}
    for m, (root, path) in sorted(_paths(eff.stmts, ctx.kinds).items()):
        # (a function's own tuple: the rules' results, np.linalg.eigh's, are followed)
        if path and notes.is_user_call(made.get(root)) and eff.maybe_array(m) and eff.cell(m) in eff.written \
                and ctx.is_active(m):
            s = next(s for s in eff.stmts if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                     and s.targets[0].id == m)
            name = _shown(eff, ctx.kinds, m)
            raise UnsupportedSyntaxError(
                "an array of a tuple a call returned" + (f" (as `{name}` is)" if not name.startswith("_") else "")
                + " is written in place: second derivatives (hvp, hessian) through such a write are not followed "
                "(the gradient is).", filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint="copy the element before writing it (`F = F.copy()`), or rebind it (`F = F * 0.5`).")


def _groups(stmts, kinds, ret):
    """(a name for the tuple, the names bound to it either way: ``r = _t1``, ``_ret = r``), once each."""
    tuples = {n for n, k in kinds.items() if k is not None and k.cls == "tuple"}
    links = [(s.targets[0].id, s.value.id) for s in stmts if isinstance(s, ast.Assign) and len(s.targets) == 1
             and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name) and s.value.id in tuples
             and (s.targets[0].id in tuples or s.targets[0].id == ret)]
    for t in sorted(tuples):
        group, grew = {t}, True
        while grew:
            more = {a for a, b in links if b in group} | {b for a, b in links if a in group}
            grew, group = not more <= group, group | more
        if min(group) == t:
            yield min((n for n in group if n in tuples and not n.startswith("_")), default=t), group


def _written_elements(eff, stmts, group, size) -> dict:
    """element -> the first statement binding a name to it that is written in place."""
    written = {}
    for s in stmts:
        k = _binding_index(s, group, size)
        if k is not None and eff.maybe_array(s.targets[0].id) and eff.cell(s.targets[0].id) in eff.written:
            written.setdefault(k, s)
    return written


def _shown(eff, kinds, m) -> str:
    """``m``, or a name of the user's for the same memory where ``m`` is a temporary."""
    return m if not m.startswith("_") else min(
        (n for n in kinds if not n.startswith("_") and eff.maybe_array(n) and eff.cell(n) == eff.cell(m)), default=m)


def refuse_tuple_elements_read_after_written(eff, kinds, pf, body, ret=None) -> None:
    """Refuse a read of a tuple's element (or of the tuple whole) that a name
    bound to the element writes in place, after the binding (or before it in a
    loop around both), and the tuple returned: see the module docstring."""
    if pf is None:
        return
    stmts = eff.stmts
    _refuse_nested(eff, kinds, pf, _paths(stmts, kinds))
    order, around = _loops_around(body)

    def after(s, binding) -> bool:
        if id(s) not in order or id(binding) not in order:
            return True
        return order[id(s)] > order[id(binding)] or bool(around[id(s)] & around[id(binding)])
    for t, group in _groups(stmts, kinds, ret):
        size = length(kinds[t])
        written = _written_elements(eff, stmts, group, size)
        if not written:
            continue
        if ret in group:
            w = next(iter(written.values()))
            c, k = _shown(eff, kinds, w.targets[0].id), _binding_index(w, group, size)
            raise UnsupportedSyntaxError(
                f"the tuple `{t}` is returned after `{c}`, bound to its element {k}, is written in place: the "
                "derivative follows the element's name and the tuple apart.", filename=pf.filename,
                lineno=w.lineno, construct=pf.line_text(w.lineno),
                hint=f"copy the element before writing it (`{c} = {t}[{k}].copy()`) and return a tuple of the names.")
        for s in stmts:
            read = _read_after(s, group, size, written, after)
            if read is not None:
                k, w = read
                c, j = _shown(eff, kinds, w.targets[0].id), _binding_index(w, group, size)
                what = f"`{t}[{k}]`" if k is not None else f"`{t}`"
                if c.startswith("_"):   # (written through the element itself: ``L[0][1] = v``)
                    raise UnsupportedSyntaxError(
                        f"{what} is read after element {j} of `{t}` is written in place (line {w.lineno}): the "
                        f"derivative follows the write and `{t}` apart.", filename=pf.filename, lineno=s.lineno,
                        construct=pf.line_text(s.lineno),
                        hint=f"bind the element to a name (`a = {t}[{j}]`) and write and read it through the name, "
                             f"or give each array a name of its own.")
                raise UnsupportedSyntaxError(
                    f"{what} is read after `{c}`, bound to element {j} "
                    f"of the tuple (line {w.lineno}), is written in place: the derivative follows the element's "
                    "name and the tuple apart.", filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                    hint=f"unpack the tuple (`a, b = ...`) and use the names, or copy the element before writing "
                         f"it (`{c} = {t}[{j}].copy()`).")


def _read_after(s, group, size, written, after):
    """``(element or None for the whole tuple, the written binding)`` of a read in
    ``s`` of a written element (or of the tuple whole) after its binding, else None."""
    if s is written.get(_binding_index(s, group, size)):
        return None   # (the binding of the written element itself)
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.Name) and s.value.id in group and s.targets[0].id in group:
        return None   # (the tuple bound to another name)
    elements = {id(n.value): n for n in _own_nodes(s) if isinstance(n, ast.Subscript)
                and isinstance(n.value, ast.Name) and n.value.id in group}
    sized = {id(n.args[0]) for n in _own_nodes(s) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "len" and len(n.args) == 1}   # (an unpacking's check of the length)
    for n in _own_nodes(s):
        if not (isinstance(n, ast.Name) and n.id in group and isinstance(n.ctx, ast.Load)) or id(n) in sized:
            continue
        sub = elements.get(id(n))
        k = constant_index(sub, size) if sub is not None else None
        if sub is not None and k is not None and k not in written:
            continue   # (another element)
        ws = [w for w in ([written[k]] if k in written else list(written.values())) if after(s, w)]
        if ws:   # (else read before the element's name is bound, and not again after)
            return k, ws[0]
    return None


def _binding_index(s, group, size):
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name) \
            and s.value.value.id in group:
        return constant_index(s.value, size)
    return None


def merge_reads(a, b):
    """The elements read of a tuple read as ``a`` and as ``b`` (each True, False or a
    tuple of such, one per element)."""
    if a is True or b is True:
        return True
    if not a or not b:
        return a or b
    n = max(len(a), len(b))
    return tuple(merge_reads(a[i] if i < len(a) else False, b[i] if i < len(b) else False) for i in range(n))


def parts_read(body, n, is_active, returned=None, sizes=None, _seen=(), _ret=None):
    """Of a returned tuple bound to ``n`` (and names bound once to it, ``e = n``) and read only by
    constant index (``x = n[k]``, ``n[-1] * 2``) and ``len(n)``, one entry per element up to the
    last read: whether a derivative may flow from it (an element ``x = n[k]`` binds where
    ``is_active(x)`` is false does not), or, for an element that is itself a tuple bound to a
    name, the entries of its own elements. An element no result reads passes on no adjoint: its
    zero times an infinite partial made nan. None where ``n`` is read otherwise. ``returned``:
    ``(name, entries)`` of the function's own return (a helper returning ``n`` as it is: the
    elements its caller reads). ``sizes(name)``: the length of a tuple, where known (negative
    indices count from it)."""
    stmts = list(walk_stmts(body))
    stores = Counter(x.id for s in stmts for x in _own_nodes(s) if isinstance(x, ast.Name)
                     and isinstance(x.ctx, ast.Store))
    ret = returned[0] if returned is not None else _ret   # (the function's return: read by its caller)
    unread = _unread(stmts, stores, ret)
    names, read, k = {n}, {}, 0
    while k < len(stmts):   # (an alias found later restarts the scan)
        s, k = stmts[k], k + 1
        uses = [x for x in _own_nodes(s) if isinstance(x, ast.Name) and x.id in names
                and isinstance(x.ctx, ast.Load)]
        if not uses:
            continue
        v = getattr(s, "value", None)
        target = s.targets[0].id if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
            isinstance(s.targets[0], ast.Name) else None
        if target is not None and v in uses:
            if returned is not None and target == returned[0]:   # (returned as it is: what the caller reads)
                if not isinstance(returned[1], tuple):
                    return None
                for i, used in enumerate(returned[1]):
                    read[i] = merge_reads(read.get(i, False), used)
                continue
            if stores[target] != 1:
                return None
            if target not in names:
                names.add(target)
                read, k = {}, 0
            continue
        if target is not None and isinstance(v, ast.Tuple) and all(any(u is e for e in v.elts) for u in uses):
            # (held in a tuple display, ``p = (f(x), y)``: what is read of its element)
            held = _held_read(body, v, target, uses, is_active, returned, sizes, _seen + (n,), ret, stores)
            if held is None:
                return None
            for i, used in enumerate(held):
                read[i] = merge_reads(read.get(i, False), used)
            continue
        parts = _constant_parts(s, uses, sizes)
        lengths = {id(c.args[0]) for c in _own_nodes(s) if isinstance(c, ast.Call) and
                   isinstance(c.func, ast.Name) and c.func.id == "len" and len(c.args) == 1}
        if any(id(u) not in parts and id(u) not in lengths for u in uses):
            return None
        used = True
        if target is not None and isinstance(v, ast.Subscript) and id(v.value) in parts:
            used = _element_read(body, target, is_active, returned, sizes, _seen + (n,), ret, unread, stores)
        for i in parts.values():
            read[i] = merge_reads(read.get(i, False), used)
    if not read:
        return None
    return tuple(read.get(i, False) for i in range(max(read) + 1))


def _constant_parts(s, uses, sizes) -> dict:
    """id of a use in ``uses`` -> the constant index ``k`` of ``use[k]`` in statement ``s``."""
    parts = {}
    for x in _own_nodes(s):
        if isinstance(x, ast.Subscript) and x.value in uses:
            i = constant_index(x, sizes(x.value.id) if sizes is not None else None)
            if i is not None and i >= 0:
                parts[id(x.value)] = i
    return parts


def _held_read(body, display, target, uses, is_active, returned, sizes, seen, ret, stores):
    """``parts_read``'s entries of a tuple held as an element of the tuple display ``display`` bound
    to ``target`` (what is read of that element), or None where all of it may be."""
    if returned is not None and target == ret:
        outer = returned[1]
    elif stores[target] == 1 and target not in seen:   # (``returned``: the display may be returned as it is)
        outer = parts_read(body, target, is_active, returned, sizes, seen, ret)
    else:
        return None
    held = False
    for u in uses:
        i = next(i for i, e in enumerate(display.elts) if e is u)
        entry = (outer[i] if i < len(outer) else False) if isinstance(outer, tuple) else True if outer is None \
            else outer   # (past the last element read: not read)
        if entry is True:
            return None
        held = merge_reads(held, entry)
    return held or ()


def _element_read(body, target, is_active, returned, sizes, seen, ret, unread, stores):
    """``parts_read``'s entry of an element bound to the name ``target``."""
    if returned is not None and target == ret:
        return returned[1]   # (the element returned, ``return f(x)[1]``: what the caller reads of it)
    # (an element bound to a name nothing reads, ``F, r = f(x)`` with ``r`` unused, is not read
    # though its memory is the tuple's: an array written through ``F`` makes it active)
    used = is_active(target) and not unread(target)
    if used and stores[target] == 1 and target not in seen:   # (a tuple in the tuple: its own elements)
        used = parts_read(body, target, is_active, returned, sizes, seen, ret) or used
    return used


def _unread(stmts, stores, ret=None):
    """The test of a name nothing reads but bindings of names nothing reads (``_t3 = t[1]; r = _t3``);
    the function's return ``ret`` is read (by the caller)."""
    read_by = {}   # name -> the statements that read it
    for s in stmts:
        for x in _own_nodes(s):
            if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Load):
                read_by.setdefault(x.id, []).append(s)

    def unread(m, seen=(), into=None):
        # (``into``: the name whose memory a value computed from ``m`` may be written back into)
        return m != ret and m not in seen and all(
            _writes_only_into(s, into or m) or _reads_only_shape(s, m) or (
                isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and stores[s.targets[0].id] == 1 and (
                    isinstance(s.value, ast.Name) and s.value.id == m and into is None
                    and unread(s.targets[0].id, seen + (m,))
                    or _computed(s.value) and unread(s.targets[0].id, seen + (m,), into or m)))
            for s in read_by.get(m, ()))
    return unread


def _writes_only_into(s, m) -> bool:
    """Whether statement ``s`` writes into ``m``'s own memory (``F[...] = _t4``, ``F[i] = e``)
    and reads nothing it writes from in its index: a value written back where it came from is
    read only where ``m`` is read again."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Subscript)):
        return False
    t = s.targets[0]
    return isinstance(t.value, ast.Name) and t.value.id == m and \
        not any(isinstance(x, ast.Name) and x.id == m for x in ast.walk(t.slice))


def _reads_only_shape(s, m) -> bool:
    """Whether statement ``s`` reads of ``m`` only its shape (``m.shape``, ``len(m)``)."""
    meta = set()
    for x in _own_nodes(s):
        if isinstance(x, ast.Attribute) and x.attr in ("shape", "ndim", "size", "dtype"):
            meta.add(id(x.value))
        elif isinstance(x, ast.Call) and isinstance(x.func, ast.Name) and x.func.id == "len" and len(x.args) == 1:
            meta.add(id(x.args[0]))
    return all(id(x) in meta for x in _own_nodes(s) if isinstance(x, ast.Name) and x.id == m)


def _computed(e) -> bool:
    """Whether ``e`` computes a value without writing anything (arithmetic, an element, a numpy
    function without ``out=``): ``_t4 = F * 0.5`` of ``F *= 0.5``."""
    if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Subscript, ast.Constant, ast.Name)):
        return True
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and isinstance(e.func.value, ast.Name) \
        and e.func.value.id == "np" and e.func.attr not in _NP_WRITERS and not any(k.arg == "out" for k in e.keywords)


#: numpy functions that write into an argument
_NP_WRITERS = frozenset({"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis", "random"})


def returned_reads(stmts, ret, reads) -> dict:
    """name -> the elements of it a caller reads (``parts_read``'s entries), for the function's
    return ``ret`` (``reads``) and for the names bound once to a tuple display that are read only
    as the value, or an element of the tuple display, bound to such a name (``r = (a, b); return
    r``, ``return (a, b), c``)."""
    stores = Counter(x.id for s in stmts for x in _own_nodes(s) if isinstance(x, ast.Name)
                     and isinstance(x.ctx, ast.Store))
    displays = {s.targets[0].id: s for s in stmts if isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Tuple)
                and stores[s.targets[0].id] == 1}
    out, grew = {ret: reads}, True
    while grew:
        grew = False
        for y in sorted(set(displays) - set(out)):
            got = False
            for s in stmts:
                loads = [x for x in _own_nodes(s) if isinstance(x, ast.Name) and x.id == y
                         and isinstance(x.ctx, ast.Load)]
                if not loads:
                    continue
                part = _read_as(s, loads, out)
                if part is None:
                    break
                got = merge_reads(got, part)
            else:
                if got is not False:
                    out[y], grew = got, True
    return out


def displays_read(stmts, ret, ret_active) -> dict:
    """name -> the elements read of it (``parts_read``'s entries) for the names bound to a tuple display
    (``t = (a, b)``) whose elements are read apart, and for the function's return where its caller reads
    some elements of it (``returned_reads``); ``stmts`` the function's statements, nested ones too."""
    reads = returned_reads(stmts, ret, ret_active) if isinstance(ret_active, tuple) else {}
    inner = {id(c) for s in stmts for field in ("body", "orelse") for c in getattr(s, field, None) or ()
             if isinstance(getattr(s, field, None), list)}
    body = [s for s in stmts if id(s) not in inner]
    returned = (ret, ret_active) if ret is not None else None
    displays = [s for s in stmts if isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Tuple)]
    sizes = Counter()
    for s in displays:   # (the length of a name's displays, where they agree: negative indices count from it)
        sizes[s.targets[0].id] = len(s.value.elts) if sizes.get(s.targets[0].id, len(s.value.elts)) == len(
            s.value.elts) else -1
    for s in displays:
        if s.targets[0].id not in reads and s.targets[0].id != ret:
            mask = parts_read(body, s.targets[0].id, lambda n: True, returned,
                              lambda m: sizes[m] if sizes.get(m, -1) >= 0 else None)
            if mask is not None:
                reads[s.targets[0].id] = mask
    return reads


def _read_as(s, loads, out):
    """The entries of a name loaded in ``s`` only as the value bound to a name of ``out``, or as a
    direct element of a tuple display bound to one; else None."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            and s.targets[0].id in out) or len(loads) != 1:
        return None
    dest, v = out[s.targets[0].id], s.value
    if v is loads[0]:
        return dest
    if isinstance(v, ast.Tuple) and any(e is loads[0] for e in v.elts):
        i = next(i for i, e in enumerate(v.elts) if e is loads[0])
        if dest is True or dest is False:
            return dest
        return dest[i] if i < len(dest) else False
    return None


def _own_nodes(s):
    """The nodes of statement ``s`` but those of the statements it holds (a loop's or a branch's
    header only)."""
    blocks = ("body", "orelse", "finalbody", "handlers")
    for field, value in ast.iter_fields(s):
        if field in blocks and isinstance(value, list):
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, ast.AST):
                yield from ast.walk(v)
