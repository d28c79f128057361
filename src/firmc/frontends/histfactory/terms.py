"""The IR pieces of a HistFactory log-likelihood, shared by the pyhf reader (:mod:`.model`) and the HS3
``histfactory_dist`` reader (:mod:`.hs3`): sample rates, the main Poisson terms and the constraint terms, each
as ``(node, constant)`` so that constants can be summed into one number.

Conventions (pyhf 0.7.6 and pyhs3 0.4.2 agree on them): the main term is the continued Poisson
``n log nu - nu - lgamma(n + 1)``; a Gaussian constraint is normalised over the real line; a Poisson constraint
is ``a log(rate) - rate - lgamma(a + 1)``.

Example:
    >>> from firmc.ir import param
    >>> from firmc.interp import evaluate
    >>> node, c = gauss_constraint(param("a"), 0.0, 1.0)
    >>> round(float(evaluate([node], {"a": 1.0})[0]) + c, 12)   # log N(0 | 1, 1)
    -1.418938533205
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...ir import Node, apply, const, lift

Term = tuple[Node, float]


def gauss_constant(sigma: float) -> float:
    """The normalisation of a Gaussian constraint: ``-log(sigma sqrt(2 pi))``.

    Example:
        >>> round(gauss_constant(1.0), 12)
        -0.918938533205
    """
    return -math.log(sigma * math.sqrt(2 * math.pi))


def gauss_constraint(theta: Node, aux: float | Node, sigma: float) -> Term:
    """``log N(aux | theta, sigma)`` as (node, constant).

    Example:
        >>> from firmc.ir import param
        >>> gauss_constraint(param("a"), 0.0, 2.0)[1] == gauss_constant(2.0)
        True
    """
    return (-0.5 / sigma**2) * (theta - aux) ** 2.0, gauss_constant(sigma)


def poisson_constraint(gamma: Node, factor: float, aux: float) -> Term:
    """``log Pois(aux | gamma factor)`` (continued, as pyhf and RooPoisson without rounding), (node, constant).

    Example:
        >>> from firmc.ir import param
        >>> from firmc.interp import evaluate
        >>> node, c = poisson_constraint(param("g"), 4.0, 4.0)
        >>> round(float(evaluate([node], {"g": 1.0})[0]) + c, 10) == round(4 * math.log(4) - 4 - math.lgamma(5), 10)
        True
    """
    rate = gamma * factor
    return (aux * apply("log", rate) - rate if aux != 0.0 else -rate), -math.lgamma(aux + 1.0)


def lognormal_constraint(x: float, mu: Node, sigma: float) -> Term:
    """``log LogNormal(x; mu, sigma)``: ``-log(x sigma sqrt(2 pi)) - (log x - mu)^2 / (2 sigma^2)`` (pyhs3's
    LogNormal constraint has x = 1, mu the parameter, sigma = 1).

    Example:
        >>> from firmc.ir import param
        >>> lognormal_constraint(1.0, param("m"), 1.0)[1] == gauss_constant(1.0)
        True
    """
    return (-0.5 / sigma**2) * (mu - math.log(x)) ** 2.0, gauss_constant(sigma) - math.log(x)


def main_term(nu: Node, n: float) -> Term:
    """The Poisson term of one bin with ``n`` observed: ``n log nu - nu - lgamma(n + 1)`` (no log where n = 0,
    as pyhf's ``xlogy``).

    Example:
        >>> main_term(const(2.0), 0.0)[1]
        -0.0
    """
    return (n * apply("log", nu) - nu if n != 0.0 else -nu), -math.lgamma(n + 1.0)


def sample_rate(nominal: float | Node, deltas: Sequence[Node], factors: Sequence[Node]) -> Node | None:
    """One bin of one sample: ``(nominal + sum deltas) * prod factors`` (``nominal`` a number, or a node: a
    table over the bins); None when it is identically zero.

    Example:
        >>> sample_rate(0.0, [], []) is None
        True
    """
    if not isinstance(nominal, Node) and nominal == 0.0 and not deltas:
        return None
    nom = lift(nominal)
    base = apply("add", *deltas, nom) if deltas else nom
    return apply("mul", *factors, base) if factors else base


def total(terms: Sequence[Node]) -> Node:
    """The sum of the sample rates of a bin (0 when there are none).

    Example:
        >>> total([]).attr("value")
        0.0
    """
    return apply("add", *terms) if len(terms) > 1 else terms[0] if terms else const(0.0)


def shapesys_tau(nominal: Sequence[float], uncertainty: Sequence[float]) -> tuple[list[float], list[bool]]:
    """Shapesys (Barlow-Beeston lite) per bin: ``tau = (nominal / uncertainty)^2`` from *absolute*
    uncertainties, and whether the bin's gamma is fixed (non-positive nominal or uncertainty: tau = 1, fixed, as
    pyhf's ``shapesys.required_parset``).

    Example:
        >>> shapesys_tau([4.0, 0.0], [2.0, 1.0])
        ([4.0, 1.0], [False, True])
    """
    valid = [u > 0 and v > 0 for v, u in zip(nominal, uncertainty, strict=True)]
    taus = [v**2 / u**2 if ok else 1.0 for ok, v, u in zip(valid, nominal, uncertainty, strict=True)]
    return taus, [not ok for ok in valid]
