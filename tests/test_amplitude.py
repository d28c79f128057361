"""Amplitude models (amplitude-serialization JSON): the published checksums on every target, and checks of the
Dalitz-plot decomposition by independent means (closed forms, frame independence, exchange symmetry).

Files: the Λc→pπK model of RUB-EP1/amplitude-serialization and ampform-dpd's copy (../shared/corpus/threebody),
the Λb→pKγ (massless photon, ``ls`` vertices, spins to 9/2) and COMPASS 3π (identical particles, four
distributions, spin 4) models (tests/data/threebody, see SOURCES.md)."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import firmc
from backends import target_param
from conftest import CORPUS_DIR
from firmc.check import validations
from firmc.errors import FirmError
from firmc.frontends.amplitude import SIGMAS, load_amplitude
from firmc.frontends.amplitude.dpd import System, intensity
from firmc.interp import evaluate
from firmc.ir import obs
from firmc.library.kinematics import limits, sigmas_from_cascade

DATA = Path(__file__).resolve().parent / "data" / "threebody"
FILES = {
    "lc2ppik": CORPUS_DIR / "threebody" / "lc2ppik-lhcb-2683025.json",
    "Lc2ppiK (ampform-dpd)": CORPUS_DIR / "threebody" / "Lc2ppiK.json",
    "lb2pkg": DATA / "lb2pkg-lhcb-2765817.json",
    "x2pipipi": DATA / "x2pipipi-compass-1391643.json",
}
COUNTS = {"lc2ppik": 11, "lb2pkg": 17, "x2pipipi": 21}  # checksums in each file (ampform-dpd's copy: all it has)
TARGETS = ["interp", *(target_param(t) for t in ("numpy", "jax", "torch", "llvm"))]


@pytest.fixture(scope="module", params=list(FILES), ids=list(FILES))
def model(request: pytest.FixtureRequest) -> tuple[str, firmc.Module]:
    return request.param, firmc.load(FILES[request.param])


@pytest.mark.parametrize("target", TARGETS)
def test_every_checksum(model: tuple[str, firmc.Module], target: str) -> None:
    """Every ``misc.amplitude_model_checksums`` entry, intensities and lineshapes, at 1e-9 relative."""
    name, m = model
    lines = validations(m, [target])
    assert len(lines) == COUNTS.get(name, len(m.validations)) and lines
    bad = [f"{ln.entry} {ln.what}: {ln.value} vs {ln.reference} ({ln.error:.2g}) {ln.note}" for ln in lines
           if not ln.ok]
    assert not bad, "\n".join(bad)


# ------------------------------------------------------------------------------------------ independent checks

def _system(doc: dict[str, Any], n: int = 0, physical: bool = False) -> tuple[System, dict[str, Any]]:
    from firmc.frontends.amplitude import _system as kinematics

    desc = doc["distributions"][n]["decay_description"]
    sy = kinematics(desc["kinematics"], "kinematics")
    sig = [obs(o, *limits(k, sy.ms)) for o, k in zip(SIGMAS, (1, 2, 3), strict=True)]
    return System(sy.ms, sy.two_js, sig, physical), desc


def _dalitz_points(ms: tuple[float, float, float, float], n: int, seed: int = 3) -> dict[str, np.ndarray]:
    """Points inside the Dalitz plot, from cascade variables (m23 uniform in its range, cos θ uniform)."""
    rng = np.random.default_rng(seed)
    lo, hi = (math.sqrt(v) for v in limits(1, ms))
    pts = [sigmas_from_cascade(rng.uniform(lo, hi), rng.uniform(-0.99, 0.99), ms, 1) for _ in range(n)]
    return {s: np.array([p[i] for p in pts]) for i, s in enumerate(SIGMAS)}


def _intensity(doc: dict[str, Any], n: int = 0, **kw: Any) -> tuple[Any, System]:
    from firmc.frontends.amplitude import _functions, _get
    from firmc.library.hadronic import form_factor, lineshape

    fs = _functions(doc)
    system, desc = _system(doc, n, kw.pop("physical", False))
    node = intensity(desc, system, lambda f, x, masses: lineshape(_get(fs, f), x, masses=masses),
                     lambda f, a, b, c: form_factor(_get(fs, f), a, b, c), "d", **kw)
    return node, system


@pytest.mark.parametrize("name", ["lc2ppik", "lb2pkg", "x2pipipi"])
def test_unpolarised_intensity_is_frame_independent(name: str) -> None:
    """Aligning every chain to other reference frames (final-state particle l to chain r_l) leaves the unpolarised
    intensity unchanged: the Wigner rotations of each particle compose, so the ζ angles and their signs are right.

    The decaying particle's frame is changed too where that is well defined: for an integer spin, or when all
    chains share one spectator. With a half-integer spin and several topologies (the Λc model) the ζ⁰ angles are
    defined up to 2π, and a 2π rotation flips the sign of a fermion's amplitude: changing its reference flips the
    relative sign of one topology (measured: the intensity changes by up to a factor 3). The files' checksums
    fix the reference (1, 2, 3, 1) of ThreeBodyDecays.jl, which they reproduce."""
    import json

    doc = json.loads(FILES[name].read_text(encoding="utf-8"))
    base, system = _intensity(doc)
    pts = _dalitz_points(system.ms, 16)
    want = evaluate([base], pts)[0]
    refs = [(2, 3, 1, 1), (3, 1, 2, 1), (1, 1, 1, 1), (3, 3, 3, 1), (2, 2, 2, 1)]
    spectators = {c["topology"][1] for c in doc["distributions"][0]["decay_description"]["chains"]}
    if system.two_js[3] % 2 == 0 or len(spectators) == 1:
        refs += [(1, 2, 3, 2), (1, 2, 3, 3), (2, 3, 1, 2), (3, 3, 3, 3)]
    for r in refs:
        node, _ = _intensity(doc, references=r)
        np.testing.assert_allclose(evaluate([node], pts)[0], want, rtol=1e-10, err_msg=str(r))


def test_fermion_parent_reference_sign() -> None:
    """The Λc model (spin-1/2 parent, three topologies): moving the parent's reference frame to chain 2 changes
    the intensity (the 2π ambiguity above), so the default reference is what makes the checksums hold."""
    import json

    doc = json.loads(FILES["lc2ppik"].read_text(encoding="utf-8"))
    base, system = _intensity(doc)
    other, _ = _intensity(doc, references=(1, 2, 3, 2))
    pts = _dalitz_points(system.ms, 16)
    assert np.max(np.abs(evaluate([other], pts)[0] / evaluate([base], pts)[0] - 1)) > 0.1


def test_identical_pions_exchange_symmetry() -> None:
    """COMPASS 3π: the two π⁻ (particles 1 and 3) are identical and the model is symmetrised, so the intensity is
    unchanged under σ1 ↔ σ3 for every distribution."""
    m = firmc.load(FILES["x2pipipi"])
    dists = [e for e, v in m.entries.items() if v.observables == SIGMAS]
    assert len(dists) == 4
    pts = _dalitz_points((0.13956755,) * 3 + (1.55,), 32)
    swapped = {"sigma1": pts["sigma3"], "sigma2": pts["sigma2"], "sigma3": pts["sigma1"]}
    for e in dists:
        f = firmc.compile(m, "interp", e)
        np.testing.assert_allclose(f(swapped), f(pts), rtol=1e-10, err_msg=e)


@pytest.mark.parametrize(("two_j", "legendre"), [(0, lambda z: 1.0), (2, lambda z: z),
                                                (4, lambda z: (3 * z * z - 1) / 2),
                                                (8, lambda z: (35 * z**4 - 30 * z * z + 3) / 8)])
def test_single_scalar_chain_is_a_legendre_polynomial(two_j: int, legendre: Any) -> None:
    """0⁻ → (12)_J 3 with spinless particles, helicity vertices and a constant lineshape:
    I = (2J+1) |c|² P_J(cos θ12)², θ12 the angle in the (12) rest frame."""
    doc = {
        "distributions": [{"name": "I", "type": "HadronicUnpolarizedIntensity", "decay_description": {
            "kinematics": {"initial_state": {"index": 0, "name": "D", "spin": "0", "mass": 1.87},
                           "final_state": [{"index": i, "name": f"p{i}", "spin": "0", "mass": 0.14}
                                           for i in (1, 2, 3)]},
            "reference_topology": [[1, 2], 3],
            "chains": [{"name": "R", "weight": "0.6 - 0.8i", "topology": [[1, 2], 3],
                        "propagators": [{"spin": str(two_j // 2), "node": [1, 2], "parametrization": "one"}],
                        "vertices": [{"type": "helicity", "node": [[1, 2], 3], "helicities": [0, 0],
                                      "formfactor": ""},
                                     {"type": "helicity", "node": [1, 2], "helicities": [0, 0],
                                      "formfactor": ""}]}]}}],
        "functions": [{"name": "one", "type": "generic_function", "expression": "1 + 0*σ"}],
        "misc": {"amplitude_model_checksums": []}, "parameter_points": [], "domains": [],
    }
    m = load_amplitude(doc)
    ms = (0.14, 0.14, 0.14, 1.87)
    pts = _dalitz_points(ms, 20)
    from firmc.library.kinematics import cos_theta

    cos = evaluate([cos_theta([obs(s) for s in SIGMAS], [v * v for v in ms], 3)], pts)[0]
    want = (two_j + 1) * np.array([legendre(z) for z in cos]) ** 2
    np.testing.assert_allclose(firmc.compile(m, "interp", "I")(pts), want, rtol=1e-11)


@pytest.mark.parametrize("target", TARGETS)
def test_outside_the_dalitz_plot_is_zero(target: str) -> None:
    m = firmc.load(FILES["lc2ppik"])
    f = firmc.compile(m, target, "default_model")
    out = f({"sigma1": np.array([0.1, 10.0, 1.0]), "sigma2": np.array([3.0, 3.0, 0.5]),
             "sigma3": np.array([5.0, -2.0, 6.0])})
    assert np.all(out == 0.0)


def test_photon_helicities() -> None:
    """The published Λb→pKγ checksums sum the photon over −1, 0, +1 (ThreeBodyDecays.jl's convention); the
    physical sum over ±1 is smaller (here by up to 20 %) and is what ``massless="physical"`` gives."""
    import json

    doc = json.loads(FILES["lb2pkg"].read_text(encoding="utf-8"))
    ref = load_amplitude(doc)
    phys = load_amplitude(doc, massless="physical")
    v = next(v for v in ref.validations if v.entry == "default_model" and v.label == "validation_point2")
    point = {k: np.array([x]) for k, x in v.point.items()}
    got_ref = float(firmc.compile(ref, "interp", "default_model")(point)[0])
    got_phys = float(firmc.compile(phys, "interp", "default_model")(point)[0])
    assert got_ref == pytest.approx(v.expected, rel=1e-12)
    assert 0.7 < got_phys / got_ref < 0.85


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["distributions"][0].update(type="Mystery"), "unknown distribution type 'Mystery'"),
    (lambda d: d["distributions"][0]["decay_description"]["chains"][0]["vertices"][0].update(type="odd"),
     "unknown vertex type 'odd'"),
    (lambda d: d["distributions"][0]["decay_description"]["chains"][0].update(topology=[[1, 3], 2]),
     "cyclic order"),
    (lambda d: d["distributions"][0]["decay_description"]["chains"][0]["propagators"][0].update(
        parametrization="nowhere"), "nowhere"),
])
def test_bad_documents(change: Any, message: str) -> None:
    import json

    doc = json.loads(FILES["lc2ppik"].read_text(encoding="utf-8"))
    change(doc)
    with pytest.raises(FirmError, match=message):
        load_amplitude(doc)


def test_helicity_sums_are_complete() -> None:
    """Σ over all helicities of a spin-j particle: (2j+1) projections, and ±j for a massless one on request."""
    for two_j in range(9):
        s = System((1.0, 1.0, 1.0, 4.0), (two_j, 0, 0, 0), ())
        assert len(s.helicities(1)) == two_j + 1
    assert System((0.0, 1.0, 1.0, 4.0), (2, 0, 0, 1), (), True).helicities(1) == [-2, 2]
    assert System((0.0, 1.0, 1.0, 4.0), (0, 0, 0, 1), (), True).helicities(1) == [0]


def test_polarised_intensity() -> None:
    """Λc: the polarised intensity with ρ = 1/2 is half the unpolarised one; those of the pure states λ0 = ±1/2 add
    up to the unpolarised one; a fully transverse polarisation (ρ off-diagonal) changes the Dalitz distribution."""
    import json

    doc = json.loads(FILES["lc2ppik"].read_text(encoding="utf-8"))
    unpol = firmc.compile(firmc.load(doc), "interp", "default_model")

    def polarised(rho: list[list[str]]) -> Any:
        d = json.loads(json.dumps(doc))
        d["distributions"][0].update(type="HadronicPolarizedIntensity", density_matrix=rho)
        return firmc.compile(load_amplitude(d), "interp", "default_model")

    pts = _dalitz_points((0.938272046, 0.13957018, 0.493677, 2.28646), 16)
    want = unpol(pts)
    np.testing.assert_allclose(polarised([["0.5", "0"], ["0", "0.5"]])(pts), want / 2, rtol=1e-12)
    up, down = polarised([["1", "0"], ["0", "0"]])(pts), polarised([["0", "0"], ["0", "1"]])(pts)
    np.testing.assert_allclose(up + down, want, rtol=1e-12)
    transverse = polarised([["0.5", "0.5"], ["0.5", "0.5"]])(pts)
    assert np.max(np.abs(transverse / (want / 2) - 1)) > 1e-3
    with pytest.raises(FirmError, match="2 x 2"):
        polarised([["1"]])


def _corruptions(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every dict key and list index in a document (where a corruption can go)."""
    out: list[tuple[Any, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for k, v in items:
        out.append((*path, k))
        out += _corruptions(v, (*path, k))
    return out


def test_corrupted_documents_give_firm_errors() -> None:
    """Deleting a key or replacing a value (by None, a string, a number, a list) anywhere in the Λc model: the
    loader either reads the document or raises a FirmError — no KeyError, TypeError, ... escapes."""
    import json

    text = FILES["lc2ppik"].read_text(encoding="utf-8")
    rng = np.random.default_rng(5)
    paths = _corruptions(json.loads(text))
    for n in rng.choice(len(paths), 150, replace=False):
        path = paths[int(n)]
        doc = json.loads(text)
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        if n % 2 and isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = [None, "x", -1.5, [1, 2]][int(n) % 4]
        with contextlib.suppress(FirmError):
            load_amplitude(doc)
