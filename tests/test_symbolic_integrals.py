"""Closed-form normalisation integrals with SymPy: exact known values, closed forms, the quadrature check,
the budget and the per-shape cache."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from firmc.interp import evaluate
from firmc.ir import Node, Parameter, apply, const, domains, obs, param, walk
from firmc.library import shapes
from firmc.passes import symbolic_integrals as si
from firmc.passes.context import Context
from firmc.passes.symbolic_integrals import sympy_integral

INF = math.inf
A, B, M, S = param("a"), param("b"), param("m"), param("s")
POSITIVE = {"a": Parameter("a", 1.0, 0.2, 5.0), "s": Parameter("s", 1.0, 0.3, 3.0)}


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(si, "_CACHE", {})
    yield


def _generous() -> Context:
    """Enough SymPy time for the slower closed forms (a Gaussian takes 0.3-1.2 s the first time)."""
    return Context(parameters=POSITIVE, sympy_budget_s=8.0, sympy_total_s=20.0)


def _value(z: Node, **env: float) -> float:
    return float(evaluate([z], env)[0])


def _integral_of_generic(expr: Node, x: str, ctx: Context) -> Node | None:
    """As the normalisation pass would call it: on the normalize node of an HS3 generic_dist."""
    f = shapes.generic(expr).args[0]
    lo, hi = domains(f)[x]
    return sympy_integral(f, x, lo, hi, ctx)


def test_x_squared_over_the_unit_interval_is_one_third() -> None:
    x = obs("x", 0.0, 1.0)
    assert sympy_integral(x * x, "x", 0.0, 1.0, Context()) is const(1.0 / 3.0)


def test_polynomial() -> None:
    x = obs("x", -1.0, 2.0)
    z = _integral_of_generic(1.0 + A * x + B * x * x, "x", Context())
    assert z is not None and not z.free
    for a, b in [(0.0, 0.0), (2.0, 1.0), (-1.5, 0.25), (3.0, -7.0)]:
        assert _value(z, a=a, b=b) == pytest.approx(3.0 + 1.5 * a + 3.0 * b, rel=1e-14, abs=1e-14)


def test_x_squared_times_exponential() -> None:
    x = obs("x", 0.0, 10.0)
    z = _integral_of_generic(x * x * apply("exp", -A * x), "x", _generous())
    assert z is not None
    for a in (0.3, 1.0, 2.5, 4.0):
        ref = 2.0 / a**3 - math.exp(-10.0 * a) * (100.0 * a * a + 20.0 * a + 2.0) / a**3
        assert _value(z, a=a) == pytest.approx(ref, rel=1e-12)


def test_gaussian_gives_erf() -> None:
    x = obs("x", -5.0, 5.0)
    z = _integral_of_generic(apply("exp", -((x - M) * (x - M)) / (2.0 * S * S)), "x", _generous())
    assert z is not None and any(n.op == "erf" for n in walk([z]))
    for m, s in [(0.0, 1.0), (1.3, 0.5), (-4.0, 2.7)]:
        ref = math.sqrt(math.pi / 2.0) * s * (math.erf((5.0 - m) / (s * math.sqrt(2.0)))
                                               - math.erf((-5.0 - m) / (s * math.sqrt(2.0))))
        assert _value(z, m=m, s=s) == pytest.approx(ref, rel=1e-12)


def test_gaussian_over_the_real_line() -> None:
    x = obs("x")
    z = sympy_integral(apply("exp", -((x - M) * (x - M)) / (2.0 * S * S)), "x", -INF, INF, _generous())
    assert z is not None and not any(n.op == "erf" for n in walk([z]))
    assert _value(z, m=0.7, s=1.9) == pytest.approx(math.sqrt(2.0 * math.pi) * 1.9, rel=1e-14)


def test_sine_squared() -> None:
    x = obs("x", 0.0, 3.0)
    z = sympy_integral(apply("sin", x) * apply("sin", x), "x", 0.0, 3.0, _generous())
    assert z is not None and z.op == "const"
    assert z.attr("value") == pytest.approx(1.5 - math.sin(6.0) / 4.0, rel=1e-15)


def test_exponential_to_infinity_with_a_positive_rate() -> None:
    x = obs("x", 0.0, INF)
    z = sympy_integral(apply("exp", -A * x), "x", 0.0, INF, _generous())
    assert z is not None
    assert _value(z, a=0.4) == pytest.approx(2.5, rel=1e-15)


def test_same_shape_with_other_names_reuses_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    solved: list[Node] = []
    original = si._solve

    def counted(tpl: Node, *args: Any) -> Any:
        solved.append(tpl)
        return original(tpl, *args)

    monkeypatch.setattr(si, "_solve", counted)
    x = obs("x", 0.0, 10.0)
    ctx = Context(parameters={n: Parameter(n, 1.0, 0.2, 5.0) for n in ("a", "c")}, sympy_budget_s=8.0,
                  sympy_total_s=20.0)
    z1 = sympy_integral(x * x * apply("exp", -A * x), "x", 0.0, 10.0, ctx)
    start = time.perf_counter()
    z2 = sympy_integral(x * x * apply("exp", -param("c") * x), "x", 0.0, 10.0, ctx)
    assert time.perf_counter() - start < 0.05
    assert len(solved) == 1 and z1 is not None and z2 is not None
    assert {n.attr("name") for n in walk([z2]) if n.op == "param"} == {"c"}
    assert _value(z2, c=1.7) == _value(z1, a=1.7)
    sympy_integral(x * x * apply("exp", -A * x), "x", 0.0, 5.0, ctx)  # another domain: another entry
    assert len(solved) == 2


def test_no_closed_form_returns_none_within_budget() -> None:
    x = obs("x", 0.0, 1.0)
    ctx = Context()  # the default budget: 0.25 s per sub-expression
    start = time.perf_counter()
    assert sympy_integral(apply("exp", A * apply("sin", x)), "x", 0.0, 1.0, ctx) is None
    assert time.perf_counter() - start < ctx.sympy_budget_s + 0.5
    assert "no closed form" in ctx.decisions[-1].what
    again = time.perf_counter()  # the same shape again: the timeout is remembered
    assert sympy_integral(apply("exp", B * apply("sin", x)), "x", 0.0, 1.0, ctx) is None
    assert time.perf_counter() - again < 0.05


def test_a_budget_running_out_leaves_sympy_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """SymPy fills its Meijer-G table on first use and never again while it is non-empty: a budget running out
    during that first use left it partial, and every later Gaussian in the process had no closed form (CI, after
    a doctest with a 0.05 s budget). The table is built before any budget starts."""
    from sympy.integrals import meijerint

    complete: dict[Any, Any] = {}
    meijerint._create_lookup_table(complete)
    monkeypatch.setattr(meijerint, "_lookup_table", None)
    x = obs("x")
    tiny = Context(parameters=POSITIVE, sympy_budget_s=1e-4)
    assert sympy_integral(apply("exp", -((x - M) * (x - M)) / (2.0 * S * S)), "x", -INF, INF, tiny) is None
    assert meijerint._lookup_table is not None and meijerint._lookup_table.keys() == complete.keys()
    z = sympy_integral(apply("exp", -((x - M) * (x - M)) / (2.0 * S * S)), "x", -INF, INF, _generous())
    assert z is not None and _value(z, m=0.7, s=1.9) == pytest.approx(math.sqrt(2.0 * math.pi) * 1.9, rel=1e-14)


def test_no_closed_form_for_a_logistic_with_a_linear_term() -> None:
    x = obs("x", 0.0, 1.0)
    ctx = Context(sympy_budget_s=0.5)
    start = time.perf_counter()
    assert sympy_integral(1.0 / (1.0 + apply("exp", x * A) + x), "x", 0.0, 1.0, ctx) is None
    assert time.perf_counter() - start < 1.0


def test_wrong_closed_forms_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    import sympy as sp

    original = si._closed_forms
    monkeypatch.setattr(si, "_closed_forms", lambda *args: (e * (1 + sp.Rational(1, 10**7)) for e in original(*args)))
    x = obs("x", 0.0, 1.0)
    ctx = Context()
    assert sympy_integral(x * x * A, "x", 0.0, 1.0, ctx) is None
    assert "disagrees with quadrature" in ctx.decisions[-1].what


def test_sympy_errors_do_not_get_through() -> None:
    """SymPy 1.14 says the integral of exp(-a x^4) over [-1, 1] is 0; the quadrature check catches that (a later
    SymPy may find the right closed form, which is then checked against the reference below)."""
    x = obs("x", -1.0, 1.0)
    z = sympy_integral(apply("exp", -(x * x * x * x) * A), "x", -1.0, 1.0, _generous())
    if z is not None:
        ref = 2.0 * sum((-1.5) ** k / math.factorial(k) / (4 * k + 1) for k in range(60))
        assert _value(z, a=1.5) == pytest.approx(ref, rel=1e-12)


def test_functions_the_ir_lacks_give_none() -> None:
    x = obs("x", 0.0, 1.0)
    ctx = _generous()
    assert sympy_integral(apply("exp", A * x * x), "x", 0.0, 1.0, ctx) is None  # erfi(sqrt(a))
    assert "lacks" in ctx.decisions[-1].what or "no closed form" in ctx.decisions[-1].what


def test_other_observables_give_none() -> None:
    x, y = obs("x", 0.0, 1.0), obs("y", 0.0, 1.0)
    ctx = Context()
    assert sympy_integral(x * y, "x", 0.0, 1.0, ctx) is None
    assert "besides x" in ctx.decisions[-1].what


def test_decisions_record_closed_forms() -> None:
    x = obs("x", 0.0, 2.0)
    ctx = Context()
    z = sympy_integral(x * A, "x", 0.0, 2.0, ctx)
    assert z is not None and _value(z, a=3.0) == 6.0
    d = ctx.decisions[-1]
    assert d.pass_name == "symbolic_integral" and d.what.startswith("closed form over x in [0, 2]")


def test_closed_forms_agree_with_numpy_quadrature_at_other_points() -> None:
    """Beyond the points the pass checked: trapezoid sums on a fine grid, an independent reference."""
    x = obs("x", 0.0, 2.0)
    f = apply("exp", -A * x) * (1.0 + B * x * x)
    z = sympy_integral(f, "x", 0.0, 2.0, _generous())
    assert z is not None
    t = np.linspace(0.0, 2.0, 200_001)
    for a, b in [(0.37, 1.1), (2.2, -0.3)]:
        y = np.exp(-a * t) * (1.0 + b * t * t)
        ref = float(np.sum((y[1:] + y[:-1]) * np.diff(t)) / 2.0)
        assert _value(z, a=a, b=b) == pytest.approx(ref, rel=1e-9)
