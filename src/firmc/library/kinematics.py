"""Three-body decay kinematics in Mandelstam invariants, as IR: the Källén and Kibble functions, isobar decay angles,
the Wigner rotations (ζ angles) that align the final-state helicity frames of different decay chains
(Dalitz-plot decomposition: M. Mikhasenko et al., Phys. Rev. D 101 (2020) 034033), and the cascade variables
(m, φ, cos θ) of validation points mapped to invariants.

Particles are 0 (the decaying one) and 1, 2, 3; ``σk`` is the squared mass of the pair (i, j), with (i, j, k) a
cyclic permutation of (1, 2, 3) (:func:`ijk`). ``msq`` is (m1², m2², m3², m0²), the order of ThreeBodyDecays.jl.

Example:
    >>> ijk(1), ijk(2), ijk(3)
    ((2, 3, 1), (3, 1, 2), (1, 2, 3))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..ir import Node, apply, const, lift
from ..ir.node import Operand

Msq = Sequence[float]  # (m1², m2², m3², m0²)
Sigmas = Sequence[Node]  # (σ1, σ2, σ3)


def ijk(k: int) -> tuple[int, int, int]:
    """(i, j, k): the pair (i, j) of the chain with spectator k, in cyclic order.

    Example:
        >>> ijk(2)
        (3, 1, 2)
    """
    return (k % 3 + 1, (k + 1) % 3 + 1, k)


def kallen(x: Operand, y: Operand, z: Operand) -> Node:
    """λ(x, y, z) = x² + y² + z² − 2xy − 2yz − 2zx.

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([kallen(10.0, 1.0, 1.0)], {})[0])
        60.0
    """
    a, b, c = lift(x), lift(y), lift(z)
    return a * a + b * b + c * c - 2.0 * a * b - 2.0 * b * c - 2.0 * c * a


def kibble(s: Sigmas, msq: Msq) -> Node:
    """φ(σ1, σ2, σ3) = λ(λ(m0², m1², σ1), λ(m0², m2², σ2), λ(m0², m3², σ3)): negative inside the Dalitz plot.

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([kibble([const(2.0)] * 3, (1.0, 1.0, 1.0, 16.0))], {})[0])
        -77763.0
    """
    return kallen(*(kallen(msq[3], msq[n], s[n]) for n in range(3)))


def limits(k: int, ms: Sequence[float]) -> tuple[float, float]:
    """The range of σk: ((mi + mj)², (m0 − mk)²), ``ms`` = (m1, m2, m3, m0).

    Example:
        >>> limits(3, (1.0, 1.0, 1.0, 4.0))
        (4.0, 9.0)
    """
    i, j, _ = ijk(k)
    return (ms[i - 1] + ms[j - 1]) ** 2, (ms[3] - ms[k - 1]) ** 2


def inside(s: Sigmas, ms: Sequence[float]) -> Node:
    """Whether (σ1, σ2, σ3) lies in the physical region (Kibble < 0 and every σ in its range), as a bool node.

    Example:
        >>> from firmc.interp import evaluate
        >>> bool(evaluate([inside([const(5.0)] * 3, (1.0, 1.0, 1.0, 4.0))], {})[0])
        True
    """
    msq = [m * m for m in ms]
    cond = apply("lt", kibble(s, msq), const(0.0))
    for k in (1, 2, 3):
        lo, hi = limits(k, ms)
        cond = apply("and", cond, apply("and", apply("ge", s[k - 1], const(lo)), apply("le", s[k - 1], const(hi))))
    return cond


def cos_theta(s: Sigmas, msq: Msq, k: int) -> Node:
    """cos θij of chain k: the angle between p_i and −p_k in the (i, j) rest frame.

    Example:
        >>> cos_theta.__name__
        'cos_theta'
    """
    i, j, _ = ijk(k)
    m0sq = msq[3]
    sk = s[k - 1]
    ee = (sk + msq[i - 1] - msq[j - 1]) * (m0sq - sk - msq[k - 1])
    pp = apply("sqrt", kallen(sk, msq[i - 1], msq[j - 1]) * kallen(m0sq, sk, msq[k - 1]))
    rest = s[j - 1] - msq[k - 1] - msq[i - 1]
    return (2.0 * sk * rest - ee) / pp


@dataclass(frozen=True)
class Rotation:
    """The Wigner rotation that takes particle ``particle``'s helicity frame of chain ``system`` to that of chain
    ``reference`` (ThreeBodyDecays.jl's ``wr``): its kind (``None`` trivial, else 0, 2 or 3: how many distinct
    indices its angle involves), the index ``k`` it is computed for, its direction and, for kind 2, parity.

    Example:
        >>> Rotation.between(2, 1, 1)
        Rotation(kind=2, k=1, positive=True, even=True)
    """

    kind: int | None
    k: int
    positive: bool = True
    even: bool = True

    @staticmethod
    def between(system: int, reference: int, particle: int) -> Rotation:
        """The rotation for ``particle`` (0 the decaying one) from chain ``system`` to chain ``reference``.

        Example:
            >>> Rotation.between(1, 1, 3).kind is None
            True
        """
        if system == reference:
            return Rotation(None, particle)
        sequential = (reference - system) in (1, -2)
        a = system if sequential else reference
        if particle == 0:
            return Rotation(0, a, sequential)
        if particle not in (system, reference):
            return Rotation(3, particle, sequential)
        return Rotation(2, particle, not sequential, particle == a)

    def cos_zeta(self, s: Sigmas, msq: Msq) -> Node:
        """cos ζ of this rotation (1 for a trivial one, and for a massless particle where the formula is 0/0).

        Example:
            >>> Rotation(None, 1).cos_zeta([], ()).attr("value")
            1.0
        """
        if self.kind is None:
            return const(1.0)
        i, j, k = ijk(self.k)
        m0sq = msq[3]
        sq = {n: s[n - 1] for n in (1, 2, 3)}
        mm = {n: msq[n - 1] for n in (1, 2, 3)}
        if self.kind == 0:
            ee = (m0sq + mm[i] - sq[i]) * (m0sq + mm[k] - sq[k])
            pp = apply("sqrt", kallen(m0sq, mm[i], sq[i]) * kallen(m0sq, mm[k], sq[k]))
            return (ee - 2.0 * m0sq * (sq[j] - mm[i] - mm[k])) / pp
        if math.isclose(mm[self.k], 0.0, abs_tol=1e-12):
            return const(1.0)
        if self.kind == 2:
            if not self.even:
                i, j = j, i
            ee = (m0sq + mm[k] - sq[k]) * (sq[i] - mm[k] - mm[j])
            pp = apply("sqrt", kallen(m0sq, mm[k], sq[k]) * kallen(mm[k], mm[j], sq[i]))
            return (2.0 * mm[k] * (sq[j] - m0sq - mm[j]) + ee) / pp
        ee = (sq[i] - mm[j] - mm[k]) * (sq[j] - mm[k] - mm[i])
        pp = apply("sqrt", kallen(sq[i], mm[j], mm[k]) * kallen(sq[j], mm[k], mm[i]))
        return (2.0 * mm[k] * (mm[i] + mm[j] - sq[k]) + ee) / pp


def sigmas_from_cascade(mk: float, cos_theta_ij: float, ms: Sequence[float], k: int) -> tuple[float, float, float]:
    """(σ1, σ2, σ3) from the cascade variables of chain k: the pair mass m(ij) and cos θij (ThreeBodyDecaysIO's
    ``angles_invariants``; the overall orientation angles do not enter the invariants).

    Example:
        >>> s = sigmas_from_cascade(2.0, 0.3, (1.0, 1.0, 1.0, 4.0), 3)
        >>> round(sum(s), 12)
        19.0
    """
    msq = [m * m for m in ms]
    i, j, _ = ijk(k)
    sk = mk * mk
    m0sq = msq[3]
    ee = (sk + msq[j - 1] - msq[i - 1]) * (sk + m0sq - msq[k - 1])
    pq = ((sk - msq[i - 1] - msq[j - 1]) ** 2 - 4 * msq[i - 1] * msq[j - 1]) * (
        (m0sq - sk - msq[k - 1]) ** 2 - 4 * sk * msq[k - 1])
    sj = m0sq + msq[j - 1] - (ee - math.sqrt(max(pq, 0.0)) * cos_theta_ij) / (2.0 * sk)
    si = sum(msq) - sk - sj
    out = [0.0, 0.0, 0.0]
    out[i - 1], out[j - 1], out[k - 1] = si, sj, sk
    return out[0], out[1], out[2]
