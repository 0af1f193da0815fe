"""Copies and views: copy, transpose, reshape, ravel, asarray."""
import numpy as np

from .registry import defrule

defrule(np.copy, "a", a="g", tangents={"a": "np.copy(t)"})
defrule(np.transpose, "a, axes=None", kind="view", a="np.transpose(g, None if axes is None else np.argsort(axes))",
        tangents={"a": "np.transpose(t, axes)"})
defrule(np.reshape, "a, " + ("shape=None" if "shape" in np.reshape.__doc__.split(")")[0] else "newshape=None"),
        kind="view", a="np.reshape(g, _ad_shape(a))", tangents={"a": "np.reshape(t, np.shape(ans))"})
defrule(np.ravel, "a", kind="view", a="np.reshape(g, _ad_shape(a))", tangents={"a": "np.ravel(t)"})
defrule(np.asarray, "a, dtype=None", kind="view", a="g", tangents={"a": "np.asarray(t, dtype=dtype)"})
defrule(np.array, "object, dtype=None", name="numpy.array", object="g",
        tangents={"object": "np.array(t, dtype=dtype)"})
