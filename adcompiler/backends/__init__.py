"""Backends: how generated code runs. ``numpy`` (the default) executes it as
Python over numpy; ``numba`` compiles it (``numba.py``, ``numba_rewrite.py``,
``numba_loops.py``, ``numba_runtime.py``); ``choice.py`` picks one for
``backend="auto"`` and records every decision (``backend_report``)."""
