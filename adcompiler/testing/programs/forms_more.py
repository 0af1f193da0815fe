"""Forms of ``forms.form_stmt`` for what the other forms never reach of the
compiler (measured with ``tools/fuzz_coverage.py``): complex values made from
real ones (``u + 1j * v``, ``np.exp(1j * u)``, the FFT, ``.real``/``.imag``
read and written through, ``np.abs``/``np.angle``/``np.conj``/``np.vdot``);
reductions and ufuncs with ``where=`` (``np.sum(u, where=m)``, ``np.max(u,
where=m, initial=...)``, ``np.add(u, v, out=w, where=m)``); ufunc keywords
and methods (``np.clip`` with ``a_min=``/``a_max=``, ``u.clip(min=...)``,
``out`` by position, ``np.negative.at``, ``np.multiply.at``,
``np.add.outer``, ``np.where(m)`` of one argument, ``np.fill_diagonal``); module-level values
the kernel reads (numbers, ``np.float64``, tuples, lists, arrays, a numpy
function bound to a name, ``from numpy import ... as ...``) and module-level
functions it calls without differentiating them (an integer count, a
string argument); ``np.einsum`` (traces, diagonals, contractions, implicit
output, ``optimize=``) and helpers returning numpy's read-only views
(``np.diag``, ``np.broadcast_to``, ``np.einsum('ii->i', m)``); helpers that
return early or return nothing, ``while True`` left by ``break``; in-place
updates whose operand is a named view of the array updated (``v = w[1:];
w[:-1] += v``); integer remainders and quotients of negative numbers in
element loops (``np.fmod(i - 2, 3)``, ``(2 - i) // 3``); integer arrays
(``np.full(n, 2)``, ``np.arange(n)``) that floats are stored into (numpy
truncates them); slice stores in loops whose bounds are computed on the line
(``w[j % m:j % m + 2] = ...``).

Each reads only names of the scope and writes only writable ones; values
stay smooth (``np.angle`` of a value with a positive real part, ``np.abs``
of a complex value away from zero, variances rather than standard
deviations under a mask)."""
from __future__ import annotations

from .exprs import ExprGen
from .forms_silent import _pick


def f_complex(g: ExprGen, ex):
    """Complex intermediates of real arrays; real results written back."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    z, q = ex.name("z"), ex.name("zq")
    opts = [
        [f"{z} = {u} + 1j * {v}", f"{t} += float(np.sum(np.abs({z}) ** 2)) * 0.5"],
        [f"{z} = np.exp(1j * {u}) * (1.0 + 0.5 * np.tanh({v}))", f"{w}[:] += {z}.real * 0.5 - {z}.imag * 0.25"],
        [f"{z} = np.fft.fft({u})", f"{t} += float(np.sum(np.abs({z}) ** 2)) * 0.1"],
        [f"{z} = np.fft.rfft({u} * {v})", f"{t} += float(np.sum({z}.real)) * 0.25"],
        [f"{z} = np.fft.ifft(np.fft.fft({u}) * 0.5)", f"{w}[:] += np.real({z})"],
        [f"{z} = np.fft.irfft(np.fft.rfft({u}) * 0.5, n)", f"{w}[:] += {z} * 0.5"],
        [f"{z} = (2.0 + np.tanh({u}) + 0.5j * np.tanh({v})) * (0.5 - 0.25j)",
         f"{t} += float(np.sum(np.angle({z}))) * 0.5"],
        [f"{z} = np.zeros(n, dtype=np.complex128)", f"{z}[:] = {u} + 1j * {v}", f"{z} *= 1j",
         f"{w}[:] += np.imag({z}) * 0.5"],
        [f"{z} = {u} + 1j * {v}", f"{t} += float(np.vdot({z}, {z}).real) * 0.25"],
        [f"{z} = {u} + 1j * {v}", f"{q} = np.conj({z}) * {z}", f"{t} += float(np.sum({q}.real)) * 0.5"],
        [f"{z} = {u} + 1j * {v}", f"{t} += float(({z} @ {z}).imag) * 0.5"],
        [f"{z} = np.exp(1j * {u})", f"{t} += float(np.sum({z} * np.conj({z}[::-1])).real) * 0.5"],
        [f"{z} = {u} * (1.0 + 0.5j)", f"{q} = {z}.imag", f"{q} *= 0.5", f"{w}[:] += {z}.real + {z}.imag"],
        [f"{z} = {u} + 1j * {v}", f"{w} += {z}.real * {z}.imag * 0.25"],
    ]
    if s.n >= 1:
        opts.append([f"{z} = {u} * (1.0 + 0.5j)", f"{q} = {z}.real", f"{q}[0] = {v}[n - 1]",
                     f"{t} += float(np.sum({z}.real * {z}.imag)) * 0.5"])
    return r.choice(opts)


def f_masked(g, ex):
    """Reductions and ufuncs with ``where=`` (and ``initial=``)."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    m = ex.name("wm")
    cond = r.choice([f"{v} > 0.0", f"{u} < 0.5", f"np.abs({v}) > 0.1"])
    return r.choice([
        [f"{t} += float(np.sum({u} * {v}, where={cond})) * 0.5"],
        [f"{m} = {cond}", f"{t} += float(np.max({u}, where={m}, initial=-2.0)) * 0.5"],
        [f"{t} += float(np.amax({u}, axis=0, where={cond}, initial=-5.0)) * 0.25"],
        [f"{m} = np.ones(n, dtype=bool)", f"{m}[::2] = ({cond})[::2]",
         f"{t} += float(np.mean({u} * {v}, where={m})) * 0.5"],
        [f"{m} = {cond}", f"{t} += float(np.var({u}, where={m})) * 0.5"],
        [f"{t} += float(np.prod(1.0 + 0.25 * np.tanh({u}), where={cond})) * 0.5"],
        [f"{t} += float(np.sum({u}, initial=0.5)) * 0.25"],
        [f"np.add({u}, {v}, out={w}, where={cond})"],
        [f"np.tanh({u}, out={w}, where={cond})"],
        [f"np.maximum({u}, {v}, out={w}, where=np.abs({u} - {v}) > 0.1)"],
    ])


def f_ufunc_kw(g, ex):
    """``np.clip`` bounds by keyword, ``out`` by position and of a view, the
    methods ``at`` and ``outer`` (also into a view), ``np.where`` of one
    argument, ``np.fill_diagonal``, a join of one array."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    k = ex.name("uk")
    opts = [
        [f"{w}[:] = np.clip({u}, a_min=-0.5, a_max=0.5)"],
        [f"{w}[:] = {u}.clip(min=-0.5) * 0.5"],
        [f"{w}[:] = np.clip({u}, -0.5, a_max=0.75)"],
        [f"{t} += float(np.sum({u}.clip(max=0.5))) * 0.5"],
        [f"np.multiply({u}, 0.5, {w})", f"np.sin({w}, {w})"],
        [f"np.add({u}, {v}, {w})", f"np.exp({w} * 0.25, out={w})"],
        [f"np.add({u}, 0.5, out={w}[::-1])"],
        [f"np.square({u}, out={w})", f"np.multiply({w}, 0.5, out=({w},))"],
        [f"{k} = np.add.outer({u}, {v})", f"{t} += float(np.sum(np.tanh({k}))) * 0.5"],
        [f"{k} = np.multiply.outer({u}, {v})", f"{w}[:] += {k}.sum(axis=0) * 0.25"],
        [f"{k} = np.where({u} > 0)", f"{w}[{k}] *= 0.5"],
        [f"{k} = np.where({u} > 0)[0]", f"{t} += float(np.sum({v}[{k}])) * 0.5"],
        [f"np.negative.at({w}, [0, n - 1])"],
        [f"np.add.at({w}, np.array([0, n - 1, 0]), {u}[[0, n - 1, 0]] * 0.5)"],
        [f"np.multiply.at({w}, [0, n - 1, n - 1], 0.75)"],
        [f"np.subtract.at({w}, np.array([n - 1]), {u}[:1])"],
        [f"np.add.at({w}[::-1], [0, 0], 0.5)"],          # (writers of a view of the array)
        [f"np.negative.at({w}[::2], [0])"],
        [f"np.put({w}[::-1], [0], {u}[0] * 0.5)"],
        [f"{k} = np.outer({u}, {v}) * 0.5", f"np.fill_diagonal({k}, {r.choice(['1.0', u])})",
         f"{t} += float(np.sum({k} * {k})) * 0.1"],
        [f"{w}[:] += np.concatenate(({u},)) * 0.5"],
    ]
    return r.choice(opts)


def f_globals(g, ex):
    """Module-level values the kernel reads and functions it calls undifferentiated."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    name = ex.name("K_")
    weights = ", ".join(repr(r.choice([0.5, -0.25, 1.0, 0.75])) for _ in range(s.n))
    opts = [
        ([f"{name}SCALE = 0.5", f"{name}OFFSET = np.float64(0.25)"],
         [f"{t} += {name}SCALE * float(np.sum({u})) + {name}OFFSET"]),
        ([f"{name}W = np.array([{weights}])"], [f"{w}[:] += {name}W * {u}"]),
        ([f"{name}PAIR = (0.5, 0.25)", f"{name}LIST = [0.5, -0.25, 1.0]"],
         [f"{t} += {name}PAIR[0] * float(np.sum({u})) + {name}PAIR[1] * {name}LIST[1]"]),
        ([f"{name}squash = np.tanh"], [f"{w}[:] = {name}squash({u}) * 0.5"]),
        ([f"def {name}count(a):", "    return int(np.sum(a > 0))", "", ""],
         [f"{t} += {name}count({v}) * 0.25 * float(np.sum({u}))"]),
        ([f"{name}STEPS = 2", f"{name}DECAY = 0.9"],
         [f"for _ in range({name}STEPS):", f"    {w}[:] = {w} * {name}DECAY + {u} * 0.1"]),
        ([f"def {name}sq(val):", "    return val * val + 0.5", "", ""],
         [f"{t} += float({name}sq({g.scalar(1)})) * 0.25"]),
        ([f"{name}ON = True", f"{name}OFF = False"],
         [f"{w}[:] += {u} * 0.5 if {name}ON and not {name}OFF else {u}"]),
        ([f"{name}TINY = 1e-3"], [f"{t} += {name}TINY * float(np.sum({u}))"]),
        ([f"from numpy import exp as {name}exp"], [f"{w}[:] += {name}exp({u} * 0.25) * 0.5"]),
        ([f"def {name}scale(label):", "    return 0.5 if label == 'a' else 1.0", "", ""],
         [f"{w}[:] += np.sin({u}) * {name}scale('a')"]),
    ]
    if s.n >= 2:
        opts.append(([f"{name}M = np.array([[0.5, 0.25], [-0.5, 1.0]])"],
                     [f"{t} += float(np.sum({name}M @ {u}[:2])) * 0.5"]))
    module, body = r.choice(opts)
    ex.helpers += module + ([] if module[-1] == "" else ["", ""])
    return body


def f_einsum(g, ex):
    """``np.einsum`` and helpers returning numpy's read-only views of their argument."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    v = r.choice(s.vecs)
    a, d, h = ex.name("ea"), ex.name("ed"), ex.name("hview")
    square = f"{a} = np.outer({u}, {v}) + np.eye(n)"
    opts = [
        [square, f"{t} += float(np.einsum('ii->', {a})) * 0.5"],
        [square, f"{d} = np.einsum('ii->i', {a})", f"{t} += float(np.sum({d} * {u})) * 0.5"],
        [f"{t} += float(np.einsum('i,i->', {u}, {v})) * 0.5"],
        [f"{t} += float(np.einsum('i,i', {u}, {v})) * 0.25"],
        [f"{a} = np.outer({u}, {v})", f"{w}[:] += np.einsum('ij,j->i', {a}, {u}) * 0.1"],
        [f"{a} = np.outer({u}, {v})", f"{d} = np.einsum('ij', {a})", f"{t} += float(np.sum({d} * 0.5))"],
        [f"{a} = np.outer({u}, {v})", f"{t} += float(np.einsum('ij,ij->', {a}, {a}, optimize=True)) * 0.1"],
    ]
    helpers = [
        ([f"def {h}(m):", "    return np.diag(m)"], [square, f"{d} = {h}({a})", f"{t} += float(np.sum({d} * {u}))"]),
        ([f"def {h}(m):", "    return np.einsum('ii->i', m)"],
         [square, f"{d} = {h}({a})", f"{t} += float(np.sum({d} * {v})) * 0.5"]),
        ([f"def {h}(m):", "    return np.broadcast_to(m, (2, len(m)))"],
         [f"{d} = {h}({u} * 1.0)", f"{t} += float(np.sum({d} * 0.5))"]),   # (a view: of a new array)
        ([f"def {h}(m):", "    return np.diag(m)"], [f"{d} = {h}({u})", f"{w}[:] += {d} @ {v} * 0.5"]),
    ]
    if r.random() < 0.4:
        module, body = r.choice(helpers)
        ex.helpers += module + ["", ""]
        return body
    return r.choice(opts)


def f_flow(g, ex):
    """Helpers that return early or return nothing (bare ``return``,
    ``return None``), a helper given one array for two arguments it only
    reads, ``while True`` left by ``break``."""
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    h, k = ex.name("hflow"), ex.name("wk")
    helpers = [
        ([f"def {h}(out, inp):", "    if len(out) == 0:", "        return", "    out[:] += np.tanh(inp) * 0.5"],
         [f"{h}({w}, {u} * 1.0)"]),
        ([f"def {h}(out, inp):", "    out *= 0.5", "    out += inp * 0.25", "    return None"],
         [f"{h}({w}, {u} * 1.0)"]),
        ([f"def {h}(a, scale):", "    if scale > 5.0:", "        return float(np.sum(a)) * 0.5",
          "    return float(np.sum(a * a)) * scale"],
         [f"{t} += {h}({u}, 0.25)"]),
        ([f"def {h}(a, b):", "    return float(np.sum(a * np.tanh(b)))"],   # one array as both (read-only) arguments
         [f"{t} += {h}({u}, {u}) * 0.5"]),
        # a number found or None, tested by the caller (found: the first element, or never)
        ([f"def {h}(a, lim):", "    for i in range(len(a)):", "        if a[i] > lim:",
          "            return a[i] * 0.5", "    return None"],
         [f"{k} = {h}({u}, {r.choice(['-1e9', '1e9'])})", f"if {k} is {r.choice(['', 'not '])}None:",
          f"    {k} = {u}[0] * 0.25" if s.n >= 1 else f"    {k} = {t} * 0.25",
          f"{t} += {k} if {k} is not None else 0.0"]),
    ]
    if r.random() < 0.6:
        module, body = r.choice(helpers)
        ex.helpers += module + ["", ""]
        return body
    if s.n >= 1:
        return [f"{k} = 0", "while True:", f"    {w}[{k}] *= 0.9", f"    {k} += 1", f"    if {k} >= n:", "        break"]
    return [f"{k} = 0", "while True:", f"    {k} += 1", f"    {t} += 0.25", f"    if {k} >= 2:", "        break"]


def f_view_update(g, ex):
    """In-place updates whose operand is a named view of the array updated: numpy
    reads a copy of the operand where they overlap."""
    r = g.rng
    u, w, _ = _pick(g)
    v, k = ex.name("vv"), ex.name("vk")
    return r.choice([
        [f"{v} = {w}[::-1]", f"{w} += {v}"],
        [f"{v} = {w}[1:]", f"{w}[:-1] -= {v}"],
        [f"{v} = {w}[:-1]", f"{w}[1:] += {v}"],
        [f"{v} = {w}[1:]", f"{k} = {w}[:-1]", f"{k} += {v}"],
        [f"{v} = {w}[:]", f"{w} -= {v} * {u}"],
        [f"{v} = {w}[::-1]", f"{w}[:] = {v}"],
    ])


def f_int_signs(g, ex):
    """Integer remainders and quotients of negative numbers in an element loop
    (numpy's and Python's rules differ from C's)."""
    r = g.rng
    u, w, _ = _pick(g)
    i = ex.name("ii")
    e = r.choice([f"np.fmod({i} - 2, 3)", f"np.fmod(1 - {i}, -2)", f"({i} - 3) % 4", f"(2 - {i}) // 3",
                  f"np.remainder({i} - 3, 2)", f"np.floor_divide(1 - {i}, 2)", f"int(({i} - 2.5) / 2)",
                  f"-{i} % -3", f"np.mod(2 - {i}, 3)", f"abs({i} - 2) // 2"])
    return [f"for {i} in range(n):", f"    {w}[{i}] += 0.1 * ({e}) * {u}[{i}]"]


def f_int_store(g, ex):
    """An integer array a float is stored into: numpy truncates it (no derivative)."""
    r = g.rng
    u, w, _ = _pick(g)
    k = ex.name("ki")
    make = r.choice(["np.full(n, 2)", "np.arange(n)", "np.zeros(n, dtype=np.int64)", "np.ones(n, dtype=int)"])
    return [f"{k} = {make}", f"{k}[n - 1] = {u}[0] * 2.5 + 7.25", f"{w}[:] += {k} * {u} * 0.25"]


def f_computed_window(g, ex):
    """Slice stores in a loop whose bounds are integer arithmetic on the line (a
    different region each step)."""
    r = g.rng
    u, w, _ = _pick(g)
    j = ex.name("jw")
    lo = r.choice([f"({j} * 3) % (n - 1)", f"(n - 2 - {j}) % (n - 1)", f"{j} % (n - 1)"])
    value = r.choice([f"{u}[{lo}:{lo} + 2] * {w}[{lo}:{lo} + 2]", f"np.sin({u}[{lo}:{lo} + 2]) + {w}[{lo}:{lo} + 2]",
                      f"{u}[{lo}:{lo} + 2] * 0.5"])
    return [f"for {j} in range(n):", f"    {w}[{lo}:{lo} + 2] = {value}"]


def f_value_list(g, ex):
    """Lists of values that carry derivatives: built by appends, a comprehension or
    written out; read by items, ``sum``, loops over them and ``np.array``, the name
    rebound to that array."""
    r = g.rng
    u, w, t = _pick(g)
    L, i, v = ex.name("vl"), ex.name("il"), ex.name("vi")
    build = r.choice([
        [f"{L} = []", f"for {i} in range(n):", f"    {L}.append({u}[{i}] * {w}[{i}] + 0.5)"],
        [f"{L} = [np.tanh({u}[{i}]) for {i} in range(n)]"],
        [f"{L} = []", f"for {i} in range(n):", f"    {L}.append(0.5 * {u}[{i}] + 0.25 * ({L}[-1] if {i} > 0 else 0.0))"],
        [f"{L} = [{u}[0] * 0.5, {w}[n - 1] * {u}[n - 1]]"],
    ])
    use = r.choice([
        [f"{t} += sum({L}) * 0.25"],
        [f"{t} += {L}[0] * {L}[-1] * 0.5"],
        [f"for {v} in {L}:", f"    {t} += {v} * {v} * 0.25"],
        [f"{w}[0] += float(np.sum(np.array({L}) ** 2)) * 0.1"],
        [f"{t} += sum({L}, 0.5) * {L}[len({L}) - 1]"],
    ])
    return build + use


def f_loop_else(g, ex):
    """A loop's ``else:`` clause (with a ``break`` taken on some data, not on
    others), ``max``/``min`` of a generator of values with derivatives, and
    ``divmod`` of indices."""
    r = g.rng
    u, w, t = _pick(g)
    i, j, q, m = ex.name("ie"), ex.name("je"), ex.name("qe"), ex.name("me")
    stop = r.choice([f"{u}[{i}] > 1.2", f"{w}[{i}] * {u}[{i}] < -0.3", f"{i} == n - 1", "False"])
    return r.choice([
        [f"for {i} in range(n):", f"    {t} += {u}[{i}] * 0.5", f"    if {stop}:", "        break",
         "else:", f"    {t} = {t} * 1.5 + {w}[0]"],
        [f"{i} = 0", f"while {i} < n:", f"    {w}[{i}] += {u}[{i}] * {u}[{i}] * 0.25",
         f"    if {stop}:", "        break", f"    {i} += 1", "else:", f"    {w}[0] *= 2.0"],
        [f"{m} = max(abs({u}[{i}]) + 0.5 for {i} in range(n))", f"{t} += {w}[0] / {m}"],
        [f"{t} += min([{u}[{i}] * {w}[{i}] for {i} in range(n)]) * 0.5"],
        [f"for {j} in range(2 * n):", f"    {q}, {i} = divmod({j}, n)", f"    {w}[{i}] += {u}[{q}] * {u}[{i}] * 0.125"],
    ])


def f_nested(g, ex):
    """Functions defined in the body (``def``, ``g = lambda``) reading the
    enclosing function's names when called, writing into its arrays, calling
    one another (drawn at the top level of the body only)."""
    r = g.rng
    u, w, t = _pick(g)
    h, h2, i = ex.name("hn"), ex.name("hm"), ex.name("in")
    a = g.scalar(1)
    return r.choice([
        [f"def {h}(v):", f"    return {t} * v * 0.25 + np.sin(v) * 0.5", f"{w}[:] += {h}({u}) * 0.5"],
        [f"def {h}(k, c=0.5):", f"    {w}[k] += {u}[k] * {u}[k] * c", f"for {i} in range(n):", f"    {h}({i})",
         f"{h}(0, 0.25)"],
        [f"{h} = lambda v: v * v * 0.5 + {t} * 0.125", f"{t} += float(np.sum({h}({u}))) * 0.25"],
        [f"def {h2}(v):", f"    return v * 0.5 + {u}[0] * 0.25",
         f"def {h}(v):", f"    return {h2}(v) * {w}[0] + np.tanh(v)", f"{t} += float(np.sum({h}({u}))) * 0.5"],
        [f"def {h}(v):", f"    return v * {t}", f"{t} += {a} * 0.25", f"{w}[0] += {h}({u}[0]) * 0.5"],
    ])


def f_split_pieces(g, ex):
    """Pieces of ``np.split``/``np.array_split`` (views of the array) bound to a
    name and written through it, the other piece read after; pieces indexed twice."""
    r = g.rng
    u, w, t = _pick(g)
    P, p = ex.name("pl"), ex.name("pc")
    return r.choice([
        [f"{P} = np.array_split({w}, 2)", f"{p} = {P}[0]", f"{p} *= 1.5", f"{t} += float(np.sum({P}[1])) * 0.5"],
        [f"{P} = np.split({w}, [1])", f"{p} = {P}[1]", f"{p}[...] += {u}[1:] * 0.25",
         f"{t} += float(np.sum({P}[0] * {P}[0])) * 0.5"],
        [f"{P} = np.split({w}, [1])", f"{t} += float(np.sum({P}[1] * {u}[1:])) * 0.25"],
        [f"{P} = np.array_split({w}, 2)", f"{P}[0][0] *= 1.25", f"{t} += {P}[1][0] * {P}[0][0] * 0.5"],
    ])


def f_reach(g, ex):
    """Numpy code read as what it is: ``any``/``all`` of generators, ``zip`` of a
    range with an array, lists joined by ``np.vstack``/``np.concatenate``,
    ``np.meshgrid``, ``np.correlate``, ``np.vander``, a view through a name bound
    to ``slice(...)`` written in place."""
    r = g.rng
    u, w, t = _pick(g)
    i, v, L, A, B, s = (ex.name(k) for k in ("ir", "vr", "lr", "ar", "br", "sr"))
    return r.choice([
        [f"if any({u}[{i}] > 0.9 for {i} in range(n)):", f"    {t} += {u}[0] * 0.5",
         f"if all({v} > -5.0 for {v} in {w}):", f"    {t} += float(np.sum({w})) * 0.25"],
        [f"for {i}, {v} in zip(range(1, 2 * n, 2), {u}):", f"    {t} += {v} * {i} * 0.125",
         f"for {i}, {v} in zip(reversed(range(n)), {w}):", f"    {w}[{i}] += {v} * 0.25"],
        [f"{L} = []", f"for {i} in range(2):", f"    {L}.append({u} * ({i} + 0.5))",
         f"{t} += float(np.sum(np.vstack({L}) ** 2)) * 0.125"],
        [f"{t} += float(np.sum(np.concatenate([{u} * {w}[{i}] for {i} in range(2)]))) * 0.25"],
        [f"{A}, {B} = np.meshgrid({u}, {w})", f"{t} += float(np.sum({A} * {B} * {B})) * 0.125"],
        [f"{t} += float(np.sum(np.correlate({u}, {w}[:2], 'full') ** 2)) * 0.125"],
        [f"{t} += float(np.sum(np.vander({u} * 0.5, 3) * {w}[:, None])) * 0.25"],
        [f"{s} = slice(0, n - 1)", f"{v} = {w}[{s}]", f"{v} *= 1.25", f"{t} += float(np.sum({w}[{s}] * {u}[{s}])) * 0.5"],
    ])


def f_stencil(g, ex):
    """A stencil over a range: ``w[i] = c * u[i - a] + sin(u[i + b])`` (each
    iteration its own element of ``w``, neighbours of ``u`` read), whose adjoint
    adds into ``du`` at the offsets (gathered under numba where ``c`` has no
    derivative to sum); the range may start where ``u[i - a]`` counts from the
    end, and ``w`` may be ``u`` (a recurrence)."""
    r, s = g.rng, g.s
    u, w, _t = _pick(g)
    params = [v for v in s.vecs if v in ("x", "y", "a", "b", "out", "inp")]   # (their shadows are arguments)
    writable = [v for v in s.w_vecs if v in params]
    if writable and r.random() < 0.7:
        w = r.choice(writable)
        u = r.choice([v for v in params if v != w] or [u])
    a, b = r.choice([(1, 1), (2, 1), (0, 2), (3, 2), (1, 0)])
    lo, hi = r.choice([a, a, 0]), r.choice([b, b + 1])
    c = r.choice([g.scalar(0), "0.25", "1.5"])   # (a constant: no sum into a scalar's adjoint, the loop gathers)
    terms = [f"{u}[i - {a}] * {c}" if a else f"{u}[i] * 0.75",
             f"np.sin({u}[i + {b}])" if b else f"{u}[i] * 0.5", f"{u}[i] ** 2", f"{w}[i] * 0.5"]
    body = " + ".join(r.sample(terms, k=r.choice([2, 3])))
    op = r.choice(['=', '=', '+=', '-='])
    if w != u and r.random() < 0.5:
        # (w's element written from u's neighbours alone: the adjoint adds into du at two offsets and
        # resets dw[i], the loop numba's backend gathers; w read or u == w keeps it a scatter)
        body, op = " + ".join(r.sample(terms[:3], k=r.choice([2, 3]))), "="
    lines = [f"for i in range({lo}, n - {hi}):", f"    {w}[i] {op} {body}"]
    if g.s.w_mats and r.random() < 0.3:
        m, rows = r.choice(g.s.w_mats)
        k = ex.name("k")
        at = r.choice([f"{m}[{k}, i]", f"{m}[{k}][i]"])   # (chained, as code ported from lists is written)
        lines = [f"for {k} in range({rows}):", "    for i in range(1, n):",
                 f"        {at} = {m}[{k}][i] * 0.5 + {u}[i - 1] * {g.scalar(0)} + np.cos({u}[i])"]
    return lines


def f_spellings(g, ex):
    """numpy 2's array-API spellings and the functions added with them (rewritten into calls
    with rules, ``frontend/spellings.py``): running totals with ``include_initial=``, vector
    norms, ``np.vecdot``, ``max(initial=)``, ``np.ediff1d``, running maxima, ``np.partition``,
    ``np.unwrap``, and a join whose parts are written as lists of numbers."""
    r = g.rng
    u, w, t = _pick(g)
    v = r.choice(g.s.vecs)
    a = ex.name("sp")
    return r.choice([
        [f"{a} = np.cumulative_sum({u}, include_initial=True)", f"{w}[:] += {a}[1:] * 0.5 - {a}[:-1] * 0.25"],
        [f"{t} += float(np.sum(np.cumulative_prod(1.0 + 0.1 * np.tanh({u})))) * 0.25"],
        [f"{t} += float(np.linalg.vector_norm({u} + 2.5)) * 0.5", f"{t} += float(np.vecdot({u}, {v})) * 0.25"],
        [f"{t} += float(np.max({u}, initial=0.25)) + float(np.min({v}, initial=-0.25)) * 0.5"],
        [f"{w}[:] = np.ediff1d({u}, to_begin={u}[0] * 0.5) + {w} * 0.5"],
        [f"{w}[:] = np.maximum.accumulate({u}) * 0.5 + np.minimum.accumulate({v}) * 0.25"],
        [f"{w}[:] = np.partition({u} * 1.5, 1) * 0.5 + {w}"],
        [f"{w}[:] = np.unwrap({u} * 2.0) * 0.25 + {w}"],
        [f"{a} = np.concatenate(([{t} * 0.5], {u}, [{v}[0]]))", f"{w}[:] += {a}[:-2] * {a}[2:] * 0.25"],
    ])


def f_ported(g, ex):
    """Code ported from C or from lists of lists: chained subscripts (``m[k][i] += ...`` in
    element loops, into a view ``w[i:][1]``, into a fancy-indexed copy that drops the store,
    in a tuple target), ``del`` of a temporary in a loop, and a name bound to 0 that
    accumulates arrays (``acc = 0; acc += u``)."""
    r = g.rng
    u, w, t = _pick(g)
    i, j, v, A = (ex.name(k) for k in ("ip", "jp", "vp", "ap"))
    options = [
        [f"for {i} in range(n - 1):", f"    {w}[{i}:][1] += {u}[{i}] * {w}[{i}:][0] * 0.25"],   # (a view)
        [f"{w}[[0, n - 1]][0] = {u}[0] * 3.0", f"{w}[{w} > 100.0][:] = 0.0", f"{t} += {w}[::-1][0] * 0.5"],
        [f"for {i} in range(2):", f"    {v} = {u} * ({i} + 1.5)", f"    {w}[:] += {v} * 0.25", f"    del {v}"],
        [f"{A} = 0", f"for {i} in range(2):", f"    {A} += {u} * ({i} + 0.5)", f"{w}[:] += {A} * 0.25"],
        [f"{w}[0:][0], {w}[1:][0] = {w}[1] * 0.5, {w}[0:][0] * 1.5"],
    ]
    if g.s.w_mats:
        m, rows = r.choice(g.s.w_mats)
        options += [
            [f"for {i} in range({rows}):", f"    for {j} in range(1, n):",
             f"        {m}[{i}][{j}] += {m}[{i}][{j} - 1] * 0.5 + {u}[{j}] * 0.25"],
            [f"for {i} in range(min({rows}, n) - 1):",
             f"    {m}[{i}][{i} + 1], {m}[{i} + 1][{i}] = {m}[{i} + 1][{i}] * 0.5, {m}[{i}][{i} + 1] * 1.5"],
        ]
    return r.choice(options)
