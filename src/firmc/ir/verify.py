"""The IR verifier: checks a module's invariants; run between passes in tests.

Example:
    >>> from firmc.ir import Module, Entry, Parameter, param
    >>> verify(Module(parameters={"a": Parameter("a", 1.0)}, entries={"f": Entry("f", "function", param("a"))}))
"""

from __future__ import annotations

from ..errors import IRError
from .module import Module
from .node import Node, walk
from .ops import OPS
from .types import DType, Var


def verify_node(root: Node) -> None:
    """Check arity, types and structural attributes of every node under ``root``.

    Example:
        >>> from firmc.ir import param
        >>> verify_node(param("a") + 1.0)
    """
    for n in walk([root]):
        opdef = OPS.get(n.op)
        if opdef is None:
            raise IRError(f"unknown op '{n.op}'")
        opdef.check_arity(len(n.args))
        opdef.check_attrs(dict(n.attrs))
        expected = opdef.dtype_rule([a.type.dtype for a in n.args], n)
        if expected != n.type.dtype:
            raise IRError(f"node {n.op} has dtype {n.type.dtype.value}, its rule gives {expected.value}")
        if n.op == "integral":
            names = n.attr("vars")
            if not isinstance(names, tuple) or len(n.args) != 1 + 2 * len(names):
                raise IRError("integral needs one (lo, hi) pair per variable")
            if any(a.type.var is Var.EVENT for a in n.args[1:]):
                raise IRError("integral bounds must not depend on events")
        if n.op in ("param", "obs") and not isinstance(n.attr("name"), str):
            raise IRError(f"{n.op} leaf without a name")


def verify(m: Module) -> None:
    """Check every entry of ``m``: valid nodes, declared leaves, real densities and scalar likelihoods.

    Example:
        >>> verify(Module())
    """
    for e in m.entries.values():
        verify_node(e.expr)
        if e.kind in ("distribution", "likelihood") and e.expr.type.dtype is DType.COMPLEX:
            raise IRError(f"entry '{e.name}': a {e.kind} must be real, it is complex")
        if e.kind == "likelihood" and e.expr.free:
            raise IRError(f"entry '{e.name}': a likelihood must not depend on unbound observables "
                          f"{sorted(e.expr.free)}")
        for n in walk([e.expr] + ([e.expected] if e.expected is not None else [])):
            if n.op == "param" and n.attr("name") not in m.parameters and n.attr("name") not in m.observables:
                raise IRError(f"entry '{e.name}' uses undeclared parameter '{n.attr('name')}'")
            if n.op == "datasum" and n.attr("dataset") not in m.datasets:
                raise IRError(f"entry '{e.name}' sums over unknown data set '{n.attr('dataset')}'")
