"""Terminal colors for the command line: only on a terminal, never with
``--no-color`` or a non-empty ``NO_COLOR`` (https://no-color.org).

``highlight`` colors Python source with the standard library's tokenizer, so
no extra dependency is needed; uncolored text is returned unchanged.
"""
from __future__ import annotations

import io
import keyword
import os
import token
import tokenize

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
          "grey": "90", "bold": "1"}


def color_enabled(stream, no_color: bool = False) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, color: str) -> str:
    return f"\x1b[{_CODES[color]}m{text}\x1b[0m"


def _style(tok: tokenize.TokenInfo, prev: str) -> str | None:
    if tok.type == token.COMMENT:
        return "grey"
    if tok.type == token.STRING:
        return "green"
    if tok.type == token.NUMBER:
        return "cyan"
    if tok.type == token.NAME:
        if keyword.iskeyword(tok.string):
            return "magenta"
        if prev in ("def", "class"):
            return "yellow"
        if tok.string.startswith("_ad_"):
            return "blue"
    return None


def highlight(source: str) -> str:
    """``source`` with ANSI colors for keywords, names being defined, strings,
    numbers, comments and runtime helpers."""
    lines = source.splitlines(keepends=True)
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    # Insert escape codes from the end so earlier positions stay valid.
    edits = []
    prev = ""
    for tok in toks:
        style = _style(tok, prev)
        if tok.type not in (token.NL, token.NEWLINE, token.INDENT, token.DEDENT, token.COMMENT):
            prev = tok.string
        if style:
            edits.append((tok.start, tok.end, style))
    out = [list(line) for line in lines]
    for (srow, scol), (erow, ecol), style in reversed(edits):
        if erow - 1 < len(out):
            out[erow - 1].insert(ecol, "\x1b[0m")
        out[srow - 1].insert(scol, f"\x1b[{_CODES[style]}m")
    return "".join("".join(chars) for chars in out)
