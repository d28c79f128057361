"""Models the benchmarks use that are not in the corpus: built in code, deterministic.

Example:
    >>> doc = gaussian_mixture(3)
    >>> [d["type"] for d in doc["distributions"]][-1]
    'mixture_dist'
"""

from __future__ import annotations

from typing import Any


def gaussian_mixture(n: int, lo: float = -10.0, hi: float = 10.0) -> dict[str, Any]:
    """HS3 document: an n-component Gaussian mixture over x in [lo, hi], each component with its own mean,
    width and fraction (n - 1 fractions; the last is 1 minus their sum).

    Example:
        >>> len(gaussian_mixture(4)["distributions"])
        5
    """
    dists: list[dict[str, Any]] = [
        {"name": f"g{i}", "type": "gaussian_dist", "x": "x", "mean": f"m{i}", "sigma": f"s{i}"} for i in range(n)]
    dists.append({"name": "mix", "type": "mixture_dist", "summands": [f"g{i}" for i in range(n)],
                  "coefficients": [f"f{i}" for i in range(n - 1)]})
    params = []
    for i in range(n):
        params.append({"name": f"m{i}", "value": lo + (hi - lo) * (i + 0.5) / n})
        params.append({"name": f"s{i}", "value": 0.5 + 0.5 * (i % 3)})
    params += [{"name": f"f{i}", "value": 1.0 / n} for i in range(n - 1)]
    axes = [{"name": "x", "min": lo, "max": hi}]
    axes += [{"name": f"s{i}", "min": 0.01, "max": 10.0} for i in range(n)]
    axes += [{"name": f"f{i}", "min": 0.0, "max": 1.0} for i in range(n - 1)]
    return {"metadata": {"hs3_version": "0.2", "description": f"{n}-component Gaussian mixture (benchmark)"},
            "distributions": dists,
            "domains": [{"name": "dom", "type": "product_domain", "axes": axes}],
            "parameter_points": [{"name": "default", "parameters": params}]}


def gauss_exp(lo: float = -10.0, hi: float = 10.0) -> dict[str, Any]:
    """HS3 document of PERFORMANCE.md's Workload 1: f·Gauss(x | mu, sigma) + (1 - f)·Exp(x | c) on [lo, hi],
    each normalised there, with Exp ∝ exp(c·x) (RooFit's sign; HS3's ``exponential_dist`` is exp(-c·x), so it
    is given the function -c). Defaults are the evaluation point mu=0.9, sigma=1.6, c=-0.25, f=0.35.

    Example:
        >>> [d["type"] for d in gauss_exp()["distributions"]]
        ['gaussian_dist', 'exponential_dist', 'mixture_dist']
    """
    dists: list[dict[str, Any]] = [
        {"name": "signal", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": "sigma"},
        {"name": "background", "type": "exponential_dist", "x": "x", "c": "minus_c"},
        {"name": "model", "type": "mixture_dist", "summands": ["signal", "background"], "coefficients": ["f"]}]
    axes = [{"name": "x", "min": lo, "max": hi}, {"name": "mu", "min": -5.0, "max": 5.0},
            {"name": "sigma", "min": 0.1, "max": 5.0}, {"name": "c", "min": -1.0, "max": 1.0},
            {"name": "f", "min": 0.0, "max": 1.0}]
    params = [{"name": "mu", "value": 0.9}, {"name": "sigma", "value": 1.6}, {"name": "c", "value": -0.25},
              {"name": "f", "value": 0.35}]
    return {"metadata": {"hs3_version": "0.2", "description": "Gauss + Exp(c x) on [lo, hi] (benchmark)"},
            "distributions": dists,
            "functions": [{"name": "minus_c", "type": "generic_function", "expression": "-c"}],
            "domains": [{"name": "dom", "type": "product_domain", "axes": axes}],
            "parameter_points": [{"name": "default", "parameters": params}]}
