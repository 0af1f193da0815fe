"""Module constants a kernel of numba_kernels.py reads through an attribute."""
SCALE = 2.0
STEPS = 3
