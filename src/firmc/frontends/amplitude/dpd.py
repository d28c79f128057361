"""The Dalitz-plot decomposition of a ``decay_description`` as IR (M. Mikhasenko et al., Phys. Rev. D 101 (2020)
034033; conventions of ThreeBodyDecays.jl, whose checksums the published files carry).

For a chain with spectator k, isobar spin J and lineshape X, the amplitude in the chain's aligned frame is

    F(λ1, λ2, λ3, λ0) = sqrt(2J+1) X(σk) ff_Rk ff_ij · V_Rk(λR, λk) (−1)^(jk−λk) · d^J_{λR, λi−λj}(θij) ·
                        V_ij(λi, λj) (−1)^(jj−λj),      λR = λ0 + λk,

with the vertex factors V of the ``helicity``, ``parity`` and ``ls`` couplings (Clebsch–Gordan coefficients,
exact). Every chain is rotated to common helicity frames: particle l = 1, 2, 3 to that of chain l, the
decaying particle to that of chain 1 (ThreeBodyDecays.jl's ``refζs = (1, 2, 3, 1)``; the unpolarised
intensity does not depend on this choice), by Wigner d-functions of the ζ angles:

    A(λ) = Σ_λ' d^{j0}_{λ0 λ0'}(ζ0) F(λ') d^{j1}_{λ1' λ1}(ζ1) d^{j2}_{λ2' λ2}(ζ2) d^{j3}_{λ3' λ3}(ζ3),

d with a sign (−1)^(λ−λ') for a rotation of negative direction. Chains with the same spectator share their
rotations, so their aligned amplitudes are summed first. The unpolarised intensity is Σ_λ |Σ_chains c A|².

Example:
    >>> vertex_factor({"type": "helicity", "helicities": ["1/2", "0"]}, 1, 0, (1, 1, 0))
    1.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import FirmError
from ...ir import Node, apply, const, lift
from ...library.kinematics import Rotation, cos_theta, ijk, inside
from ...library.spin import clebsch_gordan, projections, spin, two, wigner_d

Helicities = tuple[int, int, int, int]  # doubled (λ1, λ2, λ3, λ0)
Lineshape = Callable[[str, Node, tuple[float, float]], Node]  # function name, σ, daughters' masses -> complex
FormFactor = Callable[[str, Node, Node, Node], Node]  # function name, (m0², m1², m2²) -> real value


@dataclass(frozen=True)
class System:
    """Masses (m1, m2, m3, m0) and doubled spins (j1, j2, j3, j0) of the decay, and its invariants (σ1, σ2, σ3).

    Example:
        >>> System((1.0, 1.0, 1.0, 4.0), (0, 0, 0, 0), ()).msq
        (1.0, 1.0, 1.0, 16.0)
    """

    ms: tuple[float, float, float, float]
    two_js: tuple[int, int, int, int]
    sigmas: Sequence[Node]
    physical_massless: bool = False  # sum a massless particle over ±j only (the reference sums all 2j+1)
    # ampform-dpd's files: a vertex form factor divided by its value at the resonance's nominal mass
    normalised_form_factors: bool = False

    @property
    def msq(self) -> tuple[float, float, float, float]:
        """Squared masses (m1², m2², m3², m0²)."""
        m1, m2, m3, m0 = self.ms
        return (m1 * m1, m2 * m2, m3 * m3, m0 * m0)

    def helicities(self, particle: int) -> list[int]:
        """Doubled helicities of ``particle`` (1, 2, 3; 4 = the decaying one) summed over in the intensity: all
        2j+1, as ThreeBodyDecays.jl sums them (and the published checksums were made), or, with
        ``physical_massless``, ±j only for a massless particle of nonzero spin (a photon).

        Example:
            >>> System((0.0, 1.0, 1.0, 4.0), (2, 0, 0, 1), ()).helicities(1)
            [-2, 0, 2]
            >>> System((0.0, 1.0, 1.0, 4.0), (2, 0, 0, 1), (), physical_massless=True).helicities(1)
            [-2, 2]
        """
        two_j = self.two_js[particle - 1]
        if self.physical_massless and particle != 4 and self.ms[particle - 1] == 0.0 and two_j > 0:
            return [-two_j, two_j]
        return list(projections(two_j))


def vertex_factor(vertex: Mapping[str, Any], two_la: int, two_lb: int, two_js: tuple[int, int, int]) -> float:
    """The coupling of a two-body vertex (parent spin j, daughters ja, jb: ``two_js``) for daughter helicities
    (λa, λb): ``helicity`` selects one pair, ``parity`` that pair and its mirror with the parity factor, ``ls``
    sqrt((2l+1)/(2j+1)) <ja λa; jb −λb | s λa−λb> <l 0; s λa−λb | j λa−λb>.

    Example:
        >>> round(vertex_factor({"type": "ls", "l": "1", "s": "1"}, 1, -1, (2, 1, 1)), 12)
        -0.707106781187
    """
    kind = vertex.get("type")
    two_j, two_ja, two_jb = two_js
    if kind in ("helicity", "parity"):
        ha, hb = (two(h) for h in vertex["helicities"])
        if (two_la, two_lb) == (ha, hb):
            return 1.0
        if kind == "parity" and (two_la, two_lb) == (-ha, -hb):
            return 1.0 if vertex.get("parity_factor", "+") == "+" else -1.0
        return 0.0
    if kind == "ls":
        two_l, two_s = spin(vertex["l"], "ls vertex l"), spin(vertex["s"], "ls vertex s")
        diff = two_la - two_lb
        return (math.sqrt((two_l + 1) / (two_j + 1)) * clebsch_gordan(two_ja, two_la, two_jb, -two_lb, two_s, diff)
                * clebsch_gordan(two_l, 0, two_s, diff, two_j, diff))
    raise FirmError(f"unknown vertex type {kind!r}; supported: helicity, parity, ls")


def _phase(two_diff: int) -> float:
    """(−1)^(j − λ) for a doubled integer difference (ThreeBodyDecays.jl's ``phase``)."""
    return -1.0 if abs(two_diff) % 4 == 2 else 1.0


def _node(topology: Any) -> tuple[tuple[int, int], int]:
    try:
        (i, j), k = topology
        return (int(i), int(j)), int(k)
    except (TypeError, ValueError):
        raise FirmError(f"a topology is [[i, j], k], not {topology!r}") from None


def chain_spectator(chain: Mapping[str, Any], where: str) -> int:
    """The spectator k of a chain, checking that its isobar node is the cyclic pair (i, j) of k.

    Example:
        >>> chain_spectator({"topology": [[3, 1], 2]}, "chains[0]")
        2
    """
    (i, j), k = _node(chain.get("topology"))
    if (i, j, k) != ijk(k):
        raise FirmError(f"{where}.topology: the pair must be in cyclic order ({ijk(k)[0]}, {ijk(k)[1]}) for "
                        f"spectator {k}, as ThreeBodyDecays.jl defines its angles; got [{i}, {j}]")
    return k


def aligned(chain: Mapping[str, Any], system: System, where: str) -> dict[Helicities, tuple[float, int]]:
    """The constant part of F for one chain: (aligned helicities) -> (vertex product × sqrt(2J+1), doubled λR) and
    the J of the Wigner d to multiply; helicity sets whose couplings vanish are left out.

    Example:
        >>> aligned.__name__
        'aligned'
    """
    k = chain_spectator(chain, where)
    i, j, _ = ijk(k)
    props = chain.get("propagators") or []
    if len(props) != 1:
        raise FirmError(f"{where}.propagators: one propagator (the isobar) expected, got {len(props)}")
    two_jr = spin(props[0]["spin"], f"{where}.propagators[0].spin")
    vertices = {repr(v.get("node")): v for v in chain.get("vertices", [])}
    v_ij, v_rk = vertices.get(repr([i, j])), vertices.get(repr([[i, j], k]))
    if v_ij is None or v_rk is None:
        raise FirmError(f"{where}.vertices: need the vertices [{i}, {j}] and [[{i}, {j}], {k}]")
    js = system.two_js
    out: dict[Helicities, tuple[float, int]] = {}
    norm = math.sqrt(two_jr + 1)
    for hel in itertools.product(*(projections(js[n]) for n in range(4))):
        li, lj, lk, l0 = hel[i - 1], hel[j - 1], hel[k - 1], hel[3]
        lr = l0 + lk
        if abs(lr) > two_jr or abs(li - lj) > two_jr:
            continue
        c_rk = vertex_factor(v_rk, lr, lk, (js[3], two_jr, js[k - 1])) * _phase(js[k - 1] - lk)
        c_ij = vertex_factor(v_ij, li, lj, (two_jr, js[i - 1], js[j - 1])) * _phase(js[j - 1] - lj)
        if c_rk != 0.0 and c_ij != 0.0:
            out[(hel[0], hel[1], hel[2], hel[3])] = (norm * c_rk * c_ij, lr)
    return out


def _signed_d(two_j: int, a: int, b: int, cos: Node, positive: bool) -> Node:
    sign = 1.0 if positive or ((a - b) // 2) % 2 == 0 else -1.0
    return sign * wigner_d(two_j, a, b, cos)


def intensity(description: Mapping[str, Any], system: System, lineshape: Lineshape, form_factor: FormFactor,
              where: str, references: tuple[int, int, int, int] = (1, 2, 3, 1),
              nominal_mass: Callable[[str], float] | None = None,
              rho: Sequence[Sequence[complex]] | None = None) -> Node:
    """The unpolarised intensity Σ_λ |A(λ)|² of a ``decay_description``, 0 outside the Dalitz plot.

    ``references``: the chain whose helicity frame particles 1, 2, 3 and 0 are rotated to (any choice gives
    the same unpolarised intensity: a test of the rotations). ``nominal_mass`` of a lineshape: needed with
    ``system.normalised_form_factors``. With ``rho``, the decaying particle's spin density matrix (rows and
    columns λ0 = −j0 … j0, in the helicity frame of its reference chain), the polarised intensity
    Σ_final Σ_{λ0 λ0'} A*_{λ0} ρ_{λ0 λ0'} A_{λ0'} instead.

    Example:
        >>> intensity.__name__
        'intensity'
    """
    s, msq, js = system.sigmas, system.msq, system.two_js
    chains = description.get("chains") or []
    if not chains:
        raise FirmError(f"{where}.chains: a decay description needs at least one chain")
    # per spectator: aligned helicities -> Σ over its chains of c X ff V d V
    summed: dict[int, dict[Helicities, list[Node]]] = {}
    for n, chain in enumerate(chains):
        at = f"{where}.chains[{n}]"
        k = chain_spectator(chain, at)
        i, j, _ = ijk(k)
        weight = _weight(chain, at)
        prop = chain["propagators"][0]
        two_jr = spin(prop["spin"], f"{at}.propagators[0].spin")
        shape = lineshape(str(prop["parametrization"]), s[k - 1], (system.ms[i - 1], system.ms[j - 1]))
        for v in chain.get("vertices", []):
            name = v.get("formfactor", "")
            if name:  # ff(m0², m1², m2²) of the vertex's parent and daughters
                production = v.get("node") == [[i, j], k]
                masses = (msq[3], s[k - 1], msq[k - 1]) if production else (s[k - 1], msq[i - 1], msq[j - 1])
                shape = shape * form_factor(str(name), *(lift(m) for m in masses))
                if system.normalised_form_factors:
                    if nominal_mass is None:
                        raise FirmError(f"{at}: normalised form factors need the resonance's nominal mass")
                    mr2 = nominal_mass(str(prop["parametrization"])) ** 2
                    at_mass = (msq[3], mr2, msq[k - 1]) if production else (mr2, msq[i - 1], msq[j - 1])
                    shape = shape / form_factor(str(name), *(const(m) for m in at_mass))
        cos = cos_theta(s, msq, k)
        factor = const(weight) * shape
        for hel, (c, lr) in aligned(chain, system, at).items():
            li, lj = hel[i - 1], hel[j - 1]
            term = factor * (c * wigner_d(two_jr, lr, li - lj, cos))
            summed.setdefault(k, {}).setdefault(hel, []).append(term)
    total: dict[Helicities, list[Node]] = {}
    for k, per in summed.items():
        f_k = {hel: terms[0] if len(terms) == 1 else apply("add", *terms) for hel, terms in per.items()}
        rotations = [Rotation.between(k, ref, particle) for ref, particle in zip(references, (1, 2, 3, 0),
                                                                                  strict=True)]
        cos_z = [r.cos_zeta(s, msq) for r in rotations]
        for h in itertools.product(*(system.helicities(n) for n in (1, 2, 3, 4))):
            hel = (h[0], h[1], h[2], h[3])
            for prime, f in f_k.items():
                factors = []
                for n in range(4):
                    a, b = (hel[3], prime[3]) if n == 3 else (prime[n], hel[n])
                    if rotations[n].kind is None:
                        if a != b:
                            break
                        continue
                    factors.append(_signed_d(js[n], a, b, cos_z[n], rotations[n].positive))
                else:
                    term = f
                    for d in factors:
                        term = term * d
                    total.setdefault(hel, []).append(term)
    amps = {hel: terms[0] if len(terms) == 1 else apply("add", *terms) for hel, terms in total.items()}
    if not amps:
        raise FirmError(f"{where}: no chain couples to the helicities of the particles (do the spins agree?)")
    parts = [apply("abs2", a) for a in amps.values()] if rho is None else _polarised(amps, rho, js[3])
    value = parts[0] if len(parts) == 1 else apply("add", *parts)
    return apply("select", inside(s, system.ms), value, const(0.0))


def _polarised(amps: Mapping[Helicities, Node], rho: Sequence[Sequence[complex]], two_j0: int) -> list[Node]:
    """The terms Re(A*_{λ0} ρ_{λ0 λ0'} A_{λ0'}) of the polarised intensity, for every final helicity set."""
    lam = list(projections(two_j0))
    if len(rho) != len(lam) or any(len(row) != len(lam) for row in rho):
        raise FirmError(f"the density matrix of a spin-{two_j0}/2 particle is {len(lam)} x {len(lam)}")
    parts: list[Node] = []
    finals = sorted({hel[:3] for hel in amps})
    for f in finals:
        for a, la in enumerate(lam):
            for b, lb in enumerate(lam):
                if rho[a][b] == 0 or (*f, la) not in amps or (*f, lb) not in amps:
                    continue
                term = apply("conj", amps[(*f, la)]) * (const(complex(rho[a][b])) * amps[(*f, lb)])
                parts.append(apply("real", term))
    return parts or [const(0.0)]


def _weight(chain: Mapping[str, Any], where: str) -> complex:
    from . import complex_value

    if "weight" not in chain:
        raise FirmError(f"{where}: a chain needs a 'weight'")
    return complex_value(chain["weight"], f"{where}.weight")
