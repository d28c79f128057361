"""Regenerate examples/gauss_exp.hs3.json: the unbinned Gauss+Exp model of ../shared/PERFORMANCE.md.

f * Gauss(x | mu, sigma) + (1 - f) * Exp(x), each normalised on [-10, 10]; RooFit's exp(c x) with c = -0.3 is
HS3's exponential_dist with c = 0.3 (HS3 writes exp(-c x)). 500 events from the truth, seed 1.

Run: python examples/make_gauss_exp.py
"""

import json
from pathlib import Path

import numpy as np

rng = np.random.default_rng(1)
n = 500
sig = rng.normal(1.0, 1.5, n)
bkg = -rng.exponential(1 / 0.3, n) + 10.0  # not used directly: draw by inversion below
u = rng.uniform(size=n)
c = 0.3
lo, hi = -10.0, 10.0
# inverse cdf of exp(-c x) on [lo, hi]
bkg = -np.log(np.exp(-c * lo) - u * (np.exp(-c * lo) - np.exp(-c * hi))) / c
pick = rng.uniform(size=n) < 0.3
x = np.where(pick, sig, bkg)
x = x[(x > lo) & (x < hi)]
doc = {
    "metadata": {"hs3_version": "0.2", "description": "Gauss + Exp mixture on [-10, 10] (firmc example)"},
    "distributions": [
        {"name": "signal", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": "sigma"},
        {"name": "background", "type": "exponential_dist", "x": "x", "c": "c"},
        {"name": "model", "type": "mixture_dist", "summands": ["signal", "background"], "coefficients": ["f"]},
    ],
    "data": [{"name": "events", "type": "unbinned", "axes": [{"name": "x", "min": lo, "max": hi}],
              "entries": [[round(float(v), 6)] for v in x]}],
    "likelihoods": [{"name": "nll", "distributions": ["model"], "data": ["events"]}],
    "domains": [{"name": "default_domain", "type": "product_domain", "axes": [
        {"name": "x", "min": lo, "max": hi}, {"name": "mu", "min": -5.0, "max": 5.0},
        {"name": "sigma", "min": 0.1, "max": 5.0}, {"name": "c", "min": -1.0, "max": 1.0},
        {"name": "f", "min": 0.0, "max": 1.0}]}],
    "parameter_points": [{"name": "default_values", "parameters": [
        {"name": "mu", "value": 0.9}, {"name": "sigma", "value": 1.6}, {"name": "c", "value": 0.25},
        {"name": "f", "value": 0.35}]}],
}
Path(__file__).with_name("gauss_exp.hs3.json").write_text(json.dumps(doc, indent=1) + "\n")
