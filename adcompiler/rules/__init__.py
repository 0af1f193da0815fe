"""Rule tables, one module per domain; importing this package fills them."""
from .registry import (  # noqa: F401
    REQUIRED, Rule, all_rules, allocating, defrule, elementwise, lookup,
    nondifferentiable, register_rule,
)
from . import ufuncs as _ufuncs  # noqa: F401,E402
from . import reductions as _reductions  # noqa: F401,E402
from . import linalg as _linalg  # noqa: F401,E402
from . import shape as _shape  # noqa: F401,E402
from . import python as _python  # noqa: F401,E402
from . import nondiff as _nondiff  # noqa: F401,E402
