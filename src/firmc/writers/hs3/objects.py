"""The distributions and functions of the written document, built from IR nodes.

:class:`Objects` turns nodes into HS3 objects: densities into typed distributions (closed-form rules, library
shapes, mixtures, products, extended densities) or ``generic_dist``; other values into references (names,
numbers) or ``generic_function`` objects. Expressions are printed in one post-order pass (explicit stack)
that cuts the graph into named objects where needed: a shared subexpression more than a few levels deep,
a chain deeper than :data:`MAX_DEPTH`, and what the dialect cannot write (handed to the ``foreign`` hook).

Example:
    >>> from firmc.ir import const, obs, param
    >>> from firmc.library import shapes
    >>> from firmc.writers.hs3.names import Namer
    >>> objs = Objects("spec", Namer("spec", ["g", "x", "mu"]), None)
    >>> objs.dist(shapes.gaussian(obs("x", -5.0, 5.0), param("mu") * 2.0, const(1.0)), "g")
    'g'
    >>> objs.out["g"][1]["type"], objs.out["g"][1]["mean"], objs.out["g_v"][1]["expression"]
    ('gaussian_dist', 'g_v', 'mu*2.0')
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection
from typing import Any

from ...errors import UnsupportedFeature
from ...interp import evaluate
from ...ir import Entry, Module, Node, walk
from ...ir.text import print_module
from ...ir.types import DType, Var
from ...library import composite
from . import recognise
from .expression import ATOM, Dialect, Printed, name_ok, number, printable, render, repeats
from .names import Namer

# (name, node, kind: "distribution" or "function") -> the object to write, or None (provided outside)
Foreign = Callable[[str, Node, str], "dict[str, Any] | None"]
Ref = str | float
SHARED_DEPTH = 3  # a subexpression used more than once and deeper than this becomes its own object
MAX_DEPTH = 48  # an expression is cut into objects at this depth (short strings, no deep nesting)


class Objects:
    """The objects written so far (``out``: name -> (section, object)) and how nodes map to them.

    Example:
        >>> from firmc.ir import const
        >>> from firmc.writers.hs3.names import Namer
        >>> Objects("root", Namer("root", []), None).ref(const(2))
        2.0
    """

    def __init__(self, dialect: Dialect, namer: Namer, foreign: Foreign | None,
                 avoid: Collection[str] = ()) -> None:
        self.dialect, self.namer, self.foreign = dialect, namer, foreign
        self.avoid = frozenset(avoid)  # types written through the foreign hook instead (when there is one)
        self.out: dict[str, tuple[str, dict[str, Any]]] = {}
        self.dists: dict[Node, str] = {}  # density nodes written as distributions
        self.values: dict[Node, str] = {}  # nodes written as functions (or referenced by a function name)
        self.claims: dict[Node, str] = {}  # nodes of entries to be written under their own names
        self.dist_claims: dict[Node, str] = {}
        self.owner = ""
        self._density: dict[Node, bool] = {}
        self._aliases: dict[str, str] = {}  # names the expression grammar cannot hold -> alias objects
        self.referenced: set[str] = set()  # claimed names that were referenced (their entries must be written)

    # ------------------------------------------------------------------------------------------ references
    def put(self, name: str, section: str, obj: dict[str, Any]) -> None:
        """Record object ``obj`` called ``name`` in ``section`` ("distributions" or "functions").

        Example:
            >>> from firmc.writers.hs3.names import Namer
            >>> o = Objects("spec", Namer("spec", []), None); o.put("f", "functions", {"type": "sum"})
            >>> o.out["f"]
            ('functions', {'type': 'sum', 'name': 'f'})
        """
        self.out[name] = (section, {**obj, "name": name})

    def ref(self, node: Node) -> Ref:
        """A reference to ``node`` in a field: a number, a variable's name, or the name of an object.

        Example:
            >>> from firmc.ir import param
            >>> from firmc.writers.hs3.names import Namer
            >>> Objects("spec", Namer("spec", ["a"]), None).ref(param("a"))
            'a'
        """
        if node.op in ("param", "obs"):
            return self.namer.out(node.attr("name"))
        folded = self._fold(node)
        if folded is not None:
            return folded
        name = self.values.get(node) or self.dists.get(node) or self._claimed(node)
        if name is not None:
            return name
        if node.op == "normalize":
            return self.dist(node)
        return self.function(node, self.namer.fresh(f"{self.owner or 'f'}_v"))

    def _claimed(self, node: Node, dist: bool = False) -> str | None:
        """The name of the entry that will write ``node`` (a distribution entry only, with ``dist``)."""
        name = self.dist_claims.get(node) if dist else self.claims.get(node) or self.dist_claims.get(node)
        if name is not None:
            self.referenced.add(name)
        return name

    def _fold(self, node: Node) -> float | None:
        """The value of a constant node written as a number (None if it is not a finite real constant)."""
        if node.type.var is not Var.CONST or node.type.dtype is DType.COMPLEX:
            return None
        if node.op == "const":
            v = float(node.attr("value"))
        else:
            try:
                v = float(evaluate([node], {})[0])
            except Exception:
                return None
        return v if math.isfinite(v) else None

    # ----------------------------------------------------------------------------------------- densities
    def is_density(self, n: Node) -> bool:
        """Whether ``n`` is written as a distribution (a normalised density, a mixture or product of them).

        Example:
            >>> from firmc.ir import param
            >>> from firmc.writers.hs3.names import Namer
            >>> Objects("spec", Namer("spec", []), None).is_density(param("a"))
            False
        """
        got = self._density.get(n)
        if got is None:
            mix = recognise.mixture(n)
            factors = recognise.product(n) if n.op == "mul" else None
            got = n in self.dists or n in self.dist_claims or n.op == "normalize" \
                or (mix is not None and all(self.is_density(p) for p in mix[0])) \
                or (factors is not None and all(self.is_density(p) for p in factors))
            self._density[n] = got
        return got

    def dist(self, node: Node, name: str | None = None, expected: Node | None = None) -> str:
        """Write ``node`` as a distribution (called ``name``, else the entry's or a fresh name); returns the name.

        Example:
            >>> from firmc.ir import obs
            >>> from firmc.library import shapes
            >>> from firmc.writers.hs3.names import Namer
            >>> o = Objects("root", Namer("root", []), None)
            >>> o.dist(shapes.uniform([obs("x", 0.0, 1.0)])), o.out["pdf"][1]["x"]
            ('pdf', ['x'])
        """
        if name is None:
            got = self.dists.get(node) or self._claimed(node, dist=True)
            if got is not None:
                return got
            name = self.namer.fresh(f"{self.owner}_pdf" if self.owner else "pdf")
        outer, self.owner = self.owner, name
        try:
            body = self._dist_body(node, name, expected)
            if body is not None and body["type"] in self.avoid and self.foreign is not None:
                body = self._foreign(name, node, "distribution")
            if body is not None:
                self.put(name, "distributions", body)
        finally:
            self.owner = outer
        return name

    def _dist_body(self, node: Node, name: str, expected: Node | None) -> dict[str, Any] | None:
        mix = recognise.mixture(node)
        if expected is not None:
            if not (mix is not None and mix[2] and expected is composite.mixture_yield(mix[1])):
                inner = self._claimed(node, dist=True) or self.dist(node, self.namer.fresh(f"{name}_pdf"))
                if self.dialect == "root":
                    return {"type": "extend_pdf", "pdf": inner, "norm": self.ref(expected)}
                return {"type": "rate_extended_dist", "dist": inner, "rate": self.ref(expected)}
        else:
            self.dists.setdefault(node, name)
        if mix is not None and all(self.is_density(p) for p in mix[0]):
            pdfs, coefs, yields = mix
            return {"type": "mixture_dist", "summands": [self.dist(p) for p in pdfs],
                    "coefficients": [self.ref(c) for c in coefs], "extended": bool(yields and expected is not None)}
        factors = recognise.product(node)
        if factors is not None and all(self.is_density(p) for p in factors):
            return {"type": "product_dist", "factors": [self.dist(p) for p in factors]}
        if node.op == "const" and node.attr("value") == 1.0:
            return {"type": "product_dist", "factors": []}
        if node.op == "normalize":
            body = self._normalized(node)
            if body is not None:
                return body
        elif self.dialect == "root":
            mvn = recognise.multivariate_normal(node)
            if mvn is not None:
                return {"type": "multivariate_normal_dist", "x": [self.ref(x) for x in mvn[0]],
                        "mean": [self.ref(m) for m in mvn[1]], "covariances": mvn[2]}
        return self._foreign(name, node, "distribution")

    def _normalized(self, node: Node) -> dict[str, Any] | None:
        typed = recognise.typed_fields(node, self.dialect)
        if typed is not None:
            t, fields = typed
            body: dict[str, Any] = {"type": t.type, **t.extra}
            for k, v in fields.items():
                body[k] = [self.ref(a) for a in v] if isinstance(v, list) else self.ref(v)
            return body
        if node.attr("rule") == "":
            shape = recognise.shape_of(node, self.dialect)
            if shape is not None:
                return {"type": shape[0], **{k: self.ref(v) for k, v in shape[1].items()}}
            if self.dialect == "spec" and len(node.args) == 1:
                mvn = recognise.multivariate_normal(node.args[0])
                if mvn is not None:
                    return {"type": "multivariate_normal_dist", "x": [self.ref(x) for x in mvn[0]],
                            "mean": [self.ref(m) for m in mvn[1]], "covariances": mvn[2]}
        text = self.expression(node.args[0])
        return None if text is None else {"type": "generic_dist", "expression": text}

    # ----------------------------------------------------------------------------------------- functions
    def function(self, node: Node, name: str) -> str:
        """Write ``node`` as a function called ``name`` (generic_function, or foreign); returns the name.

        Example:
            >>> from firmc.ir import param
            >>> from firmc.writers.hs3.names import Namer
            >>> o = Objects("root", Namer("root", ["a"]), None)
            >>> o.function(param("a") / 3, "f"), o.out["f"][1]["expression"]
            ('f', 'a/3.0')
        """
        self.values.setdefault(node, name)
        outer, self.owner = self.owner, name
        try:
            text = self.expression(node) if node.type.dtype is not DType.COMPLEX else None
            obj = {"type": "generic_function", "expression": text} if text is not None \
                else self._foreign(name, node, "function")
            if obj is not None:
                self.put(name, "functions", obj)
        finally:
            self.owner = outer
        return name

    def _leaf(self, n: Node, root: Node) -> Printed | None:
        if n.op in ("param", "obs"):
            return self._name(self.namer.out(n.attr("name")))
        folded = self._fold(n)
        if folded is not None:
            return number(folded, self.dialect)
        if n.op == "const" and n.type.dtype is not DType.COMPLEX:
            return number(n.attr("value"), self.dialect)
        if n.type.dtype is DType.COMPLEX:  # never a name: the real value using it is what gets written
            return None
        if n is root:  # the object being written: never a reference to itself
            return self._name(self.dist(n)) if n.op == "normalize" else None
        name = self.values.get(n) or self.dists.get(n) or self._claimed(n)
        if name is None and n.op == "normalize":
            name = self.dist(n)
        return None if name is None else self._name(name)

    def _name(self, name: str) -> Printed:
        """A name as it may stand in an expression: itself, or an alias object when the grammar cannot hold it."""
        if name_ok(name, self.dialect):
            return name, ATOM
        alias = self._aliases.get(name)
        if alias is None:
            stem = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in name)
            alias = self._aliases[name] = self.namer.fresh(f"v_{stem}")
            self.put(alias, "functions", {"type": "sum", "summands": [name]})
        return alias, ATOM

    def expression(self, root: Node) -> str | None:
        """The expression text of ``root`` in the dialect, cutting objects out of it as needed; None when
        ``root`` itself cannot be written (the caller makes it a foreign object).

        Example:
            >>> from firmc.ir import apply, param
            >>> from firmc.writers.hs3.names import Namer
            >>> o = Objects("spec", Namer("spec", ["a"]), None)
            >>> o.expression(apply("max", param("a"), param("a") * 0.5)), o.expression(apply("lgamma", param("a")))
            ('max(a, a*0.5)', None)
        """
        leaves: dict[Node, Printed | None] = {}

        def kids(n: Node) -> tuple[Node, ...]:
            got = leaves[n] = self._leaf(n, root)
            return () if got is not None else n.args

        region = list(walk([root], kids))
        uses: Counter[Node] = Counter()
        for n in region:
            if leaves[n] is None:
                for a in n.args:
                    uses[a] += 2 if repeats(n, self.dialect) else 1
        out: dict[Node, Printed | None] = {}
        depth: dict[Node, int] = {}
        for n in region:
            got = leaves[n]
            if got is not None:
                out[n], depth[n] = got, 0
                continue
            args = [out[a] for a in n.args]
            if not printable(n, self.dialect) or any(a is None for a in args):
                if n is root or n.type.dtype is not DType.REAL:
                    out[n] = None
                    continue
                name = self.namer.fresh(f"{self.owner}_x")
                self.values[n] = name
                obj = self._foreign(name, n, "function")
                if obj is not None:
                    self.put(name, "functions", obj)
                out[n], depth[n] = (name, ATOM), 0
                continue
            p = render(n, [a for a in args if a is not None], self.dialect)
            d = 1 + max((depth[a] for a in n.args), default=0)
            if n is not root and ((uses[n] > 1 and d > SHARED_DEPTH) or d >= MAX_DEPTH):
                name = self.namer.fresh(f"{self.owner}_e")
                self.values[n] = name
                self.put(name, "functions", {"type": "generic_function", "expression": p[0]})
                p, d = (name, ATOM), 0
            out[n], depth[n] = p, d
        got = out[root]
        return None if got is None else got[0]

    # ------------------------------------------------------------------------------------------- foreign
    def _foreign(self, name: str, node: Node, kind: str) -> dict[str, Any] | None:
        """The object for what the dialect cannot write: from the hook (None: the caller provides it outside
        the document), else ``firmc_ir`` in the spec dialect; an error in ROOT's."""
        owner = self.namer.original.get(self.owner or name, self.owner or name)
        if self.dialect == "root" and node.type.dtype is not DType.REAL:
            raise UnsupportedFeature(f"{kind} '{owner}' is {node.type.dtype.value}-valued: ROOT's HS3 dialect "
                                     "(RooFit) has real values only")
        if self.foreign is not None:
            obj = self.foreign(name, node, kind)
            return None if obj is None else dict(obj)
        if self.dialect == "root":
            ops = sorted({n.op for n in walk([node]) if not printable(n, "root") and n.op not in
                          ("param", "obs", "const", "normalize")} or {node.op})
            raise UnsupportedFeature(f"{kind} '{owner}': {'op' if len(ops) == 1 else 'ops'} "
                                     f"{', '.join(repr(o) for o in ops)} {'has' if len(ops) == 1 else 'have'} no "
                                     f"form in ROOT's HS3 dialect; pass foreign= to provide the object '{name}' "
                                     "yourself")
        m = Module(entries={"value": Entry("value", "distribution" if kind == "distribution" else "function", node)})
        return {"type": "firmc_ir_dist" if kind == "distribution" else "firmc_ir", "ir": print_module(m)}
