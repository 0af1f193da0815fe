"""Error types. Every error names the user's file, line and construct, says
why, and says what to do instead."""
from __future__ import annotations

import functools


class AdCompilerError(Exception):
    """Base class of every error adcompiler raises on purpose.

    ``filename``/``lineno``/``col`` point at user source when known;
    ``construct`` is the offending source text; ``hint`` says what to do.
    """

    def __init__(self, message: str, *, filename: str | None = None,
                 lineno: int | None = None, col: int | None = None,
                 construct: str | None = None, hint: str | None = None):
        self.reason = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.construct = construct
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.filename is not None:
            loc = self.filename
            if self.lineno is not None:
                loc += f":{self.lineno}"
                if self.col is not None:
                    loc += f":{self.col + 1}"
            parts.append(loc + ":")
        if self.construct:
            parts.append(f"`{self.construct}`:")
        parts.append(self.reason)
        msg = " ".join(parts)
        if self.hint:
            msg += f" Hint: {self.hint}"
        return msg


class UnsupportedSyntaxError(AdCompilerError):
    """A statement or expression outside the supported subset."""


class NoDerivativeError(UnsupportedSyntaxError):
    """A value carrying a derivative reaches a parameter the rule has no derivative for
    (np.interp's grid, a refused parameter value)."""


class NoRuleError(AdCompilerError):
    """A call to a function that has no derivative rule."""


class ActivityError(AdCompilerError):
    """A wrong activity annotation or a shadow that does not match its primal."""


class AliasingError(AdCompilerError):
    """Arguments share memory in a way the shadows do not mirror."""


class SourceError(AdCompilerError):
    """The function's source cannot be retrieved or parsed."""


class ShapeError(AdCompilerError):
    """Shapes or dtypes that do not fit together."""


class UnsupportedValueError(AdCompilerError, NotImplementedError):
    """A value the derivative does not cover, seen only when the code runs (a
    non-square ``svd`` with full factors whose extra columns are used...)."""


class BackendError(AdCompilerError):
    """A construct the chosen backend (numba) cannot compile, or a backend
    that is not installed."""


class AdCompilerWarning(UserWarning):
    """Something adcompiler did that the caller may not expect, such as taking
    a bare float array as Const."""



def copied_view_error(where) -> UnsupportedSyntaxError:
    """The refusal of a call the transform took for a view that numpy returned
    as a copy (``runtime.views.view_checked``): ``where`` is (file, line, text)."""
    file, line, text = where
    return UnsupportedSyntaxError(
        "this call returned a copy, not a view, of its argument (numpy's reshape and ravel copy an array "
        "whose layout they cannot view, asarray one of another dtype; a function may return its argument "
        "on one path and another argument or new memory on another), and the copy or the argument is written "
        "later: its "
        "derivative would follow the wrong memory.", filename=file, lineno=line,
        construct=text, hint="copy explicitly (.copy()) if a separate array is meant; if the argument itself is "
                             "meant, write into it by indexing it (A.T[0, 1] = ..., not ravel(A.T)[1] = ...).")


def at_definition(e: AdCompilerError, f) -> AdCompilerError:
    """``e``, an error about the arguments of a call of ``f`` that names no line, located at
    ``f``'s definition (whose line names the parameters); ``e`` itself otherwise."""
    code = getattr(f, "__code__", None)
    if isinstance(e, AdCompilerError) and e.filename is None and code is not None:
        e.filename, e.lineno = code.co_filename, code.co_firstlineno
        e.args = (e._format(),)
    return e


def at_caller(e: AdCompilerError) -> AdCompilerError:
    """``e``, an error that names no line, located at the line of the user's code that led to it
    (the innermost frame outside adcompiler: ``Active(3)``, where no function is known yet)."""
    import os
    import sys
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame = frame.f_back
    if e.filename is None and frame is not None:
        e.filename, e.lineno = frame.f_code.co_filename, frame.f_lineno
        e.args = (e._format(),)
    return e


def located_at_definition(position: int, unwrap):
    """A decorator of an entry point: its errors about the arguments that name no line are
    located at the definition of the function it is given at ``position`` (``unwrap(f)``: the
    user's function of a wrapper)."""
    def wrap(entry):
        @functools.wraps(entry)
        def run(*args, **kwargs):
            try:
                return entry(*args, **kwargs)
            except AdCompilerError as e:
                f = args[position] if len(args) > position else None
                try:
                    at_definition(e, unwrap(f) if callable(f) else None)
                except AdCompilerError:
                    pass
                raise
        return run
    return wrap
