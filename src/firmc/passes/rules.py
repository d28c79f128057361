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
from itertools import chain

import numpy as np

from ..errors import IRError
from ..ir import DType, Node, const, walk
from .context import Context, collector_paused

_BOOL, _COMPLEX = DType.BOOL, DType.COMPLEX  # globals: faster than Enum attributes

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


_Frame = tuple[int, Node, "Node | None", "Node | None"]


class _Engine:
    """The fixpoint walk. The functions of the rules for an op are looked up once per run (``table``) and
    ``uses`` is bound once. :meth:`run` simplifies the input graph in post-order without a stack: a node whose
    arguments are simplified is rebuilt on them and tried in place, and so is a chain of replacements whose
    arguments are simplified already; anything else (a replacement with new arguments) goes through the
    explicit stack of :meth:`_drain`, which does the same steps in the same order."""

    def __init__(self, rules: Sequence[Rule], uses: Counter[Node]) -> None:
        self.rules = list(rules)
        self.table: dict[str, tuple[tuple[RuleFn, str], ...]] = {}
        self.done: dict[Node, Node] = {}
        self.uses_in = uses
        self.uses_out: Counter[Node] = Counter()
        self.fired: Counter[str] = Counter()
        self.uses: Uses = self._uses  # bound once: every rule call gets the same callable

    def _uses(self, node: Node) -> int:
        return self.uses_out.get(node, SHARED)

    def fns_for(self, op: str) -> tuple[tuple[RuleFn, str], ...]:
        found = self.table.get(op)
        if found is None:
            found = self.table[op] = tuple((r.fn, r.name) for r in self.rules if r.ops is None or op in r.ops)
        return found

    def first(self, node: Node) -> Node | None:
        """The replacement that the first rule (in table order) gives ``node``, or None."""
        uses = self.uses
        for fn, name in self.table.get(node.op) or self.fns_for(node.op):
            out = fn(node, uses)
            if out is not None and out is not node:
                self.fired[name] += 1
                return out
        return None

    def run(self, originals: Sequence[Node]) -> None:
        """Simplify ``originals`` (in post-order: the uses of a node are known before its users ask), counting
        in ``uses_out`` the uses of each image."""
        done, table, fired, uses = self.done, self.table, self.fired, self.uses
        uses_in, uses_out = self.uses_in, self.uses_out
        get_done, get_arg, get_out, make = done.get, done.__getitem__, uses_out.get, Node.make
        image: Node | None
        for node in originals:
            args = node.args
            cur = node
            if args:
                try:
                    new = tuple(map(get_arg, args))
                except KeyError:  # not in post-order after all: the general walk
                    image = self.simplify(node)
                    uses_out[image] = get_out(image, 0) + uses_in[node]
                    continue
                if new != args:  # Node has no __eq__: tuples of nodes compare by identity
                    cur = make(node.op, new, node.attrs)
            image = get_done(cur) if cur is not node else None
            if image is None:
                op = cur.op
                rep: Node | None = None
                for fn, name in table.get(op) or self.fns_for(op):
                    rep = fn(cur, uses)
                    if rep is not None and rep is not cur:
                        fired[name] += 1
                        break
                else:
                    rep = None
                if rep is None:
                    image = done[cur] = cur
                elif rep in done:
                    image = done[rep]
                else:
                    image = self._chain(node, cur, rep)
                    uses_out[image] = get_out(image, 0) + uses_in[node]
                    continue
            done[node] = image
            if cur is not node:
                done[cur] = image
            uses_out[image] = get_out(image, 0) + uses_in[node]

    def _chain(self, node: Node, cur: Node, out: Node) -> Node:
        """The image of ``node`` (rebuilt as ``cur``) that a rule replaced by ``out``, which is not simplified
        yet: while the replacements have simplified arguments, they are rebuilt and tried here; the first that
        has not goes to :meth:`_drain` with the stack and pending set the explicit walk would have then."""
        done = self.done
        links: list[_Frame] = [(2, node, cur, out)]
        pending = {cur}
        while True:
            oargs = out.args
            for a in oargs:
                if a not in done:
                    links.append((0, out, None, None))
                    return self._drain(links, pending, node)
            if out in pending:
                raise IRError(f"rewrite rules loop on a '{out.op}' node")
            pending.add(out)
            new = tuple([done[a] for a in oargs])
            step = out if new == oargs else Node.make(out.op, new, out.attrs)
            image = done.get(step) if step is not out else None
            if image is None:
                nxt = self.first(step)
                if nxt is None:
                    done[step] = image = step
                elif nxt in done:
                    image = done[nxt]
                elif nxt in pending or nxt is step:
                    raise IRError(f"rewrite rules loop on a '{out.op}' node")
                else:
                    pending.add(step)
                    links.append((2, out, step, nxt))
                    out = nxt
                    continue
            done[out] = done[step] = image
            for _, n, c, _ in links:
                assert c is not None
                done[n] = done[c] = image
            return image

    def simplify(self, root: Node) -> Node:
        """The fixpoint of ``root``."""
        start = 1 if all(a in self.done for a in root.args) else 0
        return self._drain([(start, root, None, None)], set(), root)

    def _drain(self, stack: list[_Frame], pending: set[Node], root: Node) -> Node:
        """Run the explicit stack of (phase, node, rebuilt node, replacement): phase 0 visits, 1 rebuilds on
        simplified arguments and tries the rules, 2 takes the simplified replacement; return ``root``'s image."""
        done = self.done
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

    def _rebuild(self, node: Node, pending: set[Node], stack: list[_Frame]) -> None:
        done = self.done
        args = tuple([done[a] for a in node.args])
        cur = node if args == node.args else Node.make(node.op, args, node.attrs)
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
    with collector_paused():
        originals = list(walk(list(roots)))
        uses: Counter[Node] = Counter(roots)
        uses.update(chain.from_iterable([n.args for n in originals]))
        engine = _Engine(active, uses)
        engine.run(originals)
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
    if n.op != "const" or n.type.dtype is _COMPLEX:
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
    if have.rank > dtype.rank or dtype is _BOOL:
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
