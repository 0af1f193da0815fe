"""A sibling module that cli_kernels.py imports (the file's directory is importable)."""
SCALE = 0.5
