"""MkDocs hook: ``{{ example "NAME.py" }}`` in a page becomes the script's source.

The gallery page shows each example's code as it is in ``examples/``, so the
page cannot drift from the scripts CI runs. An unknown name fails the build.
"""
from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATTERN = re.compile(r'\{\{ example "([A-Za-z0-9_]+\.py)" \}\}')


def _source(match: re.Match) -> str:
    path = os.path.join(ROOT, "examples", match.group(1))
    if not os.path.exists(path):
        raise FileNotFoundError(f"docs/gallery.md names examples/{match.group(1)}, which does not exist")
    with open(path, encoding="utf-8") as fh:
        return f"```python\n{fh.read().rstrip()}\n```"


def on_page_markdown(markdown: str, page, config, files) -> str:
    return PATTERN.sub(_source, markdown)
