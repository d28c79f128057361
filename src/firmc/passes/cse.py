"""Common-subexpression elimination beyond interning.

Interning already makes identical subtrees one node. This pass makes *equal-valued* ones identical first, with
exact rewrites only (bit-identical interpreter values):

* canonical argument order for commutative pairs: ``b * a`` and ``a * b`` become one node. Swapping is exact
  for two operands of add, mul, eq, ne, and, or and approx_eq, and for the *first two* operands of an n-ary
  add or mul (``(b + a) + c`` is ``(a + b) + c``); later operands are never reordered (rounding). Not for
  complex products (NumPy's complex multiply uses fused operations: ``a * b`` and ``b * a`` differ in the last
  bit) and not for min/max (``np.minimum(0.0, -0.0)`` is ``-0.0`` but ``np.minimum(-0.0, 0.0)`` is ``0.0``);
* ``gt(a, b) -> lt(b, a)``, ``ge(a, b) -> le(b, a)``;
* ``a + (-b) -> a - b`` (IEEE subtraction is addition of the negation) and ``a - (-b) -> a + b``, when ``b`` has
  the result's dtype (a negation followed by a widening is not a widening followed by a negation: int ``-0``
  widens to ``+0.0``, real ``-b`` to ``(-b, +0.0)``);
* shared prefixes of n-ary sums and products: ``add(a, b, c, d)`` and ``add(a, b, c, e)`` become
  ``add(p, d)`` and ``add(p, e)`` with ``p = add(a, b, c)`` (the interpreter accumulates left to right, so this is
  the same computation, done once).

The canonical order is by a structural digest (deterministic across runs, not by ``id``), literals last.

Example:
    >>> from firmc.ir import obs, param, walk
    >>> x, a = obs("x"), param("a")
    >>> out = cse([x * a + 1.0, a * x - 2.0])
    >>> sum(1 for n in walk(out) if n.op == "mul")
    1
"""

from __future__ import annotations

import hashlib
import itertools
import weakref
from collections.abc import Sequence

from ..ir import DType, Node, rewrite, walk
from .context import Context
from .rules import Rule, Uses, format_counts, run_rules

_BOOL, _COMPLEX = DType.BOOL, DType.COMPLEX  # globals: faster than Enum attributes

# weak reference to a node -> its digest. An entry leaves with its node (the reference's callback runs when the
# node is freed); a reference hashes and compares as its live node, so a fresh ``weakref.ref(node)`` finds it.
# One tracked object per entry (the reference): a large graph's digests add little work for the garbage collector.
_DIGESTS: dict[weakref.ref[Node], bytes] = {}
_ref = weakref.ref


def _forget(ref: weakref.ref[Node]) -> None:
    _DIGESTS.pop(ref, None)


def digest(root: Node) -> bytes:
    """A structural hash of ``root`` (op, attributes, arguments' digests): equal for equal graphs in every run.

    Example:
        >>> from firmc.ir import param
        >>> digest(param("a") + 1.0) == digest(param("a") + 1.0) != digest(1.0 + param("a"))
        True
    """
    known = _DIGESTS.get
    found = known(_ref(root))
    if found is not None:
        return found
    blake2b = hashlib.blake2b
    stack = [root]
    while stack:  # explicit stack that stops at nodes already digested
        n = stack[-1]
        args = n.args
        parts = [known(_ref(a)) for a in args]
        if None in parts:
            stack.extend([a for a, d in zip(args, parts, strict=True) if d is None])
            continue
        stack.pop()
        key = _ref(n, _forget)
        if key not in _DIGESTS:  # a node can be on the stack twice
            _DIGESTS[key] = blake2b(f"{n.op}{n.attrs!r}".encode() + b"".join(parts),  # type: ignore[arg-type]
                                    digest_size=12).digest()
    return _DIGESTS[_ref(root)]


def canonical_key(n: Node) -> tuple[bool, bytes]:
    """Sort key of commutative operands: non-literals first, then by :func:`digest`.

    Example:
        >>> from firmc.ir import param, const
        >>> canonical_key(param("a")) < canonical_key(const(2.0))
        True
    """
    return (n.op == "const", digest(n))


_COMMUTATIVE = frozenset({"add", "mul", "eq", "ne", "and", "or", "approx_eq"})


def _commute(n: Node, uses: Uses) -> Node | None:
    args = n.args
    if len(args) < 2:
        return None
    a, b = args[0], args[1]
    if n.op == "mul" and (a.type.dtype is _COMPLEX or b.type.dtype is _COMPLEX):
        return None
    a_const, b_const = a.op == "const", b.op == "const"  # canonical_key(b) < canonical_key(a), digests if needed
    if a_const is b_const:
        known = _DIGESTS.get  # digest(), without the call where it is known
        if not (known(_ref(b)) or digest(b)) < (known(_ref(a)) or digest(a)):
            return None
    elif not b_const < a_const:
        return None
    return Node.make(n.op, (b, a, *args[2:]), n.attrs)


def _flip(n: Node, uses: Uses) -> Node | None:
    a, b = n.args
    return Node.make("lt" if n.op == "gt" else "le", (b, a))


def _negated(n: Node, nb: Node) -> Node | None:
    """``b`` when ``nb`` is ``-b`` and moving the sign into the op is exact: ``b`` has the result's dtype. Otherwise
    the negation happens before a widening, and the widening does not commute with it: an int ``-0`` widens to
    ``+0.0`` where a real negation gives ``-0.0``; a real ``-b`` widens to ``(-b, +0.0)``, changing the sign of
    a zero imaginary part; and NumPy cannot negate bools."""
    if nb.op != "neg" or nb.args[0].type.dtype is not n.type.dtype:
        return None
    return nb.args[0]


def _add_neg(n: Node, uses: Uses) -> Node | None:
    args = n.args
    if len(args) != 2 or (args[0].op != "neg" and args[1].op != "neg"):
        return None
    for a, nb in (n.args, n.args[::-1]):
        b = _negated(n, nb)
        if b is not None:
            return Node.make("sub", (a, b))
    return None


def _sub_neg(n: Node, uses: Uses) -> Node | None:
    a, nb = n.args
    if nb.op != "neg":
        return None
    b = _negated(n, nb)
    return Node.make("add", (a, b)) if b is not None else None


CSE_RULES: tuple[Rule, ...] = (
    Rule("flip_comparison", frozenset({"gt", "ge"}), _flip, True, "gt(a, b) -> lt(b, a), ge(a, b) -> le(b, a)"),
    Rule("add_neg", frozenset({"add"}), _add_neg, True,
         "a + (-b) -> a - b, (-b) + a -> a - b (b of the result's dtype)"),
    Rule("sub_neg", frozenset({"sub"}), _sub_neg, True, "a - (-b) -> a + b (b of the result's dtype)"),
    Rule("commute", _COMMUTATIVE, _commute, True,
         "canonical order of the first two operands of add, mul (not complex), eq, ne, and, or, approx_eq"),
)


class _Trie:
    __slots__ = ("count", "ends", "next")

    def __init__(self) -> None:
        self.count = 0
        self.ends = 0
        self.next: dict[Node, _Trie] = {}


def _chainable(n: Node) -> bool:
    """An n-ary add or mul whose left-to-right accumulation has the node's dtype at every step (no bool operand:
    NumPy adds bools as logical or)."""
    return n.op in ("add", "mul") and len(n.args) >= 2 and all(a.type.dtype is not _BOOL for a in n.args)


def _branches(root: _Trie) -> bool:
    """Whether a prefix of two or more operands is shared by two or more nodes and ends or branches there."""
    stack = [(root, 0)]
    while stack:
        t, depth = stack.pop()
        if depth >= 2 and t.count >= 2 and (t.ends or len(t.next) >= 2) and any(c.count for c in t.next.values()):
            return True
        stack.extend((c, depth + 1) for c in t.next.values() if c.count >= 2)
    return False


def share_prefixes(roots: Sequence[Node]) -> tuple[list[Node], int]:
    """Split n-ary sums and products at operand prefixes that two or more of them share (or that is itself one
    of them), so that the prefix is computed once; returns the new roots and the number of shared prefixes.

    Example:
        >>> from firmc.ir import param, apply
        >>> a, b, c, d, e = (param(k) for k in "abcde")
        >>> out, k = share_prefixes([apply("add", a, b, c, d), apply("add", a, b, c, e)])
        >>> k, out[0].args[0] is out[1].args[0], len(out[0].args[0].args)
        (1, True, 3)
    """
    tries: dict[str, _Trie] = {}
    for n in walk(list(roots)):
        if _chainable(n):
            t = tries.setdefault(n.op, _Trie())
            for a in n.args:
                t = t.next.setdefault(a, _Trie())
                t.count += 1
            t.ends += 1
    prefixes: set[Node] = set()
    if not any(_branches(t) for t in tries.values()):
        return list(roots), 0

    def cuts(n: Node) -> list[int]:
        t, out = tries[n.op], []
        for depth, a in enumerate(n.args[:-1], start=1):
            t = t.next[a]
            if depth >= 2 and t.count >= 2 and (t.ends or len(t.next) >= 2):
                out.append(depth)
        return out

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        if not _chainable(n):
            return None
        at = cuts(n)
        if not at:
            return None
        p = Node.make(n.op, args[:at[0]])
        prefixes.add(p)
        for lo, hi in itertools.pairwise(at):
            p = Node.make(n.op, (p, *args[lo:hi]))
            prefixes.add(p)
        return Node.make(n.op, (p, *args[at[-1]:]))

    return rewrite(roots, rule), len(prefixes)


def cse(roots: Sequence[Node], ctx: Context | None = None) -> list[Node]:
    """Canonicalise with :data:`CSE_RULES` (so that equal values become one interned node), then share prefixes
    of n-ary sums and products (:func:`share_prefixes`); all exact, enabled from ``optimize`` 1. What was found
    is noted in ``ctx``.

    Example:
        >>> from firmc.ir import param, apply
        >>> a, b = param("a"), param("b")
        >>> out = cse([apply("gt", a, b), apply("lt", b, a)])
        >>> out[0] is out[1]
        True
    """
    ctx = ctx if ctx is not None else Context()
    if ctx.optimize < 1:
        return list(roots)
    run = run_rules(roots, CSE_RULES, ctx.optimize)
    out, shared = share_prefixes(run.roots)
    ctx.note("cse", "graph", f"{run.merged} of {run.nodes_before} nodes merged after {sum(run.fired.values())} "
             f"canonical rewrites ({format_counts(run.fired) or 'none'}); {shared} shared prefixes of sums/products")
    return out
