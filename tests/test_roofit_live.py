"""Random RooFit models, built and evaluated by a live ROOT, against firmc's interpreter.

For every seed a model is drawn from a pool of RooFit classes (``RooWorkspace::factory``) with random
parameter values, exported with ``RooJSONFactoryWSTool(w).exportJSONtoString()`` *before* anything is
evaluated (evaluating creates normalisation integrals that are clients of the pdf, and the exporter
skips pdfs with clients), loaded into firmc from the JSON dict, and compared at 5 random points of
the observables with ROOT's ``pdf.getVal(normSet)`` at 1e-9 relative, with ``optimize=1`` (library
closed forms) and ``optimize=0`` (adaptive quadrature).  RooFit's numerical integrators are set to 1e-13 relative
(adaptive Gauss-Kronrod in 1-D) so that pdfs ROOT normalises numerically (RooGenericPdf, RooArgusBG
with power != 0.5, a RooGaussian whose mean is a RooPolyVar of a second observable) are exact.

Known, documented difference (strict xfail ``test_landau_quadrature_vs_root_cdf``):
RooLandau's analytical integral is ``sigma*(landau_cdf(xmax) - landau_cdf(xmin))``
(roofit/roofit/src/RooLandau.cxx) with ``ROOT::Math::landau_cdf``, CERNLIB's DISLAN rational
approximation, while the pdf is ``ROOT::Math::landau_pdf`` (DENLAN).  Measured against the Landau
integral representation with mpmath (30 digits): landau_pdf is accurate to ~1e-9 relative, but
landau_cdf has absolute errors up to 2.2e-8 near the peak (lambda = -1: -2.22e-8, -0.5: +1.90e-8,
0: -2.17e-8; 5: -2.8e-9; 20: -2.9e-10).  So the cdf is *not* the integral of ROOT's pdf to better than
~2e-8.  firmc with optimize=1 uses the same cdf (matches ROOT to 1e-10); with optimize=0 it integrates
the pdf by quadrature, which is more accurate but differs from ROOT by up to ~2e-8 relative whenever
a range edge lies near the Landau peak.  The optimize=0 check is therefore skipped for models
containing a Landau, ``test_landau_quadrature_is_integral_of_root_pdf`` checks optimize=0 against
an independent quadrature of ROOT's own pdf, and the strict xfail shows the 1e-9 mismatch with ROOT.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import firmc.frontends as fe
from backends import GENERATED_TARGETS, target_param
from conftest import precise_root
from firmc.compiler import compile
from firmc.testing import Case, assert_agrees

pytestmark = pytest.mark.live

ROOT = pytest.importorskip("ROOT")

RTOL = 1e-9
N_SEEDS = 40
N_POINTS = 5


@pytest.fixture(scope="module", autouse=True)
def _root_setup() -> None:
    precise_root()


# --- the model generator -----------------------------------------------------------------------------


@dataclass
class Builder:
    """Factory lines of one model under construction; names get a per-object counter."""

    rng: random.Random
    lines: list[str] = field(default_factory=list)
    obs: dict[str, tuple[float, float]] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)
    n: int = 0

    def name(self, stem: str) -> str:
        self.n += 1
        return f"{stem}{self.n}"

    def u(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi)

    def var(self, stem: str, value: float, lo: float | None = None, hi: float | None = None) -> str:
        """A parameter ``stem<k>[value, lo, hi]`` (a wide range around the value unless given)."""
        lo = value - 10 * abs(value) - 1 if lo is None else lo
        hi = value + 10 * abs(value) + 1 if hi is None else hi
        return f"{self.name(stem)}[{value!r},{lo!r},{hi!r}]"

    def observable(self, stem: str, lo: float, hi: float) -> str:
        name = self.name(stem)
        self.obs[name] = (lo, hi)
        return name

    def add(self, line: str) -> None:
        self.lines.append(line)


# Each leaf builder adds one pdf of observable ``x`` (range lo..hi, lo > 0) and returns its name.
# ``x`` is either a declaration "x1[lo,hi]" (first use) or an existing name.
Leaf = Callable[[Builder, str, float, float], str]


def _mean(b: Builder, lo: float, hi: float) -> str:
    """A mean parameter: usually a plain variable, sometimes a RooFormulaVar or a RooPolyVar of parameters."""
    value = b.u(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo))
    r = b.rng.random()
    if r < 0.2:  # RooFormulaVar (exported as generic_function in TFormula syntax)
        name = b.name("fm")
        d = b.u(-0.5, 0.5)
        form = b.rng.choice(["m0+2*d", "m0-d*d", "m0*exp(d)-d", "sqrt(m0*m0+d*d)"])
        m0 = value - {"m0+2*d": 2 * d, "m0-d*d": -d * d, "m0*exp(d)-d": 0.0, "sqrt(m0*m0+d*d)": 0.0}[form]
        mname, dname = b.name("m0_"), b.name("d_")
        b.add(f"expr::{name}('{form.replace('m0', mname).replace('d', dname)}', "
              f"{mname}[{m0!r},-100,100], {dname}[{d!r},-1,1])")
        b.kinds.append("formulavar")
        return name
    if r < 0.3:  # RooPolyVar of a parameter
        name = b.name("pvm")
        k1, k2 = b.u(-0.5, 0.5), b.u(-0.2, 0.2)
        t = b.u(-1, 1)
        k0 = value - k1 * t - k2 * t * t
        b.add(f"RooPolyVar::{name}({b.var('tp', t, -2, 2)}, "
              f"{{{b.var('k', k0)}, {b.var('k', k1)}, {b.var('k', k2)}}})")
        b.kinds.append("polyvar")
        return name
    return b.var("mu", value)


def leaf_gaussian(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("gauss")
    b.add(f"Gaussian::{name}({x}, {_mean(b, lo, hi)}, {b.var('sig', b.u(0.05, 0.4) * (hi - lo), 0.001, 100)})")
    return name


def leaf_exponential(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("expo")
    b.add(f"Exponential::{name}({x}, {b.var('c', b.u(-3, 1) / (hi - lo), -10, 10)})")
    return name


def leaf_polynomial(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("poly")
    scale = max(abs(lo), abs(hi))
    coefs = [b.var("a", b.u(-0.3, 0.3) / scale**k, -10, 10) for k in range(1, b.rng.randint(1, 3) + 1)]
    b.add(f"Polynomial::{name}({x}, {{{', '.join(coefs)}}})")
    return name


def leaf_chebychev(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("cheb")
    coefs = [b.var("ch", b.u(-0.3, 0.3), -1, 1) for _ in range(b.rng.randint(1, 3))]
    b.add(f"Chebychev::{name}({x}, {{{', '.join(coefs)}}})")
    return name


def leaf_bernstein(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("bern")
    coefs = [b.var("bc", b.u(0.05, 1.0), 0, 2) for _ in range(b.rng.randint(2, 5))]
    b.add(f"Bernstein::{name}({x}, {{{', '.join(coefs)}}})")
    return name


def leaf_cbshape(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("cb")
    alpha = b.rng.choice([-1, 1]) * b.u(0.3, 3.0)
    b.add(f"CBShape::{name}({x}, {_mean(b, lo, hi)}, {b.var('s', b.u(0.03, 0.2) * (hi - lo), 0.001, 100)}, "
          f"{b.var('alpha', alpha, -10, 10)}, {b.var('n', b.u(1.2, 10), 0.5, 50)})")
    return name


def leaf_crystalball(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("dcb")
    w = hi - lo
    b.add(f"CrystalBall::{name}({x}, {_mean(b, lo, hi)}, {b.var('sL', b.u(0.03, 0.2) * w, 0.001, 100)}, "
          f"{b.var('sR', b.u(0.03, 0.2) * w, 0.001, 100)}, {b.var('aL', b.u(0.3, 3), 0.01, 10)}, "
          f"{b.var('nL', b.u(1.2, 10), 0.5, 50)}, {b.var('aR', b.u(0.3, 3), 0.01, 10)}, "
          f"{b.var('nR', b.u(1.2, 10), 0.5, 50)})")
    return name


def leaf_argus(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("argus")
    m0 = hi * (1 + b.u(0, 0.05))
    # power 0.5 has ROOT's analytical integral; any other power is integrated numerically by ROOT
    power = 0.5 if b.rng.random() < 0.5 else b.u(0.2, 1.5)
    b.add(f"ArgusBG::{name}({x}, {b.var('am0', m0, hi, 2 * hi)}, {b.var('ac', b.u(-30, -0.5), -100, 0)}, "
          f"{b.var('ap', power, 0, 5)})")
    return name


def leaf_landau(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("landau")
    b.add(f"Landau::{name}({x}, {_mean(b, lo, hi)}, {b.var('ls', b.u(0.02, 0.2) * (hi - lo), 0.001, 100)})")
    return name


def leaf_bifurgauss(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("bifur")
    w = hi - lo
    b.add(f"BifurGauss::{name}({x}, {_mean(b, lo, hi)}, {b.var('sl', b.u(0.03, 0.3) * w, 0.001, 100)}, "
          f"{b.var('sr', b.u(0.03, 0.3) * w, 0.001, 100)})")
    return name


def leaf_lognormal(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("logn")
    b.add(f"Lognormal::{name}({x}, {b.var('lm', b.u(lo + 0.1 * (hi - lo), hi), 0.01, 100)}, "
          f"{b.var('lk', b.u(1.1, 3.0), 1.01, 10)})")
    return name


def leaf_gamma(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("gamma")
    mu = lo - b.u(0, 1)
    b.add(f"Gamma::{name}({x}, {b.var('gg', b.u(1.2, 6), 1, 20)}, "
          f"{b.var('gb', b.u(0.1, 0.5) * (hi - lo), 0.01, 100)}, {b.var('gmu', mu, -10, lo)})")
    return name


def leaf_uniform(b: Builder, x: str, lo: float, hi: float) -> str:
    name = b.name("unif")
    b.add(f"Uniform::{name}({x})")
    return name


def leaf_generic(b: Builder, x: str, lo: float, hi: float) -> str:
    """RooGenericPdf with a small random polynomial / exponential in x (positive on lo..hi, lo > 0)."""
    name = b.name("gen")
    xn = x.split("[", maxsplit=1)[0]
    a, c, d = b.name("ea"), b.name("ec"), b.name("ed")
    template = b.rng.randrange(4)
    if template == 0:
        form = f"exp({c}*{xn})*(1+{a}*{xn}+{d}*{xn}^2)"
        vals = (b.u(0, 1), b.u(-2, 0.5) / (hi - lo), b.u(0, 0.3))
    elif template == 1:
        form = f"exp(-0.5*(({xn}-{a})/{c})^2)+{d}"
        vals = (b.u(lo, hi), b.u(0.1, 0.4) * (hi - lo), b.u(0.01, 0.5))
    elif template == 2:
        form = f"pow({xn},{a})*exp(-{c}*{xn})+{d}*{xn}"
        vals = (b.u(0.5, 3), b.u(0.2, 2) / (0.3 * (hi - lo)), b.u(0, 0.2))
    else:
        form = f"1+{a}*sin({c}*{xn})+{d}*{xn}*{xn}"
        vals = (b.u(-0.9, 0.9), b.u(0.2, 3) / (hi - lo) * 6, b.u(0, 0.1) / hi**2)
    args = ", ".join(f"{n}[{v!r},-100,100]" for n, v in zip((a, c, d), vals, strict=True))
    b.add(f"EXPR::{name}('{form}', {x}, {args})")
    return name


LEAVES: dict[str, Leaf] = {
    "gaussian": leaf_gaussian, "exponential": leaf_exponential, "polynomial": leaf_polynomial,
    "chebychev": leaf_chebychev, "cbshape": leaf_cbshape, "crystalball": leaf_crystalball,
    "argus": leaf_argus, "landau": leaf_landau, "bernstein": leaf_bernstein, "bifurgauss": leaf_bifurgauss,
    "lognormal": leaf_lognormal, "gamma": leaf_gamma, "uniform": leaf_uniform, "expr": leaf_generic,
}


def _leaf(b: Builder, kind: str, stem: str = "x") -> tuple[str, str]:
    """One leaf pdf on a fresh observable; returns (pdf name, observable name)."""
    lo = b.u(0.2, 2.0)
    hi = lo + b.u(3.0, 12.0)
    x = b.observable(stem, lo, hi)
    b.kinds.append(kind)
    return LEAVES[kind](b, f"{x}[{lo!r},{hi!r}]", lo, hi), x


def model_leaf(kind: str) -> Callable[[Builder], str]:
    return lambda b: _leaf(b, kind)[0]


def model_poisson(b: Builder) -> str:
    """RooPoisson (exported with ``"integer": true``); the range reaches far into the upper tail, where
    P(floor(xmax)) < 1e-20: the edge bins are tested in ``test_poisson_range_edges``."""
    name = b.name("pois")
    lam = b.u(0.5, 30.0)
    hi = float(math.ceil(lam + 12 * math.sqrt(lam) + 20))
    x = b.observable("n", 0.0, hi)
    b.kinds.append("poisson")
    b.add(f"Poisson::{name}({x}[0,{hi!r}], {b.var('lam', lam, 0, 100)})")
    return name


def model_sum(extended: bool) -> Callable[[Builder], str]:
    def build(b: Builder) -> str:
        first, x = _leaf(b, b.rng.choice(list(LEAVES)))
        lo, hi = b.obs[x]
        comps = [first]
        for _ in range(b.rng.randint(1, 2)):
            kind = b.rng.choice(list(LEAVES))
            b.kinds.append(kind)
            comps.append(LEAVES[kind](b, x, lo, hi))
        name = b.name("sum")
        if extended:
            terms = [f"{b.var('ny', b.u(10, 1000), 0, 1e5)}*{c}" for c in comps]
        else:  # fractions summing to < 1; the last component takes the rest
            fr = [b.u(0.05, 0.9 / (len(comps) - 1)) for _ in comps[:-1]]
            terms = [f"{b.var('f', f, 0, 1)}*{c}" for f, c in zip(fr, comps, strict=False)] + [comps[-1]]
        b.kinds.append("sum_extended" if extended else "sum_fraction")
        b.add(f"SUM::{name}({', '.join(terms)})")
        return name

    return build


def model_prod(b: Builder) -> str:
    """PROD of pdfs of different observables; a factor may itself be a SUM, or a Poisson."""
    pdfs = []
    for _ in range(2):
        r = b.rng.random()
        if r < 0.25:
            pdfs.append(model_sum(b.rng.random() < 0.5)(b))
        elif r < 0.35:
            pdfs.append(model_poisson(b))
        else:
            pdfs.append(_leaf(b, b.rng.choice(list(LEAVES)))[0])
    name = b.name("prod")
    b.kinds.append("prod")
    b.add(f"PROD::{name}({', '.join(pdfs)})")
    return name


def model_formulavar(b: Builder) -> str:
    """A Gaussian whose mean is a RooFormulaVar (forced)."""
    lo = b.u(0.2, 2.0)
    hi = lo + b.u(3.0, 12.0)
    x = b.observable("x", lo, hi)
    name, fm = b.name("gfv"), b.name("fmean")
    mu0, d = b.u(lo + 0.3 * (hi - lo), hi - 0.3 * (hi - lo)), b.u(-0.5, 0.5)
    b.add(f"expr::{fm}('{fm}a+2*{fm}b-{fm}b*{fm}b', {fm}a[{mu0!r},-100,100], {fm}b[{d!r},-1,1])")
    b.add(f"Gaussian::{name}({x}[{lo!r},{hi!r}], {fm}, {b.var('sig', b.u(0.05, 0.4) * (hi - lo), 0.001, 100)})")
    b.kinds += ["formulavar", "gaussian"]
    return name


def model_polyvar(b: Builder) -> str:
    """A Gaussian in x whose mean is a RooPolyVar of a second observable y (ROOT: numeric over y)."""
    lo = b.u(0.2, 2.0)
    hi = lo + b.u(3.0, 12.0)
    x = b.observable("x", lo, hi)
    y = b.observable("y", -1.0, 1.0)
    pv, name = b.name("pv"), b.name("gpv")
    mid = 0.5 * (lo + hi)
    b.add(f"RooPolyVar::{pv}({y}[-1,1], {{{b.var('k', mid)}, {b.var('k', b.u(-1, 1))}, "
          f"{b.var('k', b.u(-0.5, 0.5))}}})")
    b.add(f"Gaussian::{name}({x}[{lo!r},{hi!r}], {pv}, {b.var('sig', b.u(0.05, 0.3) * (hi - lo), 0.001, 100)})")
    b.kinds += ["polyvar_obs", "gaussian"]
    return name


MODEL_KINDS: dict[str, Callable[[Builder], str]] = {
    **{k: model_leaf(k) for k in LEAVES},
    "poisson": model_poisson,
    "sum_fraction": model_sum(False),
    "sum_extended": model_sum(True),
    "prod": model_prod,
    "formulavar": model_formulavar,
    "polyvar": model_polyvar,
}


@dataclass
class Model:
    seed: int
    kind: str
    top: str
    lines: list[str]
    obs: dict[str, tuple[float, float]]
    kinds: list[str]
    doc: dict[str, Any]
    points: dict[str, np.ndarray]
    root_values: np.ndarray
    numeric: list[str]  # observables ROOT's normalisation integral integrates numerically


def make_model(seed: int) -> Model:
    """Build the seed's model in ROOT, export it, then evaluate ROOT at N_POINTS random points.

    Seeds 0..19 run through MODEL_KINDS once (coverage); the others draw a random composite."""
    b = Builder(random.Random(seed))
    if seed < len(MODEL_KINDS):
        kind = list(MODEL_KINDS)[seed]
    else:
        kind = b.rng.choice(["sum_fraction", "sum_extended", "prod"])
    top = MODEL_KINDS[kind](b)
    w = ROOT.RooWorkspace(f"w_live_{seed}")
    for line in b.lines:
        if not w.factory(line):
            raise RuntimeError(f"seed {seed}: factory failed: {line}")
    # export FIRST: getVal(normSet) makes normalisation integrals that are clients of the pdf
    doc = json.loads(str(ROOT.RooJSONFactoryWSTool(w).exportJSONtoString()))
    pdf = w.pdf(top)
    nset = ROOT.RooArgSet()
    for o in b.obs:
        assert pdf.dependsOn(w.var(o)), (seed, o)
        nset.add(w.var(o))
    numeric = [v.GetName() for v in pdf.createIntegral(nset).numIntRealVars()]
    points = {o: np.array([b.u(lo, hi) for _ in range(N_POINTS)]) for o, (lo, hi) in b.obs.items()}
    values = []
    for i in range(N_POINTS):
        for o in b.obs:
            w.var(o).setVal(float(points[o][i]))
        values.append(pdf.getVal(nset))
    return Model(seed, kind, top, b.lines, b.obs, b.kinds, doc, points, np.array(values), numeric)


_CACHE: dict[int, Model] = {}


def model_for(seed: int) -> Model:
    if seed not in _CACHE:
        _CACHE[seed] = make_model(seed)
    return _CACHE[seed]


def firmc_values(m: Model, optimize: int) -> np.ndarray:
    mod = fe.load(m.doc)
    f = compile(mod, target="interp", entry=m.top, observables=list(m.obs), optimize=optimize)
    return np.asarray(f(dict(m.points)), dtype=float)


def assert_close(m: Model, got: np.ndarray, optimize: int) -> None:
    """|firmc - ROOT| <= 1e-9 |ROOT|; far tails underflow to 0 in both (the 1e-300 floor only matters for
    subnormal values, which carry fewer digits)."""
    ref = m.root_values
    assert np.all(np.isfinite(ref)) and np.all(ref >= 0) and np.any(ref > 0), (m.lines, ref)
    rel = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)
    assert np.all(rel <= RTOL), (
        f"seed {m.seed} ({m.kind}, optimize={optimize}): max rel err {rel.max():.3e}\n"
        f"factory: {m.lines}\nROOT numeric integration over: {m.numeric}\n"
        f"points: { {k: v.tolist() for k, v in m.points.items()} }\n"
        f"ROOT:  {ref.tolist()}\nfirmc: {got.tolist()}"
    )


# --- tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimize", [1, 0])
@pytest.mark.parametrize("seed", range(N_SEEDS))
def test_random_model(seed: int, optimize: int) -> None:
    m = model_for(seed)
    if optimize == 0 and "landau" in m.kinds:
        pytest.skip("Landau with optimize=0: ROOT's landau_cdf is not the integral of its landau_pdf "
                    "(module docstring; test_landau_quadrature_vs_root_cdf)")
    assert_close(m, firmc_values(m, optimize), optimize)


@pytest.mark.parametrize("target", [target_param(t) for t in GENERATED_TARGETS])
@pytest.mark.parametrize("seed", range(N_SEEDS))
def test_random_model_on_generated_targets(seed: int, target: str) -> None:
    """The same random models, generated code against the interpreter (value, logpdf, NLL, gradient)."""
    m = model_for(seed)
    assert_agrees(Case(fe.load(m.doc), m.top, tuple(m.obs), name=f"seed {seed} ({m.kind})"), target)


def _landau_model(seed: int, lo: float, hi: float, mean: float, sigma: float) -> Model:
    w = ROOT.RooWorkspace(f"w_landau_{seed}")
    assert w.factory(f"Landau::lan(x[{lo!r},{hi!r}], ml[{mean!r},-100,100], sl[{sigma!r},0.01,100])")
    doc = json.loads(str(ROOT.RooJSONFactoryWSTool(w).exportJSONtoString()))
    pdf, x = w.pdf("lan"), w.var("x")
    pts = np.linspace(lo, hi, N_POINTS + 2)[1:-1]
    vals = []
    for p in pts:
        x.setVal(float(p))
        vals.append(pdf.getVal(ROOT.RooArgSet(x)))
    return Model(seed, "landau", "lan", [], {"x": (lo, hi)}, ["landau"], doc, {"x": pts}, np.array(vals), [])


# lower range edge one sigma below the Landau location parameter: landau_cdf is off by -2.2e-8 there
LANDAU_EDGE_CASE = (1000, -1.0, 20.0, 0.0, 1.0)


def test_landau_quadrature_is_integral_of_root_pdf() -> None:
    """optimize=0 normalises ROOT's own Landau pdf correctly (independent scipy quadrature)."""
    from scipy.integrate import quad

    seed, lo, hi, mean, sigma = LANDAU_EDGE_CASE
    m = _landau_model(seed, lo, hi, mean, sigma)
    norm = quad(lambda t: ROOT.Math.landau_pdf((t - mean) / sigma), lo, hi, epsabs=0, epsrel=1e-13,
                limit=500, points=[mean - 0.22 * sigma])[0]
    expected = np.array([ROOT.Math.landau_pdf((p - mean) / sigma) for p in m.points["x"]]) / norm
    np.testing.assert_allclose(firmc_values(m, 0), expected, rtol=1e-9, atol=0)
    # and optimize=1 reproduces ROOT (same landau_cdf approximation)
    assert_close(m, firmc_values(m, 1), 1)


@pytest.mark.xfail(
    strict=True,
    reason="RooLandau::analyticalIntegral uses ROOT::Math::landau_cdf (CERNLIB DISLAN approximation), "
    "which differs from the integral of ROOT::Math::landau_pdf by up to 2.2e-8 near the peak; firmc's "
    "optimize=0 integrates the pdf by quadrature, so it differs from ROOT by ~2.5e-8 here",
)
def test_landau_quadrature_vs_root_cdf() -> None:
    m = _landau_model(*LANDAU_EDGE_CASE)
    assert_close(m, firmc_values(m, 0), 0)


def test_pool_coverage() -> None:
    """Every kind of the pool occurs among the seeds (as top model or inside a composite)."""
    seen = {k for s in range(N_SEEDS) for k in model_for(s).kinds}
    wanted = set(LEAVES) | {"poisson", "sum_fraction", "sum_extended", "prod", "formulavar", "polyvar",
                            "polyvar_obs"}
    assert wanted <= seen, sorted(wanted - seen)
    # some normalisations are numerical in ROOT (RooGenericPdf, ArgusBG with power != 0.5, ...)
    assert sum(bool(model_for(s).numeric) for s in range(N_SEEDS)) >= 3


def test_landau_cdf_error_is_roots() -> None:
    """The diagnosis above: landau_cdf vs the Landau integral representation (mpmath, 30 digits)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30

    def survival(lam: float) -> Any:  # P(X > lam) = (1/pi) int_0^inf exp(-t ln t - lam t) sin(pi t)/t dt
        f = lambda t: mp.exp(-t * mp.log(t) - lam * t) * mp.sin(mp.pi * t) / t  # noqa: E731
        return mp.quad(f, [0, 1, 2, 5, 10, 30, mp.inf]) / mp.pi

    def density(lam: float) -> Any:
        f = lambda t: mp.exp(-t * mp.log(t) - lam * t) * mp.sin(mp.pi * t)  # noqa: E731
        return mp.quad(f, [0, 1, 2, 5, 10, 30, mp.inf]) / mp.pi

    cdf_err = abs(ROOT.Math.landau_cdf(-1.0) - float(1 - survival(-1.0)))
    pdf_err = abs(ROOT.Math.landau_pdf(-1.0) / float(density(-1.0)) - 1)
    assert cdf_err > 1e-8  # DISLAN: 2.2e-8 absolute at lambda = -1
    assert pdf_err < 3e-9  # DENLAN: ~1e-9 relative
    assert math.isfinite(cdf_err)


# --- firmc bugs found by this generator (strict xfails: they XPASS, and fail, once firmc is fixed) ----


def _single_model(name: str, line: str, top: str, obs: str, lo: float, hi: float, points: list[float]) -> Model:
    w = ROOT.RooWorkspace(f"w_{name}")
    assert w.factory(line), line
    doc = json.loads(str(ROOT.RooJSONFactoryWSTool(w).exportJSONtoString()))  # before evaluating
    pdf, x = w.pdf(top), w.var(obs)
    nset = ROOT.RooArgSet(x)
    vals = []
    for p in points:
        x.setVal(p)
        vals.append(pdf.getVal(nset))
    numeric = [v.GetName() for v in pdf.createIntegral(nset).numIntRealVars()]
    return Model(-1, name, top, [line], {obs: (lo, hi)}, [name], doc, {obs: np.array(points)}, np.array(vals),
                 numeric)


# Found with this generator (seed 1325 of the same pool gave 1.006e-9), then searched for larger cases.
CRYSTALBALL_KINK_CASES = [
    pytest.param("CrystalBall::dcb(x[0.818,9.961], x0[6.193], sL[0.811], sR[0.33], aL[1.0], nL[8.2], "
                 "aR[0.48], nR[6.8])", "dcb", 0.818, 9.961, id="RooCrystalBall-3.5e-8"),
    pytest.param("CBShape::cb(x[1.843,8.105], m0[5.579], s[0.629], a[0.97], n[9.4])", "cb", 1.843, 8.105,
                 id="RooCBShape-2.2e-8"),
]


# optimize=0 normalises by quadrature: the second-derivative jump at t = -alpha / +alpha used to fall between a
# cell's outermost Kronrod node and its edge (2-4e-8 off); the interpreter now starts the subdivision at the
# thresholds of the density's conditions (firmc.interp.breakpoints)
@pytest.mark.parametrize("optimize", [1, 0])
@pytest.mark.parametrize(("line", "top", "lo", "hi"), CRYSTALBALL_KINK_CASES)
def test_crystalball_normalisation_kink(line: str, top: str, lo: float, hi: float, optimize: int) -> None:
    m = _single_model(top, line, top, "x", lo, hi, list(np.linspace(lo, hi, N_POINTS + 2)[1:-1]))
    assert_close(m, firmc_values(m, optimize), optimize)


@pytest.mark.parametrize("optimize", [1, 0])
@pytest.mark.parametrize(
    ("lo", "hi"),
    [pytest.param(0.0, 20.0, id="upper-edge-P(20)"), pytest.param(2.5, 60.0, id="lower-edge-P(2)")],
)
def test_poisson_range_edges(lo: float, hi: float, optimize: int) -> None:
    m = _single_model("poisson_edge", f"Poisson::pe(n[{lo!r},{hi!r}], lam[8.0,0,100])", "pe", "n", lo, hi,
                      [3.0, 5.5, 8.0, 12.2, 17.0])
    assert_close(m, firmc_values(m, optimize), optimize)
