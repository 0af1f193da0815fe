"""Random-program testing of adcompiler.

``generate_program(seed)`` builds a random kernel from the supported subset
(source text plus a description of its arguments); ``load_program`` writes it
to a file and imports it; ``check_program`` differentiates it with
``adcompiler.autodiff`` and compares against central finite differences and
against running the function itself. ``strategies.programs()`` is the
hypothesis strategy over the same generator (import it from
``adcompiler.testing.programs.strategies``: this package itself never imports
hypothesis or pytest); ``frontend_sources`` and ``frontend_driver`` are the
front-end fuzzer (hypothesis strategies over Python source, and the driver
that sends a module through every entry point).

Workflow for a failure: ``tools/run_random_programs.py --reduce`` writes a
standalone reproducer and a reduced one (statements deleted while the
failure persists); a reduced program, rebuilt with
``reproduce.regression_source``, goes into ``tests/fuzz/regressions/`` where
``tests/test_random_programs.py`` runs it on every test run.
"""
from .check import Outcome, check_all, check_program
from .generate import generate_program
from .loader import load_program
from .spec import Param, Program

__all__ = ["Outcome", "Param", "Program", "check_all", "check_program", "generate_program",
           "load_program"]
