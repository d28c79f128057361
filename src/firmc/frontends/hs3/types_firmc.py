"""firmc's own HS3 types: IR text for what no HS3 syntax can hold (written by :mod:`firmc.writers.hs3`).

``firmc_ir`` (a function) and ``firmc_ir_dist`` (a distribution) hold, in field ``ir``, the text form of a
module (:mod:`firmc.ir.text`) whose entry ``value`` is the object's IR (and ``expected`` its expected events,
for an extended density). Parameters and observables in it are the document's: each leaf is resolved by name
like any other reference, so bounds and values come from the document.

Example:
    >>> from firmc.frontends.hs3.registry import TYPES
    >>> TYPES["firmc_ir"].kind, TYPES["firmc_ir_dist"].origin
    ('function', 'firmc')
"""

from __future__ import annotations

from ...errors import IRError
from ...ir import Node, parse_module, rewrite
from ..jsonread import Path_
from .loader import Obj
from .registry import register


def _ir(o: Obj) -> Node:
    p = o.raw("ir")
    try:
        mod = parse_module(p.string())
    except IRError as exc:
        raise p.error(f"cannot read the IR text: {exc}") from None
    entry = mod.entries.get("value")
    if entry is None:
        raise p.error("the IR text has no entry 'value'")

    def resolve(n: Node, args: tuple[Node, ...]) -> Node | None:
        if n.op in ("param", "obs"):
            return o.loader.ref(Path_(n.attr("name"), p.path, p.file))
        return None

    roots = [entry.expr] if entry.expected is None else [entry.expr, entry.expected]
    new = rewrite(roots, resolve)
    if entry.expected is not None:
        o.set_expected(new[1])
    return new[0]


@register("firmc_ir", "function", "ir:str", "firmc")
def firmc_ir(o: Obj) -> Node:
    """A function as firmc IR text (written by firmc where HS3 has no syntax: complex values, special
    functions ...); its parameters and observables are the document's."""
    return _ir(o)


@register("firmc_ir_dist", "distribution", "ir:str", "firmc")
def firmc_ir_dist(o: Obj) -> Node:
    """A distribution as firmc IR text (its ``normalize`` nodes say what it is normalised over)."""
    return _ir(o)
