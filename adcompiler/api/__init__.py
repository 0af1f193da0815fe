"""The public entry points, by mode: ``reverse`` (autodiff, autodiff_thunk,
gradient, adjoint_source), ``forward`` (forward and vector mode) and
``second`` (hvp, hessian, jacobian), ``transforms`` (grad, value_and_grad,
vjp, jvp), ``explain`` (the memory report, ``reverse.memory_report``). Each compiles through ``pipeline``."""
from .forward import autodiff_forward
from .reverse import adjoint_source, autodiff, autodiff_thunk, gradient, memory_report
from .second import hessian, hvp, jacobian
from .transforms import grad, jvp, value_and_grad, vjp

__all__ = [
    "adjoint_source",
    "autodiff",
    "autodiff_forward",
    "autodiff_thunk",
    "grad",
    "gradient",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "memory_report",
    "value_and_grad",
    "vjp",
]
