"""Forms of ``forms.form_stmt`` for more patterns once mis-differentiated:
loops over a call's result and over tuples written out, the index functions'
integer results, read-only views (``np.diag``, ``np.broadcast_to``) read
before their array is written, index arrays a slice separates, nested
tuples, numbers in a list updated in place. Each reads only names of the
scope and writes only writable ones."""
from __future__ import annotations

from .exprs import ExprGen
from .forms_silent import _mat, _pick


def f_loop_over(g: ExprGen, ex):
    """``for a in (u, v)`` (unrolled), ``for i in np.argsort(u)``, ``for j in
    np.flatnonzero(u > 0)``, ``for a, b in np.stack((u, v), axis=1)``."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    a, b, i = ex.name("la"), ex.name("lb"), ex.name("li")
    return r.choice([
        [f"for {a} in ({u}, {v} * 0.5):", f"    {w}[:] += np.tanh({a}) * 0.25"],
        [f"for {a}, {b} in (({u}, {v}), ({v}, {w} * 0.5)):", f"    {t} += float(np.sum({a} * {b})) * 0.1"],
        [f"for {a} in [{g.scalar(1)}, 0.5]:", f"    {w}[:] = {w} * 0.75 + {a} * {u} * 0.25"],
        [f"for {i} in np.argsort({u}):", f"    {t} += {u}[{i}] * {v}[{i}] * 0.25"],
        [f"for {i} in np.argsort(-{v})[:2]:", f"    {w}[{i}] += np.sin({u}[{i}]) * 0.5"],
        [f"for {i} in np.flatnonzero({u} > 0.0):", f"    {t} += {v}[{i}] ** 2 * 0.25"],
        [f"for {a}, {b} in np.stack(({u}, {v}), axis=1):", f"    {t} += {a} * {b} * 0.5"],
        [f"for {i}, ({a}, {b}) in enumerate(zip({u}, {v})):", f"    {w}[{i}] += {a} * {b} * 0.25"],
        [f"for {i} in reversed(np.argsort({u})):", f"    {t} = {t} * 0.5 + {u}[{i}] * {v}[{i}]"],
        [f"for {i}, {a} in enumerate(reversed(np.sort({u} * {v}))):", f"    {w}[{i}] += {a} * 0.25"],
    ])


def f_index_kinds(g, ex):
    """The integer results of ``np.argmax(M, 0)``, ``np.argsort``,
    ``np.searchsorted`` and ``np.nonzero(...)[0]`` as indices (repeated ones accumulate)."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    lines, m, rows = _mat(g, ex)
    k = ex.name("ix")
    opts = [[f"{k} = np.argsort({u})", f"{w}[:] += {v}[{k}] * 0.5"],
            [f"{k} = np.nonzero({u} > 0.0)[0]", f"{t} += float(np.sum({v}[{k}] ** 2)) * 0.5"],
            [f"{k} = np.minimum(np.searchsorted(np.sort({v}), {u}), n - 1)", f"{w}[:] += {v}[{k}] * 0.25"]]
    if rows >= 1:
        opts += [lines + [f"{k} = np.argmax({m}, 0)", f"{t} += float(np.sum({u}[{k} % n] * {v})) * 0.5"],
                 lines + [f"{k} = np.argmin({m}, axis=0)", f"{w}[{k} % n] += {u} * 0.25"]]
    return r.choice(opts)


def f_ro_views(g, ex):
    """``np.diag(A)``, ``np.broadcast_to(u, ...)`` and ``sliding_window_view(u, k)`` read in an
    expression, then the array written: the derivative reads the values at the call."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    a = ex.name("dg")
    opts = [[f"{t} += float(np.sum({v} * np.broadcast_to({w}, (2, n)))) * 0.5", f"{w} *= 0.75"],
            [f"{a} = np.outer({u}, {v}) + np.eye(n) * 2.0",
             f"{t} += float(np.sum(np.log(np.diag({a}) ** 2 + 1.0)))", f"{a} *= 0.5",
             f"{t} += float(np.sum({a})) * 0.1"],
            [f"{t} += float(np.sum(np.lib.stride_tricks.sliding_window_view({w}, min(2, n)))) * 0.5",
             f"{w} *= 0.75"],
            [f"{a} = np.lib.stride_tricks.sliding_window_view({u}, min(3, n))",
             f"{w}[:{a}.shape[0]] += np.sum({a} * {a}, axis=-1) * 0.25"]]
    if s.w_mats:
        m, rows = r.choice(s.w_mats)
        if rows == s.n:
            opts.append([f"{t} += float(np.sum({u} * np.diag({m}))) * 0.5", f"{m} += 0.25"])
    return r.choice(opts)


def f_index_sep(g, ex):
    """Index arrays a slice separates (``c[i, :, j]``: numpy puts their axis first)."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    c = ex.name("cb")
    cube = f"{c} = {u}[:, None, None] * {v}[None, :, None] * np.array([0.5, -1.0])"
    return r.choice([
        [cube, f"{w}[:] += np.sum({c}[[0, n - 1], :, [1, 0]], axis=0) * 0.5"],
        [cube, f"{c}[[n - 1, 0], :, [0, 1]] += {v} * 0.5", f"{t} += float(np.sum({c} ** 2)) * 0.1"],
        [cube, f"{w}[:] += {c}[0, :, [1, 0, 1]][1] * 0.25"],
    ])


def f_nested_tuple(g, ex):
    """Nested tuples unpacked and indexed."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    tp, a, b, c = ex.name("tp"), ex.name("na"), ex.name("nb"), ex.name("nc")
    return r.choice([
        [f"{tp} = ({u} * 2.0, ({v} + 1.0, 0.5))", f"{a}, ({b}, {c}) = {tp}", f"{w}[:] += {a} * {b} * {c} * 0.25"],
        [f"({a}, {b}), {c} = ({u} * {v}, {u} - {v}), {v} * 0.5", f"{t} += float(np.sum({a} * {b} * {c})) * 0.1"],
        [f"{tp} = ({u} * 1.0, ({v} * 0.5, {u} + {v}))", f"{w}[:] += {tp}[1][0] * {tp}[1][1] * 0.25"],
    ])


def f_number_list(g, ex):
    """A list of numbers updated in place (``acc[k] += ...`` rebinds the entry)."""
    r = g.rng
    u, w, t = _pick(g)
    acc, k = ex.name("acc"), ex.name("ak")
    return r.choice([
        [f"{acc} = [0.0, 1.0]", f"for {k} in range(n):", f"    {acc}[0] += {u}[{k}] * 0.5",
         f"    {acc}[1] *= 1.0 + 0.1 * {u}[{k}]", f"{t} += {acc}[0] + {acc}[1]"],
        [f"{acc} = [{g.scalar(1)}, 0.5]", f"{acc}[1] -= {acc}[0] * 0.25", f"{w}[:] += {acc}[1] * {u}"],
        # (a table of number tuples read by two subscripts; a list of indices built by appends)
        [f"{acc} = [(0.5, -1.0), (0.25, 2.0), (-1, 0)]", f"for {k} in range(3):",
         f"    {t} += {acc}[{k}][0] * {u}[{k} % n] + {acc}[{k}][1] * {t} * 0.1"],
        [f"{acc} = list(range(n))", f"{acc}r = []", f"for {k} in {acc}:", f"    {acc}r.append(n - 1 - {k})",
         f"for {k} in {acc}:", f"    {w}[{k}] += {u}[{acc}r[{k}]] * {u}[{k}] * 0.25"],
        # (tables: tuples repeated, offsets and weights unpacked, int rows as indices, a ragged tableau)
        [f"{acc} = [(0.5, -0.25)] * 3", f"for {k} in range(3):", f"    {t} += {acc}[{k}][0] * {u}[{k} % n] * {acc}[{k}][1]"],
        [f"{acc} = [(1, 0.5), (0, -0.25), (2, 0.125)]", f"for {k}d, {k}c in {acc}:",
         f"    {w}[{k}d % n] += {k}c * {u}[({k}d + 1) % n]"],
        [f"{acc} = [(0, 1), (1, 0), (1, 1)]", f"for {k} in range(3):",
         f"    {t} += {u}[{acc}[{k}][0] % n] * {u}[{acc}[{k}][1] % n] * 0.25"],
        [f"{acc} = [[], [0.5], [0.25, 0.5]]", f"for {k} in range(3):", f"    for {k}j in range({k}):",
         f"        {t} += {acc}[{k}][{k}j] * {u}[{k}j % n] * 0.5"],
        # (views held by a list, their memory written after: refused)
        [f"{acc} = [({w}[:1], {w}[n - 1:])]", f"{w}[:1] = {w}[:1] * 0.5 + {u}[:1]",
         f"for {k}a, {k}b in {acc}:", f"    {t} += float(np.sum({k}a * {k}b)) * 0.5"],
    ])


def f_attr_stores(g: ExprGen, ex):
    """Stores through ``.real``/``.T`` views written inline, ``fill`` of a slice, and
    ``np.array(..., copy=...)`` (a copy, or the argument itself) written after."""
    r = g.rng
    u, w, t = _pick(g)
    loc = ex.name("cp")
    return r.choice([
        [f"{w}.real[1:] = {u}[1:] * 0.5 + {w}[:-1] * 0.25"],
        [f"{w}.real[:] += np.tanh({u}) * 0.25"],
        [f"{w}.T[0] = {g.scalar(1)} * {u}[-1]"],
        [f"{w}[1:].fill({g.scalar(1)})"],
        [f"{loc} = np.array({u}, copy=True)", f"{loc} *= 2.0", f"{t} += float(np.sum({loc} * {u})) * 0.25"],
        [f"{loc} = np.array({w}, copy=None)", f"{loc} *= 0.5", f"{t} += float(np.sum({loc})) * 0.25"],
    ])


def f_index_tuples(g, ex):
    """A name bound to a tuple of ints indexes one element (``A[t]``, ``A[c[k]]`` of a table of int
    pairs), a list of ints the rows or elements it lists (``u[[0, n - 1]]``)."""
    r = g.rng
    u, w, t = _pick(g)
    lines, m, rows = _mat(g, ex)
    k, c = ex.name("tk"), ex.name("tc")
    return r.choice([
        lines + [f"{k} = ({rows - 1}, n - 1)", f"{t} += {m}[{k}] * {u}[0] * 0.5"],
        lines + [f"{c} = [(0, 0), ({rows - 1}, n - 1), (1, 0)]", f"for {k} in range(3):",
                 f"    {t} += {m}[{c}[{k}]] ** 2 * 0.25"],
        [f"{k} = [0, n - 1, 0]", f"{w}[:] += float(np.sum({u}[{k}] ** 2)) * 0.25"],
        lines + [f"{k} = (0, n - 1)", f"{w}[{k}[1]] += {m}[{k}] * 0.5", f"{t} += {m}[{k}[0], :1].sum() * 0.25"],
    ])


def f_indirect_list(g, ex):
    """A list of the values of a local array the function writes through a view, np.copyto or
    ``out=`` (not by a store to its name), read by ``sum``, an index and a loop."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    loc, vw, L, k = ex.name("iw"), ex.name("iv"), ex.name("iL"), ex.name("ik")
    return r.choice([
        [f"{loc} = np.zeros(n)", f"{vw} = {loc}[:]", f"{vw}[:] = {u} * 0.5", f"{L} = []", f"for {k} in range(n):",
         f"    {L}.append({loc}[{k}] ** 2)", f"{t} += sum({L}) * 0.25"],
        [f"{loc} = np.zeros(n)", f"np.copyto({loc}, {u})", f"{L} = [{loc}[{k}] * {v}[{k}] for {k} in range(n)]",
         f"{t} += max({L}) * 0.5 + {L}[0] * 0.25"],
        [f"{loc} = np.zeros(n)", f"np.multiply({u}, {v}, out={loc})", f"{L} = []", f"for {k} in range(2):",
         f"    {L}.append({loc} * (0.5 + {k}))", f"for {vw} in {L}:", f"    {w}[:] += np.tanh({vw}) * 0.25"],
    ])
