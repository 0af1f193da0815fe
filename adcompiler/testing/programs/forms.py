"""Statement and expression forms users write that the other templates leave out.

One production (``form_stmt``, feature tags ``form-<name>``) draws one form
valid for the scope: conditional expressions, unary plus, integer bit
operations, ``math.pi``, ``np.copyto`` with keywords or ``where=``, builtin
``max``/``min``/``sum`` of an array, ``out=`` as a one-element tuple, arrays
allocated with tuple shapes and dtypes, ``axis=`` tuples, array methods
(``fill``, ``astype``, ``flatten``, ``item``, ``reshape(a, b)``, ``cumsum``,
``clip``, ``take``, ``repeat``, ``sort``, ``put``...), Python lists used as
stacks (``append``/``pop``) and stacked into arrays (``np.stack(L)``), helpers with default and keyword arguments,
conditions that are calls (``np.any``), docstrings, annotated and chained
assignments, list targets, ``assert``/``raise``/``pass``,
``reversed(range(...))`` and sliced ranges, loops over arrays, ``enumerate``
and ``zip``, boolean masks and integer index arrays, ``np.arange``,
``np.linspace``, ``np.eye``, joins (``concatenate``, ``stack``, ``vstack``,
``hstack``, ``column_stack``), array literals, ``np.put``/``np.place``/
``np.putmask``/``np.add.at``, tuples as values, shape attributes, matrix
products of matrices, ``enumerate`` with a start and of ``zip``, ``np.ndindex``,
``reversed(arr)``, ``sum`` with a start, ``max`` of three, ``pow``,
``sum`` of a tuple, ``np.trapezoid``, ``np.interp``, ``np.polyval``,
``np.convolve`` and the results of ``eigh`` written in place; names rebound
from themselves, aliases rebound, wrapping indices, loop variables and bounds
rebound in the body, ``astype`` and ``reshape`` results written (``rebind``);
the patterns once silently mis-differentiated: ``out`` by position
(``np.dot(M, x, y)``, ``np.sum(A, 0, None, s)``, ``M.dot(x, y)``,
``A.mean(1, None, s)``, ``np.concatenate((a, b), 0, s)``) and ``out=None``
(``out-pos``, ``out-none``), ``ddof``/``keepdims`` by position (``opt-pos``),
writes through ``x.conj()``/``x.conjugate()`` of a real array (``conj``),
``pow``/``**=`` of ints with negative exponents (``intpow``), ``np.putmask``/
``np.place``/``np.put`` cycling too few values and ``np.resize`` (``cycle``),
``np.kron`` of different ranks (``kron``), ``np.cross`` of 2-vectors and of a
2- with a 3-vector (``cross``), ``np.average`` with weights over several axes
in either order (``average``), ``np.linalg.svd`` of a non-square matrix using
``s`` or the first ``min(m, n)`` singular vectors (``svd``); and, for the
compiler's paths no other form reached (``programs.forms_more``): complex
intermediates of real arrays and the FFT (``complex``), ``where=`` of
reductions and ufuncs (``masked``), ufunc keywords, ``at`` and ``outer``
(``ufunc-kw``), module-level values and undifferentiated module-level
functions (``globals``), ``np.einsum`` and helpers returning read-only views
(``einsum``), early and bare returns, ``while True``/``break`` (``flow``),
lists of values that carry derivatives read by items, ``sum`` and loops
(``value-list``), loops with an ``else:`` clause, ``max``/``min`` of
generators and ``divmod`` of indices (``loop-else``), functions defined in
the body and lambdas bound there (``nested``, at the top level only),
pieces of ``np.split`` written through a name (``split-pieces``), and
``any``/``all`` of generators, ``zip`` with ranges, lists joined,
``np.meshgrid``, ``np.correlate``, ``np.vander`` and slice objects (``reach``),
numpy 2's array-API spellings, running maxima, ``np.partition``, ``np.unwrap``
and joins of parts written as lists (``spellings``); user functions called in
``and``/``or`` operands, ``while`` conditions and chained comparisons
(``cond-calls``), methods of a module's arrays (``module-methods``) and
``try``/``except`` around one library call (``attempts``) and infinite numbers the code
writes (``written-inf``, ``programs.forms_conditions``).

Every form reads only names of the scope, writes only writable ones, keeps
indices in bounds for the scope's ``n`` (forms that need ``n >= 1`` or a
matrix are offered only then) and stays smooth away from ties.
"""
from __future__ import annotations

import random

from .exprs import ExprGen
from .forms_conditions import f_attempts, f_cond_calls, f_module_methods, f_written_inf
from .forms_more import (
    f_complex,
    f_computed_window,
    f_einsum,
    f_flow,
    f_globals,
    f_int_signs,
    f_int_store,
    f_loop_else,
    f_masked,
    f_nested,
    f_ported,
    f_reach,
    f_spellings,
    f_split_pieces,
    f_stencil,
    f_ufunc_kw,
    f_value_list,
    f_view_update,
)
from .forms_silent import (
    _pick,
    f_average,
    f_conj,
    f_cross,
    f_cycle,
    f_intpow,
    f_kron,
    f_once_refused,
    f_opt_pos,
    f_out_none,
    f_out_pos,
    f_svd,
)
from .forms_views import (
    f_attr_stores,
    f_index_kinds,
    f_index_sep,
    f_index_tuples,
    f_indirect_list,
    f_loop_over,
    f_nested_tuple,
    f_number_list,
    f_ro_views,
)


def f_ifexp(g, ex):
    u, w, t = _pick(g)
    c = g.scalar(1)
    if g.rng.random() < 0.5:
        return [f"{t} += ({g.scalar(1)}) if {c} > 0.1 else ({g.scalar(1)})"]
    return [f"{w}[:] = {u} * 0.5 if {c} > 0.1 else np.tanh({u})"]


def f_uplus(g, ex):
    _, w, t = _pick(g)
    return [g.rng.choice([f"{t} = +{t} * 0.5 + {g.scalar(1)}", f"{w}[:] = +{w} * 0.75"])]


def f_intops(g, ex):
    _, w, _ = _pick(g)
    q = ex.name("q")
    op = g.rng.choice(["(n & 3) + (n >> 1)", "(n | 1) ^ 2", "~n + 2 * n", "(n << 1) // 3", "n % 3 + int(n / 2)"])
    return [f"{q} = {op}", f"if {q} >= 0 and not {q} == 7:", f"    {w}[:] *= 1.0 + 0.05 * {q}"]


def f_pi(g, ex):
    u, w, t = _pick(g)
    k = g.rng.choice(["math.pi", "np.pi", "math.e", "np.e"])
    return [g.rng.choice([f"{w}[:] = np.sin({u} * {k} * 0.25)", f"{t} += {k} * 0.1 * {g.scalar(1)}"])]


def f_copyto(g, ex):
    u, w, _ = _pick(g)
    return [g.rng.choice([f"np.copyto(dst={w}, src={g.vec(1)})", f"np.copyto({w}, {g.vec(1)}, where={u} > 0)",
                          f"np.putmask({w}, {u} < 0, {g.vec(1)})"])]


def f_builtins(g, ex):
    u, _, t = _pick(g)
    a, b = g.scalar(1), g.scalar(1)
    opts = [f"{t} += sum({u}) * 0.5", f"{t} += abs({g.scalar(1)}) * 0.5",
            f"{t} += sum([{a}, {b}], 0.25) * 0.5", f"{t} += max({a}, {b}, 0.1) * 0.5",
            f"{t} += pow(1.0 + abs({a}), 2) * 0.1", f"{t} += sum(({a}, {b} * 0.5))"]
    if g.s.n >= 1:
        opts += [f"{t} += max({u}) * 0.5", f"{t} -= min({u}) * 0.25", f"{t} += sum({u}, {a}) * 0.25"]
    return [g.rng.choice(opts)]


def f_out_tuple(g, ex):
    u, w, _ = _pick(g)
    return [g.rng.choice([f"np.multiply({u}, {g.vec(1)}, out=({w},))", f"np.tanh({w}, out=({w},))"])]


def f_alloc(g, ex):
    u, w, t = _pick(g)
    loc = ex.name("al")
    alloc = g.rng.choice(["np.zeros((2, n))", "np.ones((2, n)) * 0.5", "np.full((2, n), 0.25)",
                          "np.zeros((2, n), dtype=np.float64)", "np.empty((2, n))", "np.zeros((2, n), np.float64)"])
    return [f"{loc} = {alloc}", f"{loc}[0] = {u}", f"{loc}[1, :] = {g.vec(1)}",
            g.rng.choice([f"{t} += float(np.sum({loc} * {loc}, axis=(0, 1)))",
                          f"{w}[:] += np.sum({loc}, axis=0) * 0.5",
                          f"{w}[:] = np.transpose({loc}, (1, 0))[:, 1]",
                          f"{w}[:] = np.reshape({loc}, (2 * n,))[n:]"])]


def f_alloc1(g, ex):
    u, _w, t = _pick(g)
    loc = ex.name("al")
    alloc = g.rng.choice(["np.zeros(n, dtype=np.float64)", "np.ones(n, np.float64)", "np.full((n,), 0.5)",
                          "np.full_like(" + u + ", 0.25)", "np.zeros_like(" + u + ", dtype=np.float64)",
                          "np.linspace(0.0, 1.0, n)", "np.arange(n) * 0.5", "np.arange(0.0, n, 1.0)"])
    return [f"{loc} = {alloc}", f"{loc} += {g.vec(1)}", f"{t} += float(np.dot({loc}, {u}))"]


def f_methods(g, ex):
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    loc = ex.name("mc")
    opts = [[f"{loc} = {u}.copy()", f"{loc}.fill({g.scalar(1)})", f"{w}[:] += {loc} * {u}"],
            [f"{w}[:] = {u}.astype(np.float64) * 0.5"] if g.s.vecs else [],
            [f"{loc} = {u}.flatten()", f"{loc} *= 0.5", f"{w}[:] -= {loc}"],
            [f"{loc} = {u}.reshape(n, 1)", f"{t} += float(np.sum({loc} * 0.5))"],
            [f"{w}[:] = {u}.cumsum() * 0.25"],
            [f"{w}[:] = {u}.clip(-0.5, 0.5)"],
            [f"{w}[:] = ({u} * 0.5).reshape(-1)"],
            [f"{t} += float(np.sum({u}.repeat(2))) * 0.25"],
            [f"{t} += {u}.dot({r.choice(s.vecs)}) * 0.5"],
            [f"{loc} = {u}.copy()", f"{loc}.sort()", f"{t} += float(np.sum({loc} * np.arange(n)))"]]
    if s.n >= 1:
        opts += [[f"{t} += {u}[:1].item() * 0.5"], [f"{t} += float(np.sum({u}.take([0, n - 1])))"],
                 [f"{loc} = {u}.copy()", f"{loc}.put([0], {g.scalar(1)})", f"{w}[:] = {loc} * 0.5"]]
    if s.n >= 2:
        opts += [[f"{t} += {u}.std() * 0.1 + {u}.var() * 0.1"], [f"{t} += {u}.prod() * 0.1"]]
    return r.choice([o for o in opts if o])


def f_stack(g, ex):
    u, w, t = _pick(g)
    loc = ex.name("st")
    return g.rng.choice([
        [f"{loc} = []", "for i in range(n):", f"    {loc}.append({u}[i] * {g.scalar(0)})",
         "for i in range(n):", f"    {t} += {loc}.pop() * 0.5"],
        [f"{loc} = []", "for i in range(2):", f"    {loc}.append(np.tanh({u} * (i + 0.5)))",
         f"{w}[:] += np.stack({loc})[1] * 0.5 + np.array({loc})[0] * {g.scalar(1)}"],
        [f"{loc} = []", "for i in range(n):", f"    {loc}.append({u}[i] * {g.scalar(0)})",
         f"{loc}.pop()" if g.s.n >= 1 else "pass", f"{t} += float(np.sum(np.asarray({loc}))) * 0.5"],
    ])


def f_defaults(g, ex):
    u, w, _t = _pick(g)
    h = ex.name("hdef")
    ex.helpers += [f"def {h}(a, scale=0.5, shift=0.0):", "    return np.tanh(a) * scale + shift", "", ""]
    call = g.rng.choice([f"{h}({u})", f"{h}({u}, shift=0.25)", f"{h}({u}, 1.5)", f"{h}(a={u}, scale=-0.5)"])
    return [f"{w}[:] += {call}"]


def f_callcond(g, ex):
    u, w, t = _pick(g)
    cond = g.rng.choice([f"np.any({u} > 0.5)", f"np.all({u} > -2.0)", f"bool({g.scalar(1)} > 0)",
                         f"np.isfinite({g.scalar(1)})"])
    return [f"if {cond}:", f"    {t} += {g.scalar(1)}", "else:", f"    {w}[:] *= 0.5"]


def f_stmts(g, ex):
    _u, w, t = _pick(g)
    a, b = ex.name("ann"), ex.name("ch")
    return g.rng.choice([
        ['"""A note in the middle of the body."""', f"{t} += 0.5"],
        [f"{a}: float = {g.scalar(1)}", f"{t} += {a}"],
        [f"{a} = {b} = {g.scalar(1)}", f"{t} += {a} * {b}"],
        [f"[{a}, {b}] = [{g.scalar(1)}, {g.scalar(1)}]", f"{t} += {a} - {b}"],
        ["assert n >= 0, 'n is a length'", f"{t} += 0.25 * {g.scalar(1)}"],
        ["if n < 0:", "    raise ValueError('negative length')", f"{w}[:] *= 0.5"],
        ["if n < 0:", "    print('never')", "else:", "    pass", f"{t} *= 0.5"],
        [f"{a} = ({g.scalar(1)}, {g.scalar(1)})", f"{b}, {a}2 = {a}", f"{t} += {b} * {a}2"],
        [f"{a} = ({w} * 0.5, {g.vec(1)})", f"{w}[:] = {a}[0] + {a}[1] * 0.25"],
        [f"{a}: float", f"{a} = {g.scalar(1)}", f"{t} += {a}"],
        [f"{a} = not {g.scalar(1)} > 0", f"if {a}:", f"    {t} += 0.5"],
        [f"{a} = 'label'", f"{t} += len({a}) * 0.1"],
        [f"{w}[0] = {a} = {g.scalar(1)}", f"{t} += {a}"] if g.s.n >= 1 else [f"{t} += 0.5"],
        [f"{a} = ({b}, {a}2) = ({g.scalar(1)}, 0.5)", f"{t} += {b} * {a}2 + {a}[0]"],
        [f"{w}[:] = np.full(n, np.pi) * {w}"],
        [f"{g.rng.choice(g.s.vecs)}.clip(-0.5, 0.5, out={w})"],
    ])


def f_ranges(g, ex):
    u, w, _t = _pick(g)
    head = g.rng.choice(["for i in reversed(range(n)):", "for i in range(n)[::2]:", "for i in range(n)[::-1]:",
                         "for i in reversed(range(1, n)):", "for i in range(n)[1:]:"])
    return [head, f"    {w}[i] = {w}[i] * 0.5 + {u}[i] * {g.scalar(0)}"]


def f_iterate(g, ex):
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    opts = [[f"for xv in {u}:", f"    {t} += np.tanh(xv) * 0.5"],
            [f"for i, xv in enumerate({u}):", f"    {w}[i] += xv * {g.scalar(0)}"],
            [f"for xv, yv in zip({u}, {v}):", f"    {t} += xv * yv * 0.5"],
            [f"for xv in {u}[::-1]:", f"    {t} = {t} * 0.5 + xv"],
            [f"for xv in reversed({u}):", f"    {t} = {t} * 0.5 + xv"],
            [f"for i, xv in enumerate({u}, start=1):", f"    {w}[i - 1] += xv * i * 0.25"],
            [f"for i, xv in enumerate({u}, 2):", f"    {t} += xv * (i - 1) * 0.25"],
            [f"for i, (xv, yv) in enumerate(zip({u}, {v})):", f"    {w}[i] += xv * yv * 0.5"],
            [f"for (i,) in np.ndindex({u}.shape):", f"    {w}[i] = {w}[i] * 0.5 + {u}[i]"]]
    if s.mats:
        m, _ = r.choice(s.mats)
        opts.append([f"for row in {m}:", f"    {t} += float(np.sum(row * {u}))"])
        opts.append([f"for i, j in np.ndindex({m}.shape):", f"    {t} += {m}[i, j] * {u}[j] * 0.25"])
    if s.w_mats:
        m, _ = r.choice(s.w_mats)
        opts.append([f"for idx in np.ndindex({m}.shape[0], {m}.shape[1]):",
                     f"    {m}[idx] = {m}[idx] * 0.5 + {t} * 0.125"])
    return r.choice(opts)


def f_masks(g, ex):
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    mk = ex.name("mask")
    opts = [[f"{mk} = {u} > 0", f"{w}[:] = np.where({mk}, {w} * 0.5, {w})"],
            [f"{mk} = {u} > 0", f"{w}[{mk}] *= 0.5"],
            [f"{mk} = ({u} > 0) & ({r.choice(s.vecs)} < 0.5)", f"{w}[:] = np.where({mk}, {g.vec(1)}, {w})"],
            [f"{mk} = np.arange(n)", f"{w}[{mk}] = {u}[{mk}] * 0.5"],
            [f"{mk} = np.arange(n - 1, -1, -1)", f"{w}[:] = {u}[{mk}] + {w}"],
            [f"np.place({w}, {u} > 0, 0.5)"]]
    if s.n >= 1:
        opts += [[f"{mk} = int(np.argmax({u}))", f"{t} += {u}[{mk}]"],
                 [f"np.add.at({w}, [0, n - 1, 0], {g.scalar(1)})"],
                 [f"np.subtract.at({w}, np.array([0, 0]), {u}[:2] * 0.5)"] if s.n >= 2 else
                 [f"np.put({w}, [0], {g.scalar(1)})"]]
    return r.choice(opts)


def f_shapes(g, ex):
    u, w, t = _pick(g)
    q = ex.name("q")
    return g.rng.choice([
        [f"{q} = {u}.size + {u}.ndim", f"{t} += 0.1 * {q}"],
        [f"{q} = {u}.shape", f"{t} += 0.1 * {q}[0]"],
        [f"{q} = n / 2", f"{t} += {q} * 0.1"],
        [f"{q} = len({u}) // 2", f"{w}[:{q}] *= 0.5"],
    ])


def f_join(g, ex):
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    loc = ex.name("jn")
    return r.choice([
        [f"{loc} = np.concatenate(({u}, {v}))", f"{w}[:] = {loc}[:n] * 0.5 + {loc}[n:]"],
        [f"{loc} = np.stack(({u}, {v}), axis=1)", f"{w}[:] = {loc}[:, 0] * {loc}[:, 1]"],
        [f"{loc} = np.vstack([{u}, {v}])", f"{t} += float(np.sum({loc}[1] * 0.5))"],
        [f"{loc} = np.hstack(({u}, {v}))", f"{t} += float(np.sum(np.tanh({loc})))"],
        [f"{loc} = np.column_stack(({u}, {v}))", f"{w}[:] += {loc}[:, 1] * 0.5"],
        [f"{loc} = np.array([{u}, {v} * 0.5])", f"{w}[:] = {loc}[0] - {loc}[1]"],
        [f"{loc} = np.asarray([[0.5, 1.0], [0.25, -0.5]])", f"{t} += float(np.sum({loc})) * {g.scalar(1)}"],
    ])


def f_matmat(g, ex):
    r, s = g.rng, g.s
    m, _rows = r.choice(s.mats)
    u, w, t = _pick(g)
    loc = ex.name("mm")
    return r.choice([
        [f"{loc} = {m} @ {m}.T", f"{t} += float(np.trace({loc})) * 0.1"],
        [f"{loc} = np.matmul({m}.T, {m})", f"{w}[:] += {loc} @ {u} * 0.1"],
        [f"{loc} = np.dot({m}, {m}.T) * 0.5", f"{t} += float(np.sum({loc}))"],
        [f"{loc} = np.eye(n) * 0.5 + 0.1", f"{w}[:] = {loc} @ {u}"],
        [f"{t} += float(np.sum({m}.T.dot({m}) * 0.1))"],
    ])


def f_curves(g, ex):
    """Sampled curves: the trapezoidal rule, interpolation on constant points,
    polynomials, convolution; and the results of a factorization written in place."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    loc = ex.name("cv")
    opts = [[f"{t} += float(np.trapezoid({u} * {u}, dx=0.5))"],
            [f"{t} += float(np.trapezoid({u}, np.cumsum(np.abs({v}) + 0.5)))"],
            [f"{loc} = np.polyval(np.array([0.5, -0.25, 1.0]), {u})", f"{w}[:] = {loc} * 0.5 + {w}"]]
    if s.n >= 1:   # (np.convolve refuses empty arrays; an eigenvalue to write)
        opts += [[f"{w}[:] = np.convolve({u}, {v} * 0.5, mode='same')"]]
    if s.n >= 2:
        opts += [[f"{w}[:] = np.interp({u}, np.linspace(-1.0, 1.0, n), {v})"],
                 # (the edges returned follow the range given: lo and hi carry derivatives)
                 [f"{loc}lo = float(np.min({v})) - 1.0",
                  f"{loc}h, {loc} = np.histogram({u}, bins=3, range=({loc}lo, {loc}lo + 3.0 + abs({g.scalar(1)})))",
                  f"{t} += float(np.sum({loc} * {loc})) * 0.1 + float(np.sum({loc}h)) * 0.01"],
                 [f"{loc}h, {loc} = np.histogram({u}, bins=np.sort({v}))", f"{t} += float(np.sum({loc}[1:] ** 2)) * 0.1"]]
    if s.mats and s.n >= 1:
        m, _rows = r.choice(s.mats)
        opts += [[f"{loc}, {loc}v = np.linalg.eigh({m}.T @ {m} + np.diag(np.arange(1.0, n + 1.0)))",
                  f"{loc}[0] = {loc}[0] * 0.5",
                  f"{t} += float(np.sum({loc})) * 0.1"],
                 [f"{loc} = np.linalg.slogdet({m}.T @ {m} + np.eye(n))", f"{t} += {loc}[1] * 0.1"]]
    return r.choice(opts)


def f_rebind(g, ex):
    """Names the derivative must tell apart over time: an array rebound to a value
    computed from itself then written, an alias rebound then stored, ``x[i - 1]``
    at ``i = 0`` (the last element), a loop variable or bound the body rebinds,
    ``astype`` (a copy) and ``reshape`` (a view) written."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    loc, q, k = ex.name("rb"), ex.name("q"), ex.name("k")
    opts = [[f"{loc} = {u} * 1.0", f"{loc} = np.sin({loc}) * {u}", f"{loc}[0] = {loc}[0] * 0.5",
             f"{w}[:] += {loc} * 0.25"] if s.n >= 1 else [],
            [f"{loc} = {w}", f"{loc} = {loc} * {u}", f"{w}[:] = {loc} * 0.5"],
            [f"{loc} = {u}.astype(np.float64)", f"{loc} *= 2.0", f"{w}[:] += {loc} * 0.1"],
            [f"{loc} = {w}.reshape(-1)", f"{loc} *= 0.75", f"{t} += float(np.sum({w})) * 0.1"],
            [f"{q} = n", f"for {k} in range({q}):", f"    {q} = {q} - 1", f"    {w}[{q}] *= 0.9"],
            [f"for {k} in range(n):", f"    {k} = n - 1 - {k}", f"    {w}[{k}] = {w}[{k}] * 0.5 + {u}[{k}] * 0.25"]]
    if s.n >= 1:
        opts.append([f"for {k} in range(n):", f"    {w}[{k}] = {w}[{k}] * 0.5 + {w}[{k} - 1] * 0.25"])
    if s.w_mats and s.n >= 1:
        m, _ = r.choice(s.w_mats)
        opts.append([f"for {loc} in {m}:", f"    {loc} *= 0.9", f"    {loc}[0] = {loc}[0] * {g.scalar(0)}"])
    return r.choice([o for o in opts if o])


def f_math(g, ex):
    _, _, t = _pick(g)
    a = g.scalar(1)
    e = g.rng.choice([f"math.atan(0.5 * {a})", f"math.sinh(0.5 * {a})", f"math.erf(0.5 * {a})",
                      f"math.log1p(0.5 + 0.5 * math.tanh({a}))", f"math.expm1(0.5 * {a})",
                      f"math.hypot(1.0, {a})", f"math.cosh(0.5 * {a})"])
    return [f"{t} += {e}"]



FORMS = {
    "ifexp": f_ifexp, "uplus": f_uplus, "intops": f_intops, "pi": f_pi, "copyto": f_copyto,
    "builtins": f_builtins, "out-tuple": f_out_tuple, "alloc": f_alloc, "alloc1": f_alloc1,
    "methods": f_methods, "stack": f_stack, "defaults": f_defaults, "callcond": f_callcond,
    "stmts": f_stmts, "ranges": f_ranges, "iterate": f_iterate, "masks": f_masks, "shapes": f_shapes,
    "join": f_join, "matmat": f_matmat, "math": f_math, "curves": f_curves, "rebind": f_rebind,
    "out-pos": f_out_pos, "out-none": f_out_none, "opt-pos": f_opt_pos, "conj": f_conj, "intpow": f_intpow,
    "cycle": f_cycle, "kron": f_kron, "cross": f_cross, "average": f_average, "svd": f_svd,
    "loop-over": f_loop_over, "index-kinds": f_index_kinds, "ro-views": f_ro_views, "index-sep": f_index_sep,
    "nested-tuple": f_nested_tuple, "number-list": f_number_list, "index-tuples": f_index_tuples,
    "indirect-list": f_indirect_list,
    "complex": f_complex, "masked": f_masked, "ufunc-kw": f_ufunc_kw, "globals": f_globals, "einsum": f_einsum,
    "flow": f_flow, "view-update": f_view_update, "int-signs": f_int_signs,
    "int-store": f_int_store, "computed-window": f_computed_window, "value-list": f_value_list,
    "loop-else": f_loop_else, "nested": f_nested,
    "split-pieces": f_split_pieces, "reach": f_reach, "stencil": f_stencil, "spellings": f_spellings,
    "ported": f_ported, "cond-calls": f_cond_calls, "module-methods": f_module_methods, "attempts": f_attempts,
    "written-inf": f_written_inf, "once-refused": f_once_refused,
}

NEEDS_N = {"cycle": 1, "average": 1, "svd": 1, "cross": 2, "index-sep": 1, "loop-over": 1, "index-kinds": 1,
           "complex": 1, "masked": 1, "ufunc-kw": 1, "einsum": 1, "int-store": 1, "computed-window": 3,
           "value-list": 1, "loop-else": 2, "nested": 1, "split-pieces": 2, "reach": 2, "stencil": 4,
           "spellings": 3, "ported": 2, "cond-calls": 1, "attempts": 2, "written-inf": 1,
           "number-list": 1, "index-tuples": 2, "indirect-list": 1, "once-refused": 1}
"""Forms that need ``n`` at least this large (indices ``[:2]`` cycled, weights
summing to zero, an empty factorization, 2-vectors)."""

TOP_ONLY = {"nested"}
"""Forms drawn at the top level of the function's body only (a ``def`` in a loop is refused)."""

ONLY: frozenset | None = None
"""When set (``restrict``), the only forms ``form_stmt`` draws."""


def restrict(names) -> None:
    """Draw only the forms ``names`` (``None``: all of ``FORMS`` again); for runs of a few forms alone."""
    global ONLY
    unknown = set(names or ()) - set(FORMS)
    if unknown:
        raise ValueError(f"no such forms: {sorted(unknown)}")
    ONLY = frozenset(names) if names else None


def form_stmt(g: ExprGen, ind: str, ex) -> list[str]:
    """One random form of ``FORMS`` (of ``ONLY`` when set) valid for the scope."""
    names = [k for k in FORMS if (k != "matmat" or g.s.mats) and g.s.n >= NEEDS_N.get(k, 0)
             and (ONLY is None or k in ONLY) and (k not in TOP_ONLY or ind == "    ")]
    if not names:   # (restricted to forms this scope cannot take)
        return [ind + "pass"]
    name = g.rng.choice(names)
    lines = FORMS[name](g, ex)
    sub = random.Random(str(g.rng.getstate()[1][:8]))
    if ONLY is None and sub.random() < 0.06:
        # (in place of the form drawn, whose draws are made all the same: earlier seeds' programs stay)
        saved, g.rng = g.rng, sub
        try:
            name, lines = "attr-stores", f_attr_stores(g, ex)
        finally:
            g.rng = saved
    ex.features.add(f"form-{name}")
    return [ind + line for line in lines]
