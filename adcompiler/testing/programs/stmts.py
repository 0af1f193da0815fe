"""Statement templates: each returns source lines valid for the scope.

Every template only indexes inside the arrays' bounds for the scope's
concrete length ``n`` (including ``n == 0`` and ``n == 1``), terminates
(``while`` loops are bounded by a counter) and writes only writable names.
"""
from __future__ import annotations

from .exprs import ExprGen


def _idx(var: str, k: int) -> str:
    return var if k == 0 else (f"{var} + {k}" if k > 0 else f"{var} - {-k}")


def loop_header(g: ExprGen, var: str, kmin: int, kmax: int, n: str = "n") -> str:
    """``for var in range(...)`` keeping ``var + k`` in bounds for k in [kmin, kmax]."""
    r = g.rng
    lo = -kmin + r.choice([0, 0, 1])
    back = kmax + r.choice([0, 0, 1])
    step = r.choice([1, 1, 1, 2, 3])
    stop = n if back == 0 else f"{n} - {back}"
    if r.random() < 0.3:
        start = f"{n} - {back + 1}"
        return f"for {var} in range({start}, {lo - 1}, {-step}):"
    if lo == 0 and step == 1 and r.random() < 0.7:
        return f"for {var} in range({stop}):"
    return f"for {var} in range({lo}, {stop}{', ' + str(step) if step != 1 else ''}):"


def _store(g: ExprGen, target: str, rhs: str) -> str:
    r = g.rng
    k = r.random()
    if k < 0.2:
        return f"{target} {r.choice(['+=', '-=', '*='])} {rhs}"
    if k < 0.25:
        return f"{target} /= (2.0 + np.sin({rhs}))"
    return f"{target} = {rhs}"


def elem_loop(g: ExprGen, ind: str) -> list[str]:
    """An element loop, possibly a recurrence, data branch, break or continue."""
    r, s = g.rng, g.s
    kmin, kmax = r.choice([(0, 0), (-1, 0), (0, 1), (-1, 1), (-2, 0)])
    idx = [_idx("i", k) for k in range(kmin, kmax + 1)]
    w = r.choice(s.w_vecs)
    head = loop_header(g, "i", kmin, kmax)
    body: list[str] = []
    flavour = r.random()
    if flavour < 0.15:
        body += [f"if {r.choice(s.vecs)}[i] < {r.choice(['-0.8', '-0.6'])}:", "    break"]
    elif flavour < 0.3:
        body += [f"if {r.choice(s.vecs)}[i] > {r.choice(['0.7', '0.5'])}:", "    continue"]
    tgt = f"{w}[{r.choice(idx)}]"
    if r.random() < 0.3:
        prev = _idx("i", kmin) if kmin < 0 else "i"
        body.append(f"{w}[i] = {w}[{prev}] * {g.elem(idx, 1)} + {g.elem(idx, 1)}")
    elif r.random() < 0.35:
        body.append(f"if {r.choice(s.vecs)}[{r.choice(idx)}] > 0:")
        body.append("    " + _store(g, tgt, g.elem(idx)))
        if r.random() < 0.4:
            body.append(f"elif {r.choice(s.vecs)}[i] < -0.5:")
            body.append("    " + _store(g, tgt, g.elem(idx)))
        if r.random() < 0.7:
            body.append("else:")
            body.append("    " + _store(g, tgt, g.elem(idx)))
    else:
        body.append(_store(g, tgt, g.elem(idx)))
    if s.w_scalars and r.random() < 0.4:
        body.append(f"{r.choice(s.w_scalars)} += {g.elem(idx, 1)}")
    return [ind + head] + [ind + "    " + b for b in body]


def nested_loop(g: ExprGen, ind: str) -> list[str]:
    """Two nested loops: triangular over one vector, or over a matrix."""
    r, s = g.rng, g.s
    if s.mats and r.random() < 0.5:
        m, rows = r.choice(s.mats)
        if s.w_mats and r.random() < 0.4:
            m, rows = r.choice(s.w_mats)
            line = f"{m}[j, i] = {m}[j, i] * {g.elem(['i'], 1)}"
        elif s.w_scalars:
            line = f"{r.choice(s.w_scalars)} += {m}[j, i] * {g.elem(['i'], 1)}"
        else:
            line = f"{r.choice(s.w_vecs)}[i] += 0.5 * {m}[j, i]"
        return [ind + "for i in range(n):", ind + f"    for j in range({rows}):", ind + "        " + line]
    w = r.choice(s.w_vecs)
    inner = r.choice(["range(i)", "range(i + 1, n)", "range(0, i, 2)"])
    line = f"{w}[i] += 0.3 * {r.choice(s.vecs)}[j] * {g.elem(['i'], 1)}"
    return [ind + r.choice(["for i in range(n):", "for i in range(n - 1, -1, -1):"]),
            ind + f"    for j in {inner}:", ind + "        " + line]


def slice_stmt(g: ExprGen, ind: str) -> list[str]:
    """Slice stores, including overlapping reads and writes of one array."""
    r, s = g.rng, g.s
    w, a = r.choice(s.w_vecs), r.choice(s.vecs)
    c = g.scalar(1)
    k = r.random()
    if k < 0.5:
        return [ind + r.choice([
            f"{w}[1:] = {w}[:-1] * {c}",
            f"{w}[:-1] = {w}[1:] + {c} * {a}[:-1]",
            f"{w}[1:] += {w}[:-1] * {c}",
            f"{w}[1:-1] = 0.5 * ({w}[:-2] + {w}[2:]) * {c}",
            f"{w}[::-1] = {w} * {c}",
            f"{w}[::2] *= {c}",
        ])]
    return [ind + r.choice([
        f"{w}[:] = {g.vec()}",
        f"{w}[...] = {g.vec()}",
        f"{w}[:] += {g.vec()}",
        f"{w}[1:-1] = ({g.vec()})[1:-1]",
        f"{w}[:] -= {g.vec(1)}",
    ])]


def array_op(g: ExprGen, ind: str) -> list[str]:
    """Whole-array numpy statements: ``out=``, ``copyto``, in-place on names."""
    r, s = g.rng, g.s
    w, a = r.choice(s.w_vecs), r.choice(s.vecs)
    k = r.random()
    if k < 0.3:
        op = r.choice(["add", "multiply", "subtract"])
        return [ind + f"np.{op}({r.choice([w, a])}, {g.vec(1)}, out={w})"]
    if k < 0.45:
        op = r.choice(["tanh", "sin", "exp"])
        arg = f"0.5 * {w}" if op == "exp" else w
        return [ind + f"np.{op}({arg}, out={w})"]
    if k < 0.6:
        return [ind + f"np.copyto({w}, {g.vec()})"]
    if k < 0.8:
        return [ind + f"{w} {r.choice(['+=', '*=', '-='])} {g.vec(1)}"]
    return [ind + f"{w} *= {g.scalar(1)}"]


def scalar_stmt(g: ExprGen, ind: str) -> list[str]:
    """Updates of scalar locals, including tuple unpacking."""
    r, s = g.rng, g.s
    if len(s.w_scalars) >= 2 and r.random() < 0.25:
        a, b = r.sample(s.w_scalars, 2)
        return [ind + f"{a}, {b} = {b} + {g.scalar(1)}, {a} * 0.5"]
    t = r.choice(s.w_scalars)
    if r.random() < 0.5:
        return [ind + f"{t} {r.choice(['+=', '-=', '*='])} {g.scalar()}"]
    return [ind + f"{t} = {t} * 0.5 + {g.scalar()}"]


def while_stmt(g: ExprGen, ind: str) -> list[str]:
    """A ``while`` loop with a counter bound and a data-dependent condition."""
    r, s = g.rng, g.s
    w, a = r.choice(s.w_vecs), r.choice(s.vecs)
    k = r.random()
    if k < 0.4:
        return [ind + "k = 0", ind + f"while k < n and {a}[k] > {r.choice(['-0.7', '-0.5', '0.0'])}:",
                ind + f"    {w}[k] = {g.elem(['k'])}", ind + "    k += 1"]
    if k < 0.7:
        return [ind + "k = n - 1", ind + "while k >= 0:",
                ind + f"    if {a}[k] < {r.choice(['-0.6', '-0.9'])}:", ind + "        break",
                ind + f"    {w}[k] = {g.elem(['k'])}", ind + "    k -= 1"]
    t = r.choice(s.w_scalars)
    return [ind + f"u = 1.0 + abs({g.scalar(1)})", ind + "it = 0",
            ind + "while u > 0.2 and it < 6:", ind + "    u = u * 0.5",
            ind + f"    {t} += u * {g.scalar(1)}", ind + "    it += 1"]


def branch_stmt(g: ExprGen, ind: str, body) -> list[str]:
    """A top-level ``if``/``elif``/``else`` on scalar data."""
    r = g.rng
    cond = f"{g.scalar(1)} > {r.choice(['0', '0.1', '-0.2'])}"
    if r.random() < 0.3:
        cond = f"{cond} {r.choice(['and', 'or'])} not {g.scalar(0)} < -0.9"
    out = [ind + f"if {cond}:"] + body(ind + "    ")
    if r.random() < 0.3:
        out += [ind + f"elif {g.scalar(1)} < 0.2:"] + body(ind + "    ")
    if r.random() < 0.6:
        out += [ind + "else:"] + body(ind + "    ")
    return out


def const_store(g: ExprGen, ind: str) -> list[str]:
    """Writes into a Const array of values that depend only on that array."""
    r, s = g.rng, g.s
    c = r.choice(s.c_vecs)
    return [ind + r.choice([f"{c}[...] = np.tanh({c}) * 1.5", f"{c}[::-1] = {c} * 0.75",
                            f"{c}[1:] = {c}[:-1] + 0.25"])]


def zerod_stmt(g: ExprGen, ind: str) -> list[str]:
    """Stores into a writable 0-d array."""
    s = g.s
    z = g.rng.choice(s.w_zerod)
    return [ind + g.rng.choice([f"{z}[...] = {z} * {g.scalar(1)} + {g.scalar(1)}",
                                f"{z}[...] += {g.scalar(1)}"])]


def matrix_stmt(g: ExprGen, ind: str) -> list[str]:
    """Stores into a writable matrix: element, column and row stores."""
    r, s = g.rng, g.s
    m, _ = r.choice(s.w_mats)
    if s.n >= 1 and r.random() < 0.5:
        return [ind + "for j in range(n):", ind + f"    {m}[:, j] = {m}[:, j] * {g.elem(['j'], 1)}"]
    return [ind + f"{m}[...] = np.tanh({m} * {g.scalar(1)})"]
