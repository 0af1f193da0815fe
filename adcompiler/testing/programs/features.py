"""Productions for what users write that the basic templates leave out.

Each production has a share of the programs (``generate.FEATURES`` is the
probability that a program draws from this module at all). A program
records the productions it used in ``Program.features``:

- ``helper-<kind>``: a helper returning a float, an array expression, an
  array allocated and filled in place (``np.zeros`` + slice store,
  ``np.empty_like`` + element stores, ``copy`` + ``*=``), a mutated
  argument (``a *= c; return a``), an alias of an argument (``return a``)
  that the caller writes through, or a tuple of arrays and floats (indexed
  ``t[0]`` or unpacked ``u, v = h(...)``); ``helper-callback``: a helper given
  another as an argument (``happly(hret, x, y)``), calling it through its
  parameter and passing it on; ``helper-lambda``: a module-level lambda;
  ``helper-closure``: two closures of one factory, each with its own ``c``;
  ``helper-state``: a helper updating a state array and a parameter in place
  (an optimizer's step), called twice on a state its caller allocates;
  ``helper-tuple-element-written``: an unpacked element written back into
  itself, then read or not; ``helper-display-<kind>``: a helper given a list
  or tuple written out (or a name bound to one) that it iterates, unpacks,
  indexes or writes the arrays of;
- ``ragged``/``csr``: loops whose bounds come from Const integer arrays
  (``range(lo[i], hi[i])``, CSR ``indptr``/``indices`` gathers and scatters);
- ``container``: Const lists, tuples and dicts of floats read as scalars;
- ``boolop``: ``a or b`` and ``a and b`` as values;
- ``stack``: local Python lists: filled by ``append`` and drained by ``pop``
  (``while st:``, ``if st:``), filled by index, or written out;
- ``names``: user names that look like generated ones (``_t1``, ``_tape``,
  ``dret``, ``dx`` next to a parameter ``x``...);
- ``newaxis``: ``np.newaxis``/``None`` in indices;
- ``fancy``: index lists, also mixed with slices and with repeated entries;
- ``aug-view``: augmented assignment on arguments and on views of them
  (``y += a * y``, ``t = y[1:]; t *= x[1:]``, ``.T`` and ``reshape`` views);
- ``form-<name>``: the statement and expression forms of ``programs.forms``
  (conditional expressions, builtins, methods, allocations with tuple
  shapes, loops over arrays, ``enumerate``/``zip``, masks, joins, ``out``
  and optional arguments by position, ``conj``, cycling writers, ``kron``,
  ``cross``, ``average``, ``svd``...);
- ``list-of-arrays``: a Python list of float arrays read by index, which
  the compiler refuses (rare: the whole program is refused).
"""
from __future__ import annotations

import io
import keyword
import random
import tokenize

from .displays import display_helper_call
from .exprs import ExprGen
from .forms import form_stmt
from .spec import Param


class Extras:
    """Per-program state: helper definitions and the features used."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.helpers: list[str] = []
        self.features: set[str] = set()
        self.count = 0
        self.ragged: tuple[str, str, int] | None = None     # (lo, hi, m)
        self.csr: tuple[str, str, str] | None = None        # (indptr, indices, vals)
        self.locals = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"


# ---- parameters ---------------------------------------------------------------

def extra_params(rng: random.Random, n: int, ex: Extras, scope) -> list[Param]:
    """Const integer arrays and containers this program takes."""
    params: list[Param] = []
    if rng.random() < 0.35:
        m = rng.randint(0, 4)
        lo, hi = [], []
        for _ in range(m):
            a = rng.randint(0, n)
            b = rng.randint(a, n)
            lo.append(a)
            hi.append(b)
        wide = "int32" if m % 2 else "int64"   # (from the data: the random stream of older seeds is kept)
        params += [Param("lo", "intarray", "Const", (m,), data=tuple(lo), dtype=wide),
                   Param("hi", "intarray", "Const", (m,), data=tuple(hi), dtype=wide)]
        ex.ragged = ("lo", "hi", m)
    if rng.random() < 0.3:
        indptr, indices = [0], []
        for _ in range(n):
            k = rng.randint(0, 3)
            indices += [rng.randrange(n) for _ in range(k)] if n else []
            indptr.append(len(indices))
        nnz = len(indices)
        wide = "int32" if nnz % 2 == 0 else "int64"   # (int32: scipy.sparse's)
        params += [Param("indptr", "intarray", "Const", (n + 1,), data=tuple(indptr), dtype=wide),
                   Param("indices", "intarray", "Const", (nnz,), data=tuple(indices), dtype=wide),
                   Param("vals", "array", rng.choice(["Duplicated", "Const"]), (nnz,))]
        ex.csr = ("indptr", "indices", "vals")
    if rng.random() < 0.35:
        kind = rng.choice(["dict", "list", "tuple", "namedtuple", "namespace"])
        if kind in ("dict", "namedtuple", "namespace"):
            data = (("scale", rng.choice([0.5, 0.75, -0.6])), ("shift", rng.choice([0.25, -0.4])))
            params.append(Param("cfg", kind, "Const", data=data))
            scope.scalars += ['cfg["scale"]', 'cfg["shift"]'] if kind == "dict" else ["cfg.scale", "cfg.shift"]
            if kind != "dict":
                ex.features.add("record")
        else:
            data = tuple(rng.choice([0.5, -0.3, 0.8, 1.2]) for _ in range(3))
            params.append(Param("coef", kind, "Const", data=data))
            scope.scalars += ["coef[0]", "coef[2]", "coef[-1]"]
        ex.features.add("container")
    return params


# ---- helpers returning every kind -----------------------------------------------

def _helper(g: ExprGen, ex: Extras, kind: str) -> tuple[str, list[str]]:
    r = g.rng
    h = ex.name("hret")
    c = g.const()
    if kind == "float":
        body = [f"def {h}(a, b):", f"    return float(np.sum(a * b) * {c} + np.sum(np.tanh(a)))"]
    elif kind == "expr":
        body = [f"def {h}(a, b):", f"    return {r.choice(['np.tanh(a) * b', 'a * b + 0.5 * a', 'np.sin(a) - b * ' + c])}"]
    elif kind == "zeros":
        body = [f"def {h}(a, b):", "    z = np.zeros(len(a))", f"    z[:] = {r.choice(['a * a', 'a * b', 'np.tanh(b) + a'])}",
                "    return z"]
    elif kind == "empty_like":
        body = [f"def {h}(a, b):", "    z = np.empty_like(a)", "    for i in range(len(a)):",
                f"        z[i] = a[i] * {r.choice(['b[i]', c, 'a[i]'])}", "    return z"]
    elif kind == "copy":
        body = [f"def {h}(a, b):", "    z = a.copy()", f"    z *= {r.choice(['2.0', 'b', c])}", "    return z"]
    elif kind == "mutated":
        body = [f"def {h}(a, b):", f"    a *= {r.choice(['2.0', 'b', c])}", "    return a"]
    elif kind == "alias":
        body = [f"def {h}(a, b):", f"    return {r.choice(['a', 'a', 'a[::-1]', 'a[:]'])}"]
    elif kind == "callback":   # a function passed as an argument, called (and passed on) through it
        inner, inner_body = _helper(g, ex, r.choice(["expr", "zeros", "float"]))
        outer, via = ex.name("happly"), ex.name("hvia")
        use = "float(np.sum(f(a, b)))" if "float(" in inner_body[1] else "np.sum(f(a, b) * b)"
        body = inner_body + ["", "", f"def {via}(f, a, b):", f"    return {use} * {c}", "", "",
                             f"def {outer}(f, a, b):", f"    return {r.choice([f'{via}(f, a, b)', use])} + {via}(f, b, a)"]
        return f"{outer}({inner}, ", body
    elif kind == "lambda":   # a module-level lambda (read from its line as a def); draws as "expr" does
        body = [f"{h} = lambda a, b: {r.choice(['np.tanh(a) * b', 'a * b + 0.5 * a', 'np.sin(a) - b * ' + c])}"]
    elif kind == "closure":   # two closures of one factory, each holding its own `c`; draws as "expr" does
        mk, one, two = ex.name("mk"), ex.name("hc"), ex.name("hc")
        other = r.choice(["0.5", "-0.3", "1.25"])
        body = [f"def {mk}(c):", "    def inner(a, b):", "        return a * b * c + np.sin(a)", "    return inner",
                "", "", f"{one} = {mk}({c})", f"{two} = {mk}({other})", "", "",
                f"def {h}(a, b):", f"    return {one}(a, b) + {two}(b, a) * 0.5"]
    else:  # tuple
        body = [f"def {h}(a, b):", f"    return {r.choice(['a * b, float(np.sum(a))', 'np.sin(a), b * 2.0', 'a + b, float(np.dot(a, b)), a * 0.5'])}"]
    return h, body


def helper_call(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    """Call a helper returning one kind of value and use what it returns."""
    r, s = g.rng, g.s
    kind = r.choice(["float", "expr", "zeros", "empty_like", "copy", "mutated", "alias", "tuple", "tuple", "callback"])
    if kind == "expr":   # (decided apart: the programs of every earlier seed stay as they were)
        x = random.Random(str(r.getstate()[1][:8])).random()
        kind = "lambda" if x < 0.3 else "closure" if x < 0.6 else kind
    if kind == "mutated" and random.Random(str(r.getstate()[1][:8]) + "state").random() < 0.5:
        return _state_helper_calls(g, ind, ex)   # (decided apart too)
    if kind in ("float", "tuple") and random.Random(str(r.getstate()[1][:8]) + "display").random() < 0.4:
        return display_helper_call(g, ind, ex)   # (decided apart too)
    h, body = _helper(g, ex, kind)
    ex.helpers += body + ["", ""]
    ex.features.add(f"helper-{kind}")
    writes_arg = kind in ("mutated", "alias")
    a = r.choice(s.w_vecs) if writes_arg else r.choice(s.vecs)
    b = r.choice([v for v in s.vecs if v != a] or [a]) if not writes_arg else r.choice(s.vecs)
    if writes_arg and b == a:
        b = f"{b}.copy()"
    if kind == "mutated" and r.random() < 0.5:
        b = g.scalar(1)
    elif kind == "mutated":
        b = f"np.cos({b})"
    call = f"{h}{a}, {b})" if h.endswith(", ") else f"{h}({a}, {b})"
    w = r.choice(s.w_vecs)
    if kind in ("float", "callback"):
        return [ind + f"{r.choice(s.w_scalars)} += {call}"]
    if kind in ("expr", "zeros", "empty_like", "copy", "lambda", "closure"):
        k = r.random()
        if k < 0.4:
            return [ind + f"{w}[:] = {call}"]
        if k < 0.7:
            loc = ex.name("hv")
            if ind == "    ":   # bound on every path: later statements may use it
                s.vecs.append(loc)
                s.w_vecs.append(loc)
            return [ind + f"{loc} = {call}", ind + f"{loc} *= {g.scalar(1)}"]
        return [ind + f"{r.choice(s.w_scalars)} += float(np.sum({call}))"]
    if kind in ("mutated", "alias"):
        loc = ex.name("hz")
        out = [ind + f"{loc} = {call}"]
        out.append(ind + r.choice([f"{loc} *= 3.0", f"{loc}[:] += {g.vec(1)}",
                                   f"{r.choice(s.w_scalars)} += float(np.sum({loc}))"]))
        return out
    return _tuple_call(g, ind, ex, h, body, call, (a, b), w)


def _state_helper_calls(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    """A helper updating a state array and a parameter in place (an optimizer's step), called more
    than once on a state the caller allocates (its shadow passes between the halves of the
    helper's derivative through the tape)."""
    r, s = g.rng, g.s
    h, st = ex.name("hstep"), ex.name("st")
    c = r.choice(["0.5", "0.9", "-0.3"])
    ex.helpers += [f"def {h}(p, m):", f"    m *= {c}", f"    m += {r.choice(['p', 'np.tanh(p)', 'p * p'])}",
                   f"    p -= {r.choice(['0.1 * m * m', '0.2 * m', '0.05 * np.sin(m)'])}", "", ""]
    ex.features.add("helper-state")
    p = r.choice(s.w_vecs)
    out = [ind + f"{st} = np.zeros_like({p})"]
    if r.random() < 0.5:
        out += [ind + f"{h}({p}, {st})", ind + f"{h}({p}, {st})"]
    else:
        out += [ind + "for _k in range(2):", ind + f"    {h}({p}, {st})"]
    if r.random() < 0.5:
        out.append(ind + f"{r.choice(s.w_scalars)} += float(np.sum({st} * {st}))")
    return out


def _tuple_call(g: ExprGen, ind: str, ex: Extras, h: str, body: list, call: str, ab: tuple, w: str) -> list[str]:
    """The use of a helper returning a tuple (its arity follows the chosen body): an element read by
    index, the tuple unpacked, or an element returned as it is by a helper between."""
    r, s = g.rng, g.s
    arity = 3 if "a * 0.5" in body[1] else 2
    first_is_float = "float(np.sum(a))" in body[1]
    apart = random.Random(str(r.getstate()[1][:8]) + "returned").random()   # (drawn apart: the draws after stay)
    if apart < 0.35:   # ``return h(a, b)[k]``
        k = ["0", "1", "-1"][int(apart / 0.35 * 3)]
        mid = ex.name("hmid")
        ex.helpers += [f"def {mid}(a, b):", f"    return {h}(a, b)[{k}]", "", ""]
        ex.features.add("helper-tuple-element-returned")
        return [ind + f"{r.choice(s.w_scalars)} += float(np.sum({mid}({ab[0]}, {ab[1]}))) * 0.5"]
    if r.random() < 0.5:
        t = ex.name("tp")
        out = [ind + f"{t} = {call}", ind + f"{w}[...] = {t}[0]"]
        if first_is_float:
            out.append(ind + f"{r.choice(s.w_scalars)} += {t}[1]")
        elif arity == 3:
            out.append(ind + f"{r.choice(s.w_scalars)} += {t}[1] * 0.1")
        else:
            out.append(ind + f"{r.choice(s.w_scalars)} += float(np.sum({t}[1]))")
        return out
    names = [ex.name("u") for _ in range(arity)]
    out = [ind + f"{', '.join(names)} = {call}", ind + f"{w}[:] += {names[0]} * 0.5"]
    second = names[1]
    written = random.Random(str(r.getstate()[1][:8]) + "written").random()   # (drawn apart too)
    if written < 0.3 and not first_is_float and arity == 2:
        # the second element written back into itself, then read or not (a helper differentiated
        # without an element nothing reads after its own writes)
        ex.features.add("helper-tuple-element-written")
        out.append(ind + [f"{second} *= 0.5", f"{second}[...] = np.tanh({second})",
                          f"{second}[1:] = {second}[:-1] * 2.0"][int(written / 0.1)])
        if written < 0.15:
            return out
    out.append(ind + f"{r.choice(s.w_scalars)} += " +
               (f"{second} * 0.25" if first_is_float or arity == 3 else f"float(np.sum({second}))"))
    return out


# ---- loops with bounds from integer arrays ------------------------------------------

def ragged_loop(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    r, s = g.rng, g.s
    if ex.csr is not None and (ex.ragged is None or r.random() < 0.5):
        ip, ix, vals = ex.csr
        ex.features.add("csr")
        x = r.choice(s.vecs)
        w = r.choice(s.w_vecs)
        k = r.random()
        if k < 0.25:   # the index array whole: gathered, stored and added into at repeated positions
            return [ind + r.choice([f"{w}[{ix}] += {vals} * {x}[{ix}]", f"{w}[{ix}] = {vals} * 0.5 + {x}[{ix}]",
                                    f"np.add.at({w}, {ix}, {vals} * {x}[{ix}])",
                                    f"{r.choice(s.w_scalars)} += float(np.sum({vals} * {x}[{ix}] ** 2))"])]
        if k < 0.5:   # y = A x, row by row
            acc = ex.name("racc")
            return [ind + "for i in range(n):", ind + f"    {acc} = 0.0",
                    ind + f"    for k in range({ip}[i], {ip}[i + 1]):",
                    ind + f"        {acc} += {vals}[k] * {x}[{ix}[k]]",
                    ind + f"    {w}[i] {r.choice(['=', '+='])} {acc}"]
        if k < 0.8:  # y += A^T x: scatter with repeated indices
            return [ind + "for i in range(n):", ind + f"    for k in range({ip}[i], {ip}[i + 1]):",
                    ind + f"        {w}[{ix}[k]] += {vals}[k] * {x}[i]"]
        t = r.choice(s.w_scalars)
        return [ind + f"for k in range(len({ix})):", ind + f"    {t} += {vals}[k] * np.tanh({x}[{ix}[k]])"]
    assert ex.ragged is not None
    lo, hi, _ = ex.ragged
    ex.features.add("ragged")
    w = r.choice(s.w_vecs)
    line = r.choice([f"{w}[j] += 0.5 * {g.elem(['j'], 1)}", f"{w}[j] = {w}[j] * {g.elem(['j'], 1)}",
                     f"{r.choice(s.w_scalars)} += {g.elem(['j'], 1)}"])
    return [ind + f"for i in range(len({lo})):", ind + f"    for j in range({lo}[i], {hi}[i]):",
            ind + "        " + line]


# ---- containers, newaxis, index lists, augmented assignment on views ----------------

def container_stmt(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    r, s = g.rng, g.s
    reads = [v for v in s.scalars if v.startswith(("cfg[", "cfg.", "coef["))]
    w = r.choice(s.w_vecs)
    c = r.choice(reads)
    opts = [f"{w} *= {c}", f"{w}[:] = {w} * {c} + {r.choice(reads)}", f"{r.choice(s.w_scalars)} += {c} * {g.scalar(1)}"]
    if any(v.startswith("coef") for v in reads):
        opts.append(f"for cv in coef:\n{ind}    {r.choice(s.w_scalars)} += cv * {g.scalar(0)}")
    return [ind + r.choice(opts)]


def newaxis_stmt(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    r, s = g.rng, g.s
    ex.features.add("newaxis")
    u, v, w = r.choice(s.vecs), r.choice(s.vecs), r.choice(s.w_vecs)
    na = r.choice(["np.newaxis", "None"])
    return [ind + r.choice([
        f"{r.choice(s.w_scalars)} += float(np.sum({u}[:, {na}] * {v}[{na}, :]))",
        f"{w}[:] += np.sum(np.tanh({u}[:, {na}] * {v}[{na}, :]), axis=0) * 0.1",
        f"{w}[{na}, :] = ({u} * 0.5)[{na}, :]",
        f"{w}[:] = ({u}[{na}, :] * {g.scalar(1)})[0]",
    ])]


def fancy_stmt(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    r, s = g.rng, g.s
    ex.features.add("fancy")
    n = s.n
    u, w = r.choice(s.vecs), r.choice(s.w_vecs)
    i0, i1 = r.randrange(n), r.randrange(n)
    opts = [f"{r.choice(s.w_scalars)} += float(np.sum({u}[[{i0}, {i1}, {i1}]] * {g.scalar(1)}))",
            f"{w}[[{i0}, {i1}]] = {u}[[{i1}, {i0}]] * 0.5",
            f"{w}[[{i0}, {i1}, {i1}]] += {u}[[0, 0, {n - 1}]] * 0.5",
            f"{w}[[{i1}, {i0}]] *= {g.scalar(1)}"]
    if s.mats:
        m, rows = r.choice(s.mats)
        if rows >= 1:
            j0, j1 = r.randrange(rows), r.randrange(rows)
            opts.append(f"{r.choice(s.w_scalars)} += float(np.sum({m}[[{j0}, {j1}, {j0}], :] * {u}))")
            opts.append(f"{w}[:] += np.sum({m}[[{j1}, {j0}], :], axis=0) * 0.5")
    if s.w_mats:
        m, rows = r.choice(s.w_mats)
        if rows >= 1:
            opts.append(f"{m}[[{r.randrange(rows)}], :] *= {g.scalar(1)}")
    return [ind + r.choice(opts)]


def aug_view_stmt(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    r, s = g.rng, g.s
    ex.features.add("aug-view")
    u, w = r.choice(s.vecs), r.choice(s.w_vecs)
    view = ex.name("tv")
    opts = [[f"{w} += {u} * {w}"], [f"{w} -= 0.5 * {w}[::-1] * {u}"],
            [f"{view} = {w}[1:]", f"{view} *= {u}[1:]"],
            [f"{view} = {w}[::-1]", f"{view} += {g.vec(1)}"]]
    # reshape gives a view only of contiguous memory: parameters and fresh locals
    contiguous = [v for v in s.w_vecs if v not in ("av", "ta", "tb") and not v.startswith(("hz", "tv"))]
    if contiguous:
        c = r.choice(contiguous)
        opts += [[f"{view} = {c}.reshape(1, n)", f"{view} *= {g.scalar(1)}"],
                 [f"{view} = {c}.reshape(-1)", f"{view}[1:] += {view}[:-1] * 0.5"]]
    if s.w_mats:
        m, rows = r.choice(s.w_mats)
        opts.append([f"{view} = {m}.T", f"{view} *= {g.scalar(1)}"])
        if rows >= 1:
            opts.append([f"{view} = {m}.T", f"{view}[:, 0] += {u} * 0.5"])
        opts.append([f"{view} = {m}.reshape(-1)", f"{view} *= 0.75"])
    return [ind + line for line in r.choice(opts)]


def stack_stmt(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    """A local Python list: a stack filled in a loop and drained by ``pop``
    (in a ``while`` on the list, or a counted loop), possibly tested in an
    ``if`` before it is drained; a list filled by index; a list written out
    with values (refused where they carry derivatives)."""
    r, s = g.rng, g.s
    ex.features.add("stack")
    st = ex.name("st")
    acc = r.choice(s.w_scalars)
    k = r.random()
    if k < 0.6:
        out = [ind + f"{st} = []", ind + "for i in range(n):",
               ind + f"    {st}.append({g.elem(['i'], 1)})"]
        if r.random() < 0.4:   # the memory the items came from changes before they are used
            out.append(ind + f"{r.choice(s.w_vecs)}[:] = {g.vec(1)}")
        if r.random() < 0.3:
            out.append(ind + f"if {st}:")
            out.append(ind + f"    {acc} += {g.scalar(1)}")
        if r.random() < 0.5:
            out += [ind + f"while {st}:", ind + f"    {acc} = {acc} * {r.choice(['0.7', '0.5', '-0.3'])} + {st}.pop()"]
        else:
            out += [ind + "for i in range(n):", ind + f"    {acc} += {st}.pop() * {g.scalar(0)}"]
        return out
    if k < 0.85 and s.n >= 1:
        return [ind + f"{st} = [0.0] * n", ind + "for i in range(n):",
                ind + f"    {st}[i] = {g.elem(['i'], 1)}",
                ind + f"{acc} += {st}[0] * {st}[n - 1]"]
    return [ind + f"{st} = [{g.scalar(1)}, {g.scalar(1)}]", ind + f"{acc} += {st}.pop() * {st}[0]"]


def boolop_stmt(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    """``a or b`` / ``a and b`` as a value (the operand chosen, with its derivative)."""
    r, s = g.rng, g.s
    ex.features.add("boolop")
    op = r.choice(["or", "and"])
    return [ind + f"{r.choice(s.w_scalars)} += ({g.scalar(1)} {op} {g.scalar(1)}) * {g.scalar(0)}"]


PARAM_VECS = ("x", "y", "a", "b")
"""The names ``generate`` gives the vector parameters (before ``rename``)."""


def list_of_arrays_stmt(g: ExprGen, ind: str, ex: Extras) -> list[str]:
    """A Python list of float arrays read by index (``pair = [u, v]; pair[0] * pair[1]``).

    Refused: the list is a float array whose items carry derivatives. One
    item is always a Duplicated parameter, so every entry point refuses
    (the tape entry points take Const arrays as differentiable too: a list of
    Const arrays only would be refused by them alone). Rare (``table``): the
    refusal takes the whole program with it.
    """
    r, s = g.rng, g.s
    ex.features.add("list-of-arrays")
    dup = [v for v in s.w_vecs if v in PARAM_VECS]
    d, o = r.choice(dup), r.choice(s.vecs)
    pair, q = ex.name("pair"), ex.name("item")
    items = [d, o] if r.random() < 0.5 else [o, d]
    head = ind + f"{pair} = [{items[0]}, {items[1]}]"
    t, w = r.choice(s.w_scalars), r.choice(s.w_vecs)
    return [head] + [ind + line for line in r.choice([
        [f"{t} += float(np.sum({pair}[0] * {pair}[1]))"],
        [f"{w}[:] += {pair}[1] * 0.5 - {pair}[0] * 0.25"],
        [f"for {q} in {pair}:", f"    {t} += float(np.sum({q} * {q})) * 0.1"],
    ])]


def table(g: ExprGen, ex: Extras) -> list[tuple[object, float]]:
    """The productions available in the current scope, with weights."""
    s = g.s
    out: list[tuple[object, float]] = [(helper_call, 2.5), (aug_view_stmt, 1.5), (newaxis_stmt, 0.8),
                                       (form_stmt, 10.0), (stack_stmt, 1.5),
                                       (boolop_stmt, 0.8), (list_of_arrays_stmt, 0.08)]
    if s.n >= 1:
        out.append((fancy_stmt, 1.0))
    if ex.ragged or ex.csr:
        out.append((ragged_loop, 2.0))
    if any("cfg" in v or "coef" in v for v in s.scalars):
        out.append((container_stmt, 1.0))
    return out


# ---- user names that look like generated ones ---------------------------------------

RENAMABLE = ("x", "y", "a", "b", "M", "z", "c", "s", "t", "v", "w", "av", "k", "u", "it", "i", "j", "r", "n")


def rename(source: str, params: list[Param], rng: random.Random) -> tuple[str, list[Param], dict]:
    """Rename a few names module-wide to names generated code uses."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    present = {t.string for t in tokens if t.type == tokenize.NAME}
    pnames = {p.name for p in params}
    pool = ["_t1", "_tmp", "_tape", "dret", "_ret", "_c1", "_n1", "_s1_x", "_d_x", "_t2", "_d_ret", "_s2_a"]
    pool += [f"d{p}" for p in pnames if len(p) == 1 and p.islower()]
    pool = [q for q in pool if q not in present]
    cands = [q for q in RENAMABLE if q in present]
    rng.shuffle(cands)
    rng.shuffle(pool)
    mapping = dict(zip(cands[:rng.randint(2, 5)], pool))
    # a name `dx` is only interesting next to a parameter `x` that keeps its name
    mapping = {k: v for k, v in mapping.items() if not (v.startswith("d") and v[1:] in mapping)}
    out, prev = [], None
    for t in tokens:
        if t.type == tokenize.NAME and t.string in mapping and not keyword.iskeyword(t.string) \
                and not (prev is not None and prev.string == "."):
            t = t._replace(string=mapping[t.string])
        out.append(t)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            prev = t
    new = tokenize.untokenize(out)
    new_params = [Param(mapping.get(p.name, p.name), p.kind, p.activity, p.shape, p.value, p.data) for p in params]
    return new, new_params, mapping
