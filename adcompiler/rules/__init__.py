"""Rule tables, one module per domain; importing this package fills them."""
from . import complexes as _complexes  # noqa: F401
from . import curves as _curves  # noqa: F401
from . import fft as _fft  # noqa: F401
from . import indexing as _indexing  # noqa: F401
from . import linalg as _linalg  # noqa: F401
from . import nondiff as _nondiff  # noqa: F401
from . import parameters as _parameters  # noqa: F401
from . import python as _python  # noqa: F401
from . import reductions as _reductions  # noqa: F401
from . import registry as _registry
from . import runtime_rules as _runtime_rules  # noqa: F401
from . import scipy_linalg as _scipy_linalg
from . import shape as _shape  # noqa: F401
from . import special as _special
from . import stack as _stack  # noqa: F401
from . import statistics as _statistics  # noqa: F401
from . import ufuncs as _ufuncs  # noqa: F401
from .registry import (  # noqa: F401
    REQUIRED,
    Rule,
    all_rules,
    allocating,
    defrule,
    defsplit,
    elementwise,
    from_source,
    is_runtime_helper,
    lookup,
    nondifferentiable,
    register_rule,
    source_helper_error,
)

#: the rules adcompiler ships (users and tests may register more later)
BUILTIN_RULES = tuple(all_rules())
_registry.shipped()
_registry._later += [("scipy.special", _special.scipy_rules), ("scipy.linalg", _scipy_linalg.scipy_linalg_rules)]
