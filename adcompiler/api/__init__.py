"""The public entry points, by mode: ``reverse`` (autodiff, autodiff_thunk,
gradient, adjoint_source), ``forward`` (forward and vector mode) and
``second`` (hvp, hessian, jacobian). Each compiles through ``pipeline``."""
from .forward import autodiff_forward
from .reverse import adjoint_source, autodiff, autodiff_thunk, gradient
from .second import hessian, hvp, jacobian

__all__ = ["adjoint_source", "autodiff", "autodiff_forward", "autodiff_thunk", "gradient", "hessian", "hvp",
           "jacobian"]
