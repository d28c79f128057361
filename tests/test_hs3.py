"""HS3 front-end: the whole corpus loads; semantics against hand computations and published numbers."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import firmc
from conftest import CORPUS_DIR as CORPUS
from firmc.check import check
from firmc.frontends.hs3.registry import markdown_table
from firmc.ir import parse_module, print_module, verify

HS3_FILES = sorted((CORPUS / "hs3").glob("*.json")) + sorted((CORPUS / "roofit").glob("*.json"))


@pytest.mark.parametrize("path", HS3_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_loads_and_checks(path: Path):
    m = firmc.load(path)
    verify(m)
    assert parse_module(print_module(m)).entries.keys() == m.entries.keys()
    for line in check(m):
        assert line.ok, (line.entry, line.what, line.note, line.error)


def test_histfactory_dist_is_read():
    m = firmc.load(CORPUS / "hs3" / "simplemodel_uncorrelated-background_hs3.json")
    assert not m.unsupported
    assert m.entries["simPdf_obsData"].kind == "likelihood"
    assert float(firmc.compile(m, entry="simPdf_obsData")({})) == pytest.approx(15.38762717, rel=1e-9)


PYHS3_EXAMPLE = {  # FORMATS.md §2.3: pyhs3 and a hand computation give log L = -6.069851178325198
    "metadata": {"hs3_version": "0.2"},
    "functions": [{"name": "mu_shift", "type": "generic_function", "expression": "mu0 + 2*delta"}],
    "distributions": [
        {"name": "sig", "type": "gaussian_dist", "x": "x", "mean": "mu_shift", "sigma": "sigma"},
        {"name": "bkg", "type": "exponential_dist", "x": "x", "c": "c"},
        {"name": "model", "type": "mixture_dist", "summands": ["sig", "bkg"], "coefficients": ["frac"]}],
    "parameter_points": [{"name": "default_values", "parameters": [
        {"name": "x", "value": 1.0}, {"name": "mu0", "value": 0.5}, {"name": "delta", "value": 0.25},
        {"name": "sigma", "value": 1.0}, {"name": "c", "value": 0.3}, {"name": "frac", "value": 0.4}]}],
    "domains": [{"name": "default_domain", "type": "product_domain", "axes": [
        {"name": "x", "min": -5.0, "max": 5.0}, {"name": "sigma", "min": 0.1, "max": 3.0}]}],
    "data": [{"name": "d", "type": "unbinned", "entries": [[1.0], [-0.5], [2.0]],
              "axes": [{"name": "x", "min": -5.0, "max": 5.0}]}],
    "likelihoods": [{"name": "L", "distributions": ["model"], "data": ["d"]}],
}


def test_likelihood_matches_pyhs3_and_hand_computation():
    m = firmc.load(PYHS3_EXAMPLE)
    nll = firmc.compile(m, entry="L")
    assert float(nll({})) == pytest.approx(6.069851178325198, rel=1e-12)
    xs = np.array([1.0, -0.5, 2.0])
    model = firmc.compile(m, entry="model", observables=["x"])
    assert model.nll({"x": xs}) == pytest.approx(6.069851178325198, rel=1e-12)


def test_extended_weighted_and_binned_likelihood():
    doc = json.loads(json.dumps(PYHS3_EXAMPLE))
    doc["distributions"][2]["coefficients"] = ["nsig", "nbkg"]
    doc["distributions"][2]["extended"] = True
    doc["parameter_points"][0]["parameters"] += [{"name": "nsig", "value": 3.0}, {"name": "nbkg", "value": 5.0}]
    doc["data"] = [{"name": "d", "type": "unbinned", "entries": [[1.0], [-0.5], [2.0]], "weights": [1, 2, 0.5],
                    "axes": [{"name": "x", "min": -5.0, "max": 5.0}]},
                   {"name": "h", "type": "binned", "contents": [2, 0, 7, 1],
                    "axes": [{"name": "x", "min": -5.0, "max": 5.0, "nbins": 4}]}]
    doc["likelihoods"] = [{"name": "L", "distributions": ["model"], "data": ["d"]},
                          {"name": "B", "distributions": ["model"], "data": ["h"]}]
    m = firmc.load(doc)
    g, e = stats.norm(1.0, 1.0), lambda t: np.exp(-0.3 * t)
    zg, ze = g.cdf(5) - g.cdf(-5), (math.exp(1.5) - math.exp(-1.5)) / 0.3

    def pdf(t):
        return (3 * g.pdf(t) / zg + 5 * e(t) / ze) / 8

    for lik, xs, w in [("L", np.array([1.0, -0.5, 2.0]), np.array([1, 2, 0.5])),
                       ("B", np.array([-3.75, -1.25, 1.25, 3.75]), np.array([2, 0, 7, 1.0]))]:
        want = -np.sum(w * np.log(pdf(xs))) + 8.0 - w.sum() * math.log(8.0)
        assert float(firmc.compile(m, entry=lik)({})) == pytest.approx(want, rel=1e-12)


def test_inline_datum_and_aux_distribution():
    doc = {"metadata": {"hs3_version": "0.2"},
           "distributions": [{"name": "c", "type": "gaussian_dist", "x": "a_obs", "mean": "a", "sigma": 0.5},
                             {"name": "p", "type": "poisson_dist", "x": "n", "mean": "lam", "integer": True}],
           "domains": [{"name": "d", "type": "product_domain", "axes": [
               {"name": "a_obs", "min": -10, "max": 10}, {"name": "n", "min": 0, "max": 200}]}],
           "parameter_points": [{"name": "p", "parameters": [{"name": "a", "value": 0.3},
                                                             {"name": "a_obs", "value": 0.1},
                                                             {"name": "lam", "value": 12.5}]}],
           "likelihoods": [{"name": "L", "distributions": ["p"], "data": [9], "aux_distributions": ["c"]}]}
    got = float(firmc.compile(firmc.load(doc), entry="L")({}))
    want = -stats.poisson.logpmf(9, 12.5) + math.log(stats.poisson.cdf(199, 12.5)) \
        - stats.norm.logpdf(0.1, 0.3, 0.5) + math.log(stats.norm.cdf(10, 0.3, 0.5) - stats.norm.cdf(-10, 0.3, 0.5))
    assert got == pytest.approx(want, rel=1e-12)


def test_root_dialect_integer_division_in_formulas():
    doc = {"metadata": {"hs3_version": "0.2", "packages": [{"name": "ROOT", "version": "6.40.00"}]},
           "functions": [{"name": "f", "type": "generic_function", "expression": "2/3 + a/2"}],
           "parameter_points": [{"name": "p", "parameters": [{"name": "a", "value": 1.0}]}]}
    assert float(firmc.compile(firmc.load(doc), entry="f")({})) == 0.5
    doc["metadata"].pop("packages")
    assert float(firmc.compile(firmc.load(doc), entry="f")({})) == pytest.approx(2 / 3 + 0.5, rel=1e-15)


def test_type_table_in_docs_is_current():
    text = (Path(__file__).parents[1] / "docs" / "hs3-types.md").read_text(encoding="utf-8")
    assert text == markdown_table(), "run: .venv/bin/python scripts/gen_docs.py"


def test_op_table_in_docs_is_current():
    from firmc.ir.ops import markdown_ops

    text = (Path(__file__).parents[1] / "docs" / "ops.md").read_text(encoding="utf-8")
    assert text == markdown_ops(), "run: .venv/bin/python scripts/gen_docs.py"


def test_integer_poisson_over_an_unbounded_range():
    doc = {"metadata": {"hs3_version": "0.2"},
           "distributions": [{"name": "p", "type": "poisson_dist", "x": "n", "mean": "lam", "integer": True}],
           "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "n", "min": 2}]}],
           "parameter_points": [{"name": "a", "parameters": [{"name": "lam", "value": 4.4}]}]}
    got = firmc.compile(firmc.load(doc), entry="p")({"n": np.array([3.0])})[0]
    assert got == pytest.approx(stats.poisson.pmf(3, 4.4) / stats.poisson.sf(1, 4.4), rel=1e-13)
