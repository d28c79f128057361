"""Lineshapes and form factors of the amplitude-serialization format (firmc.library.hadronic,
firmc.frontends.amplitude.functions): every published lineshape checksum on every target, and checks that do
not rely on the reference (closed forms, limits, the spherical Hankel functions, the reference's own unit
tests)."""

from __future__ import annotations

import cmath
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import firmc
from backends import target_param
from conftest import CORPUS_DIR
from firmc.errors import FirmError, FormatError
from firmc.frontends.amplitude.functions import (
    form_factor_builder,
    function_entries,
    function_validations,
    lineshape_builder,
    parse_complex,
)
from firmc.interp import evaluate
from firmc.ir import Module, Node, Observable, Validation, const, leaves, obs
from firmc.library.hadronic import (
    blatt_weisskopf,
    blatt_weisskopf_squared,
    breakup_momentum,
    chi_coefficients,
    form_factor,
    lineshape,
    multichannel_breit_wigner,
)
from firmc.testing import Case, assert_agrees

DATA = Path(__file__).parent / "data" / "threebody"
FILES = {
    "lc2ppik-lhcb-2683025.json": CORPUS_DIR / "threebody" / "lc2ppik-lhcb-2683025.json",
    "Lc2ppiK.json": CORPUS_DIR / "threebody" / "Lc2ppiK.json",
    "lb2pkg-lhcb-2765817.json": DATA / "lb2pkg-lhcb-2765817.json",
    "x2pipipi-compass-1391643.json": DATA / "x2pipipi-compass-1391643.json",
}
# lineshape checksums per file: every one must pass (the Λc copy of ampform-dpd has none)
EXPECTED_COUNTS = {"lc2ppik-lhcb-2683025.json": 10, "Lc2ppiK.json": 0, "lb2pkg-lhcb-2765817.json": 14,
                   "x2pipipi-compass-1391643.json": 5}
TARGETS = [target_param(t) for t in ("numpy", "jax", "torch", "llvm")]


@cache
def _doc(name: str) -> dict[str, Any]:
    path = FILES[name]
    if not path.is_file():
        pytest.skip(f"{path} not found")
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


@cache
def _module(name: str) -> Module:
    entries = function_entries(_doc(name), str(FILES[name]))
    observables = {o.attr("name"): Observable(o.attr("name"), o.attr("lo"), o.attr("hi"))
                   for e in entries.values() for o in leaves([e.expr], "obs").values()}
    return Module(observables=observables, entries=entries, validations=function_validations(_doc(name)))


def _checksums() -> list[tuple[str, int]]:
    return [(f, n) for f, count in EXPECTED_COUNTS.items() for n in range(count)]


def _value(c: firmc.compiler.Compiled, v: Validation) -> complex:
    return complex(np.ravel(c({k: np.array([x]) for k, x in v.point.items()}))[0])


def _ev(node: Node, **env: Any) -> Any:
    return evaluate([node], env)[0]


# ------------------------------------------------------------------------------------ published checksums
@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_every_lineshape_checksum_is_read(name: str) -> None:
    doc = _doc(name)
    named = [c for c in doc["misc"]["amplitude_model_checksums"]
             if c["distribution"] in {f["name"] for f in doc["functions"]}]
    assert len(function_validations(doc)) == len(named) == EXPECTED_COUNTS[name]


@pytest.mark.parametrize(("name", "index"), _checksums())
def test_checksum_on_interp(name: str, index: int) -> None:
    v = _module(name).validations[index]
    got = _value(firmc.compile(_module(name), "interp", v.entry), v)
    assert abs(got - v.expected) <= 1e-9 * abs(v.expected), (v.entry, got, v.expected)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("name", "index"), _checksums())
def test_checksum_on_target(name: str, index: int, target: str) -> None:
    m = _module(name)
    v = m.validations[index]
    got = _value(firmc.compile(m, target, v.entry), v)
    assert abs(got - v.expected) <= 1e-9 * abs(v.expected), (v.entry, got, v.expected)
    assert_agrees(Case(m, v.entry, name=name), target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("entry", ["K700_BuggBW", "K1430_BuggBW"])
def test_bugg_entries_agree(entry: str, target: str) -> None:
    assert_agrees(Case(_module("Lc2ppiK.json"), entry, name="Lc2ppiK.json"), target)


def test_ampform_dpd_copy_has_the_lineshapes_of_the_published_model() -> None:
    """ampform-dpd's copy writes the Bugg lineshapes as BreitWignerWidthExpLikeBugg {mass, width, slope} and
    drops the ``x`` keys; read with the Adler zero s_A = m_K² - m_π²/2 they equal the published expressions."""
    a, b = _module("lc2ppik-lhcb-2683025.json"), _module("Lc2ppiK.json")
    assert set(a.entries) == set(b.entries)
    s = np.linspace(0.41, 1.81, 57)
    for name, e in a.entries.items():
        assert b.entries[name].observables == e.observables == (e.observables[0],)
        va, vb = _ev(e.expr, **{e.observables[0]: s}), _ev(b.entries[name].expr, **{e.observables[0]: s})
        np.testing.assert_allclose(vb, va, rtol=1e-14, err_msg=name)


# ----------------------------------------------------------------------------- independent of the reference
def test_chi_polynomials_are_the_spherical_hankel_functions() -> None:
    special = pytest.importorskip("scipy.special")
    z = np.array([0.1, 0.7, 1.9, 4.5])
    for ell in range(9):
        h2 = special.spherical_jn(ell, z) ** 2 + special.spherical_yn(ell, z) ** 2
        chi = np.polynomial.polynomial.polyval(z * z, chi_coefficients(ell))
        np.testing.assert_allclose(chi, z ** (2 * ell + 2) * h2, rtol=1e-12)


def test_chi_polynomials_known_values() -> None:
    assert chi_coefficients(0) == (1,)
    assert chi_coefficients(1) == (1, 1)
    assert chi_coefficients(3) == (225, 45, 6, 1)
    assert chi_coefficients(4) == (11025, 1575, 135, 10, 1)
    for ell in range(10):  # χ_l(0) = ((2l-1)!!)²
        assert chi_coefficients(ell)[0] == math.prod(range(1, 2 * ell, 2)) ** 2


@pytest.mark.parametrize("ell", range(8))
def test_blatt_weisskopf_limits(ell: int) -> None:
    small, large = 1e-4, 1e5
    double_factorial = math.prod(range(1, 2 * ell, 2))
    assert float(_ev(blatt_weisskopf(ell, const(small)))) == pytest.approx(small**ell / double_factorial,
                                                                           rel=1e-6)
    assert float(_ev(blatt_weisskopf(ell, const(large)))) == pytest.approx(1.0, rel=1e-8)
    z = 1.3
    f2 = float(_ev(blatt_weisskopf_squared(ell, const(z * z))))
    assert float(_ev(blatt_weisskopf(ell, const(z)))) == pytest.approx(math.sqrt(f2), rel=1e-15)


def test_blatt_weisskopf_low_l_closed_forms() -> None:
    z2 = 2.5
    assert float(_ev(blatt_weisskopf_squared(1, const(z2)))) == pytest.approx(z2 / (1 + z2), rel=1e-15)
    assert float(_ev(blatt_weisskopf_squared(2, const(z2)))) == pytest.approx(z2**2 / (9 + 3 * z2 + z2**2),
                                                                              rel=1e-15)


@pytest.mark.parametrize("ell", range(6))
def test_breit_wigner_at_its_mass(ell: int) -> None:
    """At σ = m² the width is Γ₀ whatever l, so BW = i/(m Γ₀)."""
    m, width = 1.52, 0.016
    bw = {"type": "BreitWigner", "mass": m, "width": width, "ma": 0.938, "mb": 0.494, "l": ell, "d": 1.5}
    got = complex(_ev(lineshape(bw, obs("s", 2.0, 4.0)), s=m * m))
    assert abs(got - 1j / (m * width)) <= 1e-13 / (m * width)


def test_breit_wigner_width_formula() -> None:
    """Γ(σ) = Γ₀ (p/p₀)^(2l+1) (m/√σ) F̂_l²(p d)/F̂_l²(p₀ d) with F̂² = 1/χ (FORMATS.md §4.2), l = 2."""
    m, g0, ma, mb, d, s = 1.69, 0.07, 0.494, 0.938, 1.5, 3.2

    def p(x: float) -> float:
        return math.sqrt((x - (ma + mb) ** 2) * (x - (ma - mb) ** 2) / (4 * x))

    def chi(x: float) -> float:
        return 9 + 3 * x + x * x

    gamma = g0 * (p(s) / p(m * m)) ** 5 * m / math.sqrt(s) * chi((d * p(m * m)) ** 2) / chi((d * p(s)) ** 2)
    bw = {"type": "BreitWigner", "mass": m, "width": g0, "ma": ma, "mb": mb, "l": 2, "d": d}
    got = complex(_ev(lineshape(bw, obs("s", 2.0, 4.0)), s=s))
    assert got == pytest.approx(1 / (m * m - s - 1j * m * gamma), rel=1e-14)


def test_breakup_momentum_continues_as_the_reference() -> None:
    """p = sqrt(σ+iε - (ma+mb)²) sqrt(σ+iε - (ma-mb)²) / (2 sqrt(σ+iε)) with complex square roots."""
    ma, mb = 0.9, 0.4
    for s in [0.1, 0.25, 0.3, 0.5, 1.2, 1.69, 2.0, 4.0]:
        z = complex(s, 1e-300)
        want = cmath.sqrt(z - (ma + mb) ** 2) * cmath.sqrt(z - (ma - mb) ** 2) / (2 * cmath.sqrt(z))
        got = complex(_ev(breakup_momentum(const(s), ma, mb)))
        assert got == pytest.approx(want, rel=1e-14, abs=1e-14), s


def test_multichannel_reference_values_below_threshold() -> None:
    """HadronicLineshapes v0.4.0's test_lineshapes.jl (before commit f4baa69): a Flatté above both thresholds,
    at the second threshold and below it (where the second channel's width term turns real)."""
    channels = [(0.35, 0.1, 0.2, 0, 1.0), (0.35, 0.3, 0.25, 0, 1.5)]
    for s, want in [(2.2, 0.28391117207354793 + 0.8414491018597429j),
                    (0.55**2, 0.42519559686852254 + 0.08692927347446346j),
                    (0.54**2, 0.40579181834450434 + 0.07814146111256404j)]:
        got = complex(_ev(multichannel_breit_wigner(const(s), 1.6, channels)))
        assert got == pytest.approx(want, rel=1e-14), s


def test_flatte_below_thresholds_is_real() -> None:
    """Below every threshold (and above the pseudo-thresholds) all widths are imaginary: the lineshape is real."""
    f = {"type": "MultichannelBreitWigner", "mass": 1.4, "channels": [
        {"gsq": 0.2, "ma": 0.94, "mb": 0.49, "l": 0, "d": 0}, {"gsq": 0.2, "ma": 1.19, "mb": 0.14, "l": 1, "d": 1.5}]}
    v = complex(_ev(lineshape(f, obs("s", 1.0, 4.0)), s=1.6))
    assert v.imag == 0.0 and math.isfinite(v.real)


def test_polynomial_and_generic_function() -> None:
    x = obs("s", 0.0, 4.0)
    poly = {"type": "Polynomial", "coefficients": [1.0, 2.0, 3.0], "x": "s"}
    assert complex(_ev(lineshape(poly, x), s=2.0)) == 17.0
    # ThreeBodyDecaysIO test_generic.jl: extra numeric keys are constants of the expression
    gen = {"type": "generic_function", "expression": "(m_12 + a) / (m_12 + b)", "a": 1.0, "b": -3.0}
    assert complex(_ev(lineshape(gen, x), s=2.0)) == pytest.approx(-3.0)
    e = {"type": "custom", "expression": "1/(0.77^2 - x - i*0.77*0.15*sin(x))"}
    want = 1 / (0.77**2 - 1.1 - 1j * 0.77 * 0.15 * math.sin(1.1))
    assert complex(_ev(lineshape(e, x), s=1.1)) == pytest.approx(want, rel=1e-15)


def test_bugg_closed_form() -> None:
    m, g, slope, ma, mb, s = 0.824, 0.478, 0.94106, 0.13957018, 0.493677, 1.1
    s_a = mb**2 - ma**2 / 2
    want = 1 / (m * m - s - 1j * m * g * (s - s_a) / (m * m - s_a) * math.exp(-slope * s))
    f = {"type": "BreitWignerWidthExpLikeBugg", "mass": m, "width": g, "slope": slope}
    for masses in [(ma, mb), (mb, ma)]:
        assert complex(_ev(lineshape(f, obs("s", 0.4, 2.0), masses=masses), s=s)) == pytest.approx(want, rel=1e-14)
    # the Julia expression of the published file at this point (ThreeBodyDecaysIO test_generic.jl)
    assert want == pytest.approx(-1.6748633697157216 + 1.083006788846748j, rel=1e-12)


@pytest.mark.parametrize("ell", range(5))
def test_momentum_power(ell: int) -> None:
    ff = form_factor({"type": "MomentumPower", "l": ell}, const(100.0), const(36.0), const(0.0))  # p = 3.2
    assert float(_ev(ff)) == pytest.approx(3.2**ell, rel=1e-15)


def test_form_factor_is_blatt_weisskopf_of_the_breakup_momentum() -> None:
    doc = {"functions": [{"name": "bw2", "type": "BlattWeisskopf", "l": 2, "radius": 1.5}]}
    ff = form_factor_builder(doc, "bw2")
    z2 = (1.5 * 3.2) ** 2
    assert float(_ev(ff(const(100.0), obs("s", 1.0, 50.0), const(0.0)), s=36.0)) == pytest.approx(
        math.sqrt(z2**2 / (9 + 3 * z2 + z2**2)), rel=1e-15)
    below = ff(const(1.0), obs("s", 1.0, 50.0), const(0.0))  # 1 → 6 + 0: no momentum, no NaN
    assert float(_ev(below, s=36.0)) == 0.0


def test_lineshape_builder_takes_the_node_masses() -> None:
    doc = _doc("Lc2ppiK.json")
    entry = _module("Lc2ppiK.json").entries["K700_BuggBW"].expr
    x = leaves([entry], "obs")["m_23_sq"]
    assert lineshape_builder(doc, "K700_BuggBW")(x) is lineshape_builder(doc, "K700_BuggBW", [3, 2])(x) is entry


def test_parse_complex() -> None:
    assert parse_complex("-0.7480602620708737 + 0.22521439829964163i") == complex(-0.7480602620708737,
                                                                                 0.22521439829964163)
    assert parse_complex("1.0 + 0.0i") == 1.0
    assert parse_complex("-i") == -1j
    assert parse_complex("2.5im") == 2.5j
    assert parse_complex("1E+2 - 3e-1 i") == complex(100, -0.3)
    assert parse_complex(2) == 2.0
    for bad in ["", "1 + ", "1 2", "i i", "1+2+3", "abc", "1 + 2j", None, True]:
        with pytest.raises(FormatError, match="not a complex number"):
            parse_complex(bad, ("misc", "amplitude_model_checksums", 3, "value"))


# ------------------------------------------------------------------------------------------------ errors
def test_unknown_type_names_it_and_the_supported_ones() -> None:
    doc = {"functions": [{"name": "f", "type": "BreitWiegner", "x": "s"}]}
    with pytest.raises(FormatError) as err:
        function_entries(doc, "m.json")
    msg = str(err.value)
    assert msg.startswith("m.json: functions[0].type: unknown function type 'BreitWiegner'")
    assert "did you mean 'BreitWigner'" in msg and "MultichannelBreitWigner" in msg and "generic_function" in msg


def test_bad_inputs() -> None:
    x = obs("s", 0.1, 4.0)
    with pytest.raises(FormatError, match=r"functions\[2\]\.expression: the expression has 2 free symbols"):
        lineshape({"type": "generic_function", "expression": "a * s"}, x, where=("functions", 2))
    with pytest.raises(FormatError, match="masses of the resonance's daughters"):
        lineshape({"type": "BreitWignerWidthExpLikeBugg", "mass": 1.0, "width": 0.1, "slope": 0.0}, x)
    with pytest.raises(FormatError, match=r"channels\[0\]\.l: expected an integer in 0 \.\. 12"):
        lineshape({"type": "MultichannelBreitWigner", "mass": 1.0,
                   "channels": [{"gsq": 0.1, "ma": 0.1, "mb": 0.1, "l": -1, "d": 1.0}]}, x)
    with pytest.raises(FormatError, match=r"mass: expected a number, got 'm0'"):
        lineshape({"type": "BreitWigner", "mass": "m0", "width": 0.1, "ma": 0, "mb": 0, "l": 0, "d": 1}, x)
    with pytest.raises(FormatError, match=r"type: 'MomentumPower' is a vertex form factor"):
        lineshape({"type": "MomentumPower", "l": 1}, x)
    with pytest.raises(FormatError, match="is not a form factor"):
        form_factor_builder({"functions": [{"name": "p", "type": "Polynomial", "coefficients": [1]}]}, "p")
    with pytest.raises(FirmError, match="unknown function 'q'"):
        form_factor_builder({"functions": [{"name": "p", "type": "MomentumPower", "l": 1}]}, "q")
    with pytest.raises(FirmError, match=r"m.json: functions\[4\]\.expression:1:7: unexpected end"):
        lineshape({"type": "generic_function", "expression": "1 / (("}, x, where=("functions", 4), file="m.json")
