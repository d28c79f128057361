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


def test_temporary_nodes_do_not_alias_in_the_cache():
    """Regression: the interpreter cached values by id(); nodes built during evaluation (the Poisson sum rule)
    were freed and their ids reused, so a product of two Poisson densities took a stale normalisation."""
    from scipy import stats

    import firmc

    doc = {"metadata": {"hs3_version": "0.2"},
           "distributions": [{"name": "p", "type": "poisson_dist", "x": "n", "mean": "lam", "integer": True},
                             {"name": "q", "type": "poisson_dist", "x": "m", "mean": "lam2", "integer": True},
                             {"name": "pq", "type": "product_dist", "factors": ["p", "q"]}],
           "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "n", "min": 0, "max": 50},
                                                                       {"name": "m", "min": 0, "max": 50}]}],
           "parameter_points": [{"name": "a", "parameters": [{"name": "lam", "value": 4.4},
                                                             {"name": "lam2", "value": 5.0}]}]}
    m = firmc.load(doc)
    want = stats.poisson.pmf(3, 4.4) * stats.poisson.pmf(2, 5.0) / (stats.poisson.cdf(50, 4.4)
                                                                     * stats.poisson.cdf(50, 5.0))
    for optimize in (0, 1):
        got = firmc.compile(m, entry="pq", optimize=optimize)({"n": np.array([3.0]), "m": np.array([2.0])})
        assert got[0] == pytest.approx(want, rel=1e-13)
