"""Whether a call raises (``frontend/attempts.py``: ``try``/``except`` around one call)."""
from __future__ import annotations


def attempt(types, func, *args, **kwargs):
    """0 when ``func(*args, **kwargs)`` returns; ``k`` when it raises an exception
    that ``types[k - 1]`` (a class or a tuple of them) catches, the first that does,
    as ``except`` clauses are tried; any other exception propagates."""
    try:
        func(*args, **kwargs)
    except BaseException as e:
        for k, t in enumerate(types, 1):
            if isinstance(e, t):
                return k
        raise
    return 0
