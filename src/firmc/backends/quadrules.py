"""Fixed quadrature rules for the ``integral`` nodes of generated code.

Generated code cannot run the interpreter's adaptive quadrature (JAX needs fixed shapes to ``jit``, and a
fixed rule differentiates), so each integration domain gets a fixed Gauss-Kronrod rule chosen at compile
time: the final mesh of the adaptive G10/K21 quadrature (:func:`firmc.numerics.quadrature.integrate_1d`),
run on every integrand over that domain at the parameters' default values (and, for an integrand that
also depends on per-event observables, at 16 points spread over their domains). At the defaults the rule
reproduces the interpreter's value to rounding; near them it keeps the adaptive tolerance's margin. Where
the adaptive run fails (a non-finite integrand at the defaults) a uniform 64-cell rule is used instead.

Example:
    >>> from firmc.ir import obs, param, apply, const
    >>> x = obs("x", 0.0, 1.0)
    >>> node = apply("integral", x * param("a"), const(0.0), const(1.0), vars=("x",))
    >>> rule = rules_for([node], {"a": 2.0})[domain_key(node)]
    >>> round(float((2.0 * rule.points[0] * rule.weights).sum()), 12), rule.adapted
    (1.0, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedFeature
from ..interp import QUAD_RTOL, Scope, breakpoints
from ..ir import Node, leaves, walk
from ..numerics.quadrature import integrate_1d, integrate_2d

DomainKey = tuple[tuple[str, ...], tuple[float, ...]]
SAMPLES = 16  # outer-observable points a per-event integrand's rule is adapted over
UNIFORM_CELLS = 64


@dataclass(frozen=True)
class QuadRule:
    """Abscissae per integration variable and weights: the integral of f is ``sum(f(points) * weights)``.

    Example:
        >>> QuadRule(("x",), (np.array([0.5]),), np.array([1.0]), False).size
        1
    """

    vars: tuple[str, ...]
    points: tuple[np.ndarray, ...]
    weights: np.ndarray
    adapted: bool  # True: the adaptive mesh at the defaults; False: the uniform fallback

    @property
    def size(self) -> int:
        """Number of abscissae.

        Example:
            >>> QuadRule(("x",), (np.zeros(3),), np.zeros(3), True).size
            3
        """
        return int(self.weights.size)


def domain_key(node: Node) -> DomainKey:
    """The integration domain of an ``integral`` node: its variables and (constant) bounds.

    Example:
        >>> from firmc.ir import obs, apply, const
        >>> domain_key(apply("integral", obs("x"), const(0.0), const(1.0), vars=("x",)))
        (('x',), (0.0, 1.0))
    """
    bounds = []
    for b in node.args[1:]:
        if b.op != "const":
            raise UnsupportedFeature(f"integration bounds that depend on parameters ({b.op}) in generated code")
        bounds.append(float(b.attr("value")))
    return tuple(node.attr("vars")), tuple(bounds)


def _defaults(nodes: Sequence[Node], values: Mapping[str, float]) -> dict[str, float]:
    env = {}
    for name in leaves(list(nodes), "param"):
        v = values.get(name, math.nan)
        env[name] = 1.0 if math.isnan(v) else v
    return env


def _outer_samples(integrands: Sequence[Node], inner: Sequence[str]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261122)
    out = {}
    for name, leaf in sorted(leaves(list(integrands), "obs").items()):
        if name in inner:
            continue
        lo, hi = float(leaf.attr("lo")), float(leaf.attr("hi"))
        lo, hi = max(lo, -10.0) if math.isfinite(lo) else -10.0, min(hi, 10.0) if math.isfinite(hi) else 10.0
        out[name] = np.sort(rng.uniform(lo, hi, SAMPLES))
    return out


def _adapted(key: DomainKey, integrands: Sequence[Node], env: Mapping[str, float]) -> QuadRule | None:
    names, bounds = key
    outer = _outer_samples(integrands, names)
    scope = Scope({**env, **outer})
    shape = (SAMPLES,) if outer else ()

    def f(*xs: np.ndarray) -> np.ndarray:
        inner = scope.sub(dict(zip(names, xs, strict=True)))
        return np.stack([np.broadcast_to(inner.value(g), (*shape, xs[0].size)) for g in integrands])

    with np.errstate(all="ignore"):
        if len(names) == 1:
            kinks = sorted({t for g in integrands for t in breakpoints(scope, g, names[0], bounds[0], bounds[1])})
            res = integrate_1d(f, bounds[0], bounds[1], rtol=QUAD_RTOL, points=kinks)
        elif len(names) == 2:
            res = integrate_2d(f, bounds[::2], bounds[1::2], rtol=QUAD_RTOL)
        else:
            raise UnsupportedFeature(f"numerical integration over {len(names)} observables {list(names)}")
    if not (res.converged and np.all(np.isfinite(res.value))):
        return None
    return QuadRule(names, tuple(res.rule[:-1]), res.rule[-1], True)


def uniform_rule(key: DomainKey, cells: int = UNIFORM_CELLS) -> QuadRule:
    """A G10/K21 rule on ``cells`` equal cells per dimension (infinite bounds mapped as the interpreter does).

    Example:
        >>> r = uniform_rule((("x",), (0.0, 2.0)), cells=1)
        >>> round(float(r.weights.sum()), 14), r.size
        (2.0, 21)
    """
    names, bounds = key
    if len(names) == 1:
        res = integrate_1d(np.ones_like, bounds[0], bounds[1], max_intervals=1)
        x, w = res.rule
        lo, hi = bounds
        if math.isfinite(lo) and math.isfinite(hi):
            edges = np.linspace(lo, hi, cells + 1)
            t = (x - lo) / (hi - lo)
            x = (edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * t[None, :]).reshape(-1)
            w = np.tile(w / cells, cells)
        return QuadRule(names, (x,), w, False)
    xe = np.linspace(bounds[0], bounds[1], cells + 1)
    ye = np.linspace(bounds[2], bounds[3], cells + 1)
    one = integrate_2d(lambda a, b: np.ones_like(a), (0.0, 0.0), (1.0, 1.0), max_cells=1)
    u, v, w1 = one.rule
    xs = (xe[:-1, None, None] + np.diff(xe)[:, None, None] * u[None, None, :]) + 0.0 * ye[None, :-1, None]
    ys = (ye[None, :-1, None] + np.diff(ye)[None, :, None] * v[None, None, :]) + 0.0 * xe[:-1, None, None]
    area = np.diff(xe)[:, None, None] * np.diff(ye)[None, :, None]
    ws = area * w1[None, None, :]
    return QuadRule(names, (xs.reshape(-1), ys.reshape(-1)), ws.reshape(-1), False)


def rules_for(roots: Sequence[Node], defaults: Mapping[str, float]) -> dict[DomainKey, QuadRule]:
    """One rule per integration domain of the ``integral`` nodes under ``roots`` (sorted, deterministic).

    Example:
        >>> from firmc.ir import param
        >>> rules_for([param("a")], {})
        {}
    """
    groups: dict[DomainKey, list[Node]] = {}
    for n in walk(list(roots)):
        if n.op == "integral":
            groups.setdefault(domain_key(n), []).append(n.args[0])
    out = {}
    for key in sorted(groups):
        integrands = groups[key]
        rule = _adapted(key, integrands, _defaults(integrands, defaults))
        out[key] = rule if rule is not None else uniform_rule(key)
    return out
