"""Checks of derivatives against finite differences, for users and for the
test suite: ``check_grads`` (a mutating function in any mode) and
``check_gradient`` (a float-returning function), built on the one
finite-difference engine ``adcompiler.testing.fd``. The random-program
generator and checker live in ``adcompiler.testing.programs`` (imported on
demand: neither subpackage needs pytest or hypothesis)."""
from . import fd
from .check import GradCheckResult, check_gradient, check_grads

__all__ = ["GradCheckResult", "check_gradient", "check_grads", "fd"]
