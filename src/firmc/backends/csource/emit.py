"""Scalar C-family code for IR roots: the structural ops become loops.

Scopes are as in the interpreter and the Python emitter -- the function body (parameters only), a loop over
points (``value``: observables read at index ``i1``), a ``datasum`` (a loop over events with a weighted,
compensated accumulator), an ``integral`` (a loop over the abscissae of a fixed rule) -- but a value from an
outer scope is simply a variable of the enclosing block. Inside a scope, loops are placed by *phase*: a
loop runs after the values it reads (phase = 1 + the latest phase among them), so that the sums of one phase
share one pass over the data (the NLL and every component of its gradient: one loop), and a sum that needs
another sum's result waits for it.

Example:
    >>> from firmc.ir import apply, obs, param
    >>> from firmc.backends.csource.dialects import CPP
    >>> f = CFunction(CPP, {"mu": "p_mu"}, {"@events": ({"x": "x0[i]"}, "w", "n")})
    >>> lines = f.block([-apply("datasum", apply("exp", obs("x") - param("mu")), dataset="@events", binds=("x",))])
    >>> print("\\n".join(lines))
    double s1 = 0.0, c1 = 0.0;
    for (std::size_t i1 = 0; i1 < n; ++i1) {
        const double v0 = (x0[i1] - p_mu);
        const double v1 = std::exp(v0);
        fc_accumulate(s1, c1, (w ? w[i1] * v1 : v1));
    }
    const double v2 = s1 + c1;
    const double v3 = (-v2);
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ...errors import UnsupportedFeature
from ...ir import Node
from ...ir.types import DType
from ..quadrules import DomainKey, domain_key
from ..scatter import scatters
from ..schedule import Phased
from ..scoping import Constants, bound_columns
from .dialects import CDialect, table_item
from .tables import CTables, is_positions

_C_TYPE = {DType.REAL: "double", DType.BOOL: "bool", DType.INT: "double"}


@dataclass(eq=False)
class Scope:
    """A block of the generated function: its depth, the observables it binds (to C expressions at its index
    ``i<depth>``), and for a reduction its weights, its trip count and its key."""

    depth: int
    columns: Mapping[str, str] = field(default_factory=dict)
    parent: Scope | None = None
    weights: str = ""  # "" for none
    count: str = ""
    always_weighted: bool = False  # quadrature: weights always there

    @property
    def bound(self) -> frozenset[str]:
        """Observables bound here."""
        return frozenset(self.columns)


class CFunction(Phased[Scope]):
    """Builds the statements of one generated function.

    ``params`` maps parameter names to C expressions; ``datasets`` maps a data set name to ``(columns,
    weights, count)`` C expressions (columns indexed by the loop index of their scope, ``i<depth>``);
    ``rules`` maps a quadrature domain to ``(abscissae arrays, weights array, size)``.
    """

    scatter = True  # sum a table's gradient into an array (backends/scatter.py); CUDA threads do not

    def __init__(self, dialect: CDialect, params: Mapping[str, str],
                 datasets: Mapping[str, tuple[Mapping[str, str], str, str]] | None = None,
                 rules: Mapping[DomainKey, tuple[tuple[str, ...], str, int]] | None = None,
                 tables: CTables | None = None) -> None:
        self.dialect = dialect
        self.tables = tables or CTables()  # the file's constant tables (``choose``)
        self._tables: dict[tuple[int, tuple[Node, ...]], tuple[str, int]] = {}  # declared arrays: name, depth
        self._pending: dict[int, list[str]] = {}  # scope id -> declarations to place before its next loop
        self.params = params
        self.datasets = datasets or {}
        self.rules = rules or {}
        self.root = Scope(0)
        self.names: dict[tuple[int, Node], str] = {}
        self.pairs: dict[tuple[int, Node], tuple[str, str]] = {}  # complex(a, b) and faddeeva nodes: (re, im)
        self._depth: dict[int, int] = {}
        self.used_ops: set[str] = set()
        self._children: dict[tuple[int, object], Scope] = {}
        self._count = 0
        self._sums = 0
        self._ntables = 0
        self.constants = Constants(complex_values=False)

    # -- scopes -----------------------------------------------------------------------------------------
    def points(self, columns: Mapping[str, str], count: str) -> Scope:
        """The loop over the points of a per-point function (observables bound to ``columns``)."""
        return Scope(1, dict(columns), self.root, "", count)

    def child(self, n: Node, scope: Scope) -> Scope:
        """The loop a ``datasum`` or ``integral`` opens in ``scope`` (shared by equal data sets/domains)."""
        d = scope.depth + 1
        if n.op == "datasum":
            key: object = ("datasum", n.attr("dataset"), tuple(n.attr("binds")))
            cols, weights, count = bound_columns(self.datasets, n)
            new = Scope(d, {b: c.replace("[i]", f"[i{d}]") for b, c in cols.items()}, scope, weights, count,
                        always_weighted=weights not in ("", "w"))  # an embedded data set's weights: an array
        else:
            dom = domain_key(n)
            key = ("integral", dom)
            arrays, weights, size = self.rule_arrays(dom, scope)
            new = Scope(d, {v: f"{a}[i{d}]" for v, a in zip(n.attr("vars"), arrays, strict=True)}, scope,
                        weights, str(size), always_weighted=True)
        return self._children.setdefault((id(scope), key), new)

    def rule_arrays(self, dom: DomainKey, scope: Scope) -> tuple[tuple[str, ...], str, int]:
        """The abscissae arrays, weights array and size of the rule of ``dom``, as read from ``scope``."""
        return self.rules[dom]

    # -- emission ---------------------------------------------------------------------------------------
    def block(self, targets: Sequence[Node], scope: Scope | None = None) -> list[str]:
        """Statements computing ``targets`` (homed in ``scope``), loops placed by phase (module docstring)."""
        scope = scope or self.root
        lines: list[str] = []
        for loop, nodes in self.plan(targets, scope):
            if loop:
                lines += self._loop(nodes, scope)
            elif (id(scope), nodes[0]) not in self.names:
                lines += self._statement(nodes[0], scope)
        return lines

    def _loop(self, group: list[Node], scope: Scope) -> list[str]:
        inner = self.child(group[0], scope)
        i = f"i{inner.depth}"
        spread = scatters(group) if self.scatter else []  # a table's gradient: one array of sums (scatter.py)
        members = {k: (n, j) for n, sc in enumerate(spread) for k, j in sc.members.items()}
        plain = [d for k, d in enumerate(group) if k not in members]
        accs = [self._accumulator() for _ in plain]
        arrays = [self._accumulator() for _ in spread]
        lines = [f"double {', '.join(f'{s} = 0.0, {c} = 0.0' for s, c in accs)};"] if accs else []
        lines += [f"double {s}[{sc.size}] = {{}}, {c}[{sc.size}] = {{}};" for sc, (s, c) in zip(spread, arrays,
                                                                                                strict=True)]
        lines.append(f"for (std::size_t {i} = 0; {i} < {inner.count}; ++{i}) {{")
        body = self.block([d.args[0] for d in plain] + [x for sc in spread for x in (sc.position, sc.value)], inner)
        lines = self.flush(scope) + lines
        for d, (s, c) in zip(plain, accs, strict=True):
            body.append(f"fc_accumulate({s}, {c}, {self._term(inner, self.ref(d.args[0], inner))});")
        for sc, (s, c) in zip(spread, arrays, strict=True):
            at = f"static_cast<std::size_t>({self.ref(sc.position, inner)})"
            body.append(f"{{ const std::size_t at = {at}; fc_accumulate({s}[at], {c}[at], "
                        f"{self._term(inner, self.ref(sc.value, inner))}); }}")
        lines += ["    " + b for b in body] + ["}"]
        self._forget(scope.depth)  # what the loop declared is out of scope now (a later loop recomputes it)
        ordinary = iter(accs)
        for k, d in enumerate(group):
            name = self._new()
            if k in members:
                (s, c), j = arrays[members[k][0]], members[k][1]
                lines.append(f"const double {name} = {s}[{j}] + {c}[{j}];")
            else:
                s, c = next(ordinary)
                lines.append(f"const double {name} = {s} + {c};")
            self._remember(scope, d, name)
        return lines

    def _accumulator(self) -> tuple[str, str]:
        """Fresh names of a compensated sum: ``s<k>``, ``c<k>``."""
        self._sums += 1
        return f"s{self._sums}", f"c{self._sums}"

    @staticmethod
    def _term(inner: Scope, v: str) -> str:
        """A term of the sum of ``inner`` at its index: ``v``, weighted where the loop has weights."""
        i = f"i{inner.depth}"
        if inner.always_weighted:
            return f"{inner.weights}[{i}] * {v}"
        return f"({inner.weights} ? {inner.weights}[{i}] * {v} : {v})" if inner.weights else v

    def _forget(self, depth: int) -> None:
        """Drop the values of scopes deeper than ``depth`` (declared inside a loop that has closed)."""
        deep = {k for k in self.names if self._depth[k[0]] > depth}
        for k in deep:
            del self.names[k]
        for t in [t for t, (_, d) in self._tables.items() if d > depth]:
            del self._tables[t]
        for k in [k for k in self.pairs if self._depth[k[0]] > depth]:
            del self.pairs[k]

    def _remember(self, scope: Scope, n: Node, name: str) -> None:
        self._depth[id(scope)] = scope.depth
        self.names[(id(scope), n)] = name

    def _pair(self, n: Node, scope: Scope) -> tuple[str, str]:
        return self.pairs[(id(self.home(n, scope)), n)]

    def _new(self) -> str:
        self._count += 1
        return f"v{self._count - 1}"  # v0, v1, ...

    def ref(self, n: Node, scope: Scope) -> str:
        """The C expression of ``n``'s value as seen from ``scope`` (it must have been emitted)."""
        h = self.home(n, scope)
        if n.op == "const":
            return self.dialect.literal(n.attr("value"), n.type.dtype)
        if n.op == "param":
            return self.params[n.attr("name")]
        if n.op == "obs":
            return h.columns[n.attr("name")]
        if self.constants.foldable(n):
            return self.dialect.literal(self.constants.value(n), n.type.dtype)
        return self.names[(id(h), n)]

    def _statement(self, n: Node, scope: Scope) -> list[str]:
        if n.op in ("const", "param", "obs") or self.constants.foldable(n):
            return []
        if n.op == "complex":  # a pair, read by faddeeva or written as an output
            self.pairs[(id(scope), n)] = (self.ref(n.args[0], scope), self.ref(n.args[1], scope))
            self._remember(scope, n, "<pair>")
            return []
        if n.op == "faddeeva":
            re, im = self._pair(n.args[0], scope)
            name = self._new()
            self.pairs[(id(scope), n)] = (f"{name}_re", f"{name}_im")
            self._remember(scope, n, "<pair>")
            self.used_ops.add("faddeeva")
            return [f"double {name}_re, {name}_im;", f"fc_faddeeva({re}, {im}, &{name}_re, &{name}_im);"]
        if n.op in ("real", "imag") and n.args[0].type.dtype is DType.COMPLEX:
            re, im = self._pair(n.args[0], scope)
            self._remember(scope, n, re if n.op == "real" else im)
            return []
        if n.type.dtype is DType.COMPLEX:
            raise UnsupportedFeature(f"complex op '{n.op}' left after lowering (target {self.dialect.name})")
        args = [self.ref(a, scope) for a in n.args]
        expr = (n.op == "choose" and self._table(n, scope, args[0])) or self.dialect.spell(n, args)
        self.used_ops.add(n.op)
        name = self._new()
        self._remember(scope, n, name)
        return [f"const {_C_TYPE[n.type.dtype]} {name} = {expr};"]

    # -- choose: tables (csource/tables.py) -------------------------------------------------------------
    def _table(self, n: Node, scope: Scope, k: str) -> str | None:
        """``choose`` as a table read, or None when its values vary where it is (the generic ``fc_pick``)."""
        values = n.args[1:]
        at = f"fc_choice({k}, {len(values)})"
        ctype = _C_TYPE[n.type.dtype]
        consts = [v.attr("value") if v.op == "const" else
                  self.constants.value(v) if self.constants.foldable(v) else None for v in values]
        if all(c is not None for c in consts):
            if is_positions(consts, n.type.dtype):
                return f"static_cast<double>({at})"
            return f"{self.table_name(self.tables.name(ctype, consts), scope)}[{at}]"
        h = max((self.home(v, scope) for v in values), key=lambda s: s.depth)
        return self.invariant_table(n, h, scope, at) if h.depth < scope.depth else None

    def table_name(self, name: str, scope: Scope) -> str:
        """The name a constant table is read by in ``scope`` (CUDA: its device copy in a kernel).

        Example:
            >>> from firmc.backends.csource.dialects import CPP
            >>> f = CFunction(CPP, {})
            >>> f.table_name("T0", f.root)
            'T0'
        """
        return name

    def invariant_table(self, n: Node, h: Scope, scope: Scope, at: str) -> str:
        """The read at ``at`` of the table of ``n``'s values, which are computed in ``h`` (enclosing ``scope``): an
        array declared in ``h`` before the loop that leads here (placed by :meth:`flush`).

        Example:
            >>> from firmc.ir import apply, obs, param
            >>> from firmc.backends.csource.dialects import CPP
            >>> f = CFunction(CPP, {"a": "p[0]", "b": "p[1]"})
            >>> points = f.points({"k": "x[0][i1]"}, "n")
            >>> f.invariant_table(apply("choose", obs("k"), param("a"), param("b")), f.root, points, "j")
            'tab0[j]'
            >>> f.flush(f.root)
            ['const double tab0[] = {p[0], p[1]};']
        """
        key = (id(h), n.args[1:])
        if key not in self._tables:
            ctype = _C_TYPE[n.type.dtype]
            name = f"tab{self._ntables}"
            self._ntables += 1
            items = [table_item(v, self.ref(v, h), n.type.dtype) for v in n.args[1:]]
            self._pending.setdefault(id(h), []).append(f"const {ctype} {name}[] = {{{', '.join(items)}}};")
            self._tables[key] = (name, h.depth)
        return f"{self._tables[key][0]}[{at}]"

    def flush(self, scope: Scope) -> list[str]:
        """The table declarations waiting for the next loop of ``scope`` (the caller places them before it).

        Example:
            >>> from firmc.backends.csource.dialects import CPP
            >>> f = CFunction(CPP, {})
            >>> f.flush(f.root)
            []
        """
        return self._pending.pop(id(scope), [])
