"""The arguments ``gradient`` and ``vjp`` take as constants, and say so: a float array
a refusal names that ``f`` only reads (``np.interp``'s grid), a container of floats."""
from __future__ import annotations

import warnings

from ..errors import AdCompilerError, AdCompilerWarning, NoDerivativeError
from .arguments import _may_write, is_float_array, is_float_scalar, param_names


def without_underivable(f, args, positions, attempt) -> tuple:
    """``(attempt(positions), positions)``; where that is refused, with one float array
    ``f`` only reads left out of ``positions`` (a constant: np.interp's grid has no
    derivative), the first that ``attempt`` accepts, if another float argument is still
    differentiated: its derivative is None (not computed), and a warning says why. A
    refusal no such array lifts is raised as it was, or, where leaving one out met
    another refusal (the backend cannot compile the call at all), that one."""
    _warn_containers(f, args)
    try:
        return attempt(tuple(positions)), tuple(positions)
    except NoDerivativeError as exc:
        other = None   # a refusal met with the array left out: the backend's own (numba has no np.interp)
        written = _may_write(f, len(args))
        floats = [i for i in positions if is_float_array(args[i]) or is_float_scalar(args[i])]
        for i in [i for i in floats if is_float_array(args[i]) and i not in written]:
            if len(floats) < 2:
                break
            rest = tuple(p for p in positions if p != i)
            try:
                result = attempt(rest)
            except NoDerivativeError:
                continue
            except AdCompilerError as err:
                other = other or err
                continue
            names = param_names(f, len(args))
            where = f"{exc.filename}:{exc.lineno}: " if exc.filename and exc.lineno else ""   # (the call's line)
            warnings.warn(f"{where}{exc.reason} The argument `{names[i]}` is taken as a constant: its derivative "
                          "is None (not computed).", AdCompilerWarning, stacklevel=3)
            return result, rest
        if other is not None:
            raise other from exc
        raise


def _holds_floats(v, numbers: bool = True) -> bool:
    """A tuple, list or dict holding float arrays (or, with ``numbers``, float numbers), at any depth."""
    items = v.values() if isinstance(v, dict) else v if isinstance(v, (tuple, list)) else ()
    return any(is_float_array(x) or (numbers and is_float_scalar(x)) or _holds_floats(x, numbers) for x in items)


def _warn_containers(f, args) -> None:
    """A container of floats is a constant to ``gradient`` and ``vjp`` (its derivative is
    None, where ``grad`` refuses it): say so, as its derivative is then not computed."""
    names = None
    for i, a in enumerate(args):
        if _holds_floats(a):
            names = names or param_names(f, len(args))
            held = "float arrays" if _holds_floats(a, numbers=False) else "floats"
            warnings.warn(f"`{names[i]}` is a {type(a).__name__} of {held}, taken as a constant: its "
                          "derivative is None (not computed). Pass its arrays as separate arguments for their "
                          "derivatives.", AdCompilerWarning, stacklevel=4)
