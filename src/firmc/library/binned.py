"""Piecewise-constant (binned) functions and densities as IR: histogram lookups, histogram densities and the
bin-count distributions of HS3.

A lookup is a balanced tree of ``select(x < edge, left, right)``: depth log2(bins) per axis, each bin's lower
edge inclusive, values below the first edge in the first bin and at or above the last edge in the last
bin (RooFit's binning). Multi-dimensional tables are flattened with the first axis slowest (``"C"``, the
order of HS3 binned data and RooDataHist) or fastest (``"F"``, RooFit's ParamHistFunc).

Example:
    >>> from firmc.ir import obs
    >>> from firmc.interp import evaluate
    >>> f = lookup([obs("x")], [(0.0, 1.0, 3.0)], [const(5.0), const(7.0)])
    >>> [float(v) for v in evaluate([f], {"x": np.array([0.5, 1.0, 2.9])})[0]]
    [5.0, 7.0, 7.0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from ..ir import Node, apply, const
from .integrals import RULES

Edges = Sequence[float]
Box = Sequence[tuple[float, float]]


def _tree(x: Node, edges: Edges, leaves: Sequence[Node]) -> Node:
    """Balanced select tree over one axis: leaves[i] on [edges[i], edges[i+1])."""
    if len(leaves) == 1:
        return leaves[0]
    mid = len(leaves) // 2
    return apply("select", apply("lt", x, const(float(edges[mid]))), _tree(x, edges[: mid + 1], leaves[:mid]),
                 _tree(x, edges[mid:], leaves[mid:]))


def check_edges(edges: Edges) -> None:
    """Raise ValueError unless ``edges`` are at least two finite, strictly increasing numbers.

    Example:
        >>> check_edges([0.0, 1.0])
    """
    if len(edges) < 2 or not all(math.isfinite(e) for e in edges) or any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError("bin edges must be at least two finite, strictly increasing numbers")


def lookup(xs: Sequence[Node], edges: Sequence[Edges], values: Sequence[Node],
           order: Literal["C", "F"] = "C") -> Node:
    """The value of the bin of ``xs`` in a table of ``values`` over the grid ``edges`` (one list per axis).

    Example:
        >>> from firmc.ir import obs
        >>> lookup([obs("x")], [(0.0, 1.0)], [const(2.0)]).attr("value")
        2.0
    """
    if len(xs) != len(edges):
        raise ValueError(f"{len(xs)} variables for {len(edges)} axes")
    for e in edges:
        check_edges(e)
    shape = [len(e) - 1 for e in edges]
    if len(values) != math.prod(shape):
        raise ValueError(f"{len(values)} values for {math.prod(shape)} bins {tuple(shape)}")
    table = np.empty(len(values), dtype=object)
    table[:] = list(values)
    grid = table.reshape(shape, order=order)
    return _nested(xs, edges, grid)


def table(values: Sequence[float | Node] | float, index: Node | None = None) -> Node:
    """Entry ``index`` of a table: ``choose(index, v_0, ..., v_n-1)`` (the floor of ``index``, clamped), a
    constant when every entry is the same number (or for a single number, where ``index`` may be None).

    Example:
        >>> from firmc.ir import obs, param
        >>> from firmc.interp import evaluate
        >>> table([2.0, 2.0]).attr("value"), table(3.0).attr("value")
        (2.0, 3.0)
        >>> t = table([1.0, param("g"), 5.0], obs("bin"))
        >>> [float(v) for v in evaluate([t], {"bin": np.array([0.0, 1.0, 2.0]), "g": 7.0})[0]]
        [1.0, 7.0, 5.0]
    """
    items = [values] if isinstance(values, (int, float, Node)) else list(values)
    nodes = [v if isinstance(v, Node) else const(float(v)) for v in items]
    if not nodes:
        raise ValueError("a table needs at least one entry")
    if all(n is nodes[0] for n in nodes):
        return nodes[0]
    if index is None:
        raise ValueError("a table of different entries needs an index")
    return apply("choose", index, *nodes)


def _nested(xs: Sequence[Node], edges: Sequence[Edges], grid: np.ndarray) -> Node:
    if len(xs) == 1:
        return _tree(xs[0], edges[0], list(grid))
    rows = [_nested(xs[1:], edges[1:], grid[i]) for i in range(grid.shape[0])]
    return _tree(xs[0], edges[0], rows)


def bins(edges: Sequence[Edges]) -> list[tuple[tuple[float, float], ...]]:
    """Every bin of the grid as a box ((lo, hi) per axis), first axis slowest.

    Example:
        >>> bins([(0.0, 1.0, 2.0)])
        [((0.0, 1.0),), ((1.0, 2.0),)]
    """
    per_axis = [list(itertools.pairwise(float(v) for v in e)) for e in edges]
    return [tuple(b) for b in itertools.product(*per_axis)]


def volume(box: Box) -> float:
    """Product of the side lengths of ``box``.

    Example:
        >>> volume([(0.0, 2.0), (1.0, 4.0)])
        6.0
    """
    return math.prod(hi - lo for lo, hi in box)


def overlap(a: Box, b: Box) -> float:
    """Volume of the intersection of two boxes.

    Example:
        >>> overlap([(0.0, 2.0)], [(1.0, 5.0)])
        1.0
    """
    return math.prod(max(0.0, min(ah, bh) - max(al, bl)) for (al, ah), (bl, bh) in zip(a, b, strict=True))


def histogram_density(xs: Sequence[Node], edges: Sequence[Edges], contents: Sequence[float], domain: Box) -> Node:
    """RooHistPdf: c_i / (volume_i N) in bin i, N the contents inside ``domain`` (bins cut by the domain
    count in proportion), so that the density integrates to 1 over the domain.

    Example:
        >>> from firmc.ir import obs
        >>> from firmc.interp import evaluate
        >>> d = histogram_density([obs("x")], [(0.0, 1.0, 3.0)], [1.0, 4.0], [(0.0, 3.0)])
        >>> [float(v) for v in evaluate([d], {"x": np.array([0.5, 2.0])})[0]]
        [0.2, 0.4]
    """
    boxes = bins(edges)
    if len(contents) != len(boxes):
        raise ValueError(f"{len(contents)} contents for {len(boxes)} bins")
    total = sum(c * overlap(b, domain) / volume(b) for c, b in zip(contents, boxes, strict=True))
    if not total > 0.0:
        raise ValueError("the histogram has no positive content inside the domain of its observables")
    values = [const(c / (volume(b) * total)) for c, b in zip(contents, boxes, strict=True)]
    return lookup(xs, edges, values)


def histogram_bin_fractions(hist_edges: Sequence[Edges], contents: Sequence[float], target: Sequence[Edges],
                            domain: Box) -> list[float]:
    """Probability of each bin of the grid ``target`` under the histogram density (exact overlaps).

    Example:
        >>> histogram_bin_fractions([(0.0, 2.0)], [3.0], [(0.0, 1.0, 2.0)], [(0.0, 2.0)])
        [0.5, 0.5]
    """
    boxes = bins(hist_edges)
    total = sum(c * overlap(b, domain) / volume(b) for c, b in zip(contents, boxes, strict=True))
    out = []
    for t in bins(target):
        cut = [(max(lo, dl), min(hi, dh)) for (lo, hi), (dl, dh) in zip(t, domain, strict=True)]
        out.append(sum(c * overlap(b, cut) / volume(b) for c, b in zip(contents, boxes, strict=True)) / total)
    return out


def box_integral(f: Node, xs: Sequence[Node], box: Box) -> Node:
    """Integral of ``f`` over ``box`` in the variables ``xs``: the closed-form rule of a library shape when
    ``f`` is one in a single observable, else an ``integral`` node (quadrature).

    Example:
        >>> from firmc.ir import obs
        >>> box_integral(obs("x", 0.0, 1.0), [obs("x", 0.0, 1.0)], [(0.0, 0.5)]).op
        'integral'
    """
    closed = _closed_form(f, xs, box)
    if closed is not None:
        return closed
    names = tuple(x.attr("name") for x in xs)
    bounds = [const(float(b)) for lo_hi in box for b in lo_hi]
    return apply("integral", f, *bounds, vars=names)


def _closed_form(f: Node, xs: Sequence[Node], box: Box) -> Node | None:
    """For f = normalize[rule](shape, x, args) with x the only observable: rule(bin) / rule(domain)."""
    if f.op != "normalize" or len(xs) != 1 or len(f.args) < 2:
        return None
    rule: Callable[..., Node] | None = RULES.get(f.attr("rule"))
    x = f.args[1]
    if rule is None or x.op != "obs" or xs[0] is not x or f.args[0].free != x.free:
        return None
    (lo, hi), = box
    dom_lo, dom_hi = x.attr("lo"), x.attr("hi")
    if not (math.isfinite(dom_lo) and math.isfinite(dom_hi)):
        return None
    lo, hi = max(lo, dom_lo), min(hi, dom_hi)
    if hi <= lo:
        return const(0.0)
    return rule(lo, hi, *f.args[1:]) / rule(dom_lo, dom_hi, *f.args[1:])


def bin_count_density(xs: Sequence[Node], edges: Sequence[Edges], nus: Sequence[Node]) -> tuple[Node, Node]:
    """(density, expected): nu_i / (nu_tot volume_i) in bin i and nu_tot = sum_i nu_i.

    Paired with binned data (events at bin centres weighted by counts n_i) and the extended term
    nu_tot - N log nu_tot, the negative log-likelihood is sum_i (nu_i - n_i log nu_i) + sum_i n_i log volume_i:
    the product of Poisson terms up to a constant.

    Example:
        >>> from firmc.ir import obs, param
        >>> d, n = bin_count_density([obs("x")], [(0.0, 1.0, 2.0)], [param("a"), param("b")])
        >>> n.op
        'add'
    """
    boxes = bins(edges)
    if len(nus) != len(boxes):
        raise ValueError(f"{len(nus)} bin expectations for {len(boxes)} bins")
    total = apply("add", *nus) if len(nus) > 1 else nus[0]
    values = [nu / (total * volume(b)) for nu, b in zip(nus, boxes, strict=True)]
    return lookup(xs, edges, values), total
