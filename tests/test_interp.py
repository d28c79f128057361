"""The reference interpreter: explicit stack, structural ops, NaN/Inf semantics."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from firmc.errors import EvaluationError
from firmc.interp import evaluate
from firmc.ir import Dataset, apply, const, obs, param


def test_hundred_thousand_term_sum():
    terms = [param(f"a{i}") * float(i) for i in range(100_000)]
    total = apply("add", *terms)
    env = {f"a{i}": 1.0 for i in range(100_000)}
    assert float(evaluate([total], env)[0]) == pytest.approx(sum(range(100_000)), rel=1e-15)


def test_ten_thousand_deep_chain():
    x = obs("x")
    n = x
    for _ in range(10_000):
        n = apply("sin", n) + 0.0
    xs = np.linspace(-1, 1, 7)
    want = xs.copy()
    for _ in range(10_000):
        want = np.sin(want)
    np.testing.assert_allclose(evaluate([n], {"x": xs})[0], want, rtol=1e-13)


def test_normalize_one_and_two_dimensions():
    x, y = obs("x", -2.0, 3.0), obs("y", 0.0, 1.0)
    g = apply("normalize", apply("exp", -0.5 * x * x), rule="")
    z = stats.norm.cdf(3) - stats.norm.cdf(-2)
    np.testing.assert_allclose(evaluate([g], {"x": np.array([0.0, 1.0])})[0],
                               stats.norm.pdf([0.0, 1.0]) / z, rtol=1e-12)
    h = apply("normalize", apply("exp", -x * y), rule="")
    norm = integrate.dblquad(lambda yy, xx: math.exp(-xx * yy), -2, 3, 0, 1, epsabs=0, epsrel=1e-13)[0]
    got = evaluate([h], {"x": np.array([0.5]), "y": np.array([0.25])})[0]
    assert got[0] == pytest.approx(math.exp(-0.125) / norm, rel=1e-10)


def test_normalize_without_observables_is_identity():
    assert float(evaluate([apply("normalize", param("a") * 2.0, rule="")], {"a": 3.0})[0]) == 6.0


def test_integral_with_event_dependent_integrand():
    x, y = obs("x", 0.0, 1.0), obs("y")
    node = apply("integral", x * y, const(0.0), const(1.0), vars=("x",))
    np.testing.assert_allclose(evaluate([node], {"y": np.array([1.0, 2.0, 4.0])})[0], [0.5, 1.0, 2.0])


def test_datasum_weighted():
    x = obs("x")
    ds = Dataset("d", {"x": np.array([1.0, 2.0, 3.0])}, np.array([1.0, 0.5, 2.0]))
    node = apply("datasum", x * param("a"), binds=("x",), dataset="d")
    assert float(evaluate([node], {"a": 2.0}, {"d": ds})[0]) == pytest.approx(2 * (1 + 1 + 6))


def test_ieee_semantics_no_warnings():
    x = obs("x")
    out = evaluate([apply("log", x), 1.0 / x, apply("sqrt", x)], {"x": np.array([-1.0, 0.0])})
    assert np.isnan(out[0][0]) and out[0][1] == -np.inf
    assert out[1][1] == np.inf and np.isnan(out[2][0])


def test_root_integer_division_and_approx_equality():
    assert int(evaluate([apply("idiv", const(2), const(3))], {})[0]) == 0
    assert int(evaluate([apply("idiv", const(-7), const(2))], {})[0]) == -3
    assert float(evaluate([apply("idiv", const(2.0), const(4))], {})[0]) == 0.5
    assert bool(evaluate([apply("approx_eq", const(1.0), const(1.0 + 2e-16))], {})[0])
    assert not bool(evaluate([apply("eq", const(1.0), const(1.0 + 2.3e-16))], {})[0])


def test_missing_values_are_reported():
    with pytest.raises(EvaluationError, match="no value given for parameter 'a'"):
        evaluate([param("a")], {})
