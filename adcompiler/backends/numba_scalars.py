"""numba_scalars: where numba types a number otherwise than Python computes it.

numba types each assignment of a name on its own and does integer arithmetic
in int64: ``2 ** -1`` (Python: 0.5) is 0, ``x.shape[0] ** -1`` too. The
powers of a real number to an exponent not known to be a non-negative int are
written on floats (``int_powers``), the products and left shifts of Python ints checked for
int64's range (``int_products``: ``fact *= k`` was 21! wrapped); ``computed_otherwise`` finds `~` of a bool
scalar and `round(x, n)`, which numba computes otherwise; ``bool_expr`` tells a comparison or a
numpy bool by its form (numpy's bools add as a logical or, numba's as ints:
``numba_rewrite`` refuses such sums); ``int_lists`` finds the lists written out with ints, whose numba
list holds int64, and ``may_be_float`` a store that may give one a float (refused).
"""
from __future__ import annotations

import ast


def _float(e):
    return ast.Call(ast.Name("float", ast.Load()), [e], [])


def _negative_int(e) -> bool:
    """A negative int literal (``-1``, parsed as the negation of 1)."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        e = e.operand
        return isinstance(e, ast.Constant) and type(e.value) is int and e.value > 0
    return isinstance(e, ast.Constant) and type(e.value) is int and e.value < 0


def _float_base(e, kinds) -> bool:
    """A float element or number by its form: ``x[i]`` of a float array, ``np.float64(v)``, ``float(v)``,
    ``_ad_np_number(v)`` of a real number ``v``."""
    if isinstance(e, ast.Call) and ast.unparse(e.func) == "_ad_np_number" and len(e.args) == 1:
        k = kinds.get(e.args[0].id) if isinstance(e.args[0], ast.Name) else None
        return k is not None and k.cls == "float" and k.dtype != "c"
    if isinstance(e, ast.Call):
        return ast.unparse(e.func) in ("np.float64", "float")
    if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
        k = kinds.get(e.value.id)
        return k is not None and k.cls == "array" and k.dtype == "f"
    return False


def _float_array(e, kinds) -> bool:
    """A name of a float array (numba's power of its elements to a negative int raises at 0)."""
    k = kinds.get(e.id) if isinstance(e, ast.Name) else None
    return k is not None and k.cls == "array" and k.dtype == "f"


def int_powers(fn, kinds):
    """``n ** e`` (and ``n **= e``; ``pow(n, e)`` is written as ``n ** e``) of a real number ``n`` to a
    power not known to be a non-negative int as ``float(n) ** float(e)``: Python makes a
    float of ``2 ** -1``, numba an int (0), and numba's float to a negative int power
    raises ZeroDivisionError at 0 (numpy: inf). A name taken as a float may hold an int
    there: numba types each assignment of a name on its own (``k = i + 2; k **= -1``)."""
    def negative_maybe(e):
        return not (isinstance(e, ast.Constant) and type(e.value) is int and e.value >= 0)
    for node in ast.walk(fn):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and negative_maybe(node.right) \
                and real_scalar(node.left, kinds):
            node.left = _float(node.left)
            if real_scalar(node.right, kinds) or _negative_int(node.right):
                node.right = _float(node.right)   # (numba's float ** negative int raises at 0; numpy: inf)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _negative_int(node.right) \
                and (_float_base(node.left, kinds) or _float_array(node.left, kinds)):
            node.right = _float(node.right)   # (x[0] ** -1, np.float64(v) ** -2 of a derivative, x ** -2: as above)
    for node in ast.walk(fn):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for k, s in enumerate(block):
                if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Pow) and isinstance(s.target, ast.Name) \
                        and negative_maybe(s.value) and real_scalar(s.target, kinds):
                    base = _float(ast.Name(s.target.id, ast.Load()))
                    block[k] = ast.copy_location(ast.Assign(
                        targets=[s.target], value=ast.BinOp(base, ast.Pow(), s.value)), s)


def complex_powers(fn, kinds) -> None:
    """``z ** w`` of a complex number or array (or to a complex power) as ``_ad_cpow(z, w)``: numba's
    is nan at ``z == 0`` (``0j ** (1.5 + 0.5j)``), where Python and numpy give 0."""
    def complex_scalar(e):
        if isinstance(e, ast.Constant):
            return type(e.value) is complex
        if isinstance(e, ast.Call) and ast.unparse(e.func) == "np.complex128" and len(e.args) == 1:
            return True
        if isinstance(e, ast.Call) and ast.unparse(e.func) == "_ad_np_number" and len(e.args) == 1:
            e = e.args[0]   # (a number read as numpy's: FormBuilder.numpy_divisors)
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):   # (an element: z[i] of a complex array)
            k = kinds.get(e.value.id)
            idx = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
            return k is not None and k.cls == "array" and k.dtype == "c" and k.ndim == len(idx) and not any(
                isinstance(i, ast.Slice) for i in idx)
        k = kinds.get(e.id) if isinstance(e, ast.Name) else None
        return k is not None and (k.cls in ("float", "num") or k.cls == "array" and k.ndim) and k.dtype == "c"

    class Powers(ast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            if isinstance(node.op, ast.Pow) and (complex_scalar(node.left) or complex_scalar(node.right)):
                return ast.copy_location(ast.Call(ast.Name("_ad_cpow", ast.Load()), [node.left, node.right], []),
                                         node)
            return node

        def visit_Call(self, node):   # (np.power of numbers: a rule's derivative)
            self.generic_visit(node)
            if ast.unparse(node.func) == "np.power" and len(node.args) == 2 and not node.keywords \
                    and any(complex_scalar(a) for a in node.args):
                return ast.copy_location(ast.Call(ast.Name("_ad_cpow", ast.Load()), node.args, []), node)
            return node
    Powers().visit(fn)


def big_int(e) -> bool:
    """Whether ``e`` is an int the code writes (a number, or an arithmetic of numbers: ``2 ** 70``,
    ``1 << 64``) beyond int64, which numba computes in int64."""
    if not isinstance(e, (ast.Constant, ast.BinOp, ast.UnaryOp)):
        return False
    try:
        v = _folded(e)
    except (ValueError, OverflowError, ZeroDivisionError):
        return False
    return type(v) is int and not -2 ** 63 <= v < 2 ** 63


def _folded(e):
    """The value of an arithmetic of int numbers (ValueError where it is not one)."""
    if isinstance(e, ast.Constant) and type(e.value) is int:
        return e.value
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return -_folded(e.operand)
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.Pow, ast.LShift)):
        a, b = _folded(e.left), _folded(e.right)
        if isinstance(e.op, (ast.Pow, ast.LShift)) and b < 0:
            raise ValueError(e)
        if isinstance(e.op, ast.Pow) and b > 64 and abs(a) > 1 or isinstance(e.op, ast.LShift) and b > 64 and a:
            return 2 ** 64   # (beyond int64, not computed further)
        if isinstance(e.op, ast.Pow):
            return a ** b
        if isinstance(e.op, ast.LShift):
            return a << b
        return a + b if isinstance(e.op, ast.Add) else a - b if isinstance(e.op, ast.Sub) else a * b
    raise ValueError(e)


def bool_expr(e, kinds) -> bool:
    """Whether ``e`` is a (numpy) bool by its form and kinds."""
    if isinstance(e, ast.Compare) or (isinstance(e, ast.Constant) and type(e.value) is bool):
        return True
    if isinstance(e, ast.Name):   # (np.isfinite(x), np.signbit(x)... of a number: a numpy bool)
        k = kinds.get(e.id)
        return k is not None and (k.cls == "bool" or (k.cls in ("num", "array") and k.dtype == "b"))
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Mult, ast.BitOr, ast.BitAnd)):
        return bool_expr(e.left, kinds) and bool_expr(e.right, kinds)
    return False


def real_scalar(e, kinds) -> bool:
    """Whether ``e`` is an int, bool or real float by its form and kinds (not an array)."""
    if isinstance(e, ast.Constant):
        return type(e.value) in (int, bool, float)
    if isinstance(e, ast.Name):
        k = kinds.get(e.id)
        return k is not None and k.cls in ("int", "bool", "float") and k.dtype != "c"
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
        return real_scalar(e.left, kinds) and real_scalar(e.right, kinds)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return real_scalar(e.operand, kinds)
    # the ints of an array's form, read where they are used (x.shape[0] ** -1: numba's int power was 0)
    if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) and e.value.attr == "shape":
        return True
    if isinstance(e, ast.Attribute) and e.attr in ("size", "ndim", "itemsize", "nbytes"):
        return True
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in ("len", "int", "float") \
            and len(e.args) == 1 and not e.keywords:
        return True
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in ("min", "max", "abs") \
            and e.args and not e.keywords:
        return all(real_scalar(a, kinds) for a in e.args)
    return False


def _may_be_python_bool(e, kinds) -> bool:
    """Whether ``e`` may be a Python bool: anything but an array or an element of one (a numpy
    scalar, whose ``~`` numba computes as numpy does). (An int too: a flag given as a bool may
    be typed an int, and ``~`` of an int is rare enough in a kernel.)"""
    if isinstance(e, ast.Constant):
        return not isinstance(e.value, int) or type(e.value) is bool
    if isinstance(e, ast.Name):
        k = kinds.get(e.id)
        return k is None or k.cls != "array"
    return not isinstance(e, ast.Subscript)


def computed_otherwise(e, kinds):
    """``(why, hint)`` where numba computes the expression ``e`` otherwise than Python, else None:
    ``~b`` of a bool scalar (Python's ``~True`` is -2, an int; numba's, as numpy's, False) and
    ``round(x, n)`` with digits (Python rounds the decimal value, 2.675 to 2.67; numba as
    ``np.round``, to 2.68)."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Invert) and _may_be_python_bool(e.operand, kinds):
        return (("`~` of a bool (Python's ~True is -2, numpy's and numba's False, and numba cannot tell a "
                "Python bool from a numpy one)"), "write `not b` (or 1 - b), or use backend='numpy'.")
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "round" \
            and (len(e.args) > 1 or e.keywords):
        return (("round(x, ndigits) (Python rounds the decimal value, round(2.675, 2) == 2.67; numba as "
                "np.round does, 2.68)"), "use np.round(x, ndigits) if its rounding will do, or backend='numpy'.")
    return None


def int_lists(fn) -> set:
    """The names bound to a list written out with ints only, or repeated from one (``[1] * n``,
    ``_t1 = [1]; w = _t1 * n``): numba's list of them holds int64."""
    from ..frontend.lists import number_lists
    return number_lists(fn.body, of=lambda elts: bool(elts) and all(
        isinstance(e, ast.Constant) and type(e.value) is int for e in elts))


def may_be_float(s, kind_of) -> bool:
    """Whether the value the store ``s`` writes may be a float: a float written out, a division, a
    call (other than int or len), or a name ``kind_of`` does not know to hold an int or a bool."""
    if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Div):
        return True
    for n in ast.walk(s.value):
        if isinstance(n, ast.Constant) and isinstance(n.value, float) or isinstance(n, ast.BinOp) \
                and isinstance(n.op, ast.Div) or isinstance(n, ast.Call) and not (
                    isinstance(n.func, ast.Name) and n.func.id in ("int", "len")):
            return True
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and \
                getattr(kind_of(n.id), "cls", None) not in ("int", "bool", "array"):
            return True
    return False


def int_list_given_float(s, lists, kind_of) -> str | None:
    """The list of ``lists`` (``int_lists``) the statement ``s`` may store a float into, else None."""
    t = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else \
        s.target if isinstance(s, ast.AugAssign) else None
    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in lists \
            and may_be_float(s, kind_of):
        return t.value.id
    return None


def int_arithmetic(fn, kinds) -> None:
    """``int_powers``, then ``int_products``."""
    int_powers(fn, kinds)
    int_products(fn, kinds)


def _python_int(e, kinds, elements=False) -> bool:
    """A Python int by its form: an int number or name, ``x.shape[0]``, ``len(v)``, arithmetic of them
    (``elements``: or any int, elements of int arrays, numpy's ints, among them)."""
    if isinstance(e, ast.Constant):
        return type(e.value) is int
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
        return _python_int(e.left, kinds, elements) and _python_int(e.right, kinds, elements)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return _python_int(e.operand, kinds, elements)
    if isinstance(e, ast.Subscript):
        return isinstance(e.value, ast.Attribute) and e.value.attr == "shape" or elements and _int_element(e, kinds)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name):
        return e.func.id in ("len", "_ad_int_mul", "_ad_int_shl", "_ad_int_shr")
    k = kinds.get(e.id) if isinstance(e, ast.Name) else None
    return k is not None and k.cls == "int"


def _int_element(e, kinds) -> bool:
    """An element of an int array (``k[i]``): a numpy int."""
    k = kinds.get(e.value.id) if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) else None
    if k is None:
        return False
    idx = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
    return k.cls == "array" and k.dtype == "i" and k.ndim == len(idx) \
        and not any(isinstance(i, ast.Slice) for i in idx)


def int_products(fn, kinds) -> None:
    """``a * b`` and ``a << b`` (and ``*=``, ``<<=``) of Python ints, but for a number times a
    number, as ``_ad_int_mul(a, b)`` and ``_ad_int_shl(a, b)``: Python's int has no bound, numba's
    wraps at 2**63 (a factorial, ``n *= 1000``, a binomial coefficient, ``1 << 10 * i`` were wrong,
    silently), so these raise OverflowError beyond int64 (``auto`` runs numpy then). Indices are
    left as they are (an index beyond int64 is out of any array). ``a >> b`` of ints, and ``a << b``
    of a numpy int, as ``_ad_int_shr``/``_ad_np_shl``: numba's count wraps at 64, Python's and
    numpy's shift everything out."""
    def checked(op, a, b):
        python = _python_int(a, kinds) and _python_int(b, kinds)
        if isinstance(a, ast.Constant) and isinstance(b, ast.Constant) or not (
                _python_int(a, kinds, True) and _python_int(b, kinds, True)):
            return None
        name = "_ad_int_shr" if isinstance(op, ast.RShift) else "_ad_int_shl" if isinstance(op, ast.LShift) and python \
            else "_ad_np_shl" if isinstance(op, ast.LShift) else "_ad_int_mul" if isinstance(op, ast.Mult) and python \
            else None
        return None if name is None else ast.Call(ast.Name(name, ast.Load()), [a, b], [])

    class Products(ast.NodeTransformer):
        def visit_Subscript(self, node):
            return node

        def visit_BinOp(self, node):
            self.generic_visit(node)
            call = checked(node.op, node.left, node.right)
            return node if call is None else ast.copy_location(call, node)

        def visit_AugAssign(self, node):
            self.generic_visit(node)
            call = checked(node.op, ast.Name(node.target.id, ast.Load()), node.value) \
                if isinstance(node.target, ast.Name) else None
            return node if call is None else ast.copy_location(ast.Assign(targets=[node.target], value=call), node)
    Products().visit(fn)
