"""The typed IR: interned nodes, the op table, modules, the verifier and the text form.

Example:
    >>> from firmc.ir import obs, param, apply
    >>> g = apply("exp", -0.5 * ((obs("x", -5.0, 5.0) - param("mu")) / param("sigma")) ** 2.0)
    >>> g.type
    real/event
"""

from .module import Dataset, Entry, Module, Observable, Parameter, Validation
from .node import Node, apply, const, domains, leaves, lift, obs, param, walk
from .ops import OPS, OpDef
from .rewrite import rewrite
from .text import parse_module, print_module
from .types import DType, Type, Var
from .verify import verify, verify_node

__all__ = [
    "OPS", "DType", "Dataset", "Entry", "Module", "Node", "Observable", "OpDef", "Parameter", "Type",
    "Validation", "Var", "apply", "const", "domains", "leaves", "lift", "obs", "param", "parse_module", "print_module",
    "rewrite", "verify", "verify_node", "walk",
]
