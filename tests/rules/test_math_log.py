"""``from math import log`` alone (no ``import math`` in the module): the default base of
``math.log`` was written into the derivative as ``math.e`` and every entry point refused
the kernel, naming `math` at line 1; the base is a number now. Every entry point against
finite differences."""
from __future__ import annotations

import numpy as np
from everywhere import check_everywhere

from adcompiler import Active, Const, Duplicated

from .math_log_kernels import log_loop, log_product


def test_log_of_an_imported_name():
    x = np.array([0.7, 1.9])
    check_everywhere(log_product, Duplicated(x, np.zeros(2)), ret=Active)


def test_log_in_a_loop():
    x = np.array([0.3, -1.2, 2.0])
    check_everywhere(log_loop, Duplicated(x, np.zeros(3)), Duplicated(np.zeros(3), np.zeros(3)), ret=Const)
