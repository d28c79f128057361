"""Numerical edge cases on every target against closed forms computed with mpmath (docs/numerics.md).

Four models: a Gaussian on [-5, 5], an exponential on [-2, 3], a mixture of two Gaussians on [-50, 50] (firm DSL)
and a Crystal Ball on [-10, 10]. On every available target (the cuda target only compiles here) they are
evaluated -- ``pdf``, ``logpdf``, ``nll`` and the analytic gradient ``nll_grad`` -- at the domain's edges and one
ulp inside and outside, at tiny and huge widths and slopes, with the mean far outside the range, where the
density underflows, and at NaN and infinite inputs. Every expected value comes from mpmath at 60 digits (or from
the policy of docs/numerics.md for NaN and infinity), never from firmc.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath as mp
import numpy as np
import pytest

import firmc
from firmc.backends import available_targets
from firmc.compiler import Compiled
from firmc.errors import EvaluationError
from firmc.frontends.dsl import load_firm
from firmc.ir import walk

TARGETS = available_targets()  # cuda only where a CUDA device is (test_cuda_compiles elsewhere)
DIGITS = 60
RTOL = 1e-9  # the roofit target's bound (RooFit's own special functions); the others agree to ~1e-13
nan, inf = math.nan, math.inf
up, down = (lambda v: float(np.nextafter(v, inf))), (lambda v: float(np.nextafter(v, -inf)))


# ------------------------------------------------------------------------------------------------ models
def _hs3(dist: dict[str, Any], axes: Mapping[str, tuple[float, float]], values: Mapping[str, float]) -> firmc.Module:
    return firmc.load({
        "metadata": {"hs3_version": "0.2"}, "distributions": [dist],
        "domains": [{"name": "d", "type": "product_domain",
                     "axes": [{"name": k, "min": lo, "max": hi} for k, (lo, hi) in axes.items()]}],
        "parameter_points": [{"name": "p", "parameters": [{"name": k, "value": v} for k, v in values.items()]}]})


MIXTURE = """
observable x in [-50, 50]
parameter mu1 = -5 in [-100, 100]
parameter s1 = 1 in [0.001, 100]
parameter mu2 = 0 in [-100, 100]
parameter s2 = 2 in [0.001, 100]
parameter f = 0.3 in [0, 1]
distribution g1 = gaussian(x, mean=mu1, sigma=s1)
distribution g2 = gaussian(x, mean=mu2, sigma=s2)
distribution mix = mixture(summands=[g1, g2], coefficients=[f])
"""

MODELS: dict[str, Callable[[], firmc.Module]] = {
    "gauss": lambda: _hs3({"name": "gauss", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": "sigma"},
                          {"x": (-5.0, 5.0), "mu": (-1e12, 1e12), "sigma": (1e-305, 1e305)},
                          {"mu": 0.5, "sigma": 1.0}),
    "wide": lambda: _hs3({"name": "wide", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": "sigma"},
                         {"x": (-50.0, 50.0), "mu": (-10.0, 10.0), "sigma": (0.1, 10.0)},
                         {"mu": 0.0, "sigma": 1.0}),
    "expo": lambda: _hs3({"name": "expo", "type": "exponential_dist", "x": "x", "c": "c"},
                         {"x": (-2.0, 3.0), "c": (-1e9, 1e9)}, {"c": 0.5}),
    "mix": lambda: load_firm(MIXTURE),
    "cb": lambda: _hs3({"name": "cb", "type": "crystalball_dist", "m": "x", "m0": "m0", "sigma": "s", "alpha": "a",
                        "n": "n"},
                       {"x": (-10.0, 10.0), "m0": (-5.0, 5.0), "s": (0.01, 5.0), "a": (0.1, 5.0), "n": (1.1, 20.0)},
                       {"m0": 0.0, "s": 0.2, "a": 1.5, "n": 3.0}),
}
DOMAIN = {"gauss": (-5.0, 5.0), "wide": (-50.0, 50.0), "expo": (-2.0, 3.0), "mix": (-50.0, 50.0),
          "cb": (-10.0, 10.0)}


@functools.cache
def module(name: str) -> firmc.Module:
    return MODELS[name]()


@functools.cache
def compiled(name: str, target: str) -> Compiled:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return firmc.compile(module(name), target, name)


def params(name: str, given: Mapping[str, float]) -> dict[str, float]:
    return {k: p.value for k, p in module(name).parameters.items()} | dict(given)


# ------------------------------------------------------------------------------------ mpmath references
def _mpf(v: float) -> Any:
    return mp.nan if math.isnan(v) else mp.mpf(v)


def _log_gauss_integral(lo: Any, hi: Any, mu: Any, s: Any) -> Any:
    """log of the integral of exp(-((t - mu)/s)^2/2) over [lo, hi], by erfc where the mean is outside."""
    r = mp.sqrt(2) * abs(s)
    a, b = (lo - mu) / r, (hi - mu) / r
    d = mp.erfc(a) - mp.erfc(b) if a > 0 else mp.erfc(-b) - mp.erfc(-a) if b < 0 else mp.erf(b) - mp.erf(a)
    return mp.log(mp.sqrt(mp.pi / 2) * abs(s) * d)


def _log_shape(name: str, x: Any, p: Mapping[str, Any]) -> Any:
    if name in ("gauss", "wide"):
        return -((x - p["mu"]) / p["sigma"]) ** 2 / 2
    if name == "expo":
        return -p["c"] * x
    if name == "cb":
        t, a, n = (x - p["m0"]) / p["s"], p["a"], p["n"]
        if t >= -a:
            return -t * t / 2
        return n * mp.log(n / a) - a * a / 2 - n * mp.log(n / a - a - t)
    raise KeyError(name)


def _log_norm(name: str, p: Mapping[str, Any]) -> Any:
    lo, hi = (mp.mpf(v) for v in DOMAIN[name])
    if name in ("gauss", "wide"):
        return _log_gauss_integral(lo, hi, p["mu"], p["sigma"])
    if name == "expo":
        c = p["c"]
        if c == 0:
            return mp.log(hi - lo)
        m = lo if c > 0 else hi  # exp(-c t) is largest there
        return -c * m + mp.log(-mp.expm1(-abs(c) * (hi - lo)) / abs(c))
    if name == "cb":  # the power-law tail on [tlo, -a] and the Gaussian core on [-a, thi], in t = (x - m0)/s
        a, n, s = p["a"], p["n"], p["s"]
        tlo, thi = (lo - p["m0"]) / s, (hi - p["m0"]) / s
        cut = min(max(-a, tlo), thi)
        b = n / a - a
        tail = mp.exp(n * mp.log(n / a) - a * a / 2) * ((b - cut) ** (1 - n) - (b - tlo) ** (1 - n)) / (n - 1)
        core = mp.sqrt(mp.pi / 2) * (mp.erf(thi / mp.sqrt(2)) - mp.erf(cut / mp.sqrt(2)))
        return mp.log(s * (tail + core))
    raise KeyError(name)


def _logpdf(name: str, x: Any, p: Mapping[str, Any]) -> Any:
    """log pdf(x) at the working precision (mpf arguments)."""
    if name == "mix":
        lg = [_log_shape("gauss", x, {"mu": p[m], "sigma": p[s]}) -
              _log_gauss_integral(mp.mpf(-50), mp.mpf(50), p[m], p[s]) for m, s in (("mu1", "s1"), ("mu2", "s2"))]
        return mp.log(p["f"] * mp.exp(lg[0]) + (1 - p["f"]) * mp.exp(lg[1]))
    return _log_shape(name, x, p) - _log_norm(name, p)


def ref_logpdf(name: str, x: float, given: Mapping[str, float] | None = None) -> Any:
    """log pdf(x) at 60 digits (an mpf), the parameters at their defaults unless given."""
    with mp.workdps(DIGITS):
        p = {k: _mpf(v) for k, v in params(name, given or {}).items()}
        if any(mp.isnan(v) for v in p.values()) or math.isnan(x):
            return mp.nan
        return _logpdf(name, _mpf(x), p)


def ref_magnitude(name: str, x: float, given: Mapping[str, float] | None = None) -> float:
    """|log shape(x)| + |log Z|: the size of the terms whose difference is the logpdf. Rounding in float64 is
    relative to it (a mean 1e9 sigma away: terms of 5e17 whose difference is 20)."""
    if name == "mix" or math.isnan(x):
        return 0.0
    with mp.workdps(DIGITS):
        p = {k: _mpf(v) for k, v in params(name, given or {}).items()}
        return float(abs(_log_shape(name, _mpf(x), p)) + abs(_log_norm(name, p)))


def ref_nll(name: str, xs: list[float], given: Mapping[str, float] | None = None) -> Any:
    with mp.workdps(DIGITS):
        return -mp.fsum(ref_logpdf(name, x, given) for x in xs)


@functools.cache
def _ref_grad(name: str, xs: tuple[float, ...], given: tuple[tuple[str, float], ...]) -> dict[str, float]:
    return ref_grad(name, list(xs), dict(given))


def ref_grad(name: str, xs: list[float], given: Mapping[str, float] | None = None) -> dict[str, float]:
    """d nll / d parameter by mpmath's numerical differentiation at 60 digits."""
    base = params(name, given or {})
    out = {}
    with mp.workdps(DIGITS):
        for k, v in base.items():
            def nll(t: Any, k: str = k) -> Any:  # at the precision mp.diff raises it to
                p = {j: _mpf(u) for j, u in base.items()} | {k: t}
                return -mp.fsum(_logpdf(name, _mpf(x), p) for x in xs)
            out[k] = float(mp.diff(nll, mp.mpf(v)))
    return out


# ----------------------------------------------------------------------------------------------- helpers
def close(got: float, want: Any, rtol: float = RTOL, atol: float = 0.0) -> bool:
    """got == want within rtol (NaN == NaN, inf == inf of the same sign)."""
    w = float(want)
    if math.isnan(w) or math.isinf(w):
        return (math.isnan(got) and math.isnan(w)) or got == w
    return math.isfinite(got) and abs(got - w) <= rtol * abs(w) + atol


def evaluate(name: str, target: str, xs: list[float], given: Mapping[str, float]) -> dict[str, Any]:
    """Every output of the target at the events ``xs``: pdf and logpdf per event, nll, and the gradient."""
    f = compiled(name, target)
    x = np.array(xs)
    with np.errstate(all="ignore"):
        out: dict[str, Any] = {"pdf": f({"x": x, **given}), "logpdf": f.logpdf({"x": x, **given}),
                               "nll": f.nll({"x": x}, dict(given))}
        if f.derivatives:
            out["nll"], out["grad"] = f.nll_grad({"x": x}, dict(given))
    return out


class Failures:
    """Collects mismatches so that one test reports every case of a target at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, ok: bool, what: str, got: Any, want: Any) -> None:
        if not ok:
            self.lines.append(f"{what}: got {got!r}, want {float(want)!r}")

    def done(self) -> None:
        assert not self.lines, f"{len(self.lines)} mismatches:\n" + "\n".join(self.lines)


def compare_all(failures: Failures, name: str, target: str, xs: list[float], given: Mapping[str, float],
                outputs: tuple[str, ...] = ("pdf", "logpdf", "nll", "grad"), rtol: float = RTOL,
                grad_atol: float = 0.0) -> None:
    """Every output of ``target`` against mpmath: pdf and logpdf per event (logpdf to ``rtol`` or to 1e-15 of
    the terms it is the difference of), the NLL, and d nll/d parameter to 1e-7 (or ``grad_atol``)."""
    got = evaluate(name, target, xs, given)
    label = f"{name} {dict(given)} at x={xs}"
    sizes = [ref_magnitude(name, x, given) for x in xs]
    for i, x in enumerate(xs):
        lp = ref_logpdf(name, x, given)
        if "logpdf" in outputs:
            failures.check(close(float(got["logpdf"][i]), lp, rtol, 1e-13 + 1e-15 * sizes[i]),
                           f"{label}: logpdf({x})", float(got["logpdf"][i]), lp)
        if "pdf" in outputs:
            with mp.workdps(DIGITS):
                want = mp.exp(lp)
            failures.check(close(float(got["pdf"][i]), want, rtol), f"{label}: pdf({x})", float(got["pdf"][i]), want)
    if "nll" in outputs:
        want = ref_nll(name, xs, given)
        failures.check(close(float(got["nll"]), want, rtol, 1e-12 + 1e-15 * sum(sizes)), f"{label}: nll",
                       got["nll"], want)
    if "grad" in outputs and "grad" in got:
        for k, want in _ref_grad(name, tuple(xs), tuple(sorted(given.items()))).items():
            scale = len(xs) / max(abs(params(name, given)[k]), 1.0)  # the size of a derivative's terms
            failures.check(close(got["grad"][k], want, 1e-7, max(1e-12 * scale, grad_atol)), f"{label}: d nll/d{k}",
                           got["grad"][k], want)


# ------------------------------------------------------------------------------- cases against mpmath
@dataclass(frozen=True)
class Case:
    """Events ``xs`` of model ``name`` at parameters ``given``: the ``outputs`` compared with mpmath.
    ``roofit``: why RooFit's own numerics give something else there (a strict xfail on that target)."""

    id: str
    name: str
    xs: tuple[float, ...]
    given: tuple[tuple[str, float], ...] = ()
    outputs: tuple[str, ...] = ("pdf", "logpdf", "nll", "grad")
    grad_atol: float = 0.0
    roofit: str = ""


def _case(id: str, name: str, xs: list[float], roofit: str = "", outputs: tuple[str, ...] | None = None,
          grad_atol: float = 0.0, **given: float) -> Case:
    return Case(id, name, tuple(xs), tuple(given.items()), outputs or Case.outputs, grad_atol, roofit)


PDF_UNDERFLOWS = ("logpdf", "nll", "grad")  # f / Z is 0 / 0 there (docs/numerics.md): logpdf and NLL only
NOT_LOG_SPACE = "RooFit is not in log space: getLogVal is log(0) = -inf, the NLL NaN"
CASES = [
    # the domain's edges exactly and one ulp inside (Crystal Ball at sigma 2: no underflow at the edges)
    *(_case(f"edges-{n}", n, [DOMAIN[n][0], up(DOMAIN[n][0]), down(DOMAIN[n][1]), DOMAIN[n][1]], **g)
      for n, g in (("gauss", {}), ("expo", {}), ("cb", {"s": 2.0}), ("mix", {}))),
    # widths
    _case("sigma=1e-8", "gauss", [0.5, 0.5 + 1e-8, 0.5 - 3e-8], sigma=1e-8),
    _case("sigma=1e8", "gauss", [-5.0, 0.5, 5.0], sigma=1e8),
    # 1/sigma^2 underflows in the chain rule: d nll/d sigma is 3e-300 (n/sigma) instead of ~1e-900
    _case("sigma=1e300", "gauss", [-5.0, 0.5, 5.0], "RooGaussian gives NaN", grad_atol=1e-250, sigma=1e300),
    # pdf 0 and logpdf -inf (the exponent -5e599 overflows): the NLL is +inf, its gradient NaN
    _case("sigma=1e-300", "gauss", [-5.0, 0.4, 5.0], "RooFit's NLL is NaN where a pdf is 0",
          ("pdf", "logpdf", "nll"), sigma=1e-300),
    # the mean outside the range
    *(_case(f"mu={mu:g}", "gauss", [-5.0, 0.0, 4.0, 5.0], mu=mu) for mu in (8.0, 30.0, -30.0)),
    *(_case(f"mu={mu:g}", "gauss", [-5.0, 0.0, 4.0, 5.0], "RooGaussian's integral is 0: logpdf -inf, NLL NaN",
            PDF_UNDERFLOWS, mu=mu) for mu in (100.0, -100.0, 1e4, 1e9)),
    # d nll/d mu is the difference of terms of 1e12 (-24 +- 5e-4): right to their rounding, not to 1e-7
    _case("mu=-1e12", "gauss", [-5.0, 0.0, 4.0, 5.0], "RooGaussian's integral is 0", ("logpdf", "nll"), mu=-1e12),
    # exponential slopes (c = 0 exactly: the limit, and its derivative -(lo + hi)/2 per event)
    *(_case(f"c={c:g}", "expo", [-2.0, 0.5, 2.0, 3.0], c=c) for c in (0.0, 1.0, -1.0, 100.0)),
    *(_case(f"c={c:g}", "expo", [-2.0, 0.5, 2.0, 3.0], "RooExponential's integral (exp(c hi) - exp(c lo)) / c cancels",
            c=c) for c in (1e-300, -1e-300, 1e-12, -1e-12, 1e-8)),
    *(_case(f"c={c:g}", "expo", [-2.0, 0.5, 2.0, 3.0], "RooExponential's integral overflows: logpdf NaN or -inf",
            PDF_UNDERFLOWS, c=c) for c in (400.0, -400.0, 1e3, -1e3, 1e8, -1e8)),
    # densities that underflow: the logpdf in log space
    _case("gauss-40-sigma", "wide", [40.0, -45.0, 0.0], NOT_LOG_SPACE),
    _case("mixture-both-underflow", "mix", [45.0, -48.0, 0.0]),
    _case("crystal-ball-core-40-sigma", "cb", [8.0, 9.9, -9.0, 0.0], NOT_LOG_SPACE),
]


def _params() -> Iterator[Any]:
    for case in CASES:
        for t in TARGETS:
            marks = [pytest.mark.xfail(strict=True, reason=case.roofit)] if t == "roofit" and case.roofit else []
            yield pytest.param(case, t, marks=marks, id=f"{case.id}-{t}")


@pytest.mark.parametrize(("case", "target"), list(_params()))
def test_against_mpmath(case: Case, target: str) -> None:
    fails = Failures()
    compare_all(fails, case.name, target, list(case.xs), dict(case.given), case.outputs, grad_atol=case.grad_atol)
    fails.done()


# ----------------------------------------------------------------------------- NaN, infinity, the domain


def roofit_refuses(run: Callable[[], object]) -> None:
    """On the roofit target, an EvaluationError: RooFit refuses a value outside a variable's range
    (RooRealVar::setVal throws std::invalid_argument) and would silently drop events outside the range and NaN
    events from its NLL (RooDataSet.from_numpy)."""
    with np.errstate(all="ignore"), pytest.raises(EvaluationError, match="RooFit"):
        run()


def _mark(target: str, reasons: Mapping[str, str]) -> Any:
    # cuda shares the cpp target's code; not run here (no device), so its expected failures are not strict
    return pytest.param(target, marks=[pytest.mark.xfail(strict=target != "cuda", reason=reasons[target])]
                        if target in reasons else [], id=target)


def _targets(**reasons: str) -> list[Any]:
    return [_mark(t, reasons) for t in TARGETS]


def _is(got: Any, want: float) -> bool:
    return bool(np.all(np.isnan(got))) if math.isnan(want) else bool(np.all(np.asarray(got) == want))


@pytest.mark.parametrize("target", _targets())
@pytest.mark.parametrize("given", [{"mu": nan}, {"sigma": nan}], ids=["mu", "sigma"])
def test_nan_parameter(target: str, given: dict[str, float]) -> None:
    """A NaN parameter gives NaN in every output."""
    got = evaluate("gauss", target, [-5.0, 0.0, 5.0], given)
    assert _is(got["pdf"], nan) and _is(got["logpdf"], nan) and _is(got["nll"], nan)
    assert all(_is(g, nan) for g in got.get("grad", {}).values())


@pytest.mark.parametrize("target", _targets())
@pytest.mark.parametrize("name", ["gauss", "expo", "cb", "mix"])
def test_nan_observable(target: str, name: str) -> None:
    """A NaN event is NaN in pdf and logpdf, and makes the NLL and its gradient NaN; the other events are
    unaffected (roofit: refused)."""
    if target == "roofit":
        return roofit_refuses(lambda: evaluate(name, target, [0.0, nan, 1.0], {}))
    got = evaluate(name, target, [0.0, nan, 1.0], {})
    assert _is(got["pdf"][1], nan) and _is(got["logpdf"][1], nan)
    assert close(float(got["logpdf"][0]), ref_logpdf(name, 0.0))
    assert close(float(got["logpdf"][2]), ref_logpdf(name, 1.0))
    assert _is(got["nll"], nan)
    assert all(_is(g, nan) for g in got.get("grad", {}).values())


@pytest.mark.parametrize("target", _targets())
@pytest.mark.parametrize("name", ["gauss", "cb", "mix"])
def test_infinite_observable(target: str, name: str) -> None:
    """x = +-inf: what IEEE arithmetic gives for the formula; for these densities pdf 0, logpdf -inf, NLL +inf
    (on llvm, cpp and cuda too: Neumaier's compensation stops at an infinite sum, where inf - inf gave NaN;
    roofit: refused)."""
    if target == "roofit":
        return roofit_refuses(lambda: evaluate(name, target, [inf, -inf], {}))
    got = evaluate(name, target, [inf, -inf], {})
    assert _is(got["pdf"], 0.0) and _is(got["logpdf"], -inf)
    assert got["nll"] == inf


@pytest.mark.parametrize("target", _targets())
@pytest.mark.parametrize("name", ["gauss", "expo", "cb", "mix"])
def test_outside_the_domain(target: str, name: str) -> None:
    """No clipping and no check: an observable outside [lo, hi] (one ulp, or further) gives the formula there,
    normalised over [lo, hi], in every output (roofit: refused)."""
    lo, hi = DOMAIN[name]
    if target == "roofit":
        for x in (down(lo), up(hi), lo - 1.0, hi + 0.5):
            roofit_refuses(lambda x=x: evaluate(name, target, [x], {}))  # type: ignore[misc]
        return None
    fails = Failures()
    compare_all(fails, name, target, [down(lo), up(hi), lo - 1.0, hi + 0.5], {})
    fails.done()


@pytest.mark.parametrize("target", _targets())
def test_nll_of_events_outside_the_domain(target: str) -> None:
    """The NLL of events outside the domain counts them (roofit: refused)."""
    if target == "roofit":
        return roofit_refuses(lambda: compiled("gauss", target).nll({"x": np.array([0.0, 6.0, -7.0])}))
    want = ref_nll("gauss", [0.0, 6.0, -7.0])
    assert close(compiled("gauss", target).nll({"x": np.array([0.0, 6.0, -7.0])}), want)


@pytest.mark.parametrize("target", _targets())
def test_zero_weight_does_not_mask(target: str) -> None:
    """A weight of 0 multiplies the event's log pdf: 0 * NaN is NaN (drop such events before the fit; roofit:
    refused)."""
    f = compiled("gauss", target)
    if target == "roofit":
        return roofit_refuses(lambda: f.nll({"x": np.array([0.0, nan])}, weights=np.array([1.0, 0.0])))
    with np.errstate(all="ignore"):
        assert _is(f.nll({"x": np.array([0.0, nan])}, weights=np.array([1.0, 0.0])), nan)


SUBNORMAL_SIGMA = ("hoist writes -((x-mu)/s)^2/2 as (x-mu)^2 * (-0.5/s^2): s^2 underflows to 0 below 1.5e-154, "
                   "-0.5/s^2 is -inf, and (x-mu)^2 * -inf is NaN at x = mu")


@pytest.mark.parametrize("target", _targets(**(dict.fromkeys(TARGETS, SUBNORMAL_SIGMA) |
                                               {"roofit": "RooGaussian gives NaN there too"})))
def test_tiny_sigma_at_the_mean(target: str) -> None:
    """sigma = 1e-300 at x = mu: pdf 1/(sqrt(2 pi) sigma) = 4e299, finite."""
    got = evaluate("gauss", target, [0.5], {"sigma": 1e-300})
    assert close(float(got["logpdf"][0]), ref_logpdf("gauss", 0.5, {"sigma": 1e-300}))


@pytest.mark.parametrize("target", [t for t in TARGETS if t != "roofit"])
def test_sigma_sign_and_zero(target: str) -> None:
    """A Gaussian depends on sigma^2: sigma < 0 is |sigma|; sigma = 0 is NaN everywhere (0/0)."""
    neg, pos = evaluate("gauss", target, [-5.0, 0.0, 5.0], {"sigma": -1.5}), \
        evaluate("gauss", target, [-5.0, 0.0, 5.0], {"sigma": 1.5})
    assert np.allclose(neg["logpdf"], pos["logpdf"], rtol=1e-14) and close(neg["nll"], pos["nll"], 1e-14)
    zero = evaluate("gauss", target, [-5.0, 0.5, 5.0], {"sigma": 0.0})
    assert _is(zero["pdf"], nan) and _is(zero["logpdf"], nan) and _is(zero["nll"], nan)


FRACTION_EDGE = ("logspace writes log(f g1 + (1-f) g2) as logaddexp(log f + a1, log(1-f) + a2): at f = 0 the chain "
                 "rule multiplies the weight 0 by d log(f/Z1) = inf (docs/notes.md)")


@pytest.mark.parametrize("target", _targets(**{t: FRACTION_EDGE for t in TARGETS if t != "roofit"}))
@pytest.mark.parametrize("f", [0.0, 1.0])
def test_mixture_fraction_at_its_bounds(target: str, f: float) -> None:
    """f = 0 or 1 exactly (a bounded fit can step there): values right; the gradient should be finite."""
    fails = Failures()
    compare_all(fails, "mix", target, [-5.0, 0.0, 3.0], {"f": f})
    fails.done()


# ------------------------------------------------------------------------------------------ log space
def _event_ops(f: Compiled, key: str) -> set[str]:
    return {n.op for n in walk([f.program.outputs[key]]) if n.free}


def test_logpdf_is_computed_in_log_space() -> None:
    """The logpdf and the NLL have no per-event exp or log where the density is exponential (a Gaussian, an
    exponential), one logaddexp for a two-component mixture, and the Crystal Ball's core branch is its exponent."""
    for name in ("gauss", "expo"):
        ops = _event_ops(compiled(name, "interp"), "logpdf")
        assert not ops & {"exp", "log", "logaddexp"}, (name, ops)
    assert "logaddexp" in _event_ops(compiled("mix", "interp"), "logpdf")
    assert "exp" not in _event_ops(compiled("cb", "interp"), "logpdf")


@pytest.mark.parametrize("name", list(MODELS))
def test_cuda_compiles(name: str) -> None:
    """The cuda target emits every model of this file (evaluating it needs a CUDA device: where there is one,
    the cuda target is in TARGETS and runs every test above)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = firmc.compile(module(name), "cuda", name)
    assert f"{name}.cu" in f.artifact.files and "__global__" in f.artifact.files[f"{name}.cu"]
