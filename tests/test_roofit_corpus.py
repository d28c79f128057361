"""firmc's interpreter against the RooFit values of the shared corpus (``shared/corpus/roofit``).

Each model there was built with ``RooWorkspace::factory`` and exported by ROOT 6.40's
``RooJSONFactoryWSTool`` (``make_samples.py``); ``export_results.tsv`` holds ROOT's normalised values
``pdf.getVal(normSet)`` at a few points, printed with ``%.10g``.  ``tests/data/roofit_reference.tsv``
holds the same values recomputed with 17 digits and RooFit's numerical integrators at 1e-13
(``tests/data/make_roofit_reference.py``).

Tolerances (no mocks: every number below was computed by ROOT):

* against ``export_results.tsv``: 1e-9 relative plus half a unit of the 10th significant digit;
  1e-7 relative for the two models whose ROOT value carries a ~1e-7 error (see below);
* against ``roofit_reference.tsv``: 1e-9 relative for every model.

Two models need care:

* ``generic_pdf`` (RooGenericPdf): ROOT normalises it numerically (``RooIntegrator1D``, default
  precision 1e-7 relative), so its 10-digit values are off by 8e-8; the 17-digit reference is exact.
* ``multivar_gaussian`` (RooMultiVarGaussian): ROOT does *not* integrate numerically here.  When all
  observables are integrated without a named range, ``RooMultiVarGaussian::getAnalyticalIntegral``
  returns code -1 and ``analyticalIntegral`` returns ``pow(2*3.14159268, n/2)*sqrt(|det V|)``
  (roofit/roofitcore/src/RooMultiVarGaussian.cxx): the integral over all of R^n (the finite box of the
  observables is ignored) with pi rounded to 3.14159268.  ROOT's values are therefore low by the factor
  (pi/3.14159268)^(n/2) = 1 - 8.4066e-9 for n = 2 (measured: the ratio to scipy's multivariate normal is
  1 + 8.40663e-9 at both points, i.e. equal to that factor to 2e-16).  firmc uses the exact pi, so the
  test compares with ROOT's value times (3.14159268/pi)^(n/2) at 1e-9 and keeps a strict xfail for
  the raw comparison.

``landau`` with optimize=0 passes with little margin (8.1e-10 against the 17-digit reference): RooLandau
normalises with ``ROOT::Math::landau_cdf`` (CERNLIB DISLAN), which is not the integral of its pdf
(DENLAN) to better than ~2e-8 near the peak; this range (x in [0, 20], mean 5, sigma 1) keeps both
edges far from the peak.  See tests/test_roofit_live.py for the measurement and a strict xfail.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import firmc.frontends as fe
from firmc.compiler import compile

DATA = Path(__file__).resolve().parent / "data"

# Copied from shared/corpus/roofit/make_samples.py (MODELS: top pdf, observables, points; the factory
# lines are left out).  ``test_table_matches_make_samples`` checks that this copy is still in sync.
MODELS: dict[str, tuple[str, list[str], list[list[float]]]] = {
    "gaussian": ("g", ["x"], [[-1.0], [0.5]]),
    "exponential": ("e", ["x"], [[1.0], [3.0]]),
    "polynomial": ("p", ["x"], [[0.2], [0.7]]),
    "chebychev": ("ch", ["x"], [[0.2], [0.7]]),
    "cbshape": ("cb", ["m"], [[5.27], [5.28]]),
    "crystalball_2sided": ("dcb", ["x"], [[-3.0], [0.5], [4.0]]),
    "argus": ("argus", ["m"], [[5.25], [5.28]]),
    "landau": ("lan", ["x"], [[4.0], [8.0]]),
    "poisson": ("pois", ["nobs"], [[7.0], [10.0]]),
    "breitwigner": ("bw", ["x"], [[0.3], [2.0]]),
    "voigtian": ("v", ["x"], [[0.3], [2.0]]),
    "bernstein": ("bern", ["x"], [[0.2], [0.8]]),
    "bifurgauss": ("bg", ["x"], [[-1.0], [1.0]]),
    "lognormal": ("ln", ["x"], [[1.0], [3.0]]),
    "gamma": ("gam", ["x"], [[2.0], [5.0]]),
    "uniform": ("u", ["x"], [[1.0]]),
    "generic_pdf": ("gen", ["x"], [[-1.0], [2.0]]),
    "formulavar_mean": ("gf", ["x"], [[0.0], [1.0]]),
    "sum_add_pdf": ("model", ["x"], [[2.0], [5.0]]),
    "sum_extended": ("model", ["x"], [[2.0], [5.0]]),
    "prod_pdf": ("gxy", ["x", "y"], [[0.0, 0.0], [1.0, -1.0]]),
    "polyvar_sum_product_funcs": ("gfun", ["y", "x"], [[0.5, 1.0]]),
    "decay_gaussmodel": ("dec", ["t"], [[0.5], [2.0]]),
    "extended_pdf": ("ext", ["x"], [[0.0]]),
    "multivar_gaussian": ("mvg", ["x1", "x2"], [[0.0, 0.0], [0.5, -0.5]]),
    "novosibirsk": ("nov", ["x"], [[0.0]]),
    "johnson": ("jo", ["x"], [[0.0]]),
}

#: ROOT's 10-digit values carry RooFit's default numerical-integration error (1e-7 relative).
ROOT_DEFAULT_PRECISION = {"generic_pdf", "multivar_gaussian"}
#: pi as hard-coded in RooMultiVarGaussian::analyticalIntegral (code -1).
ROOT_MVG_PI = 3.14159268


def _roofit_dir(corpus: Path) -> Path:
    d = corpus / "roofit"
    if not (d / "export_results.tsv").is_file():
        pytest.skip(f"{d / 'export_results.tsv'} not found")
    return d


def _tsv_row(corpus: Path, model: str) -> dict[str, str]:
    lines = (_roofit_dir(corpus) / "export_results.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        cols = line.split("\t")
        cols += [""] * (len(header) - len(cols))
        if cols[0] == model:
            return dict(zip(header, cols, strict=True))
    pytest.fail(f"model {model!r} not in export_results.tsv")


def _tsv_refs(corpus: Path, model: str) -> np.ndarray:
    row = _tsv_row(corpus, model)
    if not row["ref_values"].strip():
        pytest.skip(f"{model}: no RooFit reference values ({row['exported_types']})")
    refs = np.array([float(v) for v in row["ref_values"].split()])
    assert len(refs) == len(MODELS[model][2])
    return refs


def _hp_refs(model: str) -> np.ndarray:
    """17-digit values from tests/data/roofit_reference.tsv, in the order of MODELS[model] points."""
    _, obs, points = MODELS[model]
    table: dict[str, float] = {}
    for line in (DATA / "roofit_reference.tsv").read_text().splitlines()[1:]:
        name, point, value, _numeric = line.split("\t")
        if name == model:
            table[point] = float(value)
    keys = [",".join(f"{o}={x!r}" for o, x in zip(obs, p, strict=True)) for p in points]
    missing = [k for k in keys if k not in table]
    assert not missing, f"{model}: points {missing} missing from roofit_reference.tsv"
    return np.array([table[k] for k in keys])


def _half_unit_10g(ref: np.ndarray) -> np.ndarray:
    """Half a unit in the 10th significant digit of ``%.10g``-printed numbers."""
    exp10 = np.floor(np.log10(np.abs(np.where(ref == 0, 1.0, ref))))
    return 0.5 * 10.0 ** (exp10 - 9)


def _evaluate(corpus: Path, model: str, optimize: int) -> np.ndarray:
    top, obs, points = MODELS[model]
    m = fe.load(_roofit_dir(corpus) / f"{model}.json")
    f = compile(m, target="interp", entry=top, observables=obs, optimize=optimize)
    pts = np.array(points, dtype=float)
    out = np.asarray(f({o: pts[:, i] for i, o in enumerate(obs)}), dtype=float)
    assert out.shape == (len(points),)
    return out


def _mvg_pi_factor(model: str) -> float:
    n = len(MODELS[model][1])
    return (ROOT_MVG_PI / math.pi) ** (n / 2)


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.abs(b)))


# ---------------------------------------------------------------------------------------------------


def test_table_matches_make_samples(corpus: Path) -> None:
    """The MODELS copy above equals the one in make_samples.py (parsed with ast, not imported)."""
    script = _roofit_dir(corpus) / "make_samples.py"
    tree = ast.parse(script.read_text())
    theirs = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MODELS" for t in node.targets):
            theirs = ast.literal_eval(node.value)
    assert theirs is not None, "MODELS not found in make_samples.py"
    assert {k: (v[1], v[2], v[3]) for k, v in theirs.items()} == {
        k: tuple(v) for k, v in MODELS.items()
    }


@pytest.mark.parametrize("optimize", [1, 0])
@pytest.mark.parametrize("model", list(MODELS))
def test_against_export_results(corpus: Path, model: str, optimize: int) -> None:
    """ROOT's 10-digit values (export_results.tsv)."""
    refs = _tsv_refs(corpus, model)
    got = _evaluate(corpus, model, optimize)
    if model in ROOT_DEFAULT_PRECISION:
        np.testing.assert_allclose(got, refs, rtol=1e-7, atol=0)
    else:
        tol = 1e-9 * np.abs(refs) + _half_unit_10g(refs)
        assert np.all(np.abs(got - refs) <= tol), (got, refs, _max_rel(got, refs))


@pytest.mark.parametrize("optimize", [1, 0])
@pytest.mark.parametrize("model", list(MODELS))
def test_against_high_precision_reference(corpus: Path, model: str, optimize: int) -> None:
    """ROOT's values with 17 digits and numerical integrals at 1e-13 (roofit_reference.tsv), 1e-9."""
    _tsv_refs(corpus, model)  # skips the models ROOT could not export
    refs = _hp_refs(model)
    if model == "multivar_gaussian":
        refs = refs * _mvg_pi_factor(model)  # undo ROOT's pi = 3.14159268 (module docstring)
    got = _evaluate(corpus, model, optimize)
    np.testing.assert_allclose(got, refs, rtol=1e-9, atol=0)


@pytest.mark.xfail(
    strict=True,
    reason="RooMultiVarGaussian::analyticalIntegral (code -1) normalises with pow(2*3.14159268, n/2)"
    "*sqrt(|det V|): pi rounded to 3.14159268, so ROOT's values are low by 8.4066e-9 relative for n=2; "
    "firmc uses the exact pi",
)
@pytest.mark.parametrize("optimize", [1, 0])
def test_multivar_gaussian_raw_root_value(corpus: Path, optimize: int) -> None:
    _tsv_refs(corpus, "multivar_gaussian")
    refs = _hp_refs("multivar_gaussian")
    got = _evaluate(corpus, "multivar_gaussian", optimize)
    np.testing.assert_allclose(got, refs, rtol=1e-9, atol=0)


def test_multivar_gaussian_pi_diagnosis(corpus: Path) -> None:
    """ROOT's value is the R^n-normalised Gaussian times (pi/3.14159268)^(n/2), to rounding."""
    _tsv_refs(corpus, "multivar_gaussian")
    from scipy.stats import multivariate_normal

    # parameters as built by hand in make_samples.py
    dist = multivariate_normal(mean=[0.1, -0.1], cov=[[1.0, 0.3], [0.3, 2.0]])
    refs = _hp_refs("multivar_gaussian")
    exact = dist.pdf(np.array(MODELS["multivar_gaussian"][2]))
    np.testing.assert_allclose(refs * _mvg_pi_factor("multivar_gaussian"), exact, rtol=1e-14)
    assert _max_rel(refs, exact) > 8e-9


def test_generic_pdf_reference_is_exact(corpus: Path) -> None:
    """The 17-digit generic_pdf values equal the closed-form normalisation (ROOT's 10 digits do not)."""
    refs = _hp_refs("generic_pdf")
    a, b = 0.1, 0.05  # exp(-0.5*x*x)*(1+a*x+b*x^2) on [-5, 5], as in make_samples.py
    g0 = math.sqrt(2 * math.pi) * math.erf(5 / math.sqrt(2))  # int exp(-x^2/2)
    g2 = g0 - 10 * math.exp(-12.5)  # int x^2 exp(-x^2/2) (odd moment vanishes)
    norm = g0 + b * g2
    x = np.array([p[0] for p in MODELS["generic_pdf"][2]])
    exact = np.exp(-0.5 * x * x) * (1 + a * x + b * x * x) / norm
    np.testing.assert_allclose(refs, exact, rtol=1e-12)
    assert _max_rel(_tsv_refs(corpus, "generic_pdf"), exact) > 1e-8
