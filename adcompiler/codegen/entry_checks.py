"""entry_checks: the argument check at the top of each public function of an emitted
module (``adcompiler emit``, both targets): ``_ad_expect_arguments``, whose source the
module carries, refuses arrays of another shape, rank, dtype or layout than the module
was generated for, arrays that share memory, and arrays whose elements do, before
anything runs (``autodiff`` refuses the same calls)."""
from __future__ import annotations

import ast

from ..runtime.views import RULE_SHAPE, WHY


def _tuple(items: list) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


EXPECT = "_ad_expect_arguments"

EXPECT_SOURCE = '''def _ad_expect_arguments(func, arrays, scalars, consts=(), double=False):
    """Refuse arguments this module was not generated for, before anything runs.

    ``arrays``: ``(name, value, shadow name, shadow, rank or None[, "c"])`` of
    each Duplicated argument ("c": generated for complex arrays, else float);
    ``scalars``: ``(name, value[, "c"])`` of each Active one ("c": generated for complex
    numbers); ``consts``: ``(name, value[, "i"])`` of each Const one (an array among them must not
    share memory with the others; "i": an index array, whose elements meet no arithmetic; "n": an
    int, which a float given for it is not);
    ``double``: compiled by numba, which computes narrower floats in double precision and
    narrower integers at 64 bits (numpy keeps their width): refused, but index arrays' ints."""
    if double:
        for name, v, *index in [row[:2] for row in arrays] + [row[2:4] for row in arrays] \
                + [row[:2] for row in scalars] + list(consts):
            dt = getattr(v, "dtype", None)
            if dt is not None and (dt.kind in "fc" and dt.itemsize < (16 if dt.kind == "c" else 8)
                                   or dt.kind == "u" or dt.kind == "i" and dt.itemsize < 8 and index != ["i"]):
                raise TypeError(
                    f"{func}: `{name}` is {dt}: this module is compiled by numba, which computes narrower "
                    f"floats in double precision and narrower integers at 64 bits, where numpy keeps their "
                    f"width (the values, and the branches taken on them, could differ from the function's). "
                    f"Pass {'float64' if dt.kind == 'f' else 'complex128' if dt.kind == 'c' else 'int64'} "
                    f"values (`{name}.astype(...)`), or emit the module for the numpy target.")
    for name, v, *flag in consts:
        if flag == ["n"] and not isinstance(v, (int, np.integer)):
            raise TypeError(
                f"{func}: `{name}` is an int in this module (its type hint or default), not "
                f"{type(v).__name__}: numba's code would take the number as it is where the function, run "
                f"by Python, could refuse it (range({v!r})). Pass an int.")
    for name, x, sname, dx, ndim, *dtype in arrays:
        kind = dtype[0] if dtype else "f"
        for what, v in ((name, x), (sname, dx)):
            if not isinstance(v, np.ndarray) or v.dtype.kind != kind:
                got = f"an array of dtype {v.dtype}" if isinstance(v, np.ndarray) else type(v).__name__
                raise TypeError(
                    f"{func}: `{name}` is differentiated as an array (Duplicated), so `{what}` must be a "
                    f"{'complex' if kind == 'c' else 'float'} numpy array, not {got}. Pass an array and its "
                    f"shadow array `{sname}` (same "
                    f"shape and dtype), or, for a float scalar, emit the module again with `--active "
                    f"{name}` to make `{name}` an Active scalar (or `--const {name}`)"
                    + (f"; for a complex array, with `--shape {name}=...:complex128`." if kind == "f" and
                       isinstance(v, np.ndarray) and v.dtype.kind == "c" else "."))
        if dx.shape != x.shape or dx.dtype != x.dtype:
            raise ValueError(
                f"{func}: the shadow `{sname}` (shape {dx.shape}, {dx.dtype}) does not match `{name}` "
                f"(shape {x.shape}, {x.dtype}). Pass a shadow of the same shape and dtype.")
        if ndim is not None and x.ndim != ndim:
            raise ValueError(
                f"{func}: `{name}` has {x.ndim} dimension(s), but this module was generated for {ndim} "
                f"(--shape {name}=...). Emit the module again with the right --shape.")
        if x.size and any(n > 1 and s != t for n, s, t in zip(x.shape, x.strides, dx.strides)):
            raise ValueError(
                f"{func}: the shadow `{sname}` steps through memory otherwise than `{name}` (strides "
                f"{dx.strides}, not {x.strides}): it follows `{name}`'s views, and a reshape that views one "
                f"and copies the other would lose its writes. Pass a shadow in `{name}`'s layout "
                f"(np.zeros_like({name}) of a contiguous `{name}`).")
    for name, v, *_ in [row[:2] for row in arrays] + [row[2:4] for row in arrays] + list(consts):
        for u in [v] + ([*v.values()] if isinstance(v, dict) else list(v) if isinstance(v, (list, tuple)) else []):
            if isinstance(u, np.ndarray) and type(u) is not np.ndarray:
                raise TypeError(
                    f"{func}: `{name}` is or holds a {type(u).__name__}, a subclass of numpy's array whose "
                    f"operators mean other things (np.matrix multiplies with *, a masked array skips its mask). "
                    f"Pass np.asarray({name}) (with the masked values filled first).")
    # the derivative takes the arrays for separate memory (autodiff refuses such arguments too)
    held = [(n, v) for row in arrays for n, v in (row[:2], row[2:4])]
    for k, (a, u) in enumerate(held):
        for b, v in held[k + 1:] + [(n, v) for n, v, *_ in consts if isinstance(v, np.ndarray)]:
            if np.may_share_memory(u, v) and np.shares_memory(u, v):
                raise ValueError(
                    f"{func}: `{a}` and `{b}` share memory; this module takes separate arrays for the "
                    f"differentiated arguments and their shadows. Pass a copy of one of them.")
    for name, v in held:   # (a sliding window, as_strided: elements that are one place in memory)
        if v.size <= 1 or v.flags.c_contiguous or v.flags.f_contiguous:
            continue
        reach = v.itemsize
        for step, n in sorted((abs(s), n) for s, n in zip(v.strides, v.shape) if n > 1):
            if step < reach:
                raise ValueError(
                    f"{func}: elements of `{name}` share memory (a sliding window, a broadcast, as_strided); "
                    f"this module takes each element for memory of its own. Pass a copy (np.array({name})).")
            reach += step * (n - 1)
    for name, v, *dtype in scalars:
        if isinstance(v, np.ndarray) and v.ndim > 0:
            raise TypeError(
                f"{func}: `{name}` is Active (a float scalar), not an array of shape {v.shape}. Pass a "
                f"float, or emit the module again with `--dup {name}` (or `--const {name}`).")
        if not dtype and np.iscomplexobj(v):
            raise TypeError(
                f"{func}: `{name}` is complex, but this module was generated for a real number (its "
                f"derivative would be wrong). Emit the module again with `--shape {name}=:complex128` (or "
                f"annotate `{name}: complex`).")
'''


def add_entry_checks(source: str, functions: list, arrays: list, scalars: list, ranks: dict,
                     scalar_tangents: bool = False, complex_arrays=(), consts=(), complex_scalars=(),
                     double: bool = False, index_arrays=(), int_scalars=()) -> str:
    """``source`` with a call of the argument check at the top of each function in
    ``functions``. ``arrays`` names the Duplicated parameters (each is followed by
    its shadow in the generated signature), ``scalars`` the Active ones (followed
    by their scalar tangent when ``scalar_tangents``, in forward mode);
    ``complex_arrays`` the Duplicated ones the module was generated complex for (``complex_scalars``
    the Active ones);
    ``consts`` the Const ones (checked not to share memory with the others); ``double``: the
    module is numba's (narrower dtypes refused, but in ``index_arrays``: Const integer arrays
    whose elements only index, bound ranges and slices, or are compared; ``int_scalars``: Const
    ints, a float given for one refused: numba's code, typed for the float, truncates it where
    Python raises, ``range(2.5)``)."""
    tree = ast.parse(source)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in functions}
    lines = source.split("\n")
    inserts = []
    for name in functions:
        node = defs.get(name)
        if node is None:
            continue
        args = [a.arg for a in node.args.args]
        pairs, singles = [], []
        for k, a in enumerate(args[:-1]):
            if a in arrays:
                dtype = ", 'c'" if a in complex_arrays else ""
                pairs.append(f"({a!r}, {a}, {args[k + 1]!r}, {args[k + 1]}, {ranks.get(a)!r}{dtype})")
        for k, a in enumerate(args):
            if a in scalars:
                flag = ", 'c'" if a in complex_scalars else ""
                singles.append(f"({a!r}, {a}{flag})")
                if scalar_tangents and k + 1 < len(args):
                    singles.append(f"({args[k + 1]!r}, {args[k + 1]}{flag})")
        others = [f"({a!r}, {a}" + (", 'i')" if a in index_arrays else ", 'n')" if a in int_scalars else ")")
                  for a in args if a in consts]
        if not pairs and not singles and not others:
            continue
        row = node.lineno - 1
        while not lines[row].rstrip().endswith(":"):
            row += 1   # (a signature ast.unparse wrapped)
        tail = ([_tuple(others)] if others or double else []) + (["double=True"] if double else [])
        call = f"    {EXPECT}({', '.join([repr(name), _tuple(pairs), _tuple(singles)] + tail)})"
        if len(call) > 100:
            call = "\n".join([f"    {EXPECT}(", f"        {name!r},", f"        {_tuple(pairs)},",
                               f"        {_tuple(singles)},"] + [f"        {t}," for t in tail] + ["    )"])
        inserts.append((row + 1, [call]))
    for row, text in sorted(inserts, reverse=True):
        lines[row:row] = text
    return "\n".join(lines)


#: a numba module's errors: for arguments numba cannot type (where the arguments' types were not known
#: when it was written, its typing could not be checked then)
_NUMBA_ERRORS = '''def _ad_untyped(func, e):
    """numba's typing error at the first call, as a readable TypeError."""
    first = next((ln.strip() for ln in str(e).splitlines() if ln.strip() and not ln.startswith("Failed in")), "")
    return TypeError(
        f"{func}: numba cannot compile this module's code for these arguments ({first}). Emit the module "
        f"again with each array argument's shape (--shape NAME=DIMS), which checks numba's typing when the "
        f"module is written and names the line it refuses, or emit it for the numpy target.")


def _ad_ran(func, e):
    """An error numba's compiled code raised running, as a readable one: a check's, which
    carries its tag and the line (file, line, source text) only, or numba's own limit."""
    a, why = e.args, _AD_WHY
    if isinstance(e, ValueError) and len(a) == 4 and a[0] in why:
        return ValueError(f"{a[1]}:{a[2]}: `{a[3]}`: {why[a[0]]}")
    if isinstance(e, ValueError) and len(a) == 2 and a[0] == _AD_RULE_SHAPE:
        return ValueError(f"{func}: {a[1]}")
    if isinstance(e, NotImplementedError):
        return ValueError(
            f"{func}: numba could not run this module's code on these arguments (numba: {e}; its reshape, "
            f"for one, takes contiguous arrays only); it stopped partway, and the arrays it writes may be "
            f"partly updated. Pass C-contiguous arrays (np.ascontiguousarray), or emit the module for the "
            f"numpy target.")
    return e'''

#: (the tags and what they say written in)
NUMBA_ERRORS = _NUMBA_ERRORS.replace("_AD_WHY", repr(WHY)).replace("_AD_RULE_SHAPE", repr(RULE_SHAPE))
