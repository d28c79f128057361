"""Amplitude-serialization JSON (RUB-EP1/amplitude-serialization; written by ThreeBodyDecaysIO.jl) to a Module.

A file holds three-body decay models (``HadronicUnpolarizedIntensity`` distributions), the lineshapes and form
factors they use (``functions``), and checksums computed by the Julia reference implementation
(``misc.amplitude_model_checksums``). Each distribution becomes a real ``function`` entry of the Mandelstam
invariants ``sigma1``, ``sigma2``, ``sigma3`` (σk the squared mass of the pair (i, j); the three must satisfy
σ1 + σ2 + σ3 = m0² + m1² + m2² + m3²), its value the unpolarised intensity, 0 outside the Dalitz plot; each
lineshape becomes a complex ``function`` entry of its own variable; each checksum a validation.

The decay amplitude is the Dalitz-plot decomposition (:mod:`.dpd`) with ThreeBodyDecays.jl's conventions.

Example:
    >>> complex_value("7.38 - 1.97i"), complex_value("0.5"), complex_value("-2i")
    ((7.38-1.97j), (0.5+0j), -2j)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ...errors import FirmError, UnknownName
from ...ir import Entry, Module, Observable, Validation, leaves, obs
from ...library.hadronic import form_factor, lineshape
from ...library.kinematics import ijk, limits, sigmas_from_cascade
from ...library.spin import spin
from .dpd import System, chain_spectator, intensity

#: what reading a malformed document raises (a missing key, a string for a number, 10**400 ...)
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)
_NUMBER = r"[\d.]+(?:[eE][+-]?\d+)?"
_COMPLEX = re.compile(rf"^\s*([+-]?{_NUMBER})?\s*(?:([+-])\s*({_NUMBER})?\s*(?:i|im|j))?\s*$")


def complex_value(text: str | float | int, where: str = "") -> complex:
    """A complex number written as the format writes them: ``"7.386 + 1.971i"``, ``"-0.5i"``, ``"2.0"`` (or a
    plain number).

    Example:
        >>> complex_value("1e-3 + 2E2i")
        (0.001+200j)
    """
    if isinstance(text, int | float):
        return complex(text)
    s = text.strip()
    only_imag = re.fullmatch(r"([+-]?)\s*([\d.]+(?:[eE][+-]?\d+)?)?\s*(?:i|im|j)", s)
    if only_imag:
        mag = float(only_imag.group(2) or 1.0)
        return complex(0.0, -mag if only_imag.group(1) == "-" else mag)
    m = _COMPLEX.fullmatch(s)
    if not m or m.group(1) is None:
        raise FirmError(f"{where + ': ' if where else ''}not a complex number: {text!r}")
    re_part = float(m.group(1))
    if m.group(2) is None:
        return complex(re_part, 0.0)
    im_part = float(m.group(3) or 1.0)
    return complex(re_part, -im_part if m.group(2) == "-" else im_part)


SIGMAS = ("sigma1", "sigma2", "sigma3")
# function types only ampform-dpd writes: its files normalise vertex form factors at the resonance mass
# (the weights of its Λc copy are the published ones times F(p0) F(q0), to 3e-16)
AMPFORM_TYPES = ("BreitWignerWidthExpLikeBugg",)
INTENSITY_TYPES = ("HadronicUnpolarizedIntensity", "hadronic_cross_section_unpolarized_dist")
# the polarised intensity of the format's description.md, which gives no JSON form for it: firmc reads a
# "density_matrix" (rows and columns λ0 = -j0 ... j0, complex strings) beside the decay description
POLARIZED_TYPES = ("HadronicPolarizedIntensity",)


def load_amplitude(doc: Mapping[str, Any], file: str | None = None, digest: str = "",
                   massless: str = "reference") -> Module:
    """The Module of an amplitude-serialization document: one entry per distribution (the intensity over
    ``sigma1..3``) and per lineshape, and the checksums as validations.

    ``massless``: ``"reference"`` sums a massless final-state particle of spin j over all 2j+1 helicities, as
    ThreeBodyDecays.jl does and as the published checksums were computed (the Λb→pKγ model's photon: −1, 0, +1);
    ``"physical"`` over ±j only (a real photon; the Λb→pKγ intensity then differs by up to 20 %).

    Files written by ampform-dpd (recognised by its own function type ``BreitWignerWidthExpLikeBugg``) normalise
    every vertex form factor at the resonance's nominal mass; the others (ThreeBodyDecaysIO.jl) do not.

    Example:
        >>> load_amplitude({"distributions": [], "functions": []}).format
        'amplitude'
    """
    from .functions import function_entries, function_validations

    if massless not in ("reference", "physical"):
        raise FirmError(f"massless must be 'reference' or 'physical', not {massless!r}")
    m = Module(source=file or "<dict>", source_hash=digest, format="amplitude")
    functions = _functions(doc)
    ampform = any(f.get("type") in AMPFORM_TYPES for f in functions.values())
    for n, dist in enumerate(doc.get("distributions") or []):
        where = f"distributions[{n}]"
        try:
            _distribution(m, doc, dist, where, functions, massless, ampform)
        except MALFORMED as exc:
            raise FirmError(f"{where}: malformed distribution: {_why(exc)}") from None
    try:
        entries, validations = function_entries(doc, file or ""), function_validations(doc, file or "")
    except MALFORMED as exc:
        raise FirmError(f"malformed functions or checksums: {_why(exc)}") from None
    for name, entry in entries.items():
        m.entries.setdefault(name, entry)
        for var, leaf in leaves([entry.expr], "obs").items():
            m.observables.setdefault(var, Observable(var, float(leaf.attr("lo")), float(leaf.attr("hi"))))
    m.validations += validations
    return m


def _distribution(m: Module, doc: Mapping[str, Any], dist: Mapping[str, Any], where: str,
                  functions: Mapping[str, Mapping[str, Any]], massless: str, ampform: bool) -> None:
    """One distribution: its entry (the intensity) and its checksums, added to ``m``."""
    if not isinstance(dist, dict):
        raise FirmError(f"{where}: a distribution is a JSON object")
    kind = dist.get("type")
    if kind not in INTENSITY_TYPES + POLARIZED_TYPES:
        raise FirmError(f"{where}.type: unknown distribution type {kind!r}; supported: "
                        + ", ".join(INTENSITY_TYPES + POLARIZED_TYPES))
    rho = None
    if kind in POLARIZED_TYPES:
        matrix = dist.get("density_matrix")
        if not isinstance(matrix, list) or not all(isinstance(r, list) for r in matrix):
            raise FirmError(f"{where}.density_matrix: a polarised intensity needs the decaying particle's "
                            "spin density matrix (a list of rows)")
        rho = [[complex_value(v, f"{where}.density_matrix") for v in row] for row in matrix]
    name = str(dist.get("name") or where)
    desc = dist.get("decay_description") or {}
    system = _system(desc.get("kinematics") or {}, f"{where}.decay_description.kinematics")
    for o, (lo, hi) in zip(SIGMAS, (limits(k, system.ms) for k in (1, 2, 3)), strict=True):
        m.observables.setdefault(o, Observable(o, lo, hi))
    system = System(system.ms, system.two_js, [obs(o, m.observables[o].min, m.observables[o].max)
                                                for o in SIGMAS], massless == "physical", ampform)
    expr = intensity(desc, system, lambda f, x, masses: lineshape(_get(functions, f), x, masses=masses),
                     lambda f, a, b, c: form_factor(_get(functions, f), a, b, c), f"{where}.decay_description",
                     nominal_mass=lambda f: _nominal_mass(_get(functions, f), f), rho=rho)
    m.entries[name] = Entry(name, "function", expr, SIGMAS, source=where)
    m.validations += _intensity_checks(doc, dist, name, system, where)


def _functions(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for n, f in enumerate(doc.get("functions") or []):
        if not isinstance(f, dict) or "name" not in f:
            raise FirmError(f"functions[{n}]: a function needs a 'name'")
        out[str(f["name"])] = f
    return out


def _nominal_mass(obj: Mapping[str, Any], name: str) -> float:
    if not isinstance(obj.get("mass"), int | float):
        raise FirmError(f"function {name!r}: a lineshape with a nominal 'mass' is needed to normalise form factors")
    return float(obj["mass"])


def _get(functions: Mapping[str, Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    if name not in functions:
        raise UnknownName("function", name, functions)
    return functions[name]


def _why(exc: Exception) -> str:
    return f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)


def _system(kin: Mapping[str, Any], where: str) -> System:
    particles = [kin.get("initial_state") or {}, *(kin.get("final_state") or [])]
    by_index = {int(p.get("index", -1)): p for p in particles if isinstance(p, dict)}
    if sorted(by_index) != [0, 1, 2, 3]:
        raise FirmError(f"{where}: a three-body decay needs particles with index 0 (initial) and 1, 2, 3")
    order = (1, 2, 3, 0)
    ms = tuple(float(by_index[i]["mass"]) for i in order)
    if not (all(0.0 <= m < math.inf for m in ms) and ms[3] > ms[0] + ms[1] + ms[2]):  # NaN fails too
        raise FirmError(f"{where}: the masses {ms[3]} -> {ms[0]}, {ms[1]}, {ms[2]} are not a decay (finite, "
                        "non-negative, the initial mass above the sum of the final ones)")
    js = tuple(spin(by_index[i]["spin"], f"{where}: particle {i}") for i in order)
    return System((ms[0], ms[1], ms[2], ms[3]), (js[0], js[1], js[2], js[3]), ())


def _parameter_point(doc: Mapping[str, Any], name: str) -> dict[str, float] | None:
    for p in doc.get("parameter_points") or []:
        if p.get("name") == name:
            return {str(q["name"]): float(q["value"]) for q in p.get("parameters", [])}
    return None


def _intensity_checks(doc: Mapping[str, Any], dist: Mapping[str, Any], name: str, system: System,
                      where: str) -> list[Validation]:
    """The checksums of one distribution, their points (cascade variables) mapped to invariants."""
    checks = (doc.get("misc") or {}).get("amplitude_model_checksums") or []
    k = chain_spectator({"topology": dist["decay_description"].get("reference_topology")},
                        f"{where}.decay_description.reference_topology")
    i, j, _ = ijk(k)
    names = {repr(v.get("node")): v.get("mass_phi_costheta") for v in dist.get("variables") or []}
    pair = names.get(repr([i, j]))
    out = []
    for c in checks:
        if c.get("distribution") != name:
            continue
        label = str(c.get("point", c.get("name", "")))
        point = _parameter_point(doc, label)
        if point is None or pair is None:
            raise FirmError(f"misc.amplitude_model_checksums: point {label!r} of {name!r} is not in parameter_points "
                            f"or the distribution has no variables for the node [{i}, {j}]")
        s = sigmas_from_cascade(point[pair[0]], point[pair[2]], system.ms, k)
        out.append(Validation(name, dict(zip(SIGMAS, s, strict=True)), float(c["value"]), 1e-9, label))
    return out
