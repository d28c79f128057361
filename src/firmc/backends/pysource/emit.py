"""Straight-line Python for IR roots: one assignment per node, in post-order, shared nodes computed once.

The structural ops open *scopes*, as in the interpreter (:class:`firmc.interp.Scope`): a ``datasum`` binds its
observables to data columns, an ``integral`` binds its variables to the abscissae of a fixed quadrature rule
(:mod:`firmc.backends.quadrules`). A node is computed in the innermost scope binding one of its free
observables; its value there carries one trailing axis per scope level, and a value from an outer scope
gets ``[..., None]`` where it is an array. Scopes over the same data set or the same integration domain are
shared, so the NLL and its gradient sum over the events once per distinct per-event expression.

Example:
    >>> from firmc.ir import apply, obs, param
    >>> from firmc.backends.pysource.dialects import NUMPY
    >>> body = FunctionBody(NUMPY, params={"mu": "p_mu"}, columns={"x": "x_x"})
    >>> body.ref(apply("exp", obs("x") - param("mu")))
    'v1'
    >>> print("\\n".join(body.lines))
    v0 = (x_x - p_mu)
    v1 = np.exp(v0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ...errors import UnsupportedFeature
from ...ir import Node
from ...ir.types import DType
from ..quadrules import DomainKey, domain_key
from ..scoping import Constants, bound_columns, home
from .tables import ConstTables, choose_expr

Template = str | Callable[[Node, list[str]], str]


@dataclass(frozen=True)
class Dialect:
    """What differs between the Python targets: the array namespace and how each op is spelled.

    ``ops`` maps an op to a template (``"np.exp({0})"``; ``{ns}`` is the namespace alias) or to a function of
    the node and its argument expressions; ``runtime`` names the functions of
    :mod:`firmc.backends.pysource.runtime` an op calls (their source is inlined into the module).

    Example:
        >>> from firmc.backends.pysource.dialects import NUMPY
        >>> NUMPY.ns, NUMPY.ops["exp"]
        ('np', '{ns}.exp({0})')
    """

    name: str
    title: str  # as people write it: NumPy, JAX, PyTorch
    ns: str
    ops: Mapping[str, Template]
    runtime: Mapping[str, str] = field(default_factory=dict)  # op -> runtime function it uses
    to_real: str = "{0}"  # a bool array used as a number
    imports: str = "from __future__ import annotations\n\nimport math\n\nimport numpy as np\n"
    optional_imports: Mapping[str, str] = field(default_factory=dict)  # used prefix -> import line
    decorator: str = ""  # put on every computing function
    free_early: bool = False  # eager frameworks: ``del`` each array after its last use
    array: str = "np.array({0})"  # a float64 array from a list literal
    typed_array: str = "np.array({0}, dtype=np.{1})"  # an array from a list literal and a NumPy dtype name

    def spell(self, node: Node, args: list[str]) -> str:
        """The expression computing ``node`` from its argument expressions.

        Example:
            >>> from firmc.backends.pysource.dialects import NUMPY
            >>> from firmc.ir import apply, param
            >>> NUMPY.spell(apply("exp", param("a")), ["a"])
            'np.exp(a)'
        """
        template = self.ops.get(node.op)
        if template is None:
            raise UnsupportedFeature(f"target '{self.name}' has no spelling for op '{node.op}'")
        if callable(template):
            return template(node, args).replace("{ns}", self.ns)
        return template.format(*args, ns=self.ns)


def literal(value: object) -> str:
    """A Python literal for a constant (exact: ``repr`` round-trips floats; NaN and infinities via math).

    Example:
        >>> literal(0.1), literal(-math.inf), literal(complex(1.0, math.nan)), literal(True)
        ('0.1', '(-math.inf)', 'complex(1.0, math.nan)', 'True')
    """
    if isinstance(value, bool | np.bool_):
        return repr(bool(value))
    if isinstance(value, int | np.integer):
        return repr(int(value))
    if isinstance(value, complex | np.complexfloating):
        c = complex(value)
        return f"complex({literal(c.real)}, {literal(c.imag)})"
    v = float(value)  # type: ignore[arg-type]
    if math.isnan(v):
        return "math.nan"
    if math.isinf(v):
        return "math.inf" if v > 0 else "(-math.inf)"
    return repr(v)


@dataclass(eq=False)
class Scope:
    """Where values live: the function body (depth 0) or a data set / quadrature rule nested in it."""

    depth: int
    columns: Mapping[str, str]  # observable -> expression of its values in this scope
    parent: Scope | None = None
    weights: str = "None"  # datasum: expression of the event weights
    count: str = ""  # datasum: expression of the number of events

    @property
    def bound(self) -> frozenset[str]:
        """Observables bound here."""
        return frozenset(self.columns)


class FunctionBody:
    """Assignments computing IR values inside one generated function.

    ``params`` maps parameter names to the identifiers holding them, ``columns`` the observables given to the
    function to theirs; ``datasets`` maps a data set name to ``(columns, weights, count)`` expressions and
    ``rules`` a quadrature domain to the names of its abscissae and weights constants.

    Example:
        >>> from firmc.backends.pysource.dialects import NUMPY
        >>> from firmc.ir import param
        >>> FunctionBody(NUMPY, params={"a": "p_a"}).ref(param("a") * 2.0)
        'v0'
    """

    def __init__(self, dialect: Dialect, params: Mapping[str, str], columns: Mapping[str, str] | None = None,
                 datasets: Mapping[str, tuple[Mapping[str, str], str, str]] | None = None,
                 rules: Mapping[DomainKey, tuple[tuple[str, ...], str]] | None = None,
                 tables: ConstTables | None = None) -> None:
        self.dialect = dialect
        self.tables = tables or ConstTables()  # the module's constant tables (``choose``)
        self.params = params
        self.datasets = datasets or {}
        self.rules = rules or {}
        self.root = Scope(0, dict(columns or {}))
        self.lines: list[str] = []
        self.used_ops: set[str] = set()
        self.arrays: set[str] = set()  # names holding per-event (or per-abscissa) arrays
        self._names: dict[tuple[int, Node], str] = {}
        self._children: dict[tuple[int, object], Scope] = {}
        self.constants = Constants()

    # -- scopes -----------------------------------------------------------------------------------------
    def home(self, node: Node, scope: Scope) -> Scope:
        """The innermost scope, from ``scope`` outwards, binding one of the node's free observables."""
        return home(node, scope, self.root)

    def child(self, node: Node, scope: Scope) -> Scope:
        """The scope a ``datasum`` or ``integral`` node opens inside ``scope`` (shared by equal domains)."""
        if node.op == "datasum":
            key: object = ("datasum", node.attr("dataset"), tuple(node.attr("binds")))
            cols, weights, count = bound_columns(self.datasets, node)
            new = Scope(scope.depth + 1, cols, scope, weights, count)
        else:
            dom = domain_key(node)
            key = ("integral", dom)
            names, qweights = self.rules[dom]
            new = Scope(scope.depth + 1, dict(zip(node.attr("vars"), names, strict=True)), scope, qweights)
        return self._children.setdefault((id(scope), key), new)

    # -- values -----------------------------------------------------------------------------------------
    def ref(self, node: Node, scope: Scope | None = None) -> str:
        """An expression for ``node``'s value in ``scope`` (default: the function body), emitting what it needs.

        Example:
            >>> from firmc.backends.pysource.dialects import NUMPY
            >>> from firmc.ir import const
            >>> FunctionBody(NUMPY, {}).ref(const(1.5))
            '1.5'
        """
        scope = scope or self.root
        stack: list[tuple[Node, Scope, bool]] = [(node, scope, False)]
        while stack:
            n, s, ready = stack.pop()
            h = self.home(n, s)
            if (id(h), n) in self._names:
                continue
            deps = self._deps(n, h)
            if not ready:
                todo = [(a, sa, False) for a, sa in deps if (id(self.home(a, sa)), a) not in self._names]
                if todo:
                    stack.append((n, s, True))
                    stack.extend(todo)
                    continue
            self._names[(id(h), n)] = self._emit(n, h, [self._at(a, sa) for a, sa in deps])
        return self._at(node, scope)

    def _deps(self, n: Node, h: Scope) -> list[tuple[Node, Scope]]:
        if n.op in ("const", "param", "obs") or self.constants.foldable(n):
            return []
        if n.op in ("datasum", "integral"):
            return [(n.args[0], self.child(n, h))]
        return [(a, h) for a in n.args]

    def _at(self, node: Node, scope: Scope) -> str:
        """The value of ``node`` (already emitted in its home scope) as seen from ``scope``."""
        h = self.home(node, scope)
        name = self._names[(id(h), node)]
        levels = scope.depth - h.depth
        if levels and (h.depth > 0 or node.free):
            return f"{name}[(..., {', '.join(['None'] * levels)})]"
        return name

    def _emit(self, n: Node, h: Scope, args: list[str]) -> str:
        op = n.op
        if op == "const":
            return literal(n.attr("value"))
        if op == "param":
            return self.params[n.attr("name")]
        if op == "obs":
            return h.columns[n.attr("name")]
        if self.constants.foldable(n):
            return literal(self.constants.value(n))
        if op == "datasum":
            inner = self.child(n, h)
            expr = f"_datasum({args[0]}, {inner.count}, {inner.weights})"
        elif op == "integral":
            expr = f"_integrate({args[0]}, {self.child(n, h).weights})"
        else:
            if n.type.dtype in (DType.REAL, DType.COMPLEX):  # a condition or an integer used as a real number
                # (not select's condition): torch.exp of an int64 tensor is float32
                args = [self.dialect.to_real.format(a) if x.type.dtype in (DType.BOOL, DType.INT)
                        and x.op != "const" and not self.constants.foldable(x)
                        and not (op == "select" and i == 0) else a
                        for i, (a, x) in enumerate(zip(args, n.args, strict=True))]
            expr = (op == "choose" and choose_expr(n, args, self.tables, self._folded)) or self.dialect.spell(n, args)
            self.used_ops.add(op)
        name = f"v{len(self.lines)}"
        self.lines.append(f"{name} = {expr}")
        if h.depth > 0 or n.free:
            self.arrays.add(name)
        return name


    def _folded(self, n: Node) -> object:
        """The value of ``n`` when it is computed at emit time, else None."""
        return self.constants.value(n) if self.constants.foldable(n) else None


def bool_condition(node: Node, args: list[str], ns: str) -> str:
    """``select``'s condition as a boolean array (a number is true where non-zero, as in the interpreter).

    Example:
        >>> from firmc.ir import apply, param
        >>> bool_condition(apply("select", param("c"), param("a"), param("b")), ["c", "a", "b"], "np")
        '(c != 0)'
    """
    return args[0] if node.args[0].type.dtype is DType.BOOL else f"({args[0]} != 0)"
