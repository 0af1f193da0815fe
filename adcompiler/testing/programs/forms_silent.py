"""Forms of ``forms.form_stmt`` for the patterns once silently mis-differentiated:
``out`` and other optional arguments by position, writes through
``x.conj()`` of a real array (numpy returns the array itself), ints to
negative powers, numpy's cycling writers, the ranks and axes of
``np.kron``/``np.cross``/``np.average``, ``np.linalg.svd`` of a non-square
matrix. Each reads only names of the scope and writes only writable ones."""
from __future__ import annotations

from .exprs import ExprGen


def _pick(g: ExprGen):
    r, s = g.rng, g.s
    return r.choice(s.vecs), r.choice(s.w_vecs), r.choice(s.w_scalars)


# ---- patterns once silently mis-differentiated (positional out and options,
# views numpy returns as the array itself, numpy's cycling writers, ranks and
# axes of kron/cross/average, svd of a non-square matrix) ----------------------

def _mat(g, ex) -> tuple[list[str], str, int]:
    """(lines, name, rows) of a matrix shaped ``(rows, n)``: one of the scope
    or a local stacked from vectors (3 rows, so ``ddof=1`` has rows to spare)."""
    r, s = g.rng, g.s
    if s.mats and r.random() < 0.4:
        m, rows = r.choice(s.mats)
        return [], m, rows
    loc = ex.name("A")
    u, v = r.choice(s.vecs), r.choice(s.vecs)
    return [f"{loc} = np.stack(({u}, {v} * 0.5, np.tanh({u}) + 0.25))"], loc, 3


def f_out_pos(g, ex):
    """``out`` passed by position (``np.dot(M, x, y)``, ``np.sum(A, 0, None, s)``,
    ``M.dot(x, y)``, ``A.mean(1, None, s)``...): a store into that array."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    lines, m, rows = _mat(g, ex)
    o = ex.name("o")
    opts = [  # np.dot and ndarray.dot need an out of the product's exact dtype: zeros_like of it
        [f"{o} = np.zeros_like({m} @ {u})", f"np.dot({m}, {u}, {o})", f"{t} += float(np.sum({o} * {o})) * 0.1"],
        [f"{o} = np.empty_like({m} @ {u})", f"{m}.dot({u}, {o})", f"{w}[:] += {m}.T @ {o} * 0.1"],
        [f"np.sum({m}, 0, None, {w})"],
        [f"np.cumsum({u}, 0, None, {w})", f"{w} *= 0.25"],
        [f"{o} = np.zeros(2 * n)", f"np.concatenate(({u}, {v}), 0, {o})", f"{w}[:] = {o}[:n] * {o}[n:] * 0.5"],
        [f"np.multiply({u}, {g.vec(1)}, {w})"],
        [f"np.cumsum({w}, 0, None, {w})", f"{w} *= 0.25"],
    ]
    if rows >= 1:   # a mean over an empty axis is NaN
        opts += [[f"{m}.mean(0, None, {w})"], [f"np.mean({m}, 0, None, {w})", f"{w} += {v} * 0.5"]]
    if s.n >= 1 and rows >= 1:
        opts.append([f"{o} = np.zeros({rows})", f"{m}.mean(1, None, {o})", f"{t} += float(np.sum({o} * {o}))"])
    return lines + r.choice(opts)


def f_out_none(g, ex):
    """``out=None`` given explicitly, by keyword and by position."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    loc = ex.name("on")
    return r.choice([
        [f"{w}[:] = np.tanh({u}, out=None)"],
        [f"{t} += float(np.sum({u}, axis=0, out=None)) * 0.5"],
        [f"{loc} = np.cumsum({u}, out=None)", f"{w}[:] += {loc} * 0.25"],
        [f"{t} += float(np.dot({u}, {v}, out=None)) * 0.5"],
        [f"{loc} = np.multiply({u}, {v}, None)", f"{w}[:] -= {loc} * 0.5"],
        [f"{loc} = np.concatenate(({u}, {v}), 0, None)", f"{w}[:] = {loc}[n:] * 0.5"],
        [f"{t} += {u}.sum(0, None, None) * 0.25"],
    ])


def f_opt_pos(g, ex):
    """Optional arguments by position: ``ddof`` of ``std``/``var``, ``keepdims``."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    lines, m, rows = _mat(g, ex)
    k = ex.name("kd")
    opts = [[f"{k} = np.sum({m}, 0, None, None, True)", f"{w}[:] += {k}[0] * 0.25"],
            [f"{k} = {m}.sum(0, None, None, True)", f"{t} += float(np.sum({k} * {u}))"]]
    if s.n >= 1:
        opts.append([f"{k} = np.mean({m}, 1, None, None, True)", f"{t} += float(np.sum({m} * {k})) * 0.1"])
    if rows >= 2:   # (a standard deviation of the stacked rows stays away from zero)
        opts += [[f"{w}[:] += np.std({m}, 0, None, None, 1) * 0.5"],
                 [f"{t} += float(np.sum({m}.var(0, None, None, 1))) * 0.25"]]
    if s.n >= 2:    # variances only: a vector may be constant, where std has no derivative
        opts += [[f"{t} += {u}.var(0, None, None, 1) * 0.5"],
                 [f"{t} += float(np.var({u}, None, None, None, 1)) * 0.25"],
                 [f"{k} = np.var({u}, 0, None, None, 1, True)", f"{w}[:] += {k} * 0.5"]]
    return lines + r.choice(opts)


def f_conj(g, ex):
    """``conj``/``conjugate`` of a real array is the array itself: writes to the
    result write the array (``np.conj``, a ufunc, gives a copy)."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    c = ex.name("cj")
    opts = [[f"{c} = {w}.conj()", f"{c} *= {g.vec(1)}"],
            [f"{c} = {w}.conjugate()", f"{c} += {u} * 0.5"],
            [f"{c} = {w}.conj()", f"{c}[::2] = {c}[::2] * 0.5", f"{t} += float(np.sum({c} * {u}))"],
            [f"{c} = np.conj({u})", f"{c} *= {g.vec(1)}", f"{w}[:] += {c} * 0.5"],
            [f"{c} = {u}.conj()", f"{t} += float(np.sum({c} * {r.choice(s.vecs)})) * 0.5"],
            [f"{w}[:] = np.conjugate({u}) * 0.5"]]
    if s.w_mats:
        m, _ = r.choice(s.w_mats)
        opts.append([f"{c} = {m}.conj()", f"{c} *= 0.75"])
    return r.choice(opts)


def f_intpow(g, ex):
    """Builtin ``pow`` and ``**=`` of ints with a negative exponent: floats in Python."""
    r = g.rng
    _u, w, t = _pick(g)
    k = ex.name("ip")
    return r.choice([
        [f"{k} = n + 1", f"{k} **= -1", f"{t} += {k} * {g.scalar(1)}"],
        [f"{k} = 2", f"{k} **= -2", f"{w}[:] *= 1.0 + {k}"],
        [f"{t} += pow(n + 1, -2) * {g.scalar(1)}"],
        [f"{t} += pow(2, n % 3) * 0.1 + pow(n + 2, -1)"],
        [f"{k} = pow(n + 1, -1)", f"{w}[:] = {w} * {k} + {g.vec(1)} * 0.5"],
    ])


def f_cycle(g, ex):
    """numpy's writers cycle too few values: ``np.putmask``, ``np.place``,
    ``np.put`` with fewer values than targets; ``np.resize``."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    # the values are new arrays, never a view of the written array (numpy reads them while it writes)
    vals = r.choice([f"{v}[:2] * 0.5", f"np.array([{g.scalar(1)}, 0.5])"])
    loc = ex.name("rs")
    return r.choice([
        [f"np.putmask({w}, {u} > 0, {vals})"],
        [f"np.place({w}, {u} < 0.1, {vals})"],
        [f"np.put({w}, [0, n - 1, n // 2], {v}[:2] * 0.5)"],
        [f"np.put({w}, np.arange(n), {g.scalar(1)})"],
        [f"{w}[:] = np.resize({u}[:2] * 0.5, n)"],
        [f"{t} += float(np.sum(np.resize({u}, (2, n + 1)) * 0.5))"],
        [f"{loc} = np.resize({u}, 2 * n + 1)", f"{w}[:] += {loc}[n + 1:] * 0.5"],
    ])


def f_kron(g, ex):
    """``np.kron`` of operands of the same and of different ranks."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    lines, m, _rows = _mat(g, ex)
    k = ex.name("kr")
    return lines + r.choice([
        [f"{k} = np.kron({m}, {u}[:2])", f"{t} += float(np.sum(np.tanh({k})))"],
        [f"{k} = np.kron({u}[:2], {m})", f"{t} += float(np.sum({k} * {k})) * 0.1"],
        [f"{k} = np.kron({u}, {v})", f"{t} += float(np.sum({k})) * 0.25"],
        [f"{k} = np.kron({u}, np.eye(2))", f"{w}[:] += {k}[0, ::2] * 0.5"],
        [f"{k} = np.kron({m}, np.array([[0.5], [-0.25]]))", f"{t} += float(np.sum({k} * {k})) * 0.1"],
    ])


def f_cross(g, ex):
    """``np.cross`` of 2-vectors (a scalar), of a 2- and a 3-vector, of stacks of 2-vectors."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    loc = ex.name("cr")
    opts = [[f"{t} += float(np.cross({u}[:2], {v}[:2])) * 0.5"],
            [f"{loc} = np.cross(np.stack(({u}, {v}), axis=1), np.stack(({v}, {u} * 0.5), axis=1))",
             f"{w}[:] += {loc} * 0.25"]]
    if s.n >= 3:
        opts += [[f"{w}[:3] = np.cross({u}[:2], {v}[:3])"],
                 [f"{loc} = np.cross({u}[:3], {v}[1:3])", f"{t} += float(np.dot({loc}, {loc})) * 0.5"],
                 [f"{t} += float(np.sum(np.cross({u}[:3], {v}[:3]) * {w}[:3]))"]]
    return r.choice(opts)


def f_average(g, ex):
    """``np.average`` with weights over several axes, in both orders of the axes."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    a, wt = ex.name("av3_"), ex.name("wt")
    cube = [f"{a} = np.tanh({u}[:, None, None] * {v}[None, :, None] * np.array([0.5, -1.0, 0.75]))",
            f"{wt} = 1.0 + {r.choice(s.vecs)}[:, None] ** 2 * np.array([1.0, 0.5, 2.0])"]
    lines, m, rows = _mat(g, ex)
    flat = lines + [f"{wt} = 1.0 + {m} ** 2"]
    opts = [cube + [f"{w}[:] += np.average({a}, axis=(0, 2), weights={wt}) * 0.5"],
            cube + [f"{w}[:] = np.average({a}, axis=(2, 0), weights={wt}.T)"],
            cube + [f"{t} += float(np.sum(np.average({a}, axis=(2, 1), weights={wt}.T)))"]]
    if rows >= 1:
        opts += [flat + [f"{t} += float(np.average({m}, axis=(0, 1), weights={wt})) * 0.5"],
                 flat + [f"{t} += float(np.average({m}, axis=(1, 0), weights={wt}.T))"],
                 lines + [f"{t} += float(np.sum(np.average({m}, axis=1, weights=1.0 + {u} ** 2)))"]]
    return r.choice(opts)


def f_svd(g, ex):
    """``U, s, Vt = np.linalg.svd(A)`` of a non-square ``A`` (full factors) using
    only ``s``, or only the first ``min(m, n)`` columns of ``U`` (rows of ``Vt``).

    ``A`` is a diagonal of 3, 2, 1 plus a perturbation smaller than half the
    gaps (``0.1 * tanh``: at most 0.43 in norm for n <= 6): distinct singular
    values away from zero. Singular vectors enter squared (their sign is free).
    """
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    a, us, sv, vt = ex.name("sa"), ex.name("U"), ex.name("sv"), ex.name("Vt")
    k = min(3, s.n)
    build = (f"{a} = np.eye(3, n) * np.array([[3.0], [2.0], [1.0]])"
             f" + 0.1 * np.tanh(np.stack(({u}, {v}, {u} * {v} + 0.5)))")
    tall = r.random() < 0.5
    src = f"{a}.T" if tall else a
    head = [build, f"{us}, {sv}, {vt} = np.linalg.svd({src})"]
    use = [f"{t} += float(np.sum({sv})) * 0.5", f"{w}[:{k}] += {sv} * 0.25"]
    if tall:   # U is (n, n): its first k columns
        use.append(f"{t} += float(np.sum({us}[:, :{k}] ** 2 * {r.choice(s.vecs)}[:, None]))")
    else:      # Vt is (n, n): its first k rows
        use.append(f"{t} += float(np.sum({vt}[:{k}] ** 2 * {r.choice(s.vecs)}))")
    opts = [head + [r.choice(use)]]
    if s.mats:
        m, rows = r.choice(s.mats)
        if rows >= 1 and rows != s.n:   # singular values of the matrix of the scope
            opts.append([f"{us}, {sv}, {vt} = np.linalg.svd({m})", f"{t} += float(np.sum({sv})) * 0.25"])
    return r.choice(opts)


def f_once_refused(g, ex):
    """Code refused before and now differentiated, or silently mis-differentiated before: a
    helper returning its own argument inside a tuple, a ``functools.partial`` helper, a
    helper's required keyword-only parameters, a list of stages read by constant indices, a
    0-d array written through another name, an all-axes reduction updated in place, ``np.insert``; a
    name holding an argument bound in a loop to new arrays then written, ``np.gradient`` of every axis, a
    reduction of a comprehension in a condition, indices made by ``astype``."""
    r = g.rng
    u, w, t = _pick(g)
    h, a, b = ex.name("hret"), ex.name("p"), ex.name("q")
    options = ["tuple", "partial", "keywords", "stages", "comprehension", "zero-d", "reduced", "insert",
               "rebound", "gradient", "condition", "astype"]
    pick = r.choice(options)
    if pick == "tuple":
        ex.helpers += [f"def {h}(a, b):", "    return b, a * b + 0.5", "", ""]
        return [f"{a}, {b} = {h}({u}, {w})", f"{a}[:] = {a} * 0.5 + {b} * 0.25"]
    if pick == "partial":
        ex.helpers += ["import functools", "", "", f"def {h}(a, scale, shift=0.0):",
                       "    return np.tanh(a) * scale + shift", "", "",
                       f"{h}_bound = functools.partial({h}, scale=0.75, shift=0.25)", "", ""]
        return [f"{w}[:] += {h}_bound({u})"]
    if pick == "keywords":
        ex.helpers += [f"def {h}(a, *, k, c=0.5):", "    return a * k + c", "", ""]
        return [f"{w}[:] += {h}({u}, k=0.75) * {h}({w}, c=0.25, k=-0.5)"]
    if pick == "stages":
        return [f"{a} = [None] * 3", f"{a}[0] = np.tanh({u})", f"{a}[1] = {a}[0] * {u} + 0.5",
                f"{a}[-1] = {a}[1] - {a}[0] * 0.25", f"{w}[:] += {a}[2] * 0.5"]
    if pick == "comprehension":
        return [f"{a} = [np.zeros_like({u}) for _ in range(2)]", f"{a}[0][:] = {u} * 0.5",
                f"{a}[1][:] = np.sin({a}[0])", f"{w}[:] += {a}[1] * {a}[-2]"]
    if pick == "zero-d":
        return [f"{a} = np.array({t} * 0.5)", f"{b} = {a}", f"{a} += float(np.sum({u} * {u})) * 0.1",
                f"{t} += float({b})"]
    if pick == "reduced":
        return [f"{a} = np.sum({u} * {w}, axis=0)", f"{a} *= 0.5", f"{t} += {a} + np.mean({u} ** 2, axis=-1)"]
    if pick == "rebound":   # (a name holding an argument, bound in a loop to a new array then written)
        return [f"{a} = {u}", "for _ in range(2):", f"    {a} = {a} * 0.5 + 0.125", f"    {a}[0] += 0.25",
                f"{w}[:] += {a} * 0.5"]
    if pick == "gradient":   # (np.gradient of every axis: a tuple of one array per axis)
        return [f"{b} = np.concatenate(({u}, {u} * 0.5))",
                f"{a}, {b} = np.gradient(np.outer({b}, {b} + 1.0), 0.5)",
                f"{w}[:] += {a}[0][:{u}.shape[0]] * 0.25 + {b}[-1][{u}.shape[0]:] * 0.125"]
    if pick == "condition":   # (a reduction of a comprehension in a condition, after and's first operand)
        return [f"if {u}.shape[0] > 1 and max(abs({u}[i]) for i in range(2)) > 0.1:", f"    {w}[:] += {u} * 0.5"]
    if pick == "astype":   # (indices computed with astype, gathering)
        return [f"{a} = (np.abs({u}) * 2.0).astype(np.int64) % {u}.shape[0]", f"{w}[:] += {u}[{a}] * 0.5"]
    return [f"{w}[:] += np.insert({u}, 1, {g.scalar(0)})[:-1] * 0.5"]
