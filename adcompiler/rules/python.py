"""Python builtins and the ``math`` module on scalars.

A partial that is infinite where the function is defined (``math.sqrt`` at 0) divides by a numpy
float: inf, as numpy and numba give, where Python's float division raises ZeroDivisionError."""
import builtins
import math
import warnings

from ..analysis.kinds import FLOAT, INT, Kind
from .registry import defrule, elementwise, lookup, nondifferentiable

elementwise(builtins.abs, "x", x="g * np.sign(x)", doc="0 at x == 0")
defrule(builtins.float, "x", x="g", tangents={"x": "_ad_copy(t)"})   # (t of a 0-d array: its copy, not a view)
# (Python's max(a, b) is b where b > a, else a: a NaN b loses to a, as its value does)
elementwise(builtins.max, "a, b", a="0.0 if b > a else (0.5 * g if a == b else g)",
            b="g if b > a else (0.5 * g if a == b else 0.0)",
            doc="ties split the adjoint equally; max(a, b, c) and max([a, b, c]) are max(max(a, b), c) (a "
                "three-way tie: 1/4, 1/4, 1/2), max of a list built or of a generator splits it equally among all")
elementwise(builtins.min, "a, b", a="0.0 if b < a else (0.5 * g if a == b else g)",
            b="g if b < a else (0.5 * g if a == b else 0.0)",
            doc="ties split the adjoint equally; min(a, b, c) is min(min(a, b), c), as max")
elementwise(builtins.pow, "base, exp", base="g * exp * base ** (exp - (exp != 0))",
            exp="g * np.where(base > 0, ans, 0.0) * np.log(np.where(base > 0, base, 1))",
            doc="pow(x, y) without a modulus; d/dy is taken as 0 where x <= 0")
nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.round, builtins.bool,
                  builtins.isinstance, builtins.print)
nondifferentiable(warnings.warn, params="message, category=None, stacklevel=1")   # (a message: no value)
nondifferentiable(builtins.slice, params="*", result=lambda kinds, bound: Kind("slice"))   # (an index)
# integer functions of integers (Taylor coefficients, binomial sums): no derivative
nondifferentiable(math.factorial, math.comb, math.perm, math.gcd, math.isqrt, result=lambda kinds, bound: INT)

elementwise(math.exp, "x", x="g * ans")
# (the default base a literal: `math.e` written into the derivative needed the name `math` in the user's module)
elementwise(math.log, "x, base=2.718281828459045", x="g / (x * math.log(base))",
            base="-g * math.log(x) / (base * math.log(base) ** 2)")
elementwise(math.sin, "x", x="g * math.cos(x)")
elementwise(math.cos, "x", x="-g * math.sin(x)")
elementwise(math.tan, "x", x="g * (1 + ans * ans)")
elementwise(math.tanh, "x", x="g * (1 - ans * ans)")
elementwise(math.sqrt, "x", x="g / (2 * ans)", doc="infinite at 0")
elementwise(math.fabs, "x", x="g * np.sign(x)", doc="0 at x == 0")
elementwise(math.pow, "x, y", x="g * y * x ** (y - (y != 0))", y="g * ans * math.log(x) if x > 0 else 0.0",
            doc="d/dy is taken as 0 where x <= 0")
elementwise(math.expm1, "x", x="g * (ans + 1)")
elementwise(math.log1p, "x", x="g / (1 + x)")
elementwise(math.log2, "x", x="g / (x * math.log(2.0))")
elementwise(math.log10, "x", x="g / (x * math.log(10.0))")
elementwise(math.asin, "x", x="g / np.sqrt(1 - x * x)", doc="infinite at -1 and 1")
elementwise(math.acos, "x", x="-g / np.sqrt(1 - x * x)", doc="infinite at -1 and 1")
elementwise(math.atan, "x", x="g / (1 + x * x)")
elementwise(math.sinh, "x", x="g * math.cosh(x)")
elementwise(math.cosh, "x", x="g * math.sinh(x)")
elementwise(math.asinh, "x", x="g / math.sqrt(x * x + 1)")
elementwise(math.acosh, "x", x="g / np.sqrt(x * x - 1)", doc="infinite at 1")
elementwise(math.atanh, "x", x="g / (1 - x * x)")
elementwise(math.atan2, "y, x", y="g * _ad_safe_div(x, x * x + y * y)", x="-g * _ad_safe_div(y, x * x + y * y)",
            doc="0 at x == y == 0 (as np.arctan2's)")
elementwise(math.hypot, "x, y", x="g * _ad_safe_div(x, ans)", y="g * _ad_safe_div(y, ans)",
            doc="0 at x == y == 0 (as np.hypot's)")
elementwise(math.erf, "x", x="g * 2 / math.sqrt(math.pi) * math.exp(-x * x)")
elementwise(math.erfc, "x", x="-g * 2 / math.sqrt(math.pi) * math.exp(-x * x)")
elementwise(math.degrees, "x", x="g * (180 / math.pi)")
elementwise(math.radians, "x", x="g * (math.pi / 180)")
elementwise(math.copysign, "x, y", x="g * math.copysign(1.0, x) * math.copysign(1.0, y)",
            doc="no derivative for y (the sign)").constant = {"y"}
nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose)
elementwise(math.fmod, "x, y", x="g", y="-g * math.trunc(x / y)", doc="x - y * trunc(x / y)")


def _divmod_kinds(kinds, bound):
    ints = all(kinds.get(p) is not None and kinds[p].cls in ("int", "bool") for p in ("a", "b"))
    return Kind("tuple", elts=(INT, INT) if ints else (FLOAT, FLOAT), seq="tuple")


# divmod of integers (index arithmetic); of numbers with derivatives refused (write a // b, a % b)
nondifferentiable(builtins.divmod, params="a, b", result=_divmod_kinds)
lookup(builtins.divmod).refuse_when = lambda bound, p: (
    f"its remainder has a derivative in `{p}` this rule does not give; write `a // b` and `a % b` instead")
