"""numpy elementwise (ufunc) rules. ``g`` is the adjoint of the result ``ans``;
the code generator sums each adjoint back to its operand's shape."""
import numpy as np

from .registry import elementwise

B = "x1, x2"
U = "x"

elementwise(np.add, B, x1="g", x2="g")
elementwise(np.subtract, B, x1="g", x2="-g")
elementwise(np.multiply, B, x1="g * x2", x2="g * x1")
elementwise(np.divide, B, x1="g / x2", x2="-g * ans / x2")
elementwise(np.negative, U, x="-g")
elementwise(np.positive, U, x="g")
elementwise(np.power, B, x1="g * x2 * x1 ** (x2 - 1)",
            x2="g * ans * np.log(np.where(x1 > 0, x1, 1))",
            doc="d/dx2 is taken as 0 where x1 <= 0")
elementwise(np.square, U, x="2 * g * x")
elementwise(np.reciprocal, U, x="-g * ans * ans")
elementwise(np.exp, U, x="g * ans")
elementwise(np.log, U, x="g / x")
elementwise(np.sin, U, x="g * np.cos(x)")
elementwise(np.cos, U, x="-g * np.sin(x)")
elementwise(np.tan, U, x="g * (1 + ans * ans)")
elementwise(np.tanh, U, x="g * (1 - ans * ans)")
elementwise(np.sqrt, U, x="g / (2 * ans)", doc="infinite at 0")
elementwise(np.absolute, U, x="g * np.sign(x)", doc="0 at x == 0")
elementwise(np.maximum, B, x1="g * ((x1 > x2) + 0.5 * (x1 == x2))", x2="g * ((x2 > x1) + 0.5 * (x1 == x2))",
            doc="ties split the adjoint equally")
elementwise(np.minimum, B, x1="g * ((x1 < x2) + 0.5 * (x1 == x2))", x2="g * ((x2 < x1) + 0.5 * (x1 == x2))",
            doc="ties split the adjoint equally")
elementwise(np.where, "condition, x=None, y=None", x="np.where(condition, g, 0)", y="np.where(condition, 0, g)")
elementwise(np.remainder, B, x1="g", x2="-g * np.floor(x1 / x2)")
