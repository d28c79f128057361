"""Dead-code removal: branches that can never be taken, and module tables that nothing uses.

In an interned DAG there is no unreachable *node* to remove: a pass returns new roots, and whatever they do not
reach is never walked, counted or emitted (and is freed once nothing holds it). Dead code is therefore about
*branches* (``select`` arms that a constant or repeated condition rules out, factors that absorb the rest of a
product) and about the *module tables*: parameters, observables, data sets and entries that the entries being
compiled never reach (:func:`prune`).

Every rule is exact (bit-identical interpreter values). A product with a literal ``0.0`` is *not* dead for reals:
the other factor may be inf or NaN, and the sign of the zero depends on it, so ``0.0 * x`` stays unless ``x`` is
a (finite) literal, which :func:`firmc.passes.fold.fold` computes anyway; for integers ``0 * x`` is ``0``.

Example:
    >>> from firmc.ir import obs, param, apply, const
    >>> x = obs("x")
    >>> dce([apply("select", const(True), x, apply("exp", x))])[0] is x
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..errors import FormatError, did_you_mean
from ..ir import DType, Module, Node, const, walk
from .context import Context
from .rules import Rule, Uses, apply_rules, is_const, to_dtype, truth

_BOOL, _INT, _COMPLEX = DType.BOOL, DType.INT, DType.COMPLEX  # globals: faster than Enum attributes


def _select_const(n: Node, uses: Uses) -> Node | None:
    c, a, b = n.args
    if c.op != "const" or c.type.dtype is _COMPLEX:
        return None
    return to_dtype(a if truth(c) else b, n.type.dtype)


def _select_same(n: Node, uses: Uses) -> Node | None:
    _, a, b = n.args
    return a if a is b else None


def _select_not(n: Node, uses: Uses) -> Node | None:
    c, a, b = n.args
    return Node.make("select", (c.args[0], b, a)) if c.op == "not" else None


def _select_nested(n: Node, uses: Uses) -> Node | None:
    c, a, b = n.args
    if a.op == "select" and a.args[0] is c:
        out = Node.make("select", (c, a.args[1], b))
    elif b.op == "select" and b.args[0] is c:
        out = Node.make("select", (c, a, b.args[2]))
    else:
        return None
    return out if out.type.dtype is n.type.dtype else None


def choice(k: object, n: int) -> int:
    """The position ``choose(k, v_0, ..., v_{n-1})`` takes for the literal value ``k``: the floor of k clamped to
    0 .. n-1, NaN giving 0 (the interpreter's rule).

    Example:
        >>> choice(2.7, 5), choice(float("nan"), 5), choice(-3.0, 5), choice(1e300, 5), choice(True, 5)
        (2, 0, 0, 4, 1)
    """
    v = float(k)  # type: ignore[arg-type]
    if not v >= 1.0:  # NaN too
        return 0
    return n - 1 if v >= n - 1 else math.floor(v)


def _choose_const(n: Node, uses: Uses) -> Node | None:
    k = n.args[0]
    if k.op != "const":
        return None
    return to_dtype(n.args[1 + choice(k.attr("value"), len(n.args) - 1)], n.type.dtype)


def _choose_same(n: Node, uses: Uses) -> Node | None:
    first = n.args[1]
    return first if all(v is first for v in n.args[2:]) else None


def _int_zero(n: Node, uses: Uses) -> Node | None:
    if n.type.dtype is not _INT or any(a.type.dtype not in (_INT, _BOOL) for a in n.args):
        return None
    return const(0) if any(is_const(a, 0) for a in n.args) else None


def _absorb(n: Node, uses: Uses) -> Node | None:
    absorbing = n.op == "or"  # or(true, x) -> true, and(false, x) -> false
    for c in n.args:
        if is_const(c) and truth(c) == absorbing:
            return const(absorbing)
    return None


DCE_RULES: tuple[Rule, ...] = (
    Rule("select_const", frozenset({"select"}), _select_const, True,
         "select(literal, a, b) -> a or b (a literal's truth: nonzero, NaN true; int/bool arms widened exactly "
         "as NumPy widens them, by adding a negative zero)"),
    Rule("select_same", frozenset({"select"}), _select_same, True, "select(c, a, a) -> a"),
    Rule("select_not", frozenset({"select"}), _select_not, True, "select(not(c), a, b) -> select(c, b, a)"),
    Rule("select_nested", frozenset({"select"}), _select_nested, True,
         "select(c, select(c, a, b), d) -> select(c, a, d), and likewise in the else arm"),
    Rule("choose_const", frozenset({"choose"}), _choose_const, True,
         "choose(literal k, v_0, ...) -> the v_i it picks (widened as select's arms are)"),
    Rule("choose_same", frozenset({"choose"}), _choose_same, True, "choose(k, v, ..., v) -> v (and choose(k, v) -> v)"),
    Rule("int_mul_zero", frozenset({"mul"}), _int_zero, True, "0 * x -> 0 for int and bool factors only"),
    Rule("absorb", frozenset({"and", "or"}), _absorb, True, "and(false, x) -> false, or(true, x) -> true"),
)


def dce(roots: Sequence[Node], ctx: Context | None = None) -> list[Node]:
    """Remove dead branches with the exact rules of :data:`DCE_RULES` (enabled from ``optimize`` 1).

    Example:
        >>> from firmc.ir import param, apply
        >>> a, b = param("a"), param("b")
        >>> c = apply("lt", a, b)
        >>> dce([apply("select", c, apply("select", c, a, b), b * 2.0)])[0].args[1] is a
        True
    """
    return apply_rules(roots, DCE_RULES, ctx, "dce")


def reached_names(roots: Iterable[Node]) -> tuple[set[str], set[str]]:
    """Variable names (parameter, observable, integration and data-bound) and data set names used by ``roots``.

    Example:
        >>> from firmc.ir import obs, param, apply
        >>> names, data = reached_names([apply("datasum", obs("x") * param("a"), dataset="d", binds=("x",))])
        >>> sorted(names), data
        (['a', 'x'], {'d'})
    """
    names: set[str] = set()
    datasets: set[str] = set()
    for n in walk(list(roots)):
        if n.op in ("param", "obs"):
            names.add(n.attr("name"))
        elif n.op == "integral":
            names.update(n.attr("vars"))
        elif n.op == "datasum":
            datasets.add(n.attr("dataset"))
            names.update(n.attr("binds"))
    return names, datasets


def prune(module: Module, entries: Iterable[str]) -> Module:
    """A module with only the named ``entries`` and the parameters, observables, data sets and validations that
    they reach (tables are new; the Parameter, Observable, Entry and Dataset objects are shared). A name listed
    in ``module.unsupported`` is kept there.

    Example:
        >>> from firmc.ir import Entry, Parameter, param
        >>> m = Module(parameters={"a": Parameter("a", 1.0), "b": Parameter("b", 2.0)},
        ...            entries={"f": Entry("f", "function", param("a")), "g": Entry("g", "function", param("b"))})
        >>> small = prune(m, ["f"])
        >>> sorted(small.entries), sorted(small.parameters)
        (['f'], ['a'])
    """
    keep = list(dict.fromkeys(entries))
    for name in keep:
        if name not in module.entries and name not in module.unsupported:
            raise FormatError(f"unknown entry '{name}'{did_you_mean(name, module.entries)}")
    kept = {name: module.entries[name] for name in keep if name in module.entries}
    roots = [r for e in kept.values() for r in (e.expr, e.expected) if r is not None]
    names, datasets = reached_names(roots)
    names.update(o for e in kept.values() for o in e.observables)
    return Module(
        observables={k: v for k, v in module.observables.items() if k in names},
        parameters={k: v for k, v in module.parameters.items() if k in names},
        entries=kept,
        datasets={k: v for k, v in module.datasets.items() if k in datasets},
        validations=[v for v in module.validations if v.entry in kept],
        source=module.source, source_hash=module.source_hash, format=module.format,
        unsupported={k: v for k, v in module.unsupported.items() if k in keep},
    )

