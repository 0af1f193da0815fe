"""fence: refuse what is not supported, early, with location and a way out.

Contract: ``fence(pf, resolver)`` raises an ``UnsupportedSyntaxError`` at the
first construct outside the supported subset and returns None otherwise. It
never mutates the tree.
"""
from __future__ import annotations

import ast

from ..codegen.naming import is_generated
from ..errors import UnsupportedSyntaxError
from . import attempts
from .resolve import JITTED

_REFUSED = {
    ast.With: ("with (other than np.errstate setting warnings only)",
               "move the context manager outside the differentiated function."),
    ast.AsyncWith: ("async with", "differentiate a plain function."),
    ast.AsyncFor: ("async for", "differentiate a plain function."),
    ast.Await: ("await", "differentiate a plain function."),
    ast.Yield: ("yield", "write results into an output array instead of yielding."),
    ast.YieldFrom: ("yield from", "write results into an output array instead."),
    ast.Lambda: ("a lambda other than `g = lambda ...` at the top of the function's body",
                 "bind it to a name at the top of the function's body and call it by that name, or use `def`."),
    ast.SetComp: ("set comprehension", "write a `for` loop."),
    ast.DictComp: ("dict comprehension", "write a `for` loop."),
    ast.Global: ("global", "pass the value as an argument (Duplicated if it is an array you write)."),
    ast.Nonlocal: ("nonlocal", "pass the value as an argument."),
    ast.FunctionDef: ("a nested def that is not lifted (inside a `try`)",
                      "define it at the top level of the function's body (it becomes a helper) or at module level."),
    ast.AsyncFunctionDef: ("nested async def", "define helpers at module level."),
    ast.ClassDef: ("class definition", "define classes outside the differentiated function."),
    ast.Delete: ("this del (of an element, or of a name a later line reads before binding it again)",
                 "let the variable go out of scope, or bind it again before reading it."),
    ast.Import: ("import inside the function", "import at module level."),
    ast.ImportFrom: ("import inside the function", "import at module level."),
    ast.NamedExpr: ("assignment expression (:=)", "assign in a separate statement."),
    ast.Starred: ("starred expression", "pass arguments explicitly."),
    ast.Dict: (("this dict display (a dict is taken where it is written out whole, with constant string keys, and "
                "read or written only as d[\"key\"] with those keys)"),
               "write every key in the display and read the dict only as d[\"key\"], or use separate variables."),
    ast.Set: ("set display", "use arrays or separate variables."),
    ast.Match: ("match statement", "use if/elif/else."),
}
if hasattr(ast, "TryStar"):
    _REFUSED[ast.TryStar] = ("try/except*", "move error handling outside the differentiated function.")


def _err(pf, node, what, hint):
    seg = ast.unparse(node).splitlines()[0] if not isinstance(node, (ast.stmt,)) or isinstance(node, (ast.Global, ast.Nonlocal, ast.Delete, ast.Import, ast.ImportFrom)) else what
    if isinstance(node, ast.FunctionDef):
        seg = pf.line_text(node.lineno) or what
    raise UnsupportedSyntaxError(
        f"{what} is not supported in a differentiated function.",
        filename=pf.filename, lineno=getattr(node, "lineno", None),
        col=getattr(node, "col_offset", None), construct=seg[:80], hint=hint)


def fence(pf, resolver) -> None:
    tree = pf.tree
    a = tree.args
    if a.vararg or a.kwarg or a.kwonlyargs:
        raise UnsupportedSyntaxError(
            "*args, **kwargs, and keyword-only parameters without a default after ones with a default "
            "(or after positional ones with defaults), are not supported.",
            filename=pf.filename, lineno=tree.lineno, construct=f"def {tree.name}(...)",
            hint="use plain positional parameters, or put the keyword-only ones without a default first.")
    jitted = getattr(pf.func, "__code__", None) in JITTED
    for node in ast.walk(tree):
        if node is tree:
            continue
        kind = type(node)
        if kind in _REFUSED:
            what, hint = _REFUSED[kind]
            _err(pf, node, what, hint)
        if isinstance(node, ast.Try) and attempts.refusal(node) is not None:
            _err(pf, node, *attempts.refusal(node))
        if isinstance(node, ast.Name) and node.id.startswith("_ad_") and not is_generated(pf.filename):
            _err(pf, node, f"the name `{node.id}` (the `_ad_` prefix is reserved)", "rename the variable.")
        if isinstance(node, ast.Name) and node.id == "object" and isinstance(node.ctx, ast.Load) \
                and _means_object(resolver):   # (dt = object: a dtype through a name)
            _err(pf, node, "the type `object` as a value (a dtype of objects, whose items the derivative does not "
                 "follow,)", "keep the arrays apart (a tuple or list of them).")
        if isinstance(node, ast.Call) and _object_dtype(node) is not None:
            _err(pf, _object_dtype(node), "an array of objects or of records (dtype object, `None` filled in, or a "
                 "structured dtype), whose items the derivative does not follow,",
                 "keep the arrays apart (a tuple or list of them), or one float array per field.")
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            _err(pf, node, "assignment to an attribute", "store into an array argument instead.")
        if isinstance(node, ast.AugAssign) and jitted and _reads_own_view(node):
            raise UnsupportedSyntaxError(
                "in a function numba compiles, this in-place update reads a view of the array it writes: numba "
                "updates element by element, reading elements it has already updated, where numpy reads the "
                "operand first, so the compiled function and its Python source compute different things.",
                filename=pf.filename, lineno=node.lineno, col=node.col_offset, construct=ast.unparse(node)[:80],
                hint="copy the operand (`x[1:] += x[:-1].copy()` means the same in both), or write the loop.")
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            base = node.value
            while isinstance(base, ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name) and not resolver.is_local(base.id):
                _err(pf, node, f"writing into `{base.id}`, which is not an argument or local variable",
                     "pass the array as an argument (Duplicated to differentiate it, Const otherwise).")
            if isinstance(node.value, ast.Subscript):
                _err(pf, node, "a chained subscript store", "index with one subscript, e.g. `x[i, j] = v`.")
            if isinstance(base, ast.Attribute) and base.attr == "flat":
                _err(pf, node, f"a store through `.flat` (`{ast.unparse(node)}`)",
                     "index the array by its axes: x.flat[::n + 1] (the diagonal) as x[np.diag_indices(n)] or "
                     "np.fill_diagonal(x, v), x.flat[k] of a 2-D x as x[k // m, k % m].")
            if not isinstance(base, ast.Name):
                _err(pf, node, "a store into an expression", "store into a named array.")


def _reads_own_view(node: ast.AugAssign) -> bool:
    """Whether ``x[...] op= e`` takes for ``e`` a view of the array it writes (``x[1:] += x[:-1]``,
    ``x += x.T``): numba reads it while it writes. An operand computed first (``2 * x[:-1]``,
    ``x[:-1].copy()``) is a new array in both."""
    root = node.target
    while isinstance(root, (ast.Subscript, ast.Attribute)):
        root = root.value
    if not isinstance(root, ast.Name):
        return False
    n = node.value
    if not isinstance(n, (ast.Subscript, ast.Attribute)):
        return False
    base = n.value
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value
    sliced = isinstance(n, ast.Subscript) and any(isinstance(i, ast.Slice) for i in ast.walk(n.slice))
    # (an element, ``x[i] += x[i - 1]``, is read before the update: the same in both)
    return isinstance(base, ast.Name) and base.id == root.id and (
        isinstance(n, ast.Attribute) and n.attr in ("T", "mT") or sliced)


def _object_dtype(call: ast.Call):
    """The argument of ``call`` that makes an array of objects or of records (``dtype=object``,
    ``np.empty(n, "O")``, ``x.astype(object)``, ``np.full(n, None)``, ``dtype=[("a", "f8")]``,
    ``"f8,i4"``), or None."""
    f = call.func
    root = f
    while isinstance(root, ast.Attribute):
        root = root.value
    numpy_call = isinstance(root, ast.Name) and root.id in ("np", "numpy")
    keyword = [k.value for k in call.keywords if k.arg == "dtype"]
    given = list(keyword)
    if numpy_call or isinstance(f, ast.Attribute) and f.attr == "astype":   # (a dtype given by position)
        given += call.args[0 if isinstance(f, ast.Attribute) and f.attr == "astype" else 1:]
    if numpy_call and isinstance(f, ast.Attribute) and f.attr in ("full", "full_like") and not keyword \
            and len(call.args) <= 2:   # (a None filled in without a dtype: an array of objects)
        fill = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "fill_value"), None)
        if isinstance(fill, ast.Constant) and fill.value is None:
            return fill
    for d in given:
        if isinstance(d, ast.Name) and d.id == "object" or isinstance(d, ast.Attribute) and d.attr in (
                "object_", "void") or isinstance(d, (ast.List, ast.Dict)) and any(d is k for k in keyword) \
                or isinstance(d, ast.Constant) and isinstance(d.value, str) and (
                    "," in d.value or d.value.lstrip("|<>=").startswith(("O", "V", "object"))):
            return d
    return None


def _means_object(resolver) -> bool:
    """Whether the name ``object`` in the function is Python's ``object``."""
    try:
        return not resolver.is_local("object") and resolver.lookup("object") is object
    except UnsupportedSyntaxError:
        return False
