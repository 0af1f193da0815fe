"""The documentation site builds with ``mkdocs build --strict`` (warnings are errors).

A broken link between pages, a page missing from the navigation, or a
gallery script named on a page that does not exist fails the build. The
site goes to a temporary folder; nothing is written in the repository.
"""
from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for page in ("index.html", "getting-started/index.html", "semantics/index.html", "gallery/index.html",
                 "rules/index.html", "cli/index.html", "img/shadows.svg"):
        assert (site / page).exists(), page
    gallery = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    assert "def heat(u, kappa, dt, steps):" in gallery and "{{ example" not in gallery
    assert not (site / "hooks.py").exists()


def test_every_page_is_in_the_navigation():
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as fh:
        nav = fh.read()
    pages = sorted(f for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
    assert [p for p in pages if f": {p}" not in nav] == []
