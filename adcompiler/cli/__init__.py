"""The ``adcompiler`` command: ``main`` parses the command line, ``emit``
writes stand-alone modules, ``check`` compares derivatives with finite
differences, ``load`` finds the target function, ``color`` paints output."""
from .main import main

__all__ = ["main"]
