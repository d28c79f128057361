"""Property tests of the pass pipeline: every pass, alone and in the pipeline, keeps the interpreter's values.

Inputs (tests/strategies.py): random expression DAGs, model-shaped densities (normalised mixtures, their log),
and a catalogue of every op of the op table and every rewrite pattern at once. Each pass of
``firmc.passes.pipeline.PIPELINE`` (picked up by name: a new pass is tested without touching this file) runs
alone with ``Context(optimize=2)``, and again on its own output; the whole pipeline runs at optimize 0 to 3
with the verifier after every pass (``check=True``; a failure names the first pass that went wrong). Values
are compared with the original IR's at random points under the suite's policy (:func:`strategies.compare`):

* tolerance: |new - v| <= 1e-12 |v| + 100 spread + 1e-300, elementwise, where ``spread`` is how far the
  ORIGINAL moves when its inputs and the result of every operation are perturbed by a few ulps (quadratures by
  their tolerance, results that can underflow by a few subnormal ulps): rewrites exact in real arithmetic
  change rounding, and cancellation downstream amplifies it as much as it amplifies the perturbation;
* a finite original must stay finite (unless a perturbation of a few ulps already makes it NaN or inf); an
  original NaN or inf may become anything, e.g. a more accurate finite value (log(exp(800)) -> 800).

Work: on closed-form models the pipeline never adds weighted work per event (firmc.passes.cost.COST).
Known weak spots of the existing code are pinned by strict xfail tests at the end.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from firmc.interp import evaluate
from firmc.ir import Node, apply, const, obs, param, verify_node
from firmc.ir.text import print_nodes
from firmc.ir.types import DType
from firmc.library import composite, shapes
from firmc.passes.context import Context
from firmc.passes.cost import COST, op_counts
from firmc.passes.pipeline import PIPELINE, Pass, run_pipeline
from strategies import Case, Reference, catalogue, compare, expressions, models, point_sets, random_point, reference

PASSES = {p.name: p for p in PIPELINE}
LEVELS = [0, 1, 2, 3]  # 3: rules that change values beyond rounding (more accurate), e.g. log(exp(x)) -> x
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CASES = st.one_of(expressions(), expressions(), models())  # two thirds random DAGs


def run_pass(p: Pass, roots: Sequence[Node], ctx: Context) -> list[Node]:
    """Run one pass over ``roots``, whether it maps a list of roots or named outputs (extra outputs, such as
    gradients, are dropped)."""
    first = next(iter(inspect.signature(p.run).parameters))
    if first in ("roots", "nodes"):
        out = list(p.run(list(roots), ctx))
        assert len(out) == len(roots), f"pass {p.name} returned {len(out)} roots for {len(roots)}"
        return out
    names = [f"r{i}" for i in range(len(roots))]
    outputs = p.run(dict(zip(names, roots, strict=True)), ctx)
    missing = [k for k in names if k not in outputs]
    assert not missing, f"pass {p.name} dropped the outputs {missing}"
    return [outputs[k] for k in names]


def context(case: Case, optimize: int) -> Context:
    return Context(optimize=optimize, parameters=case.parameters(), check=True)


Point = tuple[dict[str, Any], Reference]


def check_roots(case: Case, pts: Sequence[Point], new: Sequence[Node], what: str) -> None:
    """The verifier passes on ``new``, types are kept, and values agree with the references at every point."""
    assert len(new) == len(case.roots)
    for r in new:
        verify_node(r)
    for i, (old, r) in enumerate(zip(case.roots, new, strict=True)):
        assert r.type.dtype is old.type.dtype, f"{what}: root {i} changed type {old.type} -> {r.type}"
        assert r.free <= old.free, f"{what}: root {i} gained observables {sorted(r.free - old.free)}"
    for k, (env, ref) in enumerate(pts):
        for i, got in enumerate(evaluate(list(new), env)):
            try:
                compare(ref, i, got, f"{what}, root {i}, point {k}")
            except AssertionError as err:
                raise AssertionError(f"{err}\n  point: {env}\n  original:\n{_text(case.roots[i])}\n"
                                     f"  rewritten:\n{_text(new[i])}") from None


def _text(root: Node) -> str:
    return "\n".join("    " + line for line in print_nodes([root])[0])


def draw_points(data: st.DataObject, case: Case) -> list[Point]:
    """A hypothesis point and a generic one, with their references; skip cases where nothing is finite."""
    pts = [(env, reference(case.roots, env)) for env in data.draw(point_sets(case, extra=1), label="points")]
    assume(any(ref.stable(i).any() for _, ref in pts for i in range(len(case.roots))))
    return pts


# ------------------------------------------------------------------------------------- one pass at a time
@pytest.mark.parametrize("name", sorted(PASSES))
@PROPERTY
@given(case=CASES, data=st.data())
def test_pass_alone_keeps_values(name: str, case: Case, data: st.DataObject) -> None:
    """Each pass alone (optimize=2), and again on its own output: verified IR, same values."""
    pts = draw_points(data, case)
    p = PASSES[name]
    once = run_pass(p, case.roots, context(case, 2))
    check_roots(case, pts, once, f"pass {name}")
    twice = run_pass(p, once, context(case, 2))
    check_roots(case, pts, twice, f"pass {name} run twice")


@pytest.fixture(scope="module")
def swept() -> tuple[Case, list[Point]]:
    """The op catalogue and its points: three generic ones, and one with ties (x = p0), the domain's ends, zeros."""
    case = catalogue()
    rng = np.random.default_rng(2024)
    envs = [random_point(case, rng, events=6) for _ in range(3)]
    envs.append({"p0": 0.5, "p1": 0.0, "p2": -1.0, "p3": 2.0, "x": np.array([0.5, -2.0, 3.0, 0.0, 1.0]),
                 "y": np.array([0.0, -3.0, 3.0, 1e-300, -0.5])})
    return case, [(env, reference(case.roots, env)) for env in envs]


@pytest.mark.parametrize("name", sorted(PASSES))
def test_pass_alone_on_catalogue(name: str, swept: tuple[Case, list[Point]]) -> None:
    """Each pass alone, and twice, on every op of the op table and every pattern of the strategies at once."""
    case, pts = swept
    once = run_pass(PASSES[name], case.roots, context(case, 2))
    check_roots(case, pts, once, f"pass {name} on the catalogue")
    check_roots(case, pts, run_pass(PASSES[name], once, context(case, 2)), f"pass {name} twice on the catalogue")


def test_interpreter_evaluates_the_whole_catalogue() -> None:
    """Every model of the catalogue evaluates (arithmetic on truth values, as in the ROOT expression
    (x>0) - (y>0), is converted to numbers by the front-end: the IR refuses it)."""
    notes = catalogue().notes
    assert not notes, "\n".join(notes)


# ---------------------------------------------------------------------------------------- the pipeline
def _culprit(case: Case, pts: Sequence[Point], optimize: int) -> str:
    """Name the first pass of the pipeline after which values (or the verifier) go wrong."""
    roots = list(case.roots)
    ctx = context(case, optimize)
    for p in PIPELINE:
        if optimize < p.min_level:
            continue
        roots = run_pass(p, roots, ctx)
        try:
            check_roots(case, pts, roots, p.name)
        except AssertionError as err:
            return f"first wrong after pass '{p.name}': {err}"
    return "no single pass found wrong when run step by step"


@pytest.mark.parametrize("optimize", LEVELS)
def test_pipeline_on_catalogue(optimize: int, swept: tuple[Case, list[Point]]) -> None:
    case, pts = swept
    out = run_pipeline(list(case.roots), optimize, check=True, ctx=context(case, optimize))
    try:
        check_roots(case, pts, out, f"pipeline at optimize={optimize} on the catalogue")
    except AssertionError as err:
        raise AssertionError(f"{err}\n{_culprit(case, pts, optimize)}") from None


@pytest.mark.parametrize("optimize", LEVELS)
@PROPERTY
@given(case=CASES, data=st.data())
def test_pipeline_keeps_values(optimize: int, case: Case, data: st.DataObject) -> None:
    """The whole pipeline at each level, the verifier after every pass (check=True), same values."""
    pts = draw_points(data, case)
    out = run_pipeline(list(case.roots), optimize, check=True, ctx=context(case, optimize))
    try:
        check_roots(case, pts, out, f"pipeline at optimize={optimize}")
    except AssertionError as err:
        raise AssertionError(f"{err}\n{_culprit(case, pts, optimize)}") from None


# ------------------------------------------------------------------------------------------ work done
def _work_by_pass(roots: Sequence[Node], ctx: Context) -> str:
    """Per-event operation counts after each pass of the pipeline, to name the pass that adds work."""
    out = list(roots)
    steps = [f"original {op_counts(out).total_event}"]
    for p in PIPELINE:
        if ctx.optimize < p.min_level:
            continue
        out = run_pass(p, out, ctx)
        steps.append(f"{p.name} {op_counts(out).total_event}")
    return ", ".join(steps)


def event_cost(roots: Sequence[Node]) -> float:
    """Weighted per-event work (firmc.passes.cost.COST); a normalize node counts as the division by its
    normaliser that it is per event (the normaliser itself is per-evaluation work)."""
    weights = {**COST, "normalize": COST["div"]}
    return sum(weights.get(op, 1.0) * k for op, k in op_counts(list(roots)).event.items())


@pytest.mark.parametrize("optimize", [1, 2])
@settings(max_examples=25, deadline=None)
@given(case=models(quadrature=False))
def test_pipeline_never_adds_work_per_event(optimize: int, case: Case) -> None:
    """On closed-form models the optimised graph does no more weighted work per event than the original."""
    after = run_pipeline(list(case.roots), optimize, ctx=context(case, optimize))
    assert event_cost(after) <= event_cost(case.roots), (
        f"per-event work grew: {op_counts(list(case.roots)).summary()}  ->  {op_counts(after).summary()}\n"
        f"after each pass: {_work_by_pass(case.roots, context(case, optimize))}")


def _mixture_of_exponentials() -> Case:
    x = obs("x", -2.0, 3.0)
    pdf = composite.mixture([shapes.exponential(x, param("c0")), shapes.exponential(x, param("c1"))], [param("f")])
    return Case((apply("log", pdf),), {"c0": (1e-3, 2.0), "c1": (1e-3, 2.0), "f": (0.02, 0.98)}, {"x": (-2.0, 3.0)})


def _bifurcated_gaussian() -> Case:
    pdf = shapes.bifurcated_gaussian(obs("x", 0.0, 10.0), param("m"), param("sl"), param("sr"))
    return Case((pdf,), {"m": (0.0, 10.0), "sl": (0.5, 5.0), "sr": (0.5, 5.0)}, {"x": (0.0, 10.0)})


@pytest.mark.parametrize("build", [
    _mixture_of_exponentials,  # logspace: log(f e^a/Za + (1-f) e^b/Zb) is one logaddexp (10 -> 6 per event)
    _bifurcated_gaussian,  # 8 -> 8 per event (simplify trades the division for multiplications)
], ids=["log-mixture", "bifurcated"])
def test_pipeline_never_adds_operations_per_event(build: Any) -> None:
    """Unweighted: the optimised graph runs no more operations per event than the original."""
    case = build()
    before = op_counts(list(case.roots))
    after = op_counts(run_pipeline(list(case.roots), 2, ctx=context(case, 2)))
    assert after.total_event <= before.total_event, (
        f"per-event work grew: {before.summary()}  ->  {after.summary()}\n"
        f"after each pass: {_work_by_pass(case.roots, context(case, 2))}")


@pytest.mark.xfail(strict=True, reason="logspace writes log(f0 g + f1 g + (1 - f0 - f1) g), the same density g in "
                   "several components, as a log-sum-exp over equal exponents: 3 exps per event instead of 1 (weighted "
                   "per-event cost 55 -> 94); equal exponents could be merged (coefficients summed) first")
def test_logspace_repeated_component() -> None:
    x = obs("x", -2.0, 3.0)
    g = shapes.gaussian(x, param("mu"), param("s"))
    pdf = composite.mixture([g, g, g], [param("f0"), param("f1")])
    case = Case((apply("log", pdf),), {"mu": (-2.0, 3.0), "s": (0.25, 2.5), "f0": (0.02, 0.49), "f1": (0.02, 0.49)},
                {"x": (-2.0, 3.0)})
    after = run_pipeline(list(case.roots), 2, ctx=context(case, 2))
    assert event_cost(after) <= event_cost(case.roots), _work_by_pass(case.roots, context(case, 2))


@pytest.mark.xfail(reason="normalise lowers a quadrature normalisation to f / integral(f): op_counts counts the "
                   "integral (its integrand depends on x) per event, one more than the normalize it replaces")
def test_quadrature_normalisation_op_count() -> None:
    x = obs("x", -1.0, 1.0)
    pdf = shapes.generic(apply("exp", -apply("cosh", x - param("m"))))  # no closed form: quadrature
    assert op_counts(run_pipeline([pdf], 1)).total_event <= op_counts([pdf]).total_event


# ------------------------------------------------------------------------ known weak spots, pinned down
def _lowered_vs_quadrature(pdf: Node, env: dict[str, Any]) -> None:
    ref = reference([pdf], env)
    compare(ref, 0, evaluate(run_pipeline([pdf], 1), env)[0], "closed-form normalisation")


@pytest.mark.parametrize("c", [1e-12, -1e-12, 1e-300, -5e-324])
def test_exponential_normalisation_small_slope(c: float) -> None:
    """integrals.exponential computed (exp(-c lo) - exp(-c hi)) / c: cancellation for small |c| (1e-7 relative at
    c = 1e-12) and Z = 0, pdf = inf, at c = 1e-300; the expm1 form fixed it."""
    _lowered_vs_quadrature(shapes.exponential(obs("x", -2.0, 3.0), param("c")),
                           {"x": np.array([0.5, 2.9]), "c": c})


def test_exponential_normalisation_zero_slope() -> None:
    _lowered_vs_quadrature(shapes.exponential(obs("x", -2.0, 3.0), param("c")),
                           {"x": np.array([0.5, 2.9]), "c": 0.0})


@pytest.mark.parametrize("mean", [6.5, 8.0, 12.0, -9.0])
def test_gaussian_normalisation_mean_far_outside(mean: float) -> None:
    """integrals.gaussian computed erf(b) - erf(a): cancellation when the mean is many sigma outside the range
    (1e-10 relative at 7 sigma, Z = 0 and pdf = inf at 10); the erfc form fixed it."""
    _lowered_vs_quadrature(shapes.gaussian(obs("x", -2.0, 3.0), param("m"), param("s")),
                           {"x": np.array([2.5, 3.0]), "m": mean, "s": 0.5})


@pytest.mark.xfail(strict=True, reason="hoist rewrites x / c as x * (1 / c) also where 1 / c overflows (c subnormal): "
                   "0 / 1e-310 = 0 becomes 0 * inf = NaN (strength's div_reciprocal leaves such c alone)")
@pytest.mark.parametrize("name", [n for n in PASSES if n.startswith("hoist")])
def test_hoist_reciprocal_of_subnormal(name: str) -> None:
    x = obs("x", -2.0, 3.0)
    case = Case((apply("div", x - param("p0"), const(1e-310)),), {"p0": (-2.0, 2.0)}, {"x": (-2.0, 3.0)})
    env = {"p0": 0.5, "x": np.array([0.5, 1.0])}
    check_roots(case, [(env, reference(case.roots, env))], run_pass(PASSES[name], case.roots, context(case, 2)), name)


def test_logspace_repeated_term() -> None:
    """log(g + g) with g = exp(p) exp(x), the same product node twice in a sum (was -1.46 for -0.91)."""
    x, p = obs("x", -2.0, 3.0), param("p")
    g = apply("mul", apply("exp", p), apply("exp", x))
    case = Case((apply("log", apply("add", g, g)),), {"p": (-2.0, 2.0)}, {"x": (-2.0, 3.0)})
    env = {"p": -1.9, "x": np.array([0.3, 1.0])}
    check_roots(case, [(env, reference(case.roots, env))], run_pass(PASSES["logspace"], case.roots, context(case, 1)),
                "logspace")


def test_simplify_keeps_a_term_over_an_infinite_divisor() -> None:
    """a / (p / L + 1/2) with L = lgamma(expm1(|p|)) infinite at p = 0: SymPy's 2 a L / (L + 2 p) is NaN there
    (found by the property test; the guard now tries infinite inner values)."""
    p = param("p0")
    a = apply("abs", p)
    e = apply("abs", a / (p / apply("lgamma", apply("expm1", a)) + const(0.5)))
    case = Case((e,), {"p0": (-2.0, 2.0)}, {})
    env = {"p0": 0.0}
    check_roots(case, [(env, reference(case.roots, env))], run_pass(PASSES["simplify"], case.roots, context(case, 2)),
                "simplify")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="simplify rewrites log(exp(a)) as a: where exp(a) "
                   "overflows the original gives inf (L/inf + 1/2 = 1/2), the rewrite the true value (L/L + 1/2 = 3/2)")
def test_simplify_log_of_overflowing_exp() -> None:
    x = obs("x", -2.0, 3.0)
    lg = apply("lgamma", apply("pow", x, const(-1, DType.INT)))
    e = lg / apply("log", apply("exp", lg)) + const(0.5)
    case = Case((e,), {}, {"x": (-2.0, 3.0)})
    env = {"x": np.array([0.00390625, 1.5])}
    check_roots(case, [(env, reference(case.roots, env))], run_pass(PASSES["simplify"], case.roots, context(case, 2)),
                "simplify")
