"""Hypothesis strategies for the front-end fuzzer: Python modules as text.

``module_source()`` draws a module of one to three functions. Each function
mixes statements of the supported subset with odd but valid syntax
(decorators, defaults, keyword-only and star parameters, annotations,
docstrings, unicode names, deep expressions, long bodies, f-strings, walrus,
match, lambda, comprehensions, try/with, nested defs, weird constants...).
``mutated_source()`` then damages such a module line by line or character by
character, so that some results do not parse (the import is skipped) and the
rest are valid programs no one would write. The contract under test is only
that nothing but ``AdCompilerError`` escapes adcompiler.
"""
from __future__ import annotations

from hypothesis import strategies as st

HEADER = "import functools\nimport math\n\nimport numpy as np\nimport numpy as numpy_alias\n\n" \
         "G = 2.0\nGARR = np.ones(3)\n\n\ndef ident(f):\n    return f\n\n\n" \
         "def scaled(f):\n    @functools.wraps(f)\n    def w(*a):\n        r = f(*a)\n" \
         "        return None if r is None else 2.0 * r\n    return w\n\n\n" \
         "def helper(u, v):\n    u[0] = u[0] + v[0]\n\n\n"

# Names that are valid identifiers; several change under NFKC normalization.
NAMES = ["x", "y", "s", "a", "b", "α", "δx", "ｘ", "ﬁ", "ℌ", "_", "__x", "x_1", "É", "λ", "tmp"]
PARAM_NAMES = ["x", "y", "a", "b"]
# Expression depths; 1000 is deeper than the interpreter stack allows a recursive pass.
DEPTHS = (5, 30, 90, 5, 30, 150, 1000)
#: depths for the CI run (1000 levels are slow to refuse; the deep cases have their own tests)
SHALLOW = (5, 30, 90, 5, 30, 150)

DECORATORS = ["@ident", "@scaled", "@functools.lru_cache(maxsize=None)", "@staticmethod",
              "@(lambda f: f)", "@np.vectorize", "@functools.wraps(helper)"]

CONSTANTS = ["1.0", "0", "-0.0", "1e308", "1e-320", "float('nan')", "float('inf')", "0x1F", "0o17", "0b101",
             "1_000.5", "1j", "True", "None", "...", "'s'", "b'b'", "(1, 2)", "[1.0, 2.0]", "{1: 2}",
             "-(-1.0)", "2 ** 64", "10 ** 400", "math.pi", "np.pi", "np.inf", "np.float32(1.5)", "np.nan"]

# Statements of the supported subset ({a}/{b}: arrays of length >= 3; {n}: an int).
PLAIN = [
    "{a}[:] = {b} * 2.0", "{a}[0] = {a}[0] * {b}[1]", "{a}[1:] += {b}[:-1]", "t = np.sum({b} ** 2)",
    "{a}[...] = np.sin({b})", "for i in range(len({a})):\n    {a}[i] = {a}[i] * 1.5",
    "if {b}[0] > 0.5:\n    {a}[0] = {b}[0]\nelse:\n    {a}[0] = -{b}[0]", "helper({a}, {b})",
    "{a}[2] -= math.exp({b}[0])", "k = 0\nwhile k < 2:\n    {a}[k] *= 2.0\n    k += 1",
    "for i in range(2, -1, -1):\n    if i == 1:\n        continue\n    {a}[i] += {b}[i]",
    "np.multiply({a}, {b}, out={a})", "{a}[:] = np.where({b} > 0.5, {a}, {b})", "pass",
]
# Odd but valid statements; many are refused, some are differentiable.
ODD = [
    '"""A docstring."""', "t = f'{{{a}[0]}}'", "if (m := {b}[0]) > 0:\n    {a}[0] = m",
    "match 1:\n    case 1:\n        {a}[0] = 1.0\n    case _:\n        pass", "g = lambda v: v * 2.0",
    "t = [v for v in range(3)]", "t = {{v: v for v in range(2)}}", "t = sum(v for v in {b})",
    "try:\n    {a}[0] = 1.0\nexcept Exception:\n    pass", "with np.errstate(all='ignore'):\n    {a}[0] = 1.0",
    "def inner(v):\n    return v\n{a}[0] = inner({b}[0])", "class K:\n    pass", "global G\nG = 3.0",
    "GARR[0] = {a}[0]", "{a}[0] = GARR[0] * G", "del {b}", "assert {a}.shape[0] > 0", "import os",
    "print({a}[0])", "{a}[0], *rest = {b}", "t: float = 1.0", "t = (yield)", "raise ValueError('no')",
    "{a}[0] = 1.0; {a}[1] = 2.0", "{a}[0] = \\\n    {b}[0]", "x2 = {a}\nx2[0] = {b}[1]",
    "{a}[[0, 1]] = {b}[:2]", "{a}[{b} > 1.0] = 0.0", "{a}[None] = 0.0", "{a} @= np.eye(len({a}))",
    "{a} //= 2.0", "{a} %= 2.0", "{a}[0] = {b}[0] if {b}[1] > 0 else 0.0", "{a}[0] = 0 < {b}[0] < 1",
    "for i, v in enumerate({b}):\n    {a}[i] = v", "for v in {b}:\n    {a}[0] += v",
    "for i in range(3):\n    return 1.0", "while True:\n    break", "{a}[0] = np.random.rand()",
    "{a}[0] = {b}.item()", "{a}.sort()", "{a}[0] = len(str({b}))", "{a}[0] = {c}",
    "{a}[0] = int({b}[0])", "{a}[0] = {a}", "{a}[0] = {b}[0] is None", "{a}[0] = not {b}[0]",
    "{a}[0] = {b}[0] and {b}[1]", "{a}.shape = (len({a}),)", "{a}[0] = {b}.T @ {b}",
    "{a}[0] = np.linalg.norm({b})", "{a}[0] = getattr(np, 'sum')({b})", "{a}[0] = {undefined}",
    "{a}[0] = undefined_name", "{a}[0] = numpy_alias.cos({b}[0])", "{a}[0] = eval('1.0')",
    "{a}[0] = __import__('math').sqrt(4.0)", "{a}[0] = {b}[0:3:0].sum()", "{a}[0] = ~1",
    "{a}[0] = 1 << 3", "{a}[0] = 7 // 2", "{a}[0] = -{b}[0] ** -2", "{a} = {a} + 1.0",
    "async def co():\n    pass", "nonlocal_ = 1", "{a}[0] = (lambda: 1.0)()",
]


@st.composite
def _params(draw) -> tuple[str, list[str]]:
    """A parameter list text and the names of its positional parameters."""
    n = draw(st.integers(1, 3))
    names = PARAM_NAMES[:n]
    parts = []
    for i, name in enumerate(names):
        if draw(st.integers(0, 9)) == 0:
            name = draw(st.sampled_from(NAMES))
            names[i] = name
        ann = draw(st.sampled_from(["", "", "", ": np.ndarray", ": float", ": 'np.ndarray'", ": list[int]",
                                    ": int", ": 'not a type'"]))
        default = draw(st.sampled_from(["", "", "", "", "=None", "=2.0", "=GARR", "=3"]))
        if i < n - 1 and draw(st.integers(0, 5)):
            default = ""   # mostly keep defaults last (valid syntax)
        if default and ann:
            default = " " + default[0] + " " + default[1:]
        parts.append(f"{name}{ann}{default}")
    # Defaults must not precede parameters without defaults: keep valid syntax most of the time.
    extra = draw(st.sampled_from(["", "", "", "", "", "*args", "**kw", "*, scale=1.0", "*, k",
                                  "/", "*args, **kw"]))
    if extra:
        parts.append(extra)
    return ", ".join(parts), names


def _deep(depth: int, leaf: str) -> str:
    text = leaf
    for i in range(depth):
        text = f"({text} + {i % 3}.0)" if i % 2 else f"-({text} * 1.0)"
    return text


@st.composite
def _statement(draw, names: list[str], depths: tuple = DEPTHS) -> str:
    a = draw(st.sampled_from(names))
    b = draw(st.sampled_from(names))
    kind = draw(st.integers(0, 9))
    if kind < 4:
        tmpl = draw(st.sampled_from(PLAIN))
    elif kind < 8:
        tmpl = draw(st.sampled_from(ODD))
    elif kind == 8:
        depth = draw(st.sampled_from(depths))
        if depth <= 90:
            return f"{a}[0] = {_deep(depth, f'{b}[1]')}"
        # deep trees without parentheses: a unary chain or a long left-nested sum
        chain = draw(st.sampled_from(["-" * depth + f"{b}[1]", " + ".join([f"{b}[1]"] * depth)]))
        return f"{a}[0] = {chain}"
    else:
        return f"{a}[0] = {draw(st.sampled_from(CONSTANTS))}"
    return tmpl.format(a=a, b=b, c=draw(st.sampled_from(CONSTANTS)), undefined="zz_undefined")


@st.composite
def function_source(draw, name: str, depths: tuple = DEPTHS) -> str:
    """One ``def`` (with optional decorators, docstring and return)."""
    params, names = draw(_params())
    lines = [d for d in draw(st.lists(st.sampled_from(DECORATORS), max_size=2))]
    prefix = draw(st.sampled_from(["def", "def", "def", "def", "async def"]))
    ret_ann = draw(st.sampled_from(["", "", " -> float", " -> None", " -> 'np.ndarray'"]))
    lines.append(f"{prefix} {name}({params}){ret_ann}:")
    body = []
    if draw(st.booleans()):
        body.append(draw(st.sampled_from(['"""Docstring."""', "'single'", "r'''raw\nlines'''", "f'{1}'"])))
    size = draw(st.sampled_from([1, 2, 4, 8, 8, 300]))
    stmts = [draw(_statement(names, depths)) for _ in range(min(size, 12))]
    if size > 12:   # a very long function: the drawn statements repeated
        stmts = (stmts * (size // len(stmts) + 1))[:size]
    body += stmts
    ret = draw(st.sampled_from(["", "", "return", "return None", f"return float({names[0]}[0])",
                                f"return np.sum({names[0]} ** 2)", f"return {names[0]}", "return 1",
                                "return (1.0, 2.0)", f"return {names[0]}[0] if {names[0]}[1] > 0 else 0.0"]))
    if ret:
        body.append(ret)
    indent = draw(st.sampled_from(["    ", "  ", "\t", "        "]))
    for stmt in body:
        lines.extend(indent + line for line in stmt.split("\n"))
    return "\n".join(lines) + "\n"


@st.composite
def module_source(draw, depths: tuple = DEPTHS) -> str:
    """A module: a fixed header, then one to three functions ``f0, f1, ...``."""
    count = draw(st.integers(1, 3))
    funcs = [draw(function_source(f"f{i}", depths)) for i in range(count)]
    return HEADER + "\n\n".join(funcs)


_MUTATIONS = ("delete_line", "duplicate_line", "swap_lines", "indent", "dedent", "char", "token", "insert")
_TOKENS = ["(", ")", "[", "]", ":", ",", "=", "+=", "*", "**", "-", "@", " if ", " else ", "lambda",
           "yield", "return", "not ", "0", "1.5", "x", "y", "np.", "\\", "#", "'", '"', "é", "\u200b",
           "\t", " ", "\n", "...", "None", "*args", "async ", "await ", ":="]


@st.composite
def mutated_source(draw, depths: tuple = DEPTHS) -> str:
    """A module from ``module_source`` with one to four random edits."""
    text = draw(module_source(depths))
    head, body = text[:len(HEADER)], text[len(HEADER):]
    for _ in range(draw(st.integers(1, 4))):
        lines = body.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(_MUTATIONS))
        if op == "delete_line":
            del lines[i]
        elif op == "duplicate_line":
            lines.insert(i, lines[i])
        elif op == "swap_lines":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = "    " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][4:] if lines[i].startswith("    ") else lines[i].lstrip()
        else:
            line = lines[i]
            k = draw(st.integers(0, len(line)))
            if op == "char" and line:
                k = min(k, len(line) - 1)
                line = line[:k] + line[k + 1:]
            elif op == "token":
                line = line[:k] + draw(st.sampled_from(_TOKENS)) + line[k:]
            else:
                lead = line[:len(line) - len(line.lstrip())]
                stmt = draw(_statement(["x", "y"]))
                line = line + "\n" + "\n".join(lead + s for s in stmt.split("\n"))
            lines[i] = line
        body = "\n".join(lines)
    return head + body


def any_source(depths: tuple = DEPTHS) -> st.SearchStrategy:
    """Generated or mutated modules, half and half."""
    return st.one_of(module_source(depths), mutated_source(depths))
