"""The IR <-> SymPy bridge: value-preserving round trips, constants, sharing, regions, the time limit."""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp

from firmc.interp import evaluate
from firmc.ir import Node, apply, const, obs, param, walk
from firmc.passes.context import Context
from firmc.passes.sympy_bridge import (
    _Unsupported,
    convertible,
    describe,
    from_sympy,
    nice_rational,
    partition,
    region,
    substitute,
    to_sympy,
)
from firmc.passes.timelimit import Timeout as _Timeout
from firmc.passes.timelimit import time_limit

X = obs("x", -2.0, 3.0)
A, B, M = param("a"), param("b"), param("m")
ENV = {"x": np.linspace(-2.0, 3.0, 41), "a": 0.7, "b": -1.3, "m": 0.4}


def _round_trip(root: Node) -> Node:
    expr, inputs = to_sympy(root)
    return from_sympy(expr, inputs)


def _same_values(old: Node, new: Node, rtol: float = 1e-12) -> None:
    o, n = evaluate([old, new], ENV)
    o, n = np.broadcast_to(o, ENV["x"].shape), np.broadcast_to(n, ENV["x"].shape)
    np.testing.assert_allclose(n, o, rtol=rtol, atol=0.0, equal_nan=True)


def _f(name: str, *args: Node) -> Node:
    return apply(name, *args)


CASES: dict[str, Callable[[], Node]] = {
    "polynomial": lambda: 1.0 + A * X + B * X * X - 0.25 * X * X * X,
    "rational": lambda: (X * X - M * M) / (X - M + 10.0),
    "pow": lambda: _f("pow", X * X + 1.0, const(1.5)) + _f("pow", A * A + 1.0, X) + _f("pow", X, const(2)),
    "negative powers": lambda: 1.0 / (X * X + 1.0) - A / _f("sqrt", X * X + 2.0),
    "exp log sqrt": lambda: _f("exp", -0.5 * X * X) * _f("log", X * X + A) + _f("sqrt", X * X + 1.0),
    "log10": lambda: _f("log10", X * X + 1.0),
    "trig": lambda: _f("sin", X) * _f("cos", A * X) + _f("tan", 0.3 * X) + _f("atan2", X, A + 2.0),
    "inverse trig": lambda: _f("asin", X / 4.0) + _f("acos", X / 4.0) + _f("atan", X),
    "hyperbolic": lambda: _f("sinh", X) - _f("cosh", A * X) * _f("tanh", X) + _f("asinh", X) + _f("atanh", X / 4.0)
    + _f("acosh", X * X + 1.0),
    "special": lambda: _f("erf", X) + _f("erfc", A * X) + _f("lgamma", X * X + 0.5) + _f("tgamma", X + 2.5)
    + _f("digamma", X * X + 1.0),
    "abs sign min max floor": lambda: _f("abs", X - M) * _f("sign", X) + _f("min", X, A) - _f("max", X, B)
    + _f("floor", X * 1.5) + _f("ceil", X),
    "select": lambda: _f("select", _f("lt", X, M), X * X, _f("exp", -X)),
    "select nested logic": lambda: _f("select", _f("and", _f("ge", X, B), _f("not", _f("gt", X, A))),
                                      X + 1.0, _f("select", _f("or", _f("le", X, M), _f("eq", X, A)), 2.0 * X, X)),
    "complex": lambda: _f("abs", _f("complex", X, A) * _f("complex", B, X * X) + 1j),
    "complex parts": lambda: _f("real", _f("exp", _f("complex", A, X))) + _f("imag", _f("conj", _f("complex", X, B)))
    + _f("abs2", _f("complex", X, M)) + _f("arg", _f("complex", X, A)),
    "complex valued": lambda: _f("complex", X, A) * _f("conj", _f("complex", B, X)) * 2j,
    "awkward constants": lambda: 1.2533141373155001 * X * X + math.pi * A * A - 1e-300 * B + 0.1 * X * X + 1.0,
    "opaque ops inside": lambda: _f("log1p", X * X) * A + _f("mod", X, const(0.7)) + _f("expm1", 1e-9 * X),
    "nan and inf constants": lambda: _f("select", _f("gt", X, const(0.0)), const(math.inf), const(math.nan)) + X,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_preserves_values(name: str) -> None:
    root = CASES[name]()
    back = _round_trip(root)
    assert back.type == root.type
    _same_values(root, back)


def test_round_trip_of_sympy_rewrites_preserves_values() -> None:
    for name in ("polynomial", "rational", "trig", "exp log sqrt", "select"):
        root = CASES[name]()
        expr, inputs = to_sympy(root)
        for rewritten in (sp.expand(expr), sp.factor_terms(expr), sp.together(expr)):
            _same_values(root, from_sympy(rewritten, inputs), rtol=1e-11)


def test_leaves_become_real_symbols_named_after_them() -> None:
    _, inputs = to_sympy(_f("exp", A * X))
    names = {s.name: n for s, n in inputs.items()}
    assert names == {"a": A, "x": X}
    assert all(s.is_real for s in inputs)


def test_same_name_for_two_leaves_gives_distinct_symbols() -> None:
    other = obs("a", 0.0, 1.0)  # an observable named like the parameter a
    expr, inputs = to_sympy(A * 2.0 + other)
    assert len(inputs) == 2 and set(inputs.values()) == {A, other}
    assert from_sympy(expr, inputs).free == frozenset({"a"})


def test_constants() -> None:
    assert from_sympy(sp.Rational(1, 3), {}) is const(1.0 / 3.0)
    assert from_sympy(sp.pi, {}) is const(math.pi)
    assert from_sympy(sp.E, {}) is const(math.e)
    assert from_sympy(sp.sqrt(2) * sp.pi, {}) is const(math.sqrt(2.0) * math.pi)
    assert from_sympy(sp.I, {}) is const(1j)
    assert from_sympy(sp.oo, {}) is const(math.inf)
    assert from_sympy(sp.Integer(-3), {}) is const(-3.0)
    a = sp.Symbol("a", real=True)
    folded = from_sympy(sp.sqrt(2) * sp.sqrt(sp.pi) * a, {a: A})  # one constant factor, correctly rounded
    assert folded is apply("mul", const(float("2.50662827463100050241576528481104525")), A)


def test_nice_rationals_only() -> None:
    assert nice_rational(0.1) == sp.Rational(1, 10)
    assert nice_rational(3.7) == sp.Rational(37, 10)
    assert nice_rational(1e20) == sp.Integer(10**20)
    assert nice_rational(math.sqrt(2.0)) is None
    assert nice_rational(math.inf) is None
    _, inputs = to_sympy(X * math.sqrt(2.0))  # kept exact: an opaque symbol for the constant
    assert const(math.sqrt(2.0)) in inputs.values()


def test_integer_powers_become_products() -> None:
    x = sp.Symbol("x", real=True)
    assert from_sympy(x**2, {x: X}) is X * X
    cube = from_sympy(x**-3, {x: X})
    assert cube.op == "div" and all(n.op != "pow" for n in walk([cube]))
    assert from_sympy(x ** sp.Rational(1, 2), {x: X}) is apply("sqrt", X)
    assert from_sympy(x**40, {x: X}) is apply("pow", X, const(40.0))


def test_piecewise_without_default_is_nan_outside() -> None:
    x = sp.Symbol("x", real=True)
    node = from_sympy(sp.Piecewise((x, x > 0)), {x: X})
    v = evaluate([node], {"x": np.array([-1.0, 2.0])})[0]
    assert math.isnan(v[0]) and v[1] == 2.0


def test_event_factors_apart_from_parameters() -> None:
    """c * x / a: the division by the parameter happens once per evaluation, not per event."""
    x, a = sp.Symbol("x", real=True), sp.Symbol("a", real=True)
    node = from_sympy(3 * x / a, {x: X, a: A})
    assert node is apply("mul", apply("div", const(3.0), A), X)


@pytest.mark.parametrize("expr", [
    sp.Integral(sp.Symbol("x", real=True), sp.Symbol("x", real=True)),
    sp.besselj(0, sp.Symbol("x", real=True)),
    sp.Symbol("unknown"),
    sp.zoo,
])
def test_unsupported_constructs_raise(expr: object) -> None:
    with pytest.raises(_Unsupported):
        from_sympy(expr, {sp.Symbol("x", real=True): X})


def test_never_parses_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("sympify/parse_expr called")

    monkeypatch.setattr(sp, "sympify", forbidden)
    monkeypatch.setattr(sp, "parse_expr", forbidden)
    for name in ("polynomial", "special", "select", "complex"):
        _round_trip(CASES[name]())


def test_shared_subexpressions_stay_shared() -> None:
    t = (X - M) / (A * A + 1.0)  # shared by the exp and the square
    root = _f("exp", -0.5 * (t * t)) + _f("sin", t) * 2.0
    regions = partition([root])
    assert t in regions
    cuts = set(regions)
    _, inputs = to_sympy(root, cuts)
    assert t in inputs.values()  # the region above t sees it as one symbol
    new: dict[Node, Node] = {}
    for r in regions:  # region by region, inputs first, as the passes do
        e, ins = to_sympy(r, cuts)
        new[r] = from_sympy(e.subs({s: s for s in ins}), {s: new.get(n, n) for s, n in ins.items()})
    out = new[root]
    t_new = new[t]
    users = [n for n in walk([out]) if any(a is t_new for a in n.args)]
    assert len(users) == 2  # the square and the sine use the one node
    assert sum(1 for n in walk([out]) if n.op == "sub") == 1
    _same_values(root, out)


def test_whole_dag_conversion_keeps_sharing() -> None:
    t = _f("exp", X * A + B)
    root = t * t + _f("log", t)
    out = _round_trip(root)
    assert sum(1 for n in walk([out]) if n.op == "exp") == 1
    _same_values(root, out)


def test_large_sum_converts_per_region() -> None:
    terms = [param(f"c{i}") * _f("exp", -X * param(f"k{i}")) for i in range(500)]
    total = apply("add", *terms)
    regions = partition([total])
    assert len(regions) == 502  # the sum, its 500 terms and -x (shared by all terms)
    sizes = [region(r, set(regions)).ops for r in regions]
    assert max(sizes) <= 3  # the sum is one op over 500 inputs, each term its own small region
    assert region(total, set(regions)).inputs == tuple(terms)
    expr, inputs = to_sympy(terms[7], set(regions))
    assert sp.count_ops(expr) <= 4 and len(inputs) == 3


def test_deep_chain_regions_are_bounded() -> None:
    node = X
    for i in range(3000):
        node = _f("sin", node) + float(i % 7)
    regions = partition([node], max_ops=64)
    cuts = set(regions)
    assert max(region(r, cuts).ops for r in regions) <= 64
    assert len(regions) >= 6000 // 64


def test_structural_and_opaque_ops_cut_regions() -> None:
    g = apply("normalize", _f("exp", -X * X) * A)
    root = _f("log", g) + _f("log1p", X * A) * 2.0
    regions = partition([root])
    assert g in regions and g.args[0] in regions
    assert not convertible(g) and not convertible(_f("log1p", X))
    assert convertible(_f("select", _f("gt", X, A), X, A))
    assert not convertible(_f("select", X, X, A))  # a real condition: no faithful Piecewise
    _, inputs = to_sympy(root, set(regions))
    assert g in inputs.values()


def test_substitute_keeps_unchanged_graphs() -> None:
    root = _f("exp", A * X) + A
    assert substitute(root, {}) is root
    assert substitute(root, {A: B}) is _f("exp", B * X) + B


def test_describe_is_short() -> None:
    assert describe(_f("atan2", X, A + 1.0)) == "atan2(x, add(a, 1.0))"
    long = apply("add", *[param(f"p{i}") for i in range(100)])
    assert len(describe(long, 40)) == 40 and describe(long, 40).endswith("...")


# ------------------------------------------------------------------------------------------- time limit
def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_time_limit_interrupts_and_charges() -> None:
    ctx = Context(sympy_total_s=10.0)
    start = time.perf_counter()
    with pytest.raises(TimeoutError), time_limit(0.05, ctx):
        _spin(2.0)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert 10.0 - elapsed - 1e-3 <= ctx.sympy_total_s - ctx._sympy_spent <= 10.0 - 0.05 + 1e-3


def test_time_limit_interrupts_sympy() -> None:
    x = sp.Symbol("x", real=True)
    start = time.perf_counter()
    with pytest.raises(_Timeout), time_limit(0.1):
        sp.integrate(sp.exp(sp.sin(x) * x**3) / (1 + x**5), x)
    assert time.perf_counter() - start < 1.0


def test_time_limit_restores_the_previous_handler_and_timer() -> None:
    calls: list[int] = []
    outer = signal.getitimer(signal.ITIMER_REAL)  # e.g. pytest-timeout's
    previous = signal.signal(signal.SIGALRM, lambda s, f: calls.append(s))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with time_limit(1.0):
            pass
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0.2  # the outer timer is still pending
        _spin(0.4)
        assert calls == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0] > 0.0:
            signal.setitimer(signal.ITIMER_REAL, *outer)


def test_time_limit_without_time_or_outside_the_main_thread() -> None:
    ctx = Context()
    with pytest.raises(_Timeout), time_limit(0.0, ctx):
        raise AssertionError("not reached")
    done: list[float] = []

    def body() -> None:
        with time_limit(0.01, ctx):  # no signals here: runs to the end, still charged
            _spin(0.05)
        done.append(ctx._sympy_spent)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert done and done[0] >= 0.05
