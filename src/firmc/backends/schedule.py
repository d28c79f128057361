"""Where loops go: the phase schedule shared by the loop-emitting back-ends (C++, CUDA, LLVM).

Scopes are as in the interpreter -- the function body (parameters only), a loop over points, a ``datasum`` (a
loop over events), an ``integral`` (a loop over the abscissae of a fixed rule). Inside a scope, loops are placed
by *phase*: a loop runs after the values it reads (phase = 1 + the latest phase among them), so that the sums
of one phase share one pass over the data (the NLL and every component of its gradient: one loop), and a sum
that needs another sum's result waits for it. :meth:`Phased.plan` gives the steps of a block in order; each
emitter turns them into its own statements.

Example:
    >>> from firmc.ir import apply, obs, param
    >>> from firmc.backends.csource.emit import CFunction
    >>> from firmc.backends.csource.dialects import CPP
    >>> f = CFunction(CPP, {"mu": "p_mu"}, {"@events": ({"x": "x0[i]"}, "w", "n")})
    >>> s = apply("datasum", apply("exp", obs("x") - param("mu")), dataset="@events", binds=("x",))
    >>> [(loop, [n.op for n in nodes]) for loop, nodes in f.plan([-s], f.root)]
    [(False, ['param']), (True, ['datasum']), (False, ['neg'])]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from ..ir import Node, walk
from .scoping import Constants, Nested, home

STRUCTURAL = ("datasum", "integral")


def post_order(roots: Sequence[Node]) -> Callable[[Node], int]:
    """Sort key: post-order position under ``roots`` (sets of nodes emitted deterministically).

    Example:
        >>> from firmc.ir import param
        >>> a, b = param("a"), param("b")
        >>> [n.attr("name") for n in sorted({b, a}, key=post_order([a * b]))]
        ['a', 'b']
    """
    index = {n: i for i, n in enumerate(walk(list(roots)))}
    return lambda n: index.get(n, -1)


class Deep(Nested, Protocol):
    """A scope with a nesting depth (0 for the function body)."""

    @property
    def depth(self) -> int: ...


S = TypeVar("S", bound=Deep)


class Phased(Generic[S]):
    """The scheduling half of a loop-emitting function builder; subclasses provide ``child`` (the scope a
    reduction opens) and emit the steps of :meth:`plan`.

    Example:
        >>> Phased.plan.__name__
        'plan'
    """

    root: S
    constants: Constants

    def child(self, n: Node, scope: S) -> S:
        """The loop a ``datasum`` or ``integral`` opens in ``scope`` (shared by equal data sets/domains)."""
        raise NotImplementedError

    def home(self, n: Node, scope: S) -> S:
        """The innermost scope, from ``scope`` outwards, binding one of the node's free observables."""
        return home(n, scope, self.root)

    def args_of(self, n: Node) -> tuple[Node, ...]:
        """The arguments that are computed (none for leaves and constants folded at emit time)."""
        if n.op in ("const", "param", "obs") or self.constants.foldable(n):
            return ()
        return n.args

    def local(self, targets: Sequence[Node], scope: S) -> list[Node]:
        """Post-order of the nodes homed in ``scope`` that ``targets`` need, not entering reduction bodies."""
        order: list[Node] = []
        seen: set[Node] = set()
        stack: list[tuple[Node, bool]] = [(t, False) for t in reversed(targets)]
        while stack:
            n, ready = stack.pop()
            if n in seen or self.home(n, scope) is not scope:
                continue
            if ready or n.op in STRUCTURAL or not self.args_of(n):
                seen.add(n)
                order.append(n)
                continue
            stack.append((n, True))
            stack.extend((a, False) for a in reversed(self.args_of(n)) if a not in seen)
        return order

    def reads(self, starts: Sequence[Node], inner: S, scope: S,
              instead: Callable[[Node, S, S], list[tuple[Node, S]] | None] | None = None) -> set[Node]:
        """Nodes homed in ``scope`` that ``starts`` (evaluated in ``inner``, nested in ``scope``) read; the body of
        a reduction nested in between is read in the scope it opens (where its own variables are bound).
        ``instead(node, at, home)``, where it returns a list, replaces what a node nested deeper than ``scope``
        leads to (the llvm target reads a table's index, not its entries, through it)."""
        out: set[Node] = set()
        stack: list[tuple[Node, S]] = [(n, inner) for n in starts]
        seen: set[tuple[Node, int]] = set()
        while stack:
            n, at = stack.pop()
            if (n, id(at)) in seen:
                continue
            seen.add((n, id(at)))
            h = self.home(n, at)
            if h is scope:
                out.add(n)
            elif h.depth > scope.depth:
                other = instead(n, at, h) if instead is not None else None
                if other is not None:
                    stack.extend(other)
                else:
                    stack.extend(self._below(n, at, h))
        return out

    def _below(self, n: Node, at: S, home: S) -> list[tuple[Node, S]]:
        """What ``n`` (read in ``at``, homed in ``home``) leads to: a reduction's body in the scope it opens, else
        its arguments in ``at``."""
        return [(n.args[0], self.child(n, home))] if n.op in STRUCTURAL else [(a, at) for a in self.args_of(n)]

    def needs_of(self, ds: Sequence[Node], scope: S) -> dict[Node, set[Node]]:
        """What the bodies of the reductions ``ds`` read in ``scope`` (:meth:`reads` of each body, in the scope
        it opens), for many reductions at once: what each node of their bodies reads is a bitset over the
        nodes homed in ``scope``, computed once per (node, scope it is read in), so reductions that share their
        bodies' nodes (the components of a gradient) share the walk (hundreds of sums over one body were
        quadratic).

        Example:
            >>> Phased.needs_of.__name__
            'needs_of'
        """
        bits: dict[tuple[Node, int], int] = {}
        index: dict[Node, int] = {}
        homed: list[Node] = []

        def walk_from(start: Node, inner: S) -> int:
            stack: list[tuple[Node, S, bool]] = [(start, inner, False)]
            while stack:
                n, at, expanded = stack.pop()
                key = (n, id(at))
                if key in bits and not expanded:
                    continue
                h = self.home(n, at)
                if h is scope:
                    if n not in index:
                        index[n] = len(homed)
                        homed.append(n)
                    bits[key] = 1 << index[n]
                    continue
                if h.depth <= scope.depth:
                    bits[key] = 0
                    continue
                below = self._below(n, at, h)
                if expanded:
                    total = 0
                    for a, sc in below:
                        total |= bits[(a, id(sc))]
                    bits[key] = total
                    continue
                stack.append((n, at, True))
                stack.extend((a, sc, False) for a, sc in below if (a, id(sc)) not in bits)
            return bits[(start, id(inner))]

        out: dict[Node, set[Node]] = {}
        for d in ds:
            b = walk_from(d.args[0], self.child(d, scope))
            out[d] = {homed[i] for i, c in enumerate(reversed(bin(b)[2:])) if c == "1"} if b else set()
        return out

    def plan(self, targets: Sequence[Node], scope: S) -> list[tuple[bool, list[Node]]]:
        """The steps computing ``targets`` in ``scope``: ``(True, reductions)`` for one loop computing those
        reductions (they share the loop), ``(False, [node])`` for one value; in an order that respects reads."""
        order = self.local(targets, scope)
        needs = self.needs_of([d for d in order if d.op in STRUCTURAL], scope)
        extra = sorted({m for got in needs.values() for m in got}, key=post_order(targets))
        order = self.local([*extra, *targets], scope) if extra else order
        missing = [d for d in order if d.op in STRUCTURAL and d not in needs]
        if missing:
            needs.update(self.needs_of(missing, scope))
        phase: dict[Node, int] = {}
        for n in order:
            if n.op in STRUCTURAL:
                phase[n] = 1 + max((phase.get(m, 0) for m in needs[n]), default=0)
            else:
                phase[n] = max((phase.get(a, 0) for a in self.args_of(n)), default=0)
        steps: list[tuple[bool, list[Node]]] = []
        for p in range(max(phase.values(), default=0) + 1):
            loops: dict[int, list[Node]] = {}
            for n in order:
                if phase[n] == p and n.op in STRUCTURAL:
                    loops.setdefault(id(self.child(n, scope)), []).append(n)
            steps += [(True, group) for group in loops.values()]
            steps += [(False, [n]) for n in order if phase[n] == p and n.op not in STRUCTURAL]
        return steps
