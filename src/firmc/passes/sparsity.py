"""The sparsity pattern of a Hessian, found from the IR, and a colouring that recovers it from a few
Hessian-vector products.

**Pattern.** The Hessian of a function is a sum over the nodes of its graph: for a node ``v = phi(u_1, ..., u_k)``,
``adjoint(v) * sum_ij d2phi/du_i du_j * grad(u_i) grad(u_j)^T``. Only nonlinear ops contribute, and
``grad(u_i)`` is zero outside the parameters ``u_i`` depends on, so the pattern is the union, over the nonlinear
nodes, of ``deps(u_i) x deps(u_j)`` for the pairs with a nonzero second derivative (Walther 2008): ``mul``
couples its factors pairwise, ``div`` its numerator with the denominator and the denominator with itself, other
nonlinear ops all their arguments; sums, ``select``/``choose`` values (piecewise linear in them), conditions and
indices (piecewise constant) couple nothing. A ``datasum`` over an embedded data set is analysed event by
event: a ``choose`` whose index depends only on the data takes one entry per event, so a HistFactory bin's
per-bin parameter couples only with what that bin depends on (an arrowhead matrix, not dense blocks).

**Colouring.** Columns that are *dense* (many nonzeros) get a colour each; the other columns share colours
so that, in every row of a sparse column, no two sparse columns of one colour are nonzero (a distance-2
colouring on the sparse part). Then ``H v_c`` with ``v_c`` the indicator of colour ``c`` gives every entry:
``H_ij`` for sparse ``i, j`` is ``(H v_colour(j))_i``; for a dense column ``j`` it is ``(H e_j)_i``, and for a
dense row ``i`` by symmetry ``(H e_i)_j``. The split is chosen to need the fewest colours. A HistFactory model
with 500 bin parameters and 11 others needs 12 products instead of 511.

Example:
    >>> from firmc.ir import param, apply
    >>> a, b, c = param("a"), param("b"), param("c")
    >>> rows = hessian_pattern(apply("exp", a) + b * c, ["a", "b", "c"])
    >>> [sorted(members(r)) for r in rows]
    [[0], [2], [1]]
    >>> colouring(rows).colours   # one product: H (1, 1, 1) holds H_aa, H_bc and H_cb
    1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..ir import Dataset, Node, const, walk

# ops that add no second-order coupling: linear in their (differentiable) arguments, or piecewise constant or
# piecewise linear (their second derivative is zero almost everywhere)
LINEAR = frozenset({
    "add", "sub", "neg", "select", "choose", "real", "imag", "conj", "complex", "datasum", "abs", "min", "max",
    "floor", "ceil", "trunc", "round", "sign", "lt", "le", "gt", "ge", "eq", "ne", "approx_eq", "and", "or",
    "not", "idiv", "mod",
})

Deps = int | np.ndarray  # a bitset of parameter indices, or one per event (an object array of ints)


def members(bits: int) -> list[int]:
    """The indices set in a bitset.

    Example:
        >>> members(0b1010)
        [1, 3]
    """
    out, i = [], 0
    while bits:
        if bits & 1:
            out.append(i)
        bits >>= 1
        i += 1
    return out


class _Pattern:
    def __init__(self, n: int) -> None:
        self.rows = [0] * n

    def couple(self, a: Deps, b: Deps) -> None:
        """Add deps(a) x deps(b) and its transpose (per event where either is per event)."""
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            pairs = {(int(x), int(y)) for x, y in np.broadcast(a, b)}
            for x, y in pairs:
                self.couple(x, y)
            return
        if not a or not b:
            return
        for i in members(a):
            self.rows[i] |= b
        for j in members(b):
            self.rows[j] |= a


def _union(values: Sequence[Deps]) -> Deps:
    out: Deps = 0
    for v in values:
        out = out | v
    return out


def _pairs(n: Node, args: Sequence[Deps], pattern: _Pattern) -> None:
    """The second-order couplings of one node."""
    op = n.op
    if op in LINEAR:
        return
    if op == "mul":
        for i in range(len(args)):
            for j in range(i + 1, len(args)):
                pattern.couple(args[i], args[j])
    elif op == "div":
        pattern.couple(args[0], args[1])
        pattern.couple(args[1], args[1])
    else:
        whole = _union(args)
        pattern.couple(whole, whole)


class _Analysis:
    def __init__(self, wrt: Sequence[str], datasets: Mapping[str, Dataset]) -> None:
        self.index = {p: i for i, p in enumerate(wrt)}
        self.datasets = datasets
        self.pattern = _Pattern(len(wrt))

    def run(self, roots: Sequence[Node], events: Mapping[str, np.ndarray] | None = None) -> dict[int, Deps]:
        """Dependency bitsets of every node under ``roots``; ``events``: the bound columns of an enclosing
        datasum (values then per event where a ``choose`` is indexed by the data)."""
        deps: dict[int, Deps] = {}
        for n in _outer(roots):
            if n.op == "param":
                i = self.index.get(n.attr("name"))
                deps[id(n)] = 0 if i is None else 1 << i
                continue
            if not n.args:
                deps[id(n)] = 0
                continue
            if n.op in ("datasum", "integral"):
                deps[id(n)] = self._structural(n)
                continue
            args = [deps[id(a)] for a in n.args]
            if n.op == "choose":
                deps[id(n)] = self._choose(n, args, events)
            elif n.op == "select":
                deps[id(n)] = args[1] | args[2]
            else:
                deps[id(n)] = _union(args)
            _pairs(n, args, self.pattern)
        return deps

    def _choose(self, n: Node, args: Sequence[Deps], events: Mapping[str, np.ndarray] | None) -> Deps:
        values = args[1:]
        if all(isinstance(v, int) and v == values[0] for v in values):
            return values[0]
        k = n.args[0]
        if events is None or not k.free or not k.free <= set(events) \
                or any(m.op == "param" for m in walk([k])):
            return _union(values)
        from ..interp import evaluate

        (picked,) = evaluate([Node.make("choose", (k, *[_position(j) for j in range(len(values))]))],
                             {o: events[o] for o in k.free})
        picked = np.broadcast_to(np.asarray(picked, dtype=np.intp), (len(next(iter(events.values()))),))
        table = np.empty(len(values), dtype=object)
        for j, v in enumerate(values):
            table[j] = v
        out = np.empty(len(picked), dtype=object)
        for e, j in enumerate(picked):
            v = table[j]
            out[e] = v[e] if isinstance(v, np.ndarray) else v
        return out

    def _structural(self, n: Node) -> Deps:
        """A datasum or integral: the body analysed per event of an embedded data set (else as one)."""
        body = n.args[0]
        events = None
        if n.op == "datasum" and n.attr("dataset") in self.datasets:
            cols = self.datasets[n.attr("dataset")].columns
            events = {o: np.asarray(cols[o], dtype=float) for o in n.attr("binds") if o in cols}
        inner = self.run([body], events)
        whole = inner[id(body)]
        if isinstance(whole, np.ndarray):
            whole = _union(list(whole))
        if n.op == "integral":
            bounds = self.run(list(n.args[1:]))
            whole = whole | _union([bounds[id(b)] for b in n.args[1:]])
        return whole


def _outer(roots: Sequence[Node]) -> list[Node]:
    """Post-order of the nodes under ``roots``, not entering the bodies of ``datasum`` and ``integral`` (each
    analysed on its own, per event)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        n, expanded = stack.pop()
        if expanded:
            order.append(n)
            continue
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.append((n, True))
        args = n.args[1:] if n.op in ("datasum", "integral") else n.args
        stack.extend((a, False) for a in reversed(args) if id(a) not in seen)
    return order


def _position(j: int) -> Node:
    return const(float(j))


def hessian_pattern(root: Node, wrt: Sequence[str], datasets: Mapping[str, Dataset] | None = None) -> list[int]:
    """Row bitsets of the structurally nonzero Hessian entries of ``root`` with respect to ``wrt`` (symmetric).

    Example:
        >>> from firmc.ir import param
        >>> [members(r) for r in hessian_pattern(param("a") * param("a"), ["a", "b"])]
        [[0], []]
    """
    analysis = _Analysis(wrt, datasets or {})
    analysis.run([root])
    return analysis.pattern.rows


@dataclass(frozen=True)
class Colouring:
    """Directions (one indicator vector per colour) and, per structurally nonzero entry ``(row, col)``, where
    to read it: ``products[source_row, colour]``.

    Example:
        >>> c = colouring([0b11, 0b11])
        >>> c.colours, c.directions.shape
        (2, (2, 2))
    """

    directions: np.ndarray  # (colours, n) of 0/1
    rows: np.ndarray
    cols: np.ndarray
    source_rows: np.ndarray
    source_colours: np.ndarray

    @property
    def colours(self) -> int:
        """How many Hessian-vector products recover the Hessian."""
        return int(self.directions.shape[0])

    def assemble(self, products: np.ndarray) -> np.ndarray:
        """The Hessian from ``products[:, c] = H @ directions[c]`` (exactly symmetric: the upper triangle's entries
        mirrored).

        Example:
            >>> h = np.array([[2.0, 1.0], [1.0, 3.0]])
            >>> c = colouring([0b11, 0b11])
            >>> c.assemble(h @ c.directions.T).tolist()
            [[2.0, 1.0], [1.0, 3.0]]
        """
        n = self.directions.shape[1]
        out = np.zeros((n, n))
        upper = self.rows <= self.cols
        rows, cols = self.rows[upper], self.cols[upper]
        values = products[self.source_rows[upper], self.source_colours[upper]]
        out[rows, cols] = values
        out[cols, rows] = values
        return out


def _greedy(rows: Sequence[int], lists: Sequence[list[int]], dense: set[int]) -> dict[int, int]:
    """Distance-2 colouring of the sparse columns over the sparse rows (colours from 0): a column takes the
    first colour not used yet in any sparse row where it is nonzero."""
    used = [0] * len(rows)  # per row: the colours of its sparse columns so far
    colour: dict[int, int] = {}
    for j in sorted((i for i in range(len(rows)) if i not in dense), key=lambda i: -len(lists[i])):
        where = [i for i in lists[j] if i not in dense]
        taken = 0
        for i in where:
            taken |= used[i]
        c = 0
        while taken >> c & 1:
            c += 1
        colour[j] = c
        for i in where:
            used[i] |= 1 << c
    return colour


def colouring(rows: Sequence[int]) -> Colouring:
    """The colouring with the fewest colours among dense/sparse splits by degree (see the module doc).

    Example:
        >>> arrow = [0b1111, 0b0011, 0b0101, 0b1001]   # parameter 0 couples with all, the others only with it
        >>> colouring(arrow).colours
        2
    """
    n = len(rows)
    lists = [members(r) for r in rows]
    by_degree = sorted(range(n), key=lambda i: -len(lists[i]))
    # candidate splits: the columns of degree above each degree that occurs (at most ~32 of them)
    degrees = sorted({len(x) for x in lists}, reverse=True)
    if len(degrees) > 32:
        degrees = degrees[:: len(degrees) // 32 + 1]
    splits = sorted({0, *(sum(1 for x in lists if len(x) > d) for d in degrees)})
    best: tuple[int, set[int], dict[int, int]] | None = None
    for k in splits:
        dense = set(by_degree[:k])
        colour = _greedy(rows, lists, dense)
        total = len(dense) + (max(colour.values()) + 1 if colour else 0)
        if best is None or total < best[0]:
            best = (total, dense, colour)
    assert best is not None
    total, dense, colour = best
    offset = (max(colour.values()) + 1) if colour else 0
    full = dict(colour)
    for m, j in enumerate(sorted(dense)):
        full[j] = offset + m
    directions = np.zeros((total, n))
    for j, col in full.items():
        directions[col, j] = 1.0
    entries = [(i, j) for i in range(n) for j in lists[i]]
    r = np.array([i for i, _ in entries], dtype=np.intp)
    c = np.array([j for _, j in entries], dtype=np.intp)
    # a dense row i (sparse column j) reads by symmetry: (H e_i)_j; every other entry: (H v_colour(j))_i
    flip = np.array([i in dense and j not in dense for i, j in entries], dtype=bool)
    src_rows = np.where(flip, c, r).astype(np.intp)
    src_cols = np.array([full[i] if f else full[j] for (i, j), f in zip(entries, flip, strict=True)], dtype=np.intp)
    return Colouring(directions, r, c, src_rows, src_cols)
