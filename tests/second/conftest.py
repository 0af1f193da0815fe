import importlib
import os

import pytest


@pytest.fixture
def require_framework():
    """Import an optional framework or skip (fail when ADCOMPILER_REQUIRE_EXTRAS=1)."""
    def require(name):
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            if os.environ.get("ADCOMPILER_REQUIRE_EXTRAS") == "1":
                pytest.fail(f"{name} is required (ADCOMPILER_REQUIRE_EXTRAS=1) but cannot be imported: {exc}")
            pytest.skip(f"{name} is not installed")
    return require
