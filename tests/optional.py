"""Optional frameworks in tests: skip when missing, except in CI."""
import importlib
import os

import pytest


def require(name):
    """Import ``name`` or skip (fail when ADCOMPILER_REQUIRE_EXTRAS=1, as CI sets)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if os.environ.get("ADCOMPILER_REQUIRE_EXTRAS") == "1":
            pytest.fail(f"{name} is required (ADCOMPILER_REQUIRE_EXTRAS=1) but cannot be imported: {exc}")
        pytest.skip(f"{name} is not installed")
