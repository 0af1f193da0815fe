"""adcompiler: automatic differentiation of in-place numpy code by source transformation."""
__version__ = "0.1.0"

from . import extend  # noqa: F401
from .activity import (  # noqa: F401
    Active,
    BatchDuplicated,
    Const,
    Duplicated,
    DuplicatedNoNeed,
    Forward,
    ForwardWithPrimal,
    Reverse,
    ReverseSplitNoPrimal,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from .api.reverse import (  # noqa: F401
    adjoint_source,
    autodiff,
    autodiff_thunk,
    gradient,
    memory_report,
)
from .api.second import hessian, hvp, jacobian  # noqa: F401
from .api.transforms import grad, jvp, value_and_grad, vjp  # noqa: F401
from .backends.choice import backend_report  # noqa: F401
from .errors import AdCompilerError  # noqa: F401
from .tapes.differentiate import differentiate  # noqa: F401
