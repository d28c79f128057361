"""The SymPy simplification pass: known simplifications, unchanged values, budgets, the template cache."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from firmc.interp import evaluate
from firmc.ir import Node, Parameter, apply, const, obs, param, walk
from firmc.library import composite, shapes
from firmc.passes import simplify as simplify_mod
from firmc.passes.context import Context
from firmc.passes.cost import cost
from firmc.passes.normalise import lower_normalisation
from firmc.passes.simplify import agrees, region_key, simplify
from firmc.passes.sympy_bridge import partition, region

X = obs("x", -2.0, 3.0)
A, B, M, P = param("a"), param("b"), param("m"), param("p")
XS = np.linspace(-2.0, 3.0, 37)


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with an empty template cache (it is shared across runs otherwise)."""
    monkeypatch.setattr(simplify_mod, "_CACHE", {})
    yield


def _values(root: Node, env: dict[str, Any]) -> np.ndarray:
    return np.broadcast_to(evaluate([root], env)[0], XS.shape)


def _assert_same(old: Node, new: Node, rtol: float = 1e-12, **params: float) -> None:
    env = {"x": XS, "a": 0.7, "b": -1.3, "m": 0.45, "p": 1.9, **params}
    np.testing.assert_allclose(_values(new, env), _values(old, env), rtol=rtol, atol=0.0, equal_nan=True)


def _ops(root: Node, op: str) -> int:
    return sum(1 for n in walk([root]) if n.op == op)


def test_rational_function_cancels() -> None:
    old = (X * X - M * M) / (X - M)
    new = simplify([old], Context())[0]
    assert new is M + X  # x + m, exactly
    _assert_same(old, new)
    assert cost([new]) < cost([old])


def test_same_sum_in_two_orders_divides_to_one() -> None:
    old = (X + A) / (A + X) + 1.0
    assert simplify([old], Context())[0] is const(2.0)


def test_exponentials_combine() -> None:
    old = apply("exp", A * X) * apply("exp", B * X) + 1.0
    new = simplify([old], Context())[0]
    assert _ops(new, "exp") == 1
    _assert_same(old, new)


def test_log_of_exp_of_a_real_value() -> None:
    old = apply("log", apply("exp", P * 2.0)) * X + 1.0
    new = simplify([old], Context())[0]
    assert _ops(new, "exp") == 0 and _ops(new, "log") == 0
    _assert_same(old, new)


def test_pythagoras() -> None:
    s, c = apply("sin", X * A), apply("cos", X * A)
    old = s * s + c * c + X
    new = simplify([old], Context())[0]
    assert new is const(1.0) + X or new is X + const(1.0)


def test_gaussian_exponent_divides_once_per_evaluation() -> None:
    """exp(-((x-m)/s)^2/2): the division by s leaves the per-event work."""
    t = (X - M) / P
    old = apply("exp", -0.5 * (t * t))
    new = simplify([old], Context())[0]
    per_event_divs = [n for n in walk([new]) if n.op == "div" and n.free]
    assert not per_event_divs
    _assert_same(old, new)


def test_nothing_to_gain_leaves_the_graph_alone() -> None:
    old = apply("exp", -0.5 * (X * X)) * A + apply("erf", X * B)
    ctx = Context()
    assert simplify([old], ctx)[0] is old
    assert not ctx.decisions


@pytest.mark.parametrize("make", [
    lambda: apply("select", apply("gt", X, A), (X * X - A * A) / (X - A), X * 2.0 + 1.0 + 1.0),
    lambda: apply("abs", apply("complex", X, A) * apply("conj", apply("complex", X, A))) + X * X * X,
    lambda: apply("sqrt", X * X * A * A + 2.0 * X * A + 1.0) * apply("tgamma", X + 3.0),
    lambda: apply("log1p", X * X) * (A * X + A) / (X + 1.0 + 10.0) + apply("mod", X * A, const(0.3)),
    lambda: apply("pow", X * X + 1.0, const(3.0)) - apply("pow", X * X + 1.0, const(2.0)) * 2.0,
    lambda: apply("atan2", X * A + B, apply("exp", X) * apply("exp", -X) + 1.0),
    lambda: (X * A + X * B) / (A + B) + apply("min", X * 2.0, X + 1.0) * 3.0,
    lambda: apply("add", *[apply("exp", X * param(f"k{i}")) * param(f"c{i}") for i in range(40)]),
])
def test_values_are_unchanged(make: Any) -> None:
    old = make()
    env = {f"k{i}": 0.1 * i - 2.0 for i in range(40)} | {f"c{i}": 1.0 + 0.01 * i for i in range(40)}
    new = simplify([old], Context())[0]
    _assert_same(old, new, rtol=1e-12, **env)
    assert cost([new]) <= cost([old])


def test_shared_nodes_stay_shared() -> None:
    t = apply("exp", (X - M) * A)  # used by both roots
    r1, r2 = (t * t - A * A) / (t - A), apply("log", t) + t * B
    out = simplify([r1, r2], Context())
    assert _ops(out[0], "exp") == _ops(out[1], "exp") == 1
    shared = {n for n in walk([out[0]]) if n.op == "exp"} & {n for n in walk([out[1]]) if n.op == "exp"}
    assert len(shared) == 1
    for old, new in zip([r1, r2], out, strict=True):
        _assert_same(old, new)


def test_no_time_leaves_the_graph_unchanged() -> None:
    old = (X * X - M * M) / (X - M)
    ctx = Context(sympy_total_s=0.0)
    assert simplify([old], ctx)[0] is old


def test_timeout_leaves_the_graph_unchanged_and_a_larger_budget_retries() -> None:
    old = (X * X - M * M) / (X - M) + apply("sin", X) * apply("sin", X) + apply("cos", X) * apply("cos", X)
    tiny = Context(sympy_budget_s=1e-4)
    assert simplify([old], tiny)[0] is old
    assert tiny._sympy_spent < 0.1
    new = simplify([old], Context())[0]  # the cached timeout is retried with more time
    assert new is not old
    _assert_same(old, new)


def test_wrong_rewrites_are_caught_by_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    import sympy as sp

    def wrong(expr: Any) -> list[Any]:  # cheaper, and wrong
        return [expr, sorted(expr.free_symbols, key=str)[0] + sp.Rational(1, 10**9)]

    monkeypatch.setattr(simplify_mod, "_cheap_rewrites", wrong)
    monkeypatch.setattr(simplify_mod, "SMALL_OPS", 0)
    old = apply("exp", X * A) * apply("exp", X * B) + X
    assert simplify([old], Context())[0] is old


def test_agreement_rules() -> None:
    old = np.array([1.0, 2.0, np.nan, np.inf, 4.0, 5.0])
    assert agrees(old, np.array([1.0, 2.0, 7.0, np.inf, 4.0, 5.0 * (1 + 1e-14)]))
    assert not agrees(old, np.array([1.0, 2.0, 7.0, np.inf, 4.0, 5.0 * (1 + 1e-12)]))
    assert not agrees(old, np.array([1.0, np.nan, 0.0, np.inf, 4.0, 5.0]))  # NaN where the old was finite
    assert not agrees(old, np.array([1.0, 2.0, 0.0, 3.0, 4.0, 5.0]))  # finite where the old was infinite
    assert not agrees(np.array([np.nan] * 6), np.zeros(6))  # nothing to compare with


def test_observables_are_sampled_inside_their_domains() -> None:
    """log(x) on (0, 5] is finite at every guard point; on an unbounded domain half of them would be NaN."""
    y = obs("y", 0.0, 5.0)
    old = apply("log", y * y * A * A) + apply("log", y)
    new = simplify([old], Context(parameters={"a": Parameter("a", 1.0, 0.5, 2.0)}))[0]
    env = {"y": np.linspace(0.1, 5.0, 37), "a": 1.3}
    np.testing.assert_allclose(evaluate([new], env)[0], evaluate([old], env)[0], rtol=1e-12)


def _mixture(n: int, tag: str = "") -> Node:
    x = obs("x", -5.0, 5.0)
    pdfs = [shapes.gaussian(x, param(f"m{tag}{i}"), param(f"s{tag}{i}")) for i in range(n)]
    return composite.mixture(pdfs, [param(f"f{tag}{i}") for i in range(n - 1)])


def test_region_keys_rename_parameters() -> None:
    one, two = _mixture(2, "a"), _mixture(2, "b")
    keys = [{region_key(region(r, set(partition([m])))) for r in partition([m])} for m in (one, two)]
    assert keys[0] == keys[1]


def test_mixture_of_1000_components_is_one_sympy_call_per_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Node] = []
    original = simplify_mod.simplify_template

    def counted(t: Any, inputs: Any, ctx: Context) -> Any:
        calls.append(t.root)
        return original(t, inputs, ctx)

    monkeypatch.setattr(simplify_mod, "simplify_template", counted)
    roots = lower_normalisation([_mixture(1000)])
    ctx = Context(sympy_budget_s=30.0)  # the result must not depend on the machine's speed (time: the benchmarks)
    out = simplify(roots, ctx)
    assert len(calls) <= 4  # one per distinct shape, not one per component
    assert cost(out) < 0.8 * cost(roots)  # per-event divisions by sigma and the norm are gone
    notes = [d for d in ctx.decisions if d.pass_name == "simplify"]
    assert any("(999 regions of this shape)" in d.what for d in notes)


def test_mixture_values_are_unchanged() -> None:
    roots = lower_normalisation([_mixture(30)])
    out = simplify(roots, Context())
    env: dict[str, Any] = {"x": np.linspace(-5.0, 5.0, 23)}
    for i in range(30):
        env |= {f"m{i}": -3.0 + 0.2 * i, f"s{i}": 0.5 + 0.05 * i, f"f{i}": 1.0 / 40}
    np.testing.assert_allclose(evaluate(out, env)[0], evaluate(roots, env)[0], rtol=1e-12)
    assert math.isclose(float(np.sum(evaluate(out, env)[0])), float(np.sum(evaluate(roots, env)[0])), rel_tol=1e-12)
