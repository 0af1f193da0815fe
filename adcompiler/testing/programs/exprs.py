"""Random bounded, differentiable expressions over a ``Scope``.

Three shapes of expression: ``scalar`` (a float), ``elem`` (a float that may
read array elements at given index expressions) and ``vec`` (an array of the
scope's length ``n``). Arguments of ``log``/``sqrt`` are kept positive and
``exp`` sees damped arguments, so values stay bounded and smooth; kinks
(``abs``, ``max``) only occur where two generic values meet.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Scope:
    """Names visible to generated code.

    ``vecs``: 1-d arrays of length ``n``; ``mats``: ``(name, rows)`` of
    2-d arrays shaped ``(rows, n)``; ``zerod``: 0-d arrays; ``scalars``:
    float names. The ``w_`` lists are the subsets that may be written;
    ``c_vecs`` are Const arrays, written only with data derived from themselves.
    """

    n: int
    vecs: list[str] = field(default_factory=list)
    w_vecs: list[str] = field(default_factory=list)
    mats: list[tuple[str, int]] = field(default_factory=list)
    w_mats: list[tuple[str, int]] = field(default_factory=list)
    zerod: list[str] = field(default_factory=list)
    w_zerod: list[str] = field(default_factory=list)
    scalars: list[str] = field(default_factory=list)
    w_scalars: list[str] = field(default_factory=list)
    c_vecs: list[str] = field(default_factory=list)


_UNARY = ["sin", "cos", "tanh", "exp", "sqrt", "log", "square", "neg", "abs"]
_BINARY = ["+", "-", "*", "*", "/", "max", "min"]


class ExprGen:
    """Random expressions over the names of a scope."""

    def __init__(self, rng: random.Random, scope: Scope):
        self.rng = rng
        self.s = scope

    def const(self) -> str:
        return repr(round(self.rng.choice([0.5, 0.25, 1.5, 0.75, 2.0, 0.3, -0.5, -1.25]), 2))

    # ---- leaves -------------------------------------------------------
    def _scalar_leaf(self) -> str:
        r = self.rng
        options = ["const"] + ["name"] * (2 if self.s.scalars else 0)
        if self.s.vecs and self.s.n >= 1:
            options += ["elem0", "elem0"]
        if self.s.zerod:
            options.append("zerod")
        choice = r.choice(options)
        if choice == "name":
            return r.choice(self.s.scalars)
        if choice == "zerod":
            z = r.choice(self.s.zerod)
            return r.choice([f"float({z})", z, f"{z}[...]"])
        if choice == "elem0":
            v = r.choice(self.s.vecs)
            return f"{v}[{r.choice([0, self.s.n - 1, -1])}]"
        return self.const()

    def _elem_leaf(self, idx: list[str]) -> str:
        if self.s.vecs and idx and self.rng.random() < 0.7:
            return f"{self.rng.choice(self.s.vecs)}[{self.rng.choice(idx)}]"
        return self._scalar_leaf()

    def _vec_leaf(self) -> str:
        r = self.rng
        k = r.random()
        if self.s.mats and k < 0.2:
            m, rows = r.choice(self.s.mats)
            v = r.choice(self.s.vecs)
            opts = [f"{m}.sum(axis=0)", f"np.sum({m}, axis=0)", f"({m}.T @ np.tanh({m} @ {v}))",
                    f"np.dot({m}.T, np.sin(np.matmul({m}, {v})))",
                    f"np.sum({m} * {v}, axis=0, keepdims=True)[0]"]
            if rows >= 1:
                opts += [f"np.mean({m}, axis=0)", f"{m}[{rows - 1}]", f"np.max({m}, axis=0)"]
            return r.choice(opts)
        if k < 0.3:
            return f"{r.choice(self.s.vecs)}[::-1]"
        return r.choice(self.s.vecs)

    # ---- composite ----------------------------------------------------
    def _unary(self, e: str, lib: str) -> str:
        op = self.rng.choice(_UNARY)
        if op == "exp":
            return f"{lib}.exp(0.5 * {e})"
        if op == "sqrt":
            return f"{lib}.sqrt(1.0 + ({e}) ** 2)"
        if op == "log":
            return f"{lib}.log(1.5 + {lib}.tanh({e}))"
        if op == "square":
            return f"({e}) ** 2"
        if op == "neg":
            return f"-({e})"
        if op == "abs":
            return f"np.abs({e})" if lib == "np" else f"abs({e})"
        return f"{lib}.{op}({e})"

    def _binary(self, a: str, b: str, vec: bool) -> str:
        op = self.rng.choice(_BINARY)
        if op in ("max", "min") and a == b:
            op = "+"
        if op == "/":
            return f"({a}) / (2.0 + np.cos({b}))" if vec else f"({a}) / (2.0 + math.cos({b}))"
        if op in ("max", "min"):
            if vec:
                return f"np.{op}imum({a}, {b})"
            return f"{op}({a}, {b})" if self.rng.random() < 0.5 else f"np.{op}imum({a}, {b})"
        return f"({a} {op} {b})"

    def scalar(self, depth: int = 2) -> str:
        """A float expression; may reduce arrays."""
        r = self.rng
        if depth <= 0:
            return self._scalar_leaf()
        k = r.random()
        if k < 0.3 and self.s.vecs:
            return self.reduce(depth - 1)
        if k < 0.55:
            return self._unary(self.scalar(depth - 1), r.choice(["math", "np"]))
        if k < 0.85:
            return self._binary(self.scalar(depth - 1), self.scalar(depth - 1), False)
        return self._scalar_leaf()

    def reduce(self, depth: int = 1) -> str:
        """A scalar reduction of a vector expression."""
        r = self.rng
        v = self.vec(depth)
        opts = ["np.sum", ".sum", "dot"]
        if self.s.n >= 1:
            opts += ["np.mean", ".mean", "np.max", ".max", ".min", "np.min"]
        op = r.choice(opts)
        if op == "dot":
            other = r.choice(self.s.vecs)
            return r.choice([f"np.dot({v}, {other})", f"(({v}) @ {other})"])
        if op.startswith("."):
            return f"({v}){op}()"
        return f"{op}({v})"

    def elem(self, idx: list[str], depth: int = 2) -> str:
        """A float expression reading array elements at ``idx`` positions."""
        r = self.rng
        if depth <= 0:
            return self._elem_leaf(idx)
        k = r.random()
        if k < 0.35:
            return self._unary(self.elem(idx, depth - 1), r.choice(["math", "np"]))
        if k < 0.8:
            return self._binary(self.elem(idx, depth - 1), self.elem(idx, depth - 1), False)
        return self._elem_leaf(idx)

    def vec(self, depth: int = 2) -> str:
        """An expression of shape ``(n,)`` (scalars broadcast)."""
        r = self.rng
        if depth <= 0:
            return self._vec_leaf()
        k = r.random()
        if k < 0.3:
            return self._unary(self.vec(depth - 1), "np")
        if k < 0.6:
            return self._binary(self.vec(depth - 1), self.vec(depth - 1), True)
        if k < 0.7:
            return f"({self.vec(depth - 1)} * {self.scalar(depth - 1)})"
        if k < 0.78:
            cond = f"{r.choice(self.s.vecs)} > {r.choice(['0', '0.0', '-0.1'])}"
            return f"np.where({cond}, {self.vec(depth - 1)}, {self.vec(depth - 1)})"
        if k < 0.86:
            op = r.choice(["add", "subtract", "multiply", "divide", "negative", "power"])
            a, b = self.vec(depth - 1), self.vec(depth - 1)
            if op == "divide":
                return f"np.divide({a}, 2.0 + np.cos({b}))"
            if op == "negative":
                return f"np.negative({a})"
            if op == "power":
                return f"np.power({a}, {r.choice(['2', '3', '2.0'])})"
            return f"np.{op}({a}, {b})"
        return self._vec_leaf()
