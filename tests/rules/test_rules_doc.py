"""docs/rules.md is generated from the rule tables and must be up to date."""
import importlib.util
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_rules_doc_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_rules_doc", os.path.join(ROOT, "tools", "gen_rules_doc.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with open(os.path.join(ROOT, "docs", "rules.md")) as fh:
        assert fh.read() == mod.render(), "run `python tools/gen_rules_doc.py`"


def test_coverage_at_least_150():
    from adcompiler.rules import all_rules
    assert sum(r.differentiable for r in all_rules()) >= 150


def test_every_general_rule_has_tangents():
    from adcompiler.rules import all_rules
    missing = [r.name for r in all_rules() if r.differentiable and r.kind != "elementwise" and not r.split
               and set(r.adjoints) - set(r.tangents)]
    assert not missing, missing
