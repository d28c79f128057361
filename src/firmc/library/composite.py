"""Composite densities (mixtures, products) and time-decay convolutions, as IR builders.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.library import shapes
    >>> x = obs("x", -5.0, 5.0)
    >>> m = mixture([shapes.gaussian(x, param("m"), param("s")), shapes.uniform([x])], [param("f")])
    >>> m.op
    'add'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..ir import Node, apply, const
from .shapes import normalized

SQRT2 = math.sqrt(2.0)


def mixture(pdfs: Sequence[Node], coefs: Sequence[Node]) -> Node:
    """RooAddPdf semantics: n-1 fractions (the last is 1 - sum), or n coefficients normalised by their sum.

    Example:
        >>> from firmc.ir import param
        >>> mixture([param("a"), param("b")], [param("f")]).op
        'add'
    """
    if len(coefs) == len(pdfs) - 1:
        last = 1.0 - apply("add", *coefs) if len(coefs) > 1 else 1.0 - coefs[0]
        return apply("add", *[c * p for c, p in zip([*coefs, last], pdfs, strict=True)])
    if len(coefs) == len(pdfs):
        total = apply("add", *coefs) if len(coefs) > 1 else coefs[0]
        return apply("add", *[c * p for c, p in zip(coefs, pdfs, strict=True)]) / total
    raise ValueError(f"a mixture of {len(pdfs)} densities needs {len(pdfs) - 1} or {len(pdfs)} coefficients, "
                     f"got {len(coefs)}")


def mixture_yield(coefs: Sequence[Node]) -> Node:
    """Expected number of events of an extended mixture: the sum of its yields.

    Example:
        >>> from firmc.ir import param
        >>> mixture_yield([param("a"), param("b")]).op
        'add'
    """
    return apply("add", *coefs) if len(coefs) > 1 else coefs[0]


def product(pdfs: Sequence[Node]) -> Node:
    """Product of densities. Factors over disjoint observables are already normalised; factors that share
    observables are normalised jointly (RooProdPdf).

    Example:
        >>> from firmc.ir import obs, param
        >>> product([obs("x"), obs("y")]).op
        'mul'
    """
    if not pdfs:
        return const(1.0)
    prod = apply("mul", *pdfs) if len(pdfs) > 1 else pdfs[0]
    seen: set[str] = set()
    for p in pdfs:
        if seen & p.free:
            return normalized(prod)
        seen |= p.free
    return prod


def decay_truth(t: Node, tau: Node, kind: int) -> Node:
    """exp(-t/tau) for t >= 0 (kind 0), exp(-|t|/tau) (1, double-sided) or exp(t/tau) for t <= 0 (2).

    Example:
        >>> from firmc.ir import obs, param
        >>> decay_truth(obs("t"), param("tau"), 0).op
        'select'
    """
    zero = const(0.0)
    if kind == 0:
        return apply("select", apply("ge", t, zero), apply("exp", -t / tau), zero)
    if kind == 2:
        return apply("select", apply("le", t, zero), apply("exp", t / tau), zero)
    return apply("exp", -apply("abs", t) / tau)


def _gauss_conv(t: Node, tau: Node, mean: Node, sigma: Node, sign: float) -> Node:
    """exp(-sign t/tau) theta(sign t) convolved with a normal density (mean, sigma)."""
    u = t - mean
    arg = (sigma / tau - sign * u / sigma) / SQRT2
    return 0.5 * apply("exp", sigma * sigma / (2.0 * tau * tau) - sign * u / tau) * apply("erfc", arg)


def decay_gauss(t: Node, tau: Node, kind: int, mean: Node, sigma: Node) -> Node:
    """Decay of :func:`decay_truth` convolved with a Gaussian resolution (RooDecay with RooGaussModel).

    Example:
        >>> from firmc.ir import obs, param
        >>> decay_gauss(obs("t"), param("tau"), 0, param("b"), param("s")).op
        'mul'
    """
    if kind == 0:
        return _gauss_conv(t, tau, mean, sigma, 1.0)
    if kind == 2:
        return _gauss_conv(t, tau, mean, sigma, -1.0)
    return _gauss_conv(t, tau, mean, sigma, 1.0) + _gauss_conv(t, tau, mean, sigma, -1.0)
