"""Python builtins and the ``math`` module on scalars."""
import builtins
import math

from .registry import defrule, elementwise, nondifferentiable

elementwise(builtins.abs, "x", x="g * np.sign(x)", doc="0 at x == 0")
defrule(builtins.float, "x", x="g", tangents={"x": "float(t)"})
elementwise(builtins.max, "a, b", a="g * ((a > b) + 0.5 * (a == b))", b="g * ((b > a) + 0.5 * (a == b))")
elementwise(builtins.min, "a, b", a="g * ((a < b) + 0.5 * (a == b))", b="g * ((b < a) + 0.5 * (a == b))")
nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.round, builtins.bool,
                  builtins.isinstance, builtins.print)

elementwise(math.exp, "x", x="g * ans")
elementwise(math.log, "x", x="g / x")
elementwise(math.sin, "x", x="g * math.cos(x)")
elementwise(math.cos, "x", x="-g * math.sin(x)")
elementwise(math.tan, "x", x="g * (1 + ans * ans)")
elementwise(math.tanh, "x", x="g * (1 - ans * ans)")
elementwise(math.sqrt, "x", x="g / (2 * ans)")
elementwise(math.fabs, "x", x="g * np.sign(x)")
elementwise(math.pow, "x, y", x="g * y * x ** (y - 1)", y="g * ans * math.log(x) if x > 0 else 0.0")
nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite)
