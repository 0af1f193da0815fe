"""Random-program testing of adcompiler.

``generate_program(seed)`` builds a random kernel from the supported subset
(source text plus a description of its arguments); ``load_program`` writes it
to a file and imports it; ``check_program`` differentiates it with
``adcompiler.autodiff`` and compares against central finite differences and
against running the function itself. ``programs()`` is the hypothesis
strategy over the same generator.
"""
from .check import Outcome, check_program
from .generate import generate_program
from .loader import load_program
from .spec import Param, Program
from .strategies import programs

__all__ = ["Outcome", "Param", "Program", "check_program", "generate_program",
           "load_program", "programs"]
