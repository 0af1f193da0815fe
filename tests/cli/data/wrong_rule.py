"""A deliberately wrong derivative rule, for testing `adcompiler check`."""
import numpy as np

from adcompiler.extend import elementwise


def cube(x):
    return x * x * x


# Wrong on purpose: the derivative of x**3 is 3 x**2, not 2 x**2.
elementwise(cube, "x", x="g * 2.0 * x * x")


def apply_cube(s, a):
    s[:] = cube(a) + np.sin(a)


def right_cube(s, a):
    s[:] = a * a * a + np.sin(a)
