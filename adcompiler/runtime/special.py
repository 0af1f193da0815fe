"""Special functions the derivative rules of ``rules.special`` call: the
digamma function, the derivative of ``log Γ``."""
from __future__ import annotations

import numpy as np


def _shifted_up(x, power):
    """``(x, reflect, y, sum)`` for the recurrences of digamma and trigamma: ``x``
    as floats, where it is below 1/2 (reflected to ``1 - x``), ``y`` the point (or
    its reflection) shifted up by ones until it is at least 10 (at most 10 times),
    and the sum of ``1 / y ** power`` over the points passed."""
    x = np.asarray(x, dtype=float)
    reflect = x < 0.5
    y = np.where(reflect, 1.0 - x, x)
    acc = np.zeros_like(y)
    for _ in range(10):
        small = y < 10.0
        acc = acc + np.where(small, 1.0 / np.where(small, y ** power, 1.0), 0.0)
        y = np.where(small, y + 1.0, y)
    return x, reflect, y, acc


def digamma(x):
    """ψ(x) = d/dx log Γ(x), elementwise: shifted up by ψ(y) = ψ(y + 1) - 1/y
    until y >= 10, then the asymptotic series (error below 1e-14); below 1/2
    by the reflection ψ(x) = ψ(1 - x) - π / tan(π x). Infinite or nan at the
    poles (0, -1, -2...), as scipy's."""
    x, reflect, y, shifts = _shifted_up(x, 1)
    acc = -shifts
    r = 1.0 / (y * y)
    series = np.log(y) - 0.5 / y - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132)))))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(reflect, acc + series - np.pi / np.tan(np.pi * x), acc + series)
    return out[()] if out.ndim == 0 else out


def trigamma(x):
    """ψ'(x), the derivative of ``digamma``, elementwise: shifted up by
    ψ'(y) = ψ'(y + 1) + 1/y² until y >= 10, then the asymptotic series; below 1/2
    by the reflection ψ'(x) = π² / sin²(π x) - ψ'(1 - x)."""
    x, reflect, y, acc = _shifted_up(x, 2)
    r = 1.0 / (y * y)
    series = 1.0 / y + 0.5 * r + r / y * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30))))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(reflect, np.pi ** 2 / np.sin(np.pi * x) ** 2 - (acc + series), acc + series)
    return out[()] if out.ndim == 0 else out


def tetragamma(x):
    """ψ''(x), the derivative of ``trigamma``, elementwise: shifted up by
    ψ''(y) = ψ''(y + 1) - 2/y³ until y >= 10, then the asymptotic series; below 1/2
    by the reflection ψ''(x) = ψ''(1 - x) - 2π³ cos(π x) / sin³(π x)."""
    x, reflect, y, acc = _shifted_up(x, 3)
    r = 1.0 / (y * y)
    series = -r * (1.0 + 1.0 / y + r * (0.5 - r * (1 / 6 - r * (1 / 6 - r * (3 / 10 - r * (5 / 6))))))
    inner = series - 2.0 * acc
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(reflect, inner - 2.0 * np.pi ** 3 * np.cos(np.pi * x) / np.sin(np.pi * x) ** 3, inner)
    return out[()] if out.ndim == 0 else out
