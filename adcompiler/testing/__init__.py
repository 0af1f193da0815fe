"""Checks of derivatives against finite differences, for users and for the
test suite: ``check_grads`` (a mutating function in any mode) and
``check_gradient`` (a float-returning function)."""
from .check import GradCheckResult, check_gradient, check_grads

__all__ = ["GradCheckResult", "check_gradient", "check_grads"]
