"""``numpy.fft``: fft, ifft, fft2, ifft2, fftn, ifftn, rfft, irfft, rfft2, irfft2,
rfftn, irfftn (and the shifts), with
``n``/``s`` (padding or truncation), ``axis``/``axes`` and every ``norm``.

Each is linear in its input: the tangent is the same transform of the
tangent; the adjoints (``runtime/fft.py``) are the conjugate transposes,
written for complex values (``Rule.complex`` "exact")."""
import numpy as np

from ..analysis.kinds import FLOAT, Kind, array
from .registry import defrule


def _spectrum(dtype):
    """A transform's result: the input's rank, dtype ``dtype``."""
    def result(kinds, bound):
        k = kinds.get("a", FLOAT)
        if k.cls == "array":
            return array(k.ndim, dtype)
        return Kind("num", None, dtype)
    return result


def _fft(func, params, adjoint, tangent, real_out=False, doc=""):
    rule = defrule(func, params, a=adjoint, tangents={"a": tangent}, result=_spectrum("f" if real_out else "c"),
                   doc=doc)
    rule.complex["*"] = "exact"
    rule.real_result = real_out
    return rule


ONE = "a, n=None, axis=-1, norm=None"
MANY = "a, s=None, axes=None, norm=None"
_fft(np.fft.fft, ONE, "_ad_fft_adjoint(g, a, axis, norm)", "np.fft.fft(t, n, axis, norm)")
_fft(np.fft.ifft, ONE, "_ad_fft_adjoint(g, a, axis, norm, True)", "np.fft.ifft(t, n, axis, norm)")
_fft(np.fft.fftn, MANY, "_ad_fftn_adjoint(g, a, s, axes, norm)", "np.fft.fftn(t, s, axes, norm)")
_fft(np.fft.ifftn, MANY, "_ad_fftn_adjoint(g, a, s, axes, norm, True)", "np.fft.ifftn(t, s, axes, norm)")
_fft(np.fft.fft2, MANY, "_ad_fftn_adjoint(g, a, s, axes, norm, False, (-2, -1))",
     "np.fft.fft2(t, s, _ad_default(axes, (-2, -1)), norm)")
_fft(np.fft.ifft2, MANY, "_ad_fftn_adjoint(g, a, s, axes, norm, True, (-2, -1))",
     "np.fft.ifft2(t, s, _ad_default(axes, (-2, -1)), norm)")
_fft(np.fft.rfft, ONE, "_ad_rfft_adjoint(g, a, n, axis, norm)", "np.fft.rfft(np.real(t), n, axis, norm)",
     doc="real input (numpy drops an imaginary part, and so does the derivative)")
_fft(np.fft.irfft, ONE, "_ad_irfft_adjoint(g, a, n, axis, norm)", "np.fft.irfft(t, n, axis, norm)", real_out=True,
     doc="real output; the imaginary parts numpy ignores (bin 0, the Nyquist bin) get no adjoint")
_fft(np.fft.rfftn, MANY, "_ad_rfftn_adjoint(g, a, s, axes, norm)", "np.fft.rfftn(np.real(t), s, axes, norm)",
     doc="real input; rfft along the last axis, fft along the others")
_fft(np.fft.irfftn, MANY, "_ad_irfftn_adjoint(g, a, s, axes, norm)", "np.fft.irfftn(t, s, axes, norm)",
     real_out=True, doc="real output; the last axis is the half spectrum")
_fft(np.fft.rfft2, MANY, "_ad_rfftn_adjoint(g, a, s, axes, norm, (-2, -1))",
     "np.fft.rfft2(np.real(t), s, _ad_default(axes, (-2, -1)), norm)", doc="real input")
_fft(np.fft.irfft2, MANY, "_ad_irfftn_adjoint(g, a, s, axes, norm, (-2, -1))",
     "np.fft.irfft2(t, s, _ad_default(axes, (-2, -1)), norm)", real_out=True, doc="real output")

# the shifts are permutations: each one's adjoint is the other
for _f, _inv in ((np.fft.fftshift, "ifftshift"), (np.fft.ifftshift, "fftshift")):
    defrule(_f, "x, axes=None", x=f"np.fft.{_inv}(g, axes)", tangents={"x": f"np.fft.{_f.__name__}(t, axes)"},
            result=lambda kinds, bound: kinds.get("x", FLOAT)).complex["*"] = "linear"
# the frequencies are those of d = 1 divided by the spacing d (which a derivative may reach: d = L / n)
for _f in (np.fft.fftfreq, np.fft.rfftfreq):
    defrule(_f, "n, d=1.0", d="-np.sum(g * ans) / d", tangents={"d": "-ans * (t / d)"},
            result=lambda kinds, bound: array(1), doc="no derivative for n (a count)").constant = {"n"}
