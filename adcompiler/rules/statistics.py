"""Statistics: ``cov`` and ``corrcoef`` (differentiable in the observations;
constant weights; each adjoint is a runtime helper that rebuilds numpy's
observation matrix: ``rowvar``, a second variable set ``y``), and
``histogram`` (``runtime/histogram.py``)."""
import ast

import numpy as np

from ..analysis.kinds import FLOAT, Kind, array
from .registry import defrule

NUM = Kind("num", None, "f")


def _matrix_kind(scalar):
    """A 1-D ``m`` alone gives a scalar (``scalar``); with a 1-D ``y`` a 2 x 2 matrix."""
    def result(kinds, bound):
        m, y = kinds.get("m", kinds.get("x", FLOAT)), kinds.get("y")
        alone = y is None or y.cls == "none"
        if m.cls == "array" and m.ndim == 1:
            if alone:
                return scalar
            if y.cls == "array" and y.ndim == 1:
                return array(2)
        return array(None)   # a p x p matrix, squeezed when p == 1
    return result


COV = "m, y, rowvar, bias, ddof, fweights, aweights"
_cov = defrule(np.cov, "m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None",
               m=f"_ad_cov_adjoint(g, {COV}, True)", y=f"_ad_cov_adjoint(g, {COV}, False)",
               tangents={"m": f"_ad_cov_tangent(t, None, {COV})", "y": f"_ad_cov_tangent(None, t, {COV})",
                         "fweights": "0.0", "aweights": "0.0"},
               result=_matrix_kind(array(0)),
               doc="differentiable in m and y; fweights and aweights must be constant")
_cov.refuse = {"fweights", "aweights"}
defrule(np.corrcoef, "x, y=None, rowvar=True, dtype=None",
        x="_ad_corrcoef_adjoint(g, x, y, rowvar, True)", y="_ad_corrcoef_adjoint(g, x, y, rowvar, False)",
        tangents={"x": "_ad_corrcoef_tangent(t, None, x, y, rowvar)",
                  "y": "_ad_corrcoef_tangent(None, t, x, y, rowvar)"},
        result=_matrix_kind(FLOAT), doc="numpy's clipping of the result to [-1, 1] is ignored")

def _hist_kind(bound):
    """(the counts: ints unless weighted or a density, the edges): a tuple of two fresh 1-d arrays."""
    plain = all(bound.get(p) is None or isinstance(bound[p], ast.Constant) and bound[p].value in (None, False)
                for p in ("weights", "density"))
    return Kind("tuple", elts=(array(1, "i" if plain else "f"), array(1)))


HIST = "a, bins, range, density, weights, ans"
_hist = defrule(np.histogram, "a, bins=10, range=None, density=None, weights=None",
                a=f"_ad_histogram_adjoint_a(g, {HIST})", weights=f"_ad_histogram_adjoint_w(g, {HIST})",
                bins=f"_ad_histogram_adjoint_bins(g, {HIST})", range=f"_ad_histogram_adjoint_range(g, {HIST})",
                tangents={"a": f"_ad_histogram_tangent_a(t, {HIST})", "weights": f"_ad_histogram_tangent_w(t, {HIST})",
                          "bins": f"_ad_histogram_tangent_bins(t, {HIST})",
                          "range": f"_ad_histogram_tangent_range(t, {HIST})"},
                result=lambda kinds, bound: _hist_kind(bound),
                doc="the counts are piecewise constant in `a` and in the edges (derivative 0); differentiable "
                    "in `weights` (with density=True too); the edges returned follow `bins` given as edges, "
                    "`range`, or min(a) and max(a) when bins is a count and range is not given")
_hist.tuple_result = True


def _named_bins(bound, param):
    bins, density = bound.get("bins"), bound.get("density")
    if param == "a" and isinstance(bins, ast.Constant) and isinstance(bins.value, str):
        return (f"bins={bins.value!r} (edges from an estimator of the data) has no derivative in `a`; "
                "pass a bin count with range=, or explicit edges")
    if param in ("bins", "range") and not (density is None or isinstance(density, ast.Constant)
                                           and density.value in (None, False)):
        return f"with density=True the result depends on the bin widths: `{param}` must be constant"
    return None


_hist.refuse_when = _named_bins
