"""Productions of helpers given a list or tuple written out (``features.helper_call`` draws them):
``h([a, b], c)``, ``h((a, b), c)``, or a name bound once to a list and passed (``seq = [a, e];
h(seq, c)``); the helper iterates it, unpacks it, reads its items by constant indices, or writes
into the arrays it holds. (``frontend/specialise.py`` gives the helper the items as arguments.)"""
from __future__ import annotations

from .exprs import ExprGen


def display_helper_call(g: ExprGen, ind: str, ex) -> list[str]:
    """(``ex``: the program's ``features.Extras``.) A helper given a list or tuple written out (or a name bound to one): iterating it, unpacking
    it, reading its items by constant indices, or writing into the arrays it holds."""
    r, s = g.rng, g.s
    h, c = ex.name("hseq"), g.const()
    kind = r.choice(["loop", "unpack", "index", "write", "named"])
    kind = "loop" if kind == "named" and ind != "    " else kind   # (a name bound in a block is a list kept)
    bodies = {"loop": ["    s = 0.0", "    for p in ps:", f"        s += float(np.sum(p * b)) * {c}", "    return s"],
              "unpack": ["    u, v = ps", f"    return float(np.sum(np.tanh(u) * v + b * {c}))"],
              "index": [f"    return float(np.sum(ps[0] * b) + np.sum(ps[-1] * ps[0])) * {c}"],
              "write": ["    for p in ps:", f"        p *= {r.choice(['0.5', 'b', 'np.cos(b)'])}"]}
    body = bodies["loop" if kind == "named" else kind]
    ex.helpers += [f"def {h}(ps, b):"] + body + ["", ""]
    ex.features.add(f"helper-display-{kind}")
    pool = s.w_vecs if kind == "write" else s.vecs
    u = r.choice(pool)
    v = r.choice([x for x in pool if x != u] or [u])
    b = r.choice([x for x in s.vecs if x not in (u, v)] or [g.scalar(1)])
    seq = f"[{u}, {v}]" if r.random() < 0.5 else f"({u}, {v})"
    if kind == "write":
        return [ind + f"{h}({seq}, {b})"]
    if kind == "named":
        seq2 = ex.name("seq")
        return [ind + f"{seq2} = [{u}, {g.vec(1)}]", ind + f"{r.choice(s.w_scalars)} += {h}({seq2}, {b})"]
    return [ind + f"{r.choice(s.w_scalars)} += {h}({seq}, {b})"]
