"""The reference interpreter: the executable specification of every op.

Vectorised NumPy in float64/complex128 over events; an explicit stack (no recursion), so a 100 000-term sum or
a 10 000-deep chain evaluates. Elementwise ops run their op-table ``numpy`` entry; the structural ops get
their meaning here:

* ``integral[vars](f, lo, hi, ...)``: adaptive quadrature of ``f`` over the box (1-D or 2-D), to 1e-10;
* ``normalize(f, ...)``: ``f`` divided by its integral over the observables it depends on, each over the
  domain written on its ``obs`` leaf; ``f`` itself when it depends on none;
* ``datasum[dataset, binds](f)``: the weighted sum of ``f`` over the events of a data set.

Values follow IEEE semantics: NaN and Inf propagate, no warnings are raised.

Example:
    >>> from firmc.ir import obs, param, apply
    >>> x = obs("x", -1.0, 1.0)
    >>> pdf = apply("normalize", x * x)
    >>> [round(float(v), 12) for v in evaluate([pdf], {"x": np.array([0.0, 1.0])})[0]]
    [0.0, 1.5]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import EvaluationError, UnsupportedFeature
from .ir.module import Dataset
from .ir.node import Node, domains, walk
from .ir.types import DType
from .library.integrals import RULES, SUMS
from .numerics.quadrature import integrate_1d, integrate_2d

Array = np.ndarray
_NUMPY_KIND = {DType.BOOL: "b", DType.INT: "iu", DType.REAL: "f", DType.COMPLEX: "c"}
_CAST = {DType.BOOL: bool, DType.INT: np.int64, DType.REAL: np.float64, DType.COMPLEX: np.complex128}

QUAD_RTOL = 1e-11
_FLOATING = (DType.REAL, DType.COMPLEX)


class Scope:
    """Values of nodes under one binding of observables; sub-scopes bind integration or data variables.

    A node that depends on none of a sub-scope's bound names is evaluated once, in the outer scope, and
    broadcast (one trailing axis per nesting level) into the inner one.

    Example:
        >>> from firmc.ir import param
        >>> float(Scope({"a": 2.0}).value(param("a") * 3.0))
        6.0
    """

    def __init__(self, env: Mapping[str, Any], datasets: Mapping[str, Dataset] | None = None,
                 parent: Scope | None = None, bound: frozenset[str] = frozenset(),
                 profile: Counter[str] | None = None) -> None:
        self.env = env
        self.profile: Counter[str] | None = profile if profile is not None else (parent.profile if parent else None)
        self.datasets: Mapping[str, Dataset] = datasets if datasets is not None else (
            parent.datasets if parent else {})
        self.parent = parent
        self.bound = bound
        self.cache: dict[Node, Array] = {}  # keyed by the node itself: it stays alive, its id is not reused
        self.norms: dict[Node, Array] = {}

    @property
    def root(self) -> Scope:
        """The outermost scope (where parameters live).

        Example:
            >>> Scope({}).sub({"x": 1.0}).root.parent is None
            True
        """
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def value(self, root: Node) -> Array:
        """Evaluate ``root`` (explicit-stack post-order walk over the nodes not yet known).

        Example:
            >>> from firmc.ir import const
            >>> float(Scope({}).value(const(2.0) + 1.0))
            3.0
        """
        cache = self.cache
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            key = node
            if key in cache:
                continue
            if self.parent is not None and not (node.free & self.bound):
                cache[key] = self._from_parent(node)
                continue
            if ready or not node.args or node.op in _LAZY:
                cache[key] = self._compute(node)
                continue
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in cache)
        return cache[root]

    def _from_parent(self, node: Node) -> Array:
        assert self.parent is not None
        v = self.parent.value(node)
        return v[..., None] if np.ndim(v) else v

    def _compute(self, node: Node) -> Array:
        op = node.op
        if op == "const":
            return np.asarray(node.attr("value"))
        if op in ("param", "obs"):
            return self._lookup(node.attr("name"), op)
        special = _LAZY.get(op)
        if special is not None:
            return np.asarray(special(self, node))
        fn = node.opdef.numpy
        assert fn is not None, op
        args = [self.cache[a] for a in node.args]
        if node.type.dtype in _FLOATING:  # NumPy computes exp(True) in float16: promote integers first
            args = [v.astype(np.float64) if v.dtype.kind in "biu" else v for v in args]
        out = np.asarray(fn(*args))
        if self.profile is not None:
            self.profile[op if out.ndim == 0 else op + "/event"] += 1
        want = _NUMPY_KIND[node.type.dtype]
        return out if out.dtype.kind in want else out.astype(_CAST[node.type.dtype])

    def _lookup(self, name: str, kind: str) -> Array:
        if name not in self.env:
            what = "observable" if kind == "obs" else "parameter"
            raise EvaluationError(f"no value given for {what} '{name}'")
        return np.asarray(self.env[name], dtype=float)

    def sub(self, bindings: Mapping[str, Any]) -> Scope:
        """A scope binding ``bindings`` on top of this one.

        Example:
            >>> from firmc.ir import obs
            >>> float(Scope({}).sub({"x": 3.0}).value(obs("x")))
            3.0
        """
        return Scope(dict(bindings), parent=self, bound=frozenset(bindings))


# ---------------------------------------------------------------------------------------- structural ops
def _scalar(scope: Scope, node: Node, what: str) -> float:
    v = scope.value(node)
    if np.ndim(v) != 0:
        raise EvaluationError(f"{what} must be a single number, got an array of shape {np.shape(v)}")
    return float(v)


def integrate(scope: Scope, f: Node, names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> Array:
    """Integral of ``f`` over the box ``bounds`` of the observables ``names`` (1-D or 2-D), in ``scope``.

    Example:
        >>> from firmc.ir import obs
        >>> float(integrate(Scope({}), obs("x") * 2.0, ["x"], [(0.0, 1.0)]))
        1.0
    """
    if len(names) == 1:
        (lo, hi), = bounds
        res = integrate_1d(lambda t: scope.sub({names[0]: t}).value(f), lo, hi, rtol=QUAD_RTOL,
                           points=breakpoints(scope, f, names[0], lo, hi))
    elif len(names) == 2:
        res = integrate_2d(lambda t, u: scope.sub({names[0]: t, names[1]: u}).value(f),
                           (bounds[0][0], bounds[1][0]), (bounds[0][1], bounds[1][1]), rtol=QUAD_RTOL)
    else:
        raise UnsupportedFeature(f"numerical integration over {len(names)} observables {list(names)} "
                                 "(1-D and 2-D are supported)")
    return np.asarray(res.value, dtype=float)


_COMPARE = ("lt", "le", "gt", "ge")


def _threshold(side: Node, other: Array, name: str, scope: Scope) -> Array | None:
    """The x where ``side`` equals ``other``, for ``side`` built from x by subtracting, dividing by and negating
    values per evaluation, and by selecting on a per-evaluation condition (the Crystal Ball's sign of alpha)."""
    a = side.args
    if side.op == "obs":
        return other if side.attr("name") == name else None
    if side.op == "neg":
        return _threshold(a[0], -other, name, scope)
    if side.op == "div" and not a[1].free:
        return _threshold(a[0], other * scope.value(a[1]), name, scope)
    if side.op == "sub" and not a[1].free:
        return _threshold(a[0], other + scope.value(a[1]), name, scope)
    if side.op == "select" and not a[0].free:
        c = scope.value(a[0])
        return _threshold(a[1] if bool(c) else a[2], other, name, scope) if np.ndim(c) == 0 else None
    return None


def breakpoints(scope: Scope, f: Node, name: str, lo: float, hi: float) -> list[float]:
    """Where a condition of ``f`` on observable ``name`` switches (``x < mu``, ``(x - m) / s < -alpha``): the
    pieces of a piecewise density meet there, with a kink the adaptive rule may not see if it falls between a
    cell's outermost node and its edge; those points start the subdivision.

    Example:
        >>> from firmc.ir import apply, obs, param
        >>> x = obs("x", -2.0, 3.0)
        >>> f = apply("select", apply("lt", x, param("m")), x * 2.0, x)
        >>> breakpoints(Scope({"m": -1.99}), f, "x", -2.0, 3.0)
        [-1.99]
    """
    out: set[float] = set()
    for n in walk([f]):
        if n.op not in _COMPARE or not n.free:
            continue
        for side, other in ((n.args[0], n.args[1]), (n.args[1], n.args[0])):
            if other.free or name not in side.free:
                continue
            t = _threshold(side, np.asarray(scope.value(other), dtype=float), name, scope)
            if t is not None and np.ndim(t) == 0 and lo < float(t) < hi:
                out.add(float(t))
    return sorted(out)


def _integral(scope: Scope, node: Node) -> Array:
    names = node.attr("vars")
    b = [_scalar(scope, a, "integration bound") for a in node.args[1:]]
    return integrate(scope, node.args[0], names, list(zip(b[::2], b[1::2], strict=True)))


def _normalize(scope: Scope, node: Node) -> Array:
    f = node.args[0]
    value = scope.value(f)
    if not f.free:
        return value
    root = scope.root
    z = root.norms.get(node)
    if z is None:
        names = sorted(f.free)
        dom = domains(f)
        rule = dict(node.attrs).get("rule", "")
        if rule in SUMS and len(node.args) > 1 and node.args[1].op == "obs" and f.free == node.args[1].free:
            lo, hi = dom[names[0]]  # a discrete density: its normalisation is a sum, not an integral
            z = root.norms[node] = root.value(RULES[rule](lo, hi, *node.args[1:]))
        else:
            z = root.norms[node] = integrate(root, f, names, [dom[n] for n in names])
    return np.asarray(value / z)


def _datasum(scope: Scope, node: Node) -> Array:
    name = node.attr("dataset")
    data = scope.datasets.get(name)
    if data is None:
        raise EvaluationError(f"data set '{name}' is not available")
    binds = node.attr("binds")
    missing = [b for b in binds if b not in data.columns]
    if missing:
        raise EvaluationError(f"data set '{name}' has no column {missing[0]!r}")
    inner = scope.sub({b: data.columns[b] for b in binds})
    v = inner.value(node.args[0])
    v = np.broadcast_to(v, (*np.shape(v)[:-1], data.size)) if np.ndim(v) else np.full(data.size, v)
    w = data.weights
    return np.asarray(np.sum(v * w, axis=-1) if w is not None else np.sum(v, axis=-1))


_LAZY: dict[str, Any] = {"integral": _integral, "normalize": _normalize, "datasum": _datasum}


def evaluate(roots: Sequence[Node], env: Mapping[str, Any],
             datasets: Mapping[str, Dataset] | None = None, profile: Counter[str] | None = None) -> list[Array]:
    """Evaluate ``roots`` with parameter and observable values from ``env``.

    Parameters must be single numbers; observables may be arrays over events (they broadcast). With
    ``profile``, every elementwise operation executed is counted there, as ``op`` when it ran once on
    numbers and ``op/event`` when it ran over an array of events (or quadrature points).

    Example:
        >>> from firmc.ir import param
        >>> [float(v) for v in evaluate([param("a") + 1.0, param("a") * 2.0], {"a": 3.0})]
        [4.0, 6.0]
    """
    scope = Scope(env, datasets, profile=profile)
    with np.errstate(all="ignore"):
        return [scope.value(r) for r in roots]
