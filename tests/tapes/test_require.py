"""The optional-framework guard: skip locally, fail in CI."""
import pytest

from .conftest import require


def test_missing_framework_skips_without_the_ci_flag(monkeypatch):
    monkeypatch.delenv("ADCOMPILER_REQUIRE_EXTRAS", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require("adcompiler_no_such_framework")


def test_missing_framework_fails_with_the_ci_flag(monkeypatch):
    monkeypatch.setenv("ADCOMPILER_REQUIRE_EXTRAS", "1")
    with pytest.raises(pytest.fail.Exception, match="ADCOMPILER_REQUIRE_EXTRAS"):
        require("adcompiler_no_such_framework")


def test_present_framework_is_returned(monkeypatch):
    monkeypatch.setenv("ADCOMPILER_REQUIRE_EXTRAS", "1")
    assert require("numpy").__name__ == "numpy"
