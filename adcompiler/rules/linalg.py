"""Linear algebra: dot, matmul / @."""
import numpy as np

from .registry import defrule

defrule(np.dot, "a, b, out=None", a="_ad_dot_adjoint_a(g, a, b)", b="_ad_dot_adjoint_b(g, a, b)",
        tangents={"a": "np.dot(t, b)", "b": "np.dot(a, t)"})
defrule(np.matmul, "x1, x2", x1="_ad_matmul_adjoint_a(g, x1, x2)", x2="_ad_matmul_adjoint_b(g, x1, x2)",
        tangents={"x1": "np.matmul(t, x2)", "x2": "np.matmul(x1, t)"})
