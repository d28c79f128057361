"""Structure recovery: which HS3 type writes a density node, and with which arguments.

Library densities are recognised by rebuilding them: the arguments are read off the node's structure and
the library builder is called again; since nodes are interned, the rebuilt node *is* the node exactly when the
structure matches (:func:`mixture`, :func:`product`, :func:`shape_of`). Closed-form rules map to types
through :data:`TYPED`, one row per rule and dialect.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.library import composite, shapes
    >>> x = obs("x", 0.0, 1.0)
    >>> g, u = shapes.gaussian(x, param("m"), param("s")), shapes.uniform([x])
    >>> pdfs, coefs, yields = mixture(composite.mixture([g, u], [param("f")]))
    >>> pdfs == [g, u], yields
    (True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import FirmError
from ...ir import Node
from ...library import composite, shapes
from .expression import Dialect


@dataclass(frozen=True)
class Typed:
    """An HS3 type for a closed-form rule: the field of each rule argument after the observable.

    ``fields`` name the rule's arguments in order; ``*name`` takes the rest as a list, ``[name`` one
    argument written as a list.

    Example:
        >>> TYPED["poisson_integer"]["root"].extra
        {'integer': True}
    """

    type: str
    fields: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


def _both(t: str, *fields: str, **extra: Any) -> dict[Dialect, Typed]:
    return {"spec": Typed(t, fields, extra), "root": Typed(t, fields, extra)}


#: normalize rule -> dialect -> type (ROOT's own types are also written in the spec dialect where the spec has
#: none: firmc reads them in either; single-sided ``crystalball_dist`` means something else in the spec)
TYPED: dict[str, dict[Dialect, Typed]] = {
    "gaussian": _both("gaussian_dist", "x", "mean", "sigma"),
    "bifurcated_gaussian": _both("bifurkated_gaussian_dist", "x", "mean", "sigmaL", "sigmaR"),
    "exponential": _both("exponential_dist", "x", "c"),
    "uniform": _both("uniform_dist", "[x"),
    "lognormal": _both("lognormal_dist", "x", "mu", "sigma"),
    "polynomial": _both("polynomial_dist", "x", "*coefficients"),
    "chebychev": _both("chebychev_dist", "x", "*coefficients"),
    "bernstein": _both("bernstein_poly_dist", "x", "*coefficients"),
    "poisson_integer": _both("poisson_dist", "x", "mean", integer=True),
    "landau": _both("landau_dist", "x", "mean", "sigma"),
    "crystal_ball": {
        "spec": Typed("crystalball_dist", ("m", "m0", "sigma_L", "sigma_R", "alpha_L", "n_L", "alpha_R", "n_R")),
        "root": Typed("crystalball_doublesided_dist",
                      ("m", "m0", "sigma_L", "sigma_R", "alpha_L", "n_L", "alpha_R", "n_R")),
    },
    "cb_shape": {"root": Typed("crystalball_dist", ("m", "m0", "sigma", "alpha", "n"))},
}


def typed_fields(node: Node, dialect: Dialect) -> tuple[Typed, dict[str, Node | list[Node]]] | None:
    """The type and field nodes of a ``normalize[rule]`` node with a closed-form rule written as a type.

    Example:
        >>> from firmc.ir import obs, param
        >>> t, f = typed_fields(shapes.exponential(obs("x", 0.0, 1.0), param("c")), "spec")
        >>> t.type, sorted(f)
        ('exponential_dist', ['c', 'x'])
    """
    typed = TYPED.get(node.attr("rule"), {}).get(dialect)
    args = node.args[1:]
    if typed is None or not args or args[0].op != "obs":
        return None
    out: dict[str, Node | list[Node]] = {}
    for k, name in enumerate(typed.fields):
        if name.startswith("*"):
            out[name[1:]] = list(args[k:])
        elif name.startswith("["):
            out[name[1:]] = [args[k]]
        else:
            out[name] = args[k]
    return typed, out


def _try(build: Callable[[], list[Node] | None]) -> list[Node] | None:
    try:
        return build()
    except (IndexError, KeyError, ValueError, AttributeError, FirmError):
        return None


def _argus(n: Node) -> list[Node] | None:
    sel = n.args[0]
    m, m0 = sel.args[0].args
    shape = sel.args[2]
    p, c = shape.args[0].args[1].args[1], shape.args[1].args[0].args[0]
    return [m, m0, c, p] if shapes.argus(m, m0, c, p) is n else None


def _gamma(n: Node) -> list[Node] | None:
    sel = n.args[0]
    x, mu = sel.args[0].args
    lv = sel.args[2].args[0]
    beta, g = lv.args[1].args[0], lv.args[0].args[1].args[0]
    return [x, g, beta, mu] if shapes.gamma(x, g, beta, mu) is n else None


def _continued_poisson(n: Node) -> list[Node] | None:
    e = n.args[0].args[0]
    x, mean = e.args[0].args[0].args[0], e.args[0].args[1]
    return [x, mean] if shapes.poisson(x, mean, False) is n else None


def _generalized_normal(n: Node) -> list[Node] | None:
    p = n.args[0].args[0].args[0]
    d = p.args[0]
    x, mean = d.args[0].args[0].args
    alpha, beta = d.args[1], p.args[1]
    return [x, mean, alpha, beta] if shapes.generalized_normal(x, mean, alpha, beta) is n else None


_SHAPES: list[tuple[Callable[[Node], list[Node] | None], dict[Dialect, tuple[str, tuple[str, ...]]]]] = [
    (_argus, {"spec": ("argus_dist", ("mass", "resonance", "slope", "power")),
              "root": ("ARGUS_dist", ("mass", "resonance", "slope", "power"))}),
    (_gamma, {"spec": ("gamma_dist", ("x", "gamma", "beta", "mu")),
              "root": ("gamma_dist", ("x", "gamma", "beta", "mu"))}),
    (_continued_poisson, {"spec": ("poisson_dist", ("x", "mean"))}),
    (_generalized_normal, {"spec": ("generalized_normal_dist", ("x", "mean", "alpha", "beta"))}),
]


def shape_of(node: Node, dialect: Dialect) -> tuple[str, dict[str, Node]] | None:
    """Type and fields of a quadrature-normalised library shape that has an HS3 type (ARGUS, gamma, continued
    Poisson, generalised normal), or None.

    Example:
        >>> from firmc.ir import obs, param
        >>> got = shape_of(shapes.argus(obs("m", 0.0, 5.0), param("m0"), param("c"), param("p")), "root")
        >>> got[0], sorted(got[1])
        ('ARGUS_dist', ['mass', 'power', 'resonance', 'slope'])
    """
    for match, types in _SHAPES:
        t = types.get(dialect)
        args = _try(lambda match=match: match(node)) if t is not None else None  # type: ignore[misc]
        if t is not None and args is not None and args[0].op == "obs":
            return t[0], dict(zip(t[1], args, strict=True))
    return None


def mixture(node: Node) -> tuple[list[Node], list[Node], bool] | None:
    """(summands, coefficients, yields) of a node built by :func:`firmc.library.composite.mixture`: fractions
    (n - 1 coefficients) or yields (n coefficients, the sum divided by their total).

    Example:
        >>> from firmc.ir import param
        >>> mixture(param("a")) is None
        True
    """
    yields = node.op == "div"
    total = node.args[0] if yields else node
    if total.op != "add" or not all(a.op == "mul" and len(a.args) == 2 for a in total.args):
        return None
    pdfs = [a.args[1] for a in total.args]
    coefs = [a.args[0] for a in total.args] if yields else [a.args[0] for a in total.args[:-1]]
    if not coefs:
        return None
    try:
        ok = composite.mixture(pdfs, coefs) is node
    except (ValueError, FirmError):
        return None
    return (pdfs, coefs, yields) if ok else None


def product(node: Node) -> list[Node] | None:
    """Factors of a node built by :func:`firmc.library.composite.product` (a plain product of densities of
    disjoint observables, or a jointly normalised one), or None.

    Example:
        >>> from firmc.ir import obs
        >>> x, y = shapes.uniform([obs("x", 0.0, 1.0)]), shapes.uniform([obs("y", 0.0, 1.0)])
        >>> product(composite.product([x, y])) == [x, y]
        True
    """
    inner = node.args[0] if node.op == "normalize" and node.attr("rule") == "" and len(node.args) == 1 else node
    if inner.op != "mul" or len(inner.args) < 2:
        return None
    factors = list(inner.args)
    return factors if composite.product(factors) is node else None


def multivariate_normal(node: Node) -> tuple[list[Node], list[Node], list[list[float]]] | None:
    """(x, means, covariance) of the density ROOT's ``multivariate_normal_dist`` builds (normalised over all
    space: c exp(-q/2), q = sum_ij P_ij (x_i - mu_i)(x_j - mu_j)), or None.

    Example:
        >>> from firmc.ir import param
        >>> multivariate_normal(param("a")) is None
        True
    """
    def read() -> tuple[list[Node], list[Node], list[list[float]]] | None:
        if node.op != "mul" or len(node.args) != 2 or node.args[0].op != "const" or node.args[1].op != "exp":
            return None
        half = node.args[1].args[0]
        if half.op != "mul" or half.args[0].op != "const" or half.args[0].attr("value") != -0.5:
            return None
        q = half.args[1]
        terms = list(q.args) if q.op == "add" else [q]
        k = round(len(terms) ** 0.5)
        if k * k != len(terms):
            return None
        ds = [terms[i * k + i].args[1] for i in range(k)]
        prec = np.zeros((k, k))
        for i in range(k):
            for j in range(k):
                t = terms[i * k + j]
                if t.op != "mul" or t.args[1] is not ds[j] or t.args[0].args[1] is not ds[i] \
                        or t.args[0].args[0].op != "const":
                    return None
                prec[i, j] = t.args[0].args[0].attr("value")
        if not all(d.op == "sub" and d.args[0].op == "obs" for d in ds):
            return None
        cov = np.linalg.inv(prec)
        return [d.args[0] for d in ds], [d.args[1] for d in ds], [[float(v) for v in row] for row in cov]

    try:
        return read()
    except (IndexError, KeyError, ValueError, AttributeError, np.linalg.LinAlgError):
        return None
