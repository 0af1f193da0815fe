"""numpy elementwise (ufunc) rules. ``g`` is the adjoint of the result ``ans``;
the code generator sums each adjoint back to its operand's shape."""
import numpy as np

from .registry import elementwise

B = "x1, x2"
U = "x"

# (a Python float a template divides by, or raises to a power below 1, is read as a numpy float
# where it may be 0: ``Rule.divisors``, ``FormBuilder.numpy_divisors``)
elementwise(np.add, B, x1="g", x2="g")
elementwise(np.subtract, B, x1="g", x2="-g")
elementwise(np.multiply, B, x1="g * x2", x2="g * x1")
elementwise(np.divide, B, x1="g / x2", x2="-g * ans / x2")
elementwise(np.negative, U, x="-g")
elementwise(np.positive, U, x="g")
elementwise(np.power, B, x1="g * x2 * x1 ** (x2 - (x2 != 0))",
            x2="g * np.where(x1 > 0, ans, 0.0) * np.log(np.where(x1 > 0, x1, 1))",
            doc="d/dx2 is taken as 0 where x1 <= 0")
elementwise(np.square, U, x="2 * g * x")
elementwise(np.reciprocal, U, x="-g * ans * ans")
elementwise(np.exp, U, x="g * ans")
elementwise(np.log, U, x="g / x")
elementwise(np.sin, U, x="g * np.cos(x)")
elementwise(np.cos, U, x="-g * np.sin(x)")
elementwise(np.tan, U, x="g * (1 + ans * ans)")
elementwise(np.tanh, U, x="g * (1 - ans * ans)")
elementwise(np.sqrt, U, x="g * (0.5 / ans)", doc="infinite at 0")
elementwise(np.absolute, U, x="g * np.sign(x)", doc="0 at x == 0")
# (a selection, not a product with 0 or 1: an infinite adjoint, of np.sqrt at 0 after the
# maximum, reaches the operand that lost as 0, not 0 * inf)
elementwise(np.maximum, B, x1="np.where(x1 > x2, g, np.where(x1 == x2, 0.5 * g, 0.0))",
            x2="np.where(x2 > x1, g, np.where(x1 == x2, 0.5 * g, 0.0))",
            doc="ties split the adjoint equally")
elementwise(np.minimum, B, x1="np.where(x1 < x2, g, np.where(x1 == x2, 0.5 * g, 0.0))",
            x2="np.where(x2 < x1, g, np.where(x1 == x2, 0.5 * g, 0.0))",
            doc="ties split the adjoint equally")
elementwise(np.where, "condition, x=None, y=None", x="np.where(condition, g, 0)",
            y="np.where(condition, 0, g)").constant = {"condition"}
elementwise(np.remainder, B, x1="g", x2="-g * np.floor(x1 / x2)")
elementwise(np.float_power, B, x1="g * x2 * np.float_power(x1, x2 - (x2 != 0))",
            x2="g * np.where(x1 > 0, ans, 0.0) * np.log(np.where(x1 > 0, x1, 1))",
            doc="d/dx2 is taken as 0 where x1 <= 0")
elementwise(np.fmod, B, x1="g", x2="-g * np.trunc(x1 / x2)")
elementwise(np.cbrt, U, x="_ad_safe_div(g, 3 * ans * ans)", doc="0 at x == 0 (the derivative is infinite)")
elementwise(np.exp2, U, x="g * ans * np.log(2.0)")
elementwise(np.expm1, U, x="g * (ans + 1)")
elementwise(np.log2, U, x="g / (x * np.log(2.0))")
elementwise(np.log10, U, x="g / (x * np.log(10.0))")
elementwise(np.log1p, U, x="g / (1 + x)")
# (an operand at -inf has no share, nor has either where both are: exp(-inf - -inf) was nan)
elementwise(np.logaddexp, B, x1="g * np.exp(np.where(x1 == -np.inf, x1, x1 - ans))",
            x2="g * np.exp(np.where(x2 == -np.inf, x2, x2 - ans))")
elementwise(np.logaddexp2, B, x1="g * np.exp2(np.where(x1 == -np.inf, x1, x1 - ans))",
            x2="g * np.exp2(np.where(x2 == -np.inf, x2, x2 - ans))")
elementwise(np.arcsin, U, x="g / np.sqrt(1 - x * x)")
elementwise(np.arccos, U, x="-g / np.sqrt(1 - x * x)")
elementwise(np.arctan, U, x="g / (1 + x * x)")
elementwise(np.sinh, U, x="g * np.cosh(x)")
elementwise(np.cosh, U, x="g * np.sinh(x)")
elementwise(np.arcsinh, U, x="g / np.sqrt(x * x + 1)")
elementwise(np.arccosh, U, x="g / np.sqrt(x * x - 1)")
elementwise(np.arctanh, U, x="g / (1 - x * x)")
elementwise(np.hypot, B, x1="g * _ad_safe_div(x1, ans)", x2="g * _ad_safe_div(x2, ans)",
            doc="0 at x1 == x2 == 0")
elementwise(np.arctan2, B, x1="g * _ad_safe_div(x2, x1 * x1 + x2 * x2)",
            x2="-g * _ad_safe_div(x1, x1 * x1 + x2 * x2)", doc="0 at x1 == x2 == 0")
elementwise(np.fabs, U, x="g * np.sign(x)", doc="0 at x == 0")
elementwise(np.fmax, B, x1="np.where(np.logical_or(x1 > x2, np.isnan(x2)), g, np.where(x1 == x2, 0.5 * g, 0.0))",
            x2="np.where(np.logical_or(x2 > x1, np.isnan(x1)), g, np.where(x1 == x2, 0.5 * g, 0.0))",
            doc="ties split the adjoint equally; a NaN operand gets nothing")
elementwise(np.fmin, B, x1="np.where(np.logical_or(x1 < x2, np.isnan(x2)), g, np.where(x1 == x2, 0.5 * g, 0.0))",
            x2="np.where(np.logical_or(x2 < x1, np.isnan(x1)), g, np.where(x1 == x2, 0.5 * g, 0.0))",
            doc="ties split the adjoint equally; a NaN operand gets nothing")
elementwise(np.clip, "a, a_min=None, a_max=None", a="np.where(_ad_clip_inside(a, a_min, a_max), g, 0.0)",
            a_min="np.where(_ad_clip_low(a, a_min, a_max), g, 0.0)",
            a_max="np.where(_ad_clip_high(a, a_min, a_max), g, 0.0)",
            doc="at a bound the adjoint goes to `a` (the bounds are inclusive); where a_min > a_max, to a_max")
elementwise(np.copysign, B, x1="g * np.copysign(1.0, x1) * np.copysign(1.0, x2)",
            doc="no derivative for x2 (the sign); d/dx1 at x1 == 0 follows the sign bit of 0").constant = {"x2"}
elementwise(np.heaviside, B, x2="g * (x1 == 0)",
            doc="x2 is the value where x1 == 0, and its derivative there; no derivative for x1 (a step)"
            ).constant = {"x1"}
elementwise(np.sinc, U, x="g * _ad_sinc_grad(x)")
elementwise(np.deg2rad, U, x="g * (np.pi / 180)")
elementwise(np.radians, U, x="g * (np.pi / 180)")
elementwise(np.rad2deg, U, x="g * (180 / np.pi)")
elementwise(np.degrees, U, x="g * (180 / np.pi)")
elementwise(np.conjugate, U, x="g")
elementwise(np.ldexp, B, x1="g * np.exp2(x2)", doc="no derivative for the integer exponent x2")
elementwise(np.nan_to_num, U, x="np.where(np.isfinite(x), g, 0.0)", doc="0 where x is not finite")
