"""Random valid programs: adcompiler's gradients against finite differences.

A fixed, seeded sample of ``SAMPLE`` programs of the basic generator
(``features=0``) is differentiated with random non-zero prefilled shadows in the modes Reverse,
ReverseWithPrimal and ReverseSplitWithPrimal. Asserted:

- zero wrong results (gradient, returned derivative, primal side effect or
  primal return) and zero exceptions other than ``AdCompilerError``;
- refusals (``AdCompilerError`` on a valid program) at most
  ``MAX_REFUSED`` of the sample; every refusal is printed with its program.

Separately, smaller samples go through every entry point (``check_all``):
basic programs, and programs drawing from the productions of
``adcompiler.testing.programs.features``: zero wrong, zero exceptions, no entry point refusing what
another accepts, and refusals other than the helper calls the generator
aliases on purpose within the same bound.

The checker itself is tested first against hand-written adjoints, including
deliberately wrong ones it must catch. Long runs: ``tools/run_random_programs.py``.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from adcompiler import activity, errors
from adcompiler.testing.programs import (
    Param,
    Program,
    check_program,
    generate_program,
    load_program,
    reference,
)
from adcompiler.testing.programs.strategies import programs

SAMPLE = 300
FIRST_SEED = 1000
MAX_REFUSED = 15
"""At most 5% of valid programs may be refused; the goal is none."""


# ---- the checker, against hand-written adjoints ---------------------------

ADD_SRC = "import numpy as np\n\n\ndef kernel(s, a, b):\n    s[:] = a + b\n"
SHIFT_SRC = ("import numpy as np\n\n\ndef kernel(x, c):\n    x[1:] = x[:-1] * c\n"
             "    return float(np.sum(x * x))\n")


def _add_adjoint(args, broken):
    s, a, b = args
    s.val[:] = a.val + b.val
    a.dval[...] += s.dval
    b.dval[...] += 0.0 if broken == "drop-b" else s.dval
    if broken != "keep-seed":
        s.dval[...] = 0.0
    return (None, None, None)


def _shift_adjoint(args, broken):
    x, c = args
    x0 = x.val.copy()
    if broken != "no-primal":
        x.val[1:] = x.val[:-1] * c.val
    x1 = x0.copy()
    x1[1:] = x0[:-1] * c.val
    g1 = x.dval + 2.0 * x1
    base = x1 if broken == "overlap" else x0
    dc = float(np.sum(g1[1:] * base[:-1]))
    dx0 = np.zeros_like(x0)
    dx0[0] = g1[0]
    dx0[:-1] += c.val * g1[1:]
    x.dval[...] = dx0
    return (None, dc)


def _fake_api(broken: str = "") -> SimpleNamespace:
    def autodiff(mode, f, ret, *args):
        if broken == "refuse":
            raise errors.UnsupportedSyntaxError("refused on purpose", construct="x[1:]")
        if broken == "crash":
            raise ValueError("internal")
        while broken == "hang":
            pass
        adjoint = _add_adjoint if len(args) == 3 else _shift_adjoint
        return adjoint(args, broken)

    module = SimpleNamespace(autodiff=autodiff, Reverse=activity.Reverse, Const=activity.Const,
                             Active=activity.Active, Duplicated=activity.Duplicated)
    return SimpleNamespace(module=module, error=errors.AdCompilerError)


def _hand_program(which: str) -> Program:
    if which == "add":
        params = [Param(n, "array", "Duplicated", (4,)) for n in "sab"]
        return Program(1, ADD_SRC, params, "Const")
    params = [Param("x", "array", "Duplicated", (5,)), Param("c", "float", "Active")]
    return Program(2, SHIFT_SRC, params, "Active")


@pytest.mark.parametrize("which", ["add", "shift"])
def test_checker_accepts_correct_adjoints(which):
    assert check_program(_hand_program(which), api=_fake_api()).status == "ok"


@pytest.mark.parametrize("which,broken,status", [
    ("add", "drop-b", "wrong"), ("add", "keep-seed", "wrong"),
    ("shift", "overlap", "wrong"), ("shift", "no-primal", "wrong"),
    ("add", "refuse", "refused"), ("shift", "crash", "error"),
])
def test_checker_catches_broken_adjoints(which, broken, status):
    out = check_program(_hand_program(which), api=_fake_api(broken))
    assert out.status == status, out.report()
    assert "def kernel" in out.report()


def test_checker_stops_a_hanging_call():
    out = check_program(_hand_program("add"), api=_fake_api("hang"), timeout=0.2)
    assert out.status == "error" and out.error_type == "Timeout"


def test_finite_differences_detect_kinks():
    prog = Program(3, "import numpy as np\n\n\ndef kernel(x):\n    return float(np.abs(x).sum())\n",
                   [Param("x", "array", "Duplicated", (2,))], "Active")
    fn = load_program(prog)
    seeds = {"x": np.array([0.5, -0.25])}
    with pytest.raises(reference.NonSmooth):
        reference.gradient(fn, prog, [np.array([0.0, 1.0])], seeds)
    g = reference.gradient(fn, prog, [np.array([-0.7, 1.0])], seeds)
    np.testing.assert_allclose(g["x"], [-1.0 + 0.5, 1.0 - 0.25], rtol=1e-7)


def test_generator_is_deterministic_and_programs_run():
    for seed in range(40):
        p, q = generate_program(seed), generate_program(seed)
        assert p.source == q.source and p.params == q.params
        fn = load_program(p)
        fn(*p.build_inputs(seed))


# ---- random programs against adcompiler ----------------------------------

def _run_sample(seeds, **options) -> tuple[Counter, dict]:
    tally: Counter = Counter()
    reports = {"wrong": [], "error": [], "refused": [], "invalid": []}
    for seed in seeds:
        out = check_program(generate_program(seed, **options))
        tally[out.status] += 1
        if out.status in reports:
            reports[out.status].append(out.report())
    for status, items in reports.items():
        for text in items:
            print(f"---- {status}\n{text}")
    print(dict(tally))
    return tally, reports


def test_random_programs_sample():
    tally, reports = _run_sample(range(FIRST_SEED, FIRST_SEED + SAMPLE), features=0.0)
    assert tally["invalid"] == 0, reports["invalid"][:1]
    assert tally["wrong"] == 0, reports["wrong"][:3]
    assert tally["error"] == 0, reports["error"][:3]
    assert tally["refused"] <= MAX_REFUSED, reports["refused"][:3]
    assert tally["skipped"] <= SAMPLE // 10


REGRESSIONS = Path(__file__).resolve().parent / "fuzz" / "regressions"
OPEN_CORE_BUGS: dict = {}


def _regressions():
    out = []
    for path in sorted(REGRESSIONS.glob("fuzz_*.py")):
        reason = OPEN_CORE_BUGS.get(path.stem)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(path, marks=marks, id=path.stem))
    return out


@pytest.mark.parametrize("path", _regressions())
def test_regression_program(path):
    """Programs that once failed (reduced reproducers; see core_bugs/fuzz-N.py).

    Each failed silently or crashed; a correct result passes, and so does a
    clean refusal (an ``AdCompilerError``), which is never silent.
    """
    from adcompiler.testing.programs.loader import load_source
    from adcompiler.testing.programs.reproduce import check_reproducer

    module = load_source(path.read_text(), path.stem)
    try:
        bad = check_reproducer(module)
    except errors.AdCompilerError as exc:
        print(f"refused: {exc}")
        return
    assert bad == []


# ---- every entry point, and the productions of programs.features -------------

ENTRY_SAMPLE = 60
"""Programs of the basic generator driven through every entry point (about 1 s each)."""
FEATURE_SAMPLE = 60
"""Programs that all draw from ``programs.features`` (helpers returning every kind,
ragged and CSR loops, containers, generated-looking names, newaxis, index
lists, augmented assignment on views)."""


def _run_all(seeds, **options) -> tuple[Counter, Counter, list]:
    from adcompiler.testing.programs import check_all

    tally: Counter = Counter()
    per_entry: Counter = Counter()
    bad = []
    for seed in seeds:
        out = check_all(generate_program(seed, **options), tape_every=10)
        tally[out.status] += 1
        if out.status == "refused" and out.error_type == "AliasingError":
            tally["refused-aliasing"] += 1   # helper calls the generator aliases on purpose
        for name, e in out.entries.items():
            per_entry[(name, e.status)] += 1
        if out.status in ("wrong", "error", "invalid", "inconsistent"):
            bad.append(out)
    for out in bad:
        print(f"---- {out.status} (features: {sorted(out.program.features)})\n{out.report()}")
    print(dict(tally))
    print({f"{k}/{s}": v for (k, s), v in sorted(per_entry.items()) if s != "ok"})
    return tally, per_entry, bad


def _assert_clean(tally: Counter, bad: list, sample: int) -> None:
    def where(status):
        return sorted({n for o in bad if o.status == status for n in o.failing((status,))})

    assert tally["invalid"] == 0, bad[:1]
    assert tally["wrong"] == 0, f"wrong results at entry points {where('wrong')}"
    assert tally["error"] == 0, f"exceptions at entry points {where('error')}"
    refusing = sorted({n for o in bad if o.status == "inconsistent" for n in o.failing(("refused",))})
    assert tally["inconsistent"] == 0, f"only some entry points refuse: {refusing}"
    # the generator passes overlapping slices to helpers that write one of them
    # on purpose (refused by design); every other refusal counts against the bound
    assert tally["refused"] - tally["refused-aliasing"] <= max(MAX_REFUSED * sample // SAMPLE, 3)


def test_every_entry_point_sample():
    """Basic programs through Reverse, ReverseWithPrimal, split, the emitted module,
    Forward, BatchDuplicated, autograd (torch and JAX on every 10th) and the
    forward/reverse dot-product test: all agree with finite differences."""
    seeds = range(FIRST_SEED, FIRST_SEED + ENTRY_SAMPLE)
    tally, _, bad = _run_all(seeds, features=0.0)
    _assert_clean(tally, bad, ENTRY_SAMPLE)


def test_new_productions_every_entry_point():
    """Programs that all use the new productions, through every entry point."""
    seeds = range(FIRST_SEED, FIRST_SEED + FEATURE_SAMPLE)
    tally, _, bad = _run_all(seeds, features=1.0)
    _assert_clean(tally, bad, FEATURE_SAMPLE)


def test_new_productions_are_drawn_and_run():
    """Every production of programs.features occurs, and its programs run as plain Python."""
    from adcompiler.testing.programs import features, forms

    seen: set = set()
    for seed in range(300):
        p = generate_program(seed, features=1.0)
        seen |= p.features
        if seed < 30:
            load_program(p)(*p.build_inputs(seed))
    kinds = {"float", "expr", "zeros", "empty_like", "copy", "mutated", "alias", "tuple"}
    want = {f"helper-{k}" for k in kinds} | {"ragged", "csr", "container", "names", "newaxis", "fancy",
                                             "aug-view", "stack", "boolop", "record"}
    want |= {f"form-{k}" for k in forms.FORMS}
    assert want <= seen, want - seen
    assert features.__doc__


def test_forms_restrict_draws_only_the_named_forms():
    """``forms.restrict`` (``run_random_programs.py --forms``) leaves only the named forms."""
    from adcompiler.testing.programs import forms

    forms.restrict(["complex", "globals"])
    try:
        tags: set = set()
        for seed in range(60):
            tags |= {f for f in generate_program(seed, features=1.0).features if f.startswith("form-")}
    finally:
        forms.restrict(None)
    assert tags == {"form-complex", "form-globals"}
    with pytest.raises(ValueError):
        forms.restrict(["no-such-form"])
    assert forms.ONLY is None


def test_basic_generator_is_unchanged_without_features():
    """features=0 reproduces the programs of the generator before programs.features."""
    p = generate_program(1000, features=0.0)
    assert not p.features and "hret" not in p.source


def test_random_programs_with_tuple_aliases():
    tally, reports = _run_sample(range(FIRST_SEED, FIRST_SEED + 40), tuple_alias=1.0, features=0.0)
    assert tally["wrong"] == 0 and tally["error"] == 0 and tally["invalid"] == 0, reports["wrong"][:1]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(programs(features=0.0))
def test_random_programs_hypothesis(program):
    out = check_program(program)
    assert out.status in ("ok", "refused", "skipped"), out.report()


def test_reproducer_carries_program_inputs_and_expectation(tmp_path):
    from adcompiler.testing.programs.reproduce import write_reproducer

    out = check_program(_hand_program("shift"), api=_fake_api("overlap"))
    path = write_reproducer(out, tmp_path)
    namespace: dict = {"__name__": "reproducer"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - file written above
    want = out.program.build_inputs(out.input_seed)
    np.testing.assert_array_equal(namespace["INPUTS"][0], want[0])
    assert namespace["INPUTS"][1] == want[1]
    assert set(namespace["EXPECTED"]) == {"x", "c"}
    np.testing.assert_allclose(namespace["EXPECTED"]["x"], out.expected["x"])


def _adcompiler_api(hvp_scale: float = 1.0) -> SimpleNamespace:
    import adcompiler as ad
    module = SimpleNamespace(**{n: getattr(ad, n) for n in dir(ad) if not n.startswith("_")})
    if hvp_scale != 1.0:
        module.hvp = lambda f, args, vs: tuple(None if h is None else h * hvp_scale for h in ad.hvp(f, args, vs))
    return SimpleNamespace(module=module, error=errors.AdCompilerError)


@pytest.mark.parametrize("scale, status", [(1.0, "ok"), (1.001, "wrong")])
def test_hvp_entry_against_differences_of_the_gradient(scale, status):
    """The ``hvp`` entry (``--mode second`` of tools/run_random_programs.py): right
    on the shift kernel, and a Hessian-vector product off by 0.1% is caught."""
    from adcompiler.testing.programs import check_all
    out = check_all(_hand_program("shift"), api=_adcompiler_api(scale), entries=("Reverse", "hvp"))
    assert out.entries["hvp"].status == status, out.report()


def test_emitted_module_of_a_complex_intermediate_of_unknown_dtype():
    """Seed 92056 (``z3 = d + 1j * s`` with ``d`` a float array of a rank-only
    emitted module): complex with a dtype unknown was unknown, so the real shadow
    of ``d`` took the complex adjoint (numpy's casting error in the emitted module)."""
    from adcompiler.testing.programs import check_all
    out = check_all(generate_program(92056, features=1.0), entries=("Reverse", "emit_reverse", "emit_split"))
    assert out.status in ("ok", "skipped"), out.report()
