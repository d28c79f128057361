"""Rewrite rules as data, and one engine that applies a table of them bottom-up to a fixpoint.

A :class:`Rule` is a name, the ops it looks at, a function ``(node, uses) -> replacement | None`` and whether it
is *exact*. An exact rule gives bit-identical interpreter values for every input (NaN where there was NaN; the
sign of zero kept); the others change results at rounding level and say how in their ``doc``. ``min_level`` is
the ``optimize`` level from which a rule runs: exact rules from 1, rounding-level ones from 2, rules that change
values beyond rounding (more accurate, different overflow) from 3. The tables live with their passes
(:mod:`firmc.passes.fold`, :mod:`~firmc.passes.dce`, :mod:`~firmc.passes.cse`, :mod:`~firmc.passes.strength`),
in the spirit of SymPy's ``codegen.rewriting`` optimisation tuples.

The engine visits every node once, after its arguments (explicit stack); a rule sees the node rebuilt on its
already simplified arguments, and a replacement is itself simplified before it is used, so one walk reaches
the fixpoint. ``uses(node)`` tells a rule how many edges (plus roots) of the input graph reach ``node``; nodes
a rule built are reported as shared (2).

Example:
    >>> from firmc.ir import param, apply
    >>> twice = Rule("neg_neg", frozenset({"neg"}),
    ...              lambda n, uses: n.args[0].args[0] if n.args[0].op == "neg" else None, True, "-(-x) -> x")
    >>> apply_rules([-(-param("a"))], [twice])[0] is param("a")
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import IRError
from ..ir import DType, Node, const, walk
from .context import Context

Uses = Callable[[Node], int]
RuleFn = Callable[[Node, Uses], "Node | None"]

SHARED = 2  # what ``uses`` reports for a node the rules built (not in the input graph)


@dataclass(frozen=True)
class Rule:
    """One named rewrite: ``fn(node, uses)`` returns the replacement or None; ``ops`` (None: any op) is the
    index the engine dispatches on.

    Example:
        >>> r = Rule("x", frozenset({"add"}), lambda n, u: None, True, "nothing")
        >>> r.min_level, r.exact
        (1, True)
    """

    name: str
    ops: frozenset[str] | None
    fn: RuleFn
    exact: bool
    doc: str
    min_level: int = 1


class _Engine:
    def __init__(self, rules: Sequence[Rule], uses: Counter[Node]) -> None:
        self.rules = list(rules)
        self.by_op: dict[str, list[Rule]] = {}
        self.done: dict[Node, Node] = {}
        self.uses_in = uses
        self.uses_out: Counter[Node] = Counter()
        self.fired: Counter[str] = Counter()

    def uses(self, node: Node) -> int:
        return self.uses_out.get(node, SHARED)

    def rules_for(self, op: str) -> list[Rule]:
        found = self.by_op.get(op)
        if found is None:
            found = self.by_op[op] = [r for r in self.rules if r.ops is None or op in r.ops]
        return found

    def first(self, node: Node) -> Node | None:
        for rule in self.rules_for(node.op):
            out = rule.fn(node, self.uses)
            if out is not None and out is not node:
                self.fired[rule.name] += 1
                return out
        return None

    def simplify(self, root: Node) -> Node:
        """The fixpoint of ``root``. Explicit stack of (phase, node, rebuilt node, replacement): phase 0 visits,
        1 rebuilds on simplified arguments and tries the rules, 2 takes the simplified replacement."""
        done = self.done
        pending: set[Node] = set()
        start = 1 if all(a in done for a in root.args) else 0
        stack: list[tuple[int, Node, Node | None, Node | None]] = [(start, root, None, None)]
        while stack:
            phase, node, cur, out = stack.pop()
            if phase == 2:
                assert cur is not None and out is not None
                done[node] = done[cur] = done[out]
                pending.difference_update((node, cur))
            elif phase == 0:
                if node in done:
                    continue
                if node in pending:
                    raise IRError(f"rewrite rules loop on a '{node.op}' node")
                pending.add(node)
                stack.append((1, node, None, None))
                stack.extend((0, a, None, None) for a in reversed(node.args) if a not in done)
            else:
                self._rebuild(node, pending, stack)
        return done[root]

    def _rebuild(self, node: Node, pending: set[Node],
                 stack: list[tuple[int, Node, Node | None, Node | None]]) -> None:
        done = self.done
        args = tuple(done[a] for a in node.args)
        cur = node if all(a is b for a, b in zip(args, node.args, strict=True)) else \
            Node.make(node.op, args, node.attrs)
        out = done.get(cur) if cur is not node else None
        if out is None:
            out = self.first(cur)
            if out is None:
                done[cur] = cur
                out = cur
            elif out in done:
                out = done[out]
            elif out in pending or out is cur:
                raise IRError(f"rewrite rules loop on a '{node.op}' node")
            else:
                pending.add(cur)
                stack.append((2, node, cur, out))
                stack.append((0, out, None, None))
                return
        done[node] = done[cur] = out
        pending.discard(node)


@dataclass(frozen=True)
class RuleRun:
    """The outcome of :func:`run_rules`: the new roots, how often each rule fired, and how many nodes of the input
    graph were merged with another (mapped to the same node).

    Example:
        >>> RuleRun([], Counter(), 0).merged
        0
    """

    roots: list[Node]
    fired: Counter[str]
    merged: int
    nodes_before: int = 0


def run_rules(roots: Sequence[Node], rules: Sequence[Rule], level: int = 1) -> RuleRun:
    """Rewrite ``roots`` with the ``rules`` enabled at ``level`` (tried in table order), to a fixpoint.

    Example:
        >>> from firmc.ir import param
        >>> neg = Rule("neg_neg", frozenset({"neg"}), lambda n, u: n.args[0].args[0] if n.args[0].op == "neg"
        ...            else None, True, "")
        >>> run_rules([-(-param("a"))], [neg]).fired
        Counter({'neg_neg': 1})
    """
    active = [r for r in rules if r.min_level <= level]
    if not active:
        return RuleRun(list(roots), Counter(), 0)
    originals = list(walk(list(roots)))
    uses: Counter[Node] = Counter(roots)
    for n in originals:
        uses.update(n.args)
    engine = _Engine(active, uses)
    for n in originals:  # in post-order: the uses of a node are known before its users ask
        out = engine.simplify(n)
        engine.uses_out[out] += engine.uses_in[n]
    images = {engine.done[n] for n in originals}
    return RuleRun([engine.done[r] for r in roots], engine.fired, len(originals) - len(images), len(originals))


def apply_rules(roots: Sequence[Node], rules: Sequence[Rule], ctx: Context | None = None,
                pass_name: str = "rules") -> list[Node]:
    """:func:`run_rules` at ``ctx.optimize``; how often each rule fired is noted in ``ctx`` under ``pass_name``.

    Example:
        >>> from firmc.ir import apply, param
        >>> drop = Rule("drop", frozenset({"exp"}), lambda n, u: n.args[0], False, "", min_level=2)
        >>> e = apply_rules([apply("exp", param("a"))], [drop], Context(optimize=1))[0]
        >>> e.op
        'exp'
    """
    ctx = ctx if ctx is not None else Context()
    run = run_rules(roots, rules, ctx.optimize)
    if run.fired:
        ctx.note(pass_name, "graph", f"rules fired: {format_counts(run.fired)}")
    return run.roots


def format_counts(counts: Counter[str]) -> str:
    """``name count`` pairs, most frequent first.

    Example:
        >>> format_counts(Counter({"a": 1, "b": 3}))
        'b 3, a 1'
    """
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------------- helpers for rule bodies
NUMERIC = (DType.INT, DType.REAL)


def is_const(n: Node, value: float | None = None) -> bool:
    """Whether ``n`` is a non-complex literal (equal to ``value`` if given; ``-0.0`` and ``0.0`` both equal 0).

    Example:
        >>> is_const(const(1.0), 1), is_const(const(1j), 1)
        (True, False)
    """
    if n.op != "const" or n.type.dtype is DType.COMPLEX:
        return False
    return value is None or n.attr("value") == value


def is_zero(n: Node, negative: bool) -> bool:
    """Whether ``n`` is the literal zero of the given sign: ``-0.0`` (negative) or ``+0.0``/int ``0``.

    Example:
        >>> is_zero(const(-0.0), True), is_zero(const(0.0), True), is_zero(const(0), False)
        (True, False, True)
    """
    if not is_const(n, 0):
        return False
    v = n.attr("value")
    if isinstance(v, float):
        return bool(np.signbit(v)) == negative
    return not negative


def truth(n: Node) -> bool:
    """The truth value that ``select``, ``and``, ``or`` and ``not`` give the literal ``n`` (NaN is true).

    Example:
        >>> truth(const(float("nan"))), truth(const(-0.0))
        (True, False)
    """
    return bool(np.asarray(n.attr("value")) != 0)


def to_dtype(x: Node, dtype: DType) -> Node | None:
    """``x`` converted to the wider ``dtype`` exactly as NumPy promotion converts it (adding a negative zero),
    ``x`` itself when it already has that dtype, None for a narrowing.

    Example:
        >>> from firmc.ir import param
        >>> to_dtype(const(2), DType.REAL).type, to_dtype(param("a"), DType.INT) is None
        (real/const, True)
    """
    have = x.type.dtype
    if have is dtype:
        return x
    if have.rank > dtype.rank or dtype is DType.BOOL:
        return None
    zero = {DType.INT: const(0), DType.REAL: const(-0.0), DType.COMPLEX: const(complex(-0.0, -0.0))}[dtype]
    out = Node.make("add", (x, zero))
    return out if out.type.dtype is dtype else None


def rule_table(rules: Sequence[Rule]) -> str:
    """The rules as a Markdown table (name, ops, exact, level, what it does).

    Example:
        >>> print(rule_table([Rule("r", frozenset({"neg"}), lambda n, u: None, True, "-(-x) -> x")]))
        | rule | ops | exact | level | rewrite |
        |---|---|---|---|---|
        | `r` | neg | yes | 1 | -(-x) -> x |
    """
    lines = ["| rule | ops | exact | level | rewrite |", "|---|---|---|---|---|"]
    for r in rules:
        ops = ", ".join(sorted(r.ops)) if r.ops is not None else "any"
        lines.append(f"| `{r.name}` | {ops} | {'yes' if r.exact else 'no'} | {r.min_level} | {r.doc} |")
    return "\n".join(lines)
