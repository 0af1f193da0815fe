"""``python -m adcompiler``: the command line (see ``adcompiler.cli``)."""
import sys

from .cli.main import main

sys.exit(main())
