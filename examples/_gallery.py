"""What the gallery scripts share: the size switch and where figures go.

``--small`` on the command line, or ``ADCOMPILER_EXAMPLES_SMALL=1``, runs a
script at the small size CI uses. Figures go to the folder named by
``ADCOMPILER_FIGURES``, else ``examples/figures/`` (ignored by git).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def small() -> bool:
    """Run at the small size (CI): ``--small`` or ``ADCOMPILER_EXAMPLES_SMALL=1``."""
    return "--small" in sys.argv[1:] or os.environ.get("ADCOMPILER_EXAMPLES_SMALL") == "1"


def figure_path(name: str) -> str:
    """Where to write the figure ``name`` (the folder is created)."""
    folder = os.environ.get("ADCOMPILER_FIGURES") or os.path.join(HERE, "figures")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, name: str) -> str:
    """Save ``fig`` as ``name`` in the figure folder, print and return the path."""
    path = figure_path(name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"figure: {path}")
    return path
