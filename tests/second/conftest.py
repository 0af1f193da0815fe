import pytest
from optional import require


@pytest.fixture
def require_framework():
    """Import an optional framework or skip (fail when ADCOMPILER_REQUIRE_EXTRAS=1)."""
    return require
