"""IR <-> SymPy, one region at a time, keeping the IR's sharing (the time limit for SymPy work is
:mod:`firmc.passes.timelimit`).

A whole likelihood never becomes one SymPy expression. :func:`partition` cuts the graph into *regions*: trees of
ops that have a SymPy counterpart, bounded in size. A region ends at its *inputs*: leaves (``param`` and ``obs``
become real symbols named after them), nodes used more than once (shared), structural ops (``integral``,
``normalize``, ``datasum``), ops without a faithful SymPy counterpart, the arguments of wide sums and products
(each term is its own region), and wherever a region would grow past ``max_ops``. :func:`to_sympy` turns one
region into one SymPy expression whose free symbols stand for its inputs; :func:`from_sympy` turns a SymPy
expression back into IR (numbers become float64 constants; a construct the IR lacks raises the private
``_Unsupported``, so that callers keep the original IR).

Constants: a float literal becomes the SymPy Rational that rounds back to it when one with a denominator below
10^6 does (0.5, 0.1, 3.7, 1e-3), an Integer when it is integral; other literals (1.2533141373155, inf, nan) are
opaque symbols, so that SymPy never computes with approximate numbers. Nothing is parsed from strings.

Example:
    >>> from firmc.ir import obs, param
    >>> x, m = obs("x", 0.0, 1.0), param("m")
    >>> expr, inputs = to_sympy((x * x - m * m) / (x - m))
    >>> import sympy as sp
    >>> back = from_sympy(sp.cancel(expr), inputs)
    >>> back is m + x or back is x + m
    True
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from ..ir import OPS, Node, apply, const, obs, param, walk
from ..ir.types import DType

#: ops whose meaning the interpreter gives; their arguments start regions of their own
STRUCTURAL = frozenset({"const", "param", "obs", "integral", "normalize", "datasum"})
#: ops with a SymPy entry that SymPy would not keep exact: approx_eq is not Eq (4 ulp), log1p/expm1 would lose
#: their accuracy near 0, mod is C fmod (SymPy's Mod takes the divisor's sign), trunc and the regularised
#: incomplete gammas come back as several ops the IR only approximates
OPAQUE = frozenset({"approx_eq", "log1p", "expm1", "mod", "trunc", "gammainc", "gammaincc"})
_LEAVES = frozenset({"const", "param", "obs"})
_SYMPY_OPS = frozenset(name for name, d in OPS.items() if d.sympy is not None) - STRUCTURAL - OPAQUE
_UNEVALUATED = (sp.Integral, sp.Sum, sp.Product, sp.Limit, sp.Derivative, sp.Subs, sp.Order)


class _Unsupported(Exception):
    """A node or SymPy construct the bridge cannot translate exactly; the caller keeps the original IR."""


# ------------------------------------------------------------------------------------------------- regions
def convertible(n: Node) -> bool:
    """Whether ``n`` can be an op inside a region (an exact SymPy counterpart, not structural, not integer).

    Example:
        >>> from firmc.ir import param
        >>> convertible(apply("exp", param("a"))), convertible(apply("log1p", param("a")))
        (True, False)
    """
    if n.op not in _SYMPY_OPS or n.type.dtype is DType.INT:
        return False
    if n.op == "select":
        return n.args[0].type.dtype is DType.BOOL
    if n.op in ("and", "or", "not"):
        return all(a.type.dtype is DType.BOOL for a in n.args)
    return True


def partition(roots: Sequence[Node], max_ops: int = 64, max_args: int = 16) -> list[Node]:
    """The region roots of the graph under ``roots``, inputs before their users. Every non-leaf node that is a
    root, shared (has more than one user), not :func:`convertible` or with more than ``max_args`` arguments,
    an argument of such a node, or where a region would exceed ``max_ops`` ops starts a region (a wide sum is
    a region of one op whose terms are regions of their own).

    Example:
        >>> from firmc.ir import obs, param
        >>> t = (obs("x") - param("m")) / param("s")
        >>> g = apply("exp", -0.5 * (t * t)) + apply("sin", t)
        >>> [n.op for n in partition([g])]  # t has two users, the square and the sine
        ['div', 'add']
    """
    uses: Counter[Node] = Counter()
    nodes = list(walk(list(roots)))
    cuts: set[Node] = {r for r in roots if r.op not in _LEAVES}
    for n in nodes:
        uses.update(set(n.args))  # users, not edges: t in t*t is not shared
        if n.op not in _LEAVES and (not convertible(n) or len(n.args) > max_args):
            cuts.add(n)
            cuts.update(a for a in n.args if a.op not in _LEAVES)
    cuts.update(n for n, k in uses.items() if k > 1 and n.op not in _LEAVES)
    size: dict[Node, int] = {}
    for n in nodes:
        if n.op in _LEAVES:
            continue
        inner = [a for a in n.args if a.op not in _LEAVES and a not in cuts]
        size[n] = 1 + sum(size[a] for a in inner)
        if size[n] > max_ops:
            cuts.update(inner)
            size[n] = 1
    return [n for n in nodes if n in cuts]


@dataclass(frozen=True)
class Region:
    """One region: its ``nodes`` in post-order (inputs included, each once), its ``inputs`` (param/obs leaves,
    cut nodes other than the root and nodes that are not :func:`convertible`, in order of first use; constants
    belong to the region) and its number of ``ops`` (non-leaf nodes that are not inputs).

    Example:
        >>> from firmc.ir import param
        >>> a, b = param("a"), param("b")
        >>> r = region(apply("exp", a * b + a), ())
        >>> [n.attr("name") for n in r.inputs], r.ops
        (['a', 'b'], 3)
    """

    root: Node
    nodes: tuple[Node, ...]
    inputs: tuple[Node, ...]
    ops: int


def region(root: Node, cuts: Collection[Node]) -> Region:
    """The region under ``root``, stopping at ``cuts`` (see :class:`Region`).

    Example:
        >>> from firmc.ir import param
        >>> e = apply("exp", param("a"))
        >>> region(e + 1.0, {e}).inputs == (e,)
        True
    """
    nodes = _region_nodes(root, cuts)
    inputs = tuple(n for n in nodes if n is not root and _is_input(n, cuts))
    ops = sum(1 for n in nodes if n.op not in _LEAVES) - sum(1 for n in inputs if n.op not in _LEAVES)
    return Region(root, nodes, inputs, ops)


def rebuild(reg: Region, inputs: Sequence[Node]) -> Node:
    """The region's root rebuilt over new ``inputs`` (in the order of ``reg.inputs``); the root itself when
    they are the same.

    Example:
        >>> from firmc.ir import param
        >>> a, b = param("a"), param("b")
        >>> rebuild(region(apply("exp", a) * 2.0, ()), [b]) is apply("exp", b) * 2.0
        True
    """
    if all(x is y for x, y in zip(inputs, reg.inputs, strict=True)):
        return reg.root
    new: dict[Node, Node] = dict(zip(reg.inputs, inputs, strict=True))
    for n in reg.nodes:
        if n not in new:
            args = tuple(new.get(a, a) for a in n.args)
            new[n] = n if all(x is y for x, y in zip(args, n.args, strict=True)) else Node.make(n.op, args, n.attrs)
    return new[reg.root]


def _is_input(n: Node, cuts: Collection[Node]) -> bool:
    return n.op in ("param", "obs") or (n.op != "const" and (n in cuts or not convertible(n)))


def _region_nodes(root: Node, cuts: Collection[Node]) -> tuple[Node, ...]:
    """Post-order over the region (inputs included, not entered), each node once."""
    return tuple(walk([root], lambda n: () if n is not root and _is_input(n, cuts) else n.args))


def substitute(root: Node, mapping: Mapping[Node, Node], cuts: Collection[Node] = ()) -> Node:
    """``root`` rebuilt with the nodes of ``mapping`` replaced, not descending into them nor into ``cuts``
    (``root`` itself is always entered). Sharing is kept; an unchanged graph gives ``root`` itself.

    Example:
        >>> from firmc.ir import param
        >>> a, b = param("a"), param("b")
        >>> substitute(apply("exp", a) + a, {a: b}) is apply("exp", b) + b
        True
    """
    new: dict[Node, Node] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        n, ready = stack.pop()
        if n in new:
            continue
        if n in mapping:
            new[n] = mapping[n]
            continue
        if (n is not root and n in cuts) or not n.args:
            new[n] = n
            continue
        if not ready:
            stack.append((n, True))
            stack.extend((a, False) for a in n.args if a not in new)
            continue
        args = tuple(new[a] for a in n.args)
        new[n] = n if all(x is y for x, y in zip(args, n.args, strict=True)) else Node.make(n.op, args, n.attrs)
    return new[root]


# -------------------------------------------------------------------------------------------- IR -> SymPy
def nice_rational(v: float) -> Any:
    """The SymPy Rational with denominator at most 10^6 that rounds back to ``v`` exactly, else None.

    Example:
        >>> nice_rational(0.1), nice_rational(-2.0), nice_rational(2 ** 0.5)
        (1/10, -2, None)
    """
    if not math.isfinite(v):
        return None
    if v == int(v):
        return sp.Integer(int(v))
    q = Fraction(v).limit_denominator(10**6)
    return sp.Rational(q.numerator, q.denominator) if float(q) == v else None


#: better SymPy counterparts than the op table's for the bridge: |a|^2 as re^2 + im^2 stays visibly real
_SYMPY_OVERRIDES: dict[str, Callable[..., Any]] = {"abs2": lambda sp, a: sp.re(a) ** 2 + sp.im(a) ** 2}


class _ToSympy:
    def __init__(self, cuts: Collection[Node], assumptions: Mapping[str, Mapping[str, bool]]) -> None:
        self.cuts = cuts
        self.assumptions = assumptions
        self.memo: dict[Node, Any] = {}
        self.inputs: dict[Any, Node] = {}
        self.names: set[str] = set()

    def symbol(self, n: Node) -> Any:
        if n.op in ("param", "obs"):
            name = str(n.attr("name"))
            extra = self.assumptions.get(name, {})
            sym = sp.Dummy(name, real=True) if name in self.names else sp.Symbol(name, real=True, **extra)
            self.names.add(name)
        else:
            kind = {DType.REAL: {"real": True}, DType.INT: {"integer": True}}.get(n.type.dtype, {})
            sym = sp.Dummy(f"c{len(self.inputs)}", **kind)
        self.inputs[sym] = n
        return sym

    def constant(self, n: Node) -> Any:
        v = n.attr("value")
        if isinstance(v, bool):
            return sp.true if v else sp.false
        if isinstance(v, int):
            return sp.Integer(v)
        re, im = (v.real, v.imag) if isinstance(v, complex) else (v, 0.0)
        sre, sim = nice_rational(float(re)), nice_rational(float(im))
        if sre is None or sim is None:
            return self.symbol(n)
        return sre + sp.I * sim if isinstance(v, complex) else sre

    def convert(self, root: Node) -> Any:
        for n in _region_nodes(root, self.cuts):
            if n.op == "const":
                self.memo[n] = self.constant(n)
            elif (n is not root and _is_input(n, self.cuts)) or not convertible(n):
                self.memo[n] = self.symbol(n)
            else:
                rule = _SYMPY_OVERRIDES.get(n.op, n.opdef.sympy)
                assert rule is not None
                try:
                    self.memo[n] = rule(sp, *(self.memo[a] for a in n.args))
                except (TypeError, ValueError) as exc:
                    raise _Unsupported(f"{n.op}: {exc}") from exc
        return self.memo[root]


def to_sympy(root: Node, cuts: Collection[Node] = (),
             assumptions: Mapping[str, Mapping[str, bool]] | None = None) -> tuple[Any, dict[Any, Node]]:
    """The region under ``root`` as one SymPy expression, and the IR node each of its free symbols stands for.

    The region stops at ``cuts``, at param/obs leaves (real symbols named after them, with extra
    ``assumptions`` by name, e.g. ``{"a": {"positive": True}}``) and at nodes that are not :func:`convertible`
    (opaque symbols). Shared nodes inside the region become shared SymPy subexpressions.

    Example:
        >>> from firmc.ir import param, obs
        >>> e, inputs = to_sympy(apply("exp", param("a")) * 0.5 + apply("normalize", obs("x", 0.0, 1.0)))
        >>> sorted(n.op for n in inputs.values()), e.count_ops() > 0
        (['normalize', 'param'], True)
    """
    conv = _ToSympy(cuts, assumptions or {})
    if root.op != "const" and not convertible(root):
        return conv.symbol(root), conv.inputs
    return conv.convert(root), conv.inputs


# -------------------------------------------------------------------------------------------- SymPy -> IR
_FUNCS: dict[Any, str] = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.asin: "asin", sp.acos: "acos",
    sp.atan: "atan", sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh", sp.asinh: "asinh", sp.acosh: "acosh",
    sp.atanh: "atanh", sp.erf: "erf", sp.erfc: "erfc", sp.loggamma: "lgamma", sp.gamma: "tgamma",
    sp.Abs: "abs", sp.sign: "sign", sp.floor: "floor", sp.ceiling: "ceil", sp.atan2: "atan2", sp.re: "real",
    sp.im: "imag", sp.conjugate: "conj", sp.arg: "arg",
    sp.StrictLessThan: "lt", sp.LessThan: "le", sp.StrictGreaterThan: "gt", sp.GreaterThan: "ge",
    sp.Equality: "eq", sp.Unequality: "ne", sp.Not: "not",
}
_NARY: dict[Any, str] = {sp.Min: "min", sp.Max: "max", sp.And: "and", sp.Or: "or"}
_RECIPROCAL: dict[Any, str] = {sp.sec: "cos", sp.csc: "sin", sp.cot: "tan", sp.sech: "cosh", sp.csch: "sinh",
                               sp.coth: "tanh"}
_MAX_MULS = 16  # integer powers up to this are products (exact to a few ulp, far cheaper than pow)


class _FromSympy:
    def __init__(self, inputs: Mapping[Any, Node]) -> None:
        self.inputs = inputs
        self.memo: dict[Any, Node] = {}

    def convert(self, root: Any) -> Node:
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if e in self.memo:
                continue
            if not ready:
                leaf = self.leaf(e)
                if leaf is not None:
                    self.memo[e] = leaf
                    continue
                stack.append((e, True))
                stack.extend((a, False) for a in _children(e))
                continue
            self.memo[e] = self.build(e)
        return self.memo[root]

    def leaf(self, e: Any) -> Node | None:
        if isinstance(e, sp.Symbol):
            if e not in self.inputs:
                raise _Unsupported(f"free symbol {e} is no input")
            return self.inputs[e]
        if e is sp.true or e is sp.false:
            return const(bool(e))
        if isinstance(e, sp.Expr) and e.is_number:
            return _number(e)
        return None

    def build(self, e: Any) -> Node:
        m = self.memo
        kind = type(e)
        if kind is sp.Add:
            return self.add(e)
        if kind is sp.Mul:
            return self.mul(e)
        if kind is sp.Pow:
            return self.power(m[e.base], e.exp)
        if kind is sp.Piecewise:
            return self.piecewise(e)
        if kind in _FUNCS:
            return apply(_FUNCS[kind], *(m[a] for a in e.args))
        if kind in _NARY:
            out = m[e.args[0]]
            for a in e.args[1:]:
                out = apply(_NARY[kind], out, m[a])
            return out
        if kind in _RECIPROCAL:
            return 1.0 / apply(_RECIPROCAL[kind], m[e.args[0]])
        if kind is sp.polygamma and e.args[0] == 0:
            return apply("digamma", m[e.args[1]])
        if kind in (sp.lowergamma, sp.uppergamma) and e.args[0].is_number and e.args[0].is_positive:
            regularised = apply("gammainc" if kind is sp.lowergamma else "gammaincc", m[e.args[0]], m[e.args[1]])
            return apply("mul", regularised, _number(sp.gamma(e.args[0])))
        raise _Unsupported(f"SymPy {kind.__name__} has no IR counterpart")

    def power(self, base: Node, exp: Any) -> Node:
        if exp.is_Integer:
            return _int_power(base, int(exp))
        if exp == sp.Rational(1, 2):
            return apply("sqrt", base)
        if exp == sp.Rational(-1, 2):
            return 1.0 / apply("sqrt", base)
        return apply("pow", base, _number(exp) if exp.is_number else self.memo[exp])

    def mul(self, e: Any) -> Node:
        """Event-dependent factors apart from the others, so that divisions by parameters happen once:
        ``c * x / (a * y)`` is ``(x * (c / a)) / y`` where only x and y depend on observables."""
        factors = sp.Mul.make_args(e)
        coeff = sp.Mul(*[f for f in factors if f.is_number])  # one constant: sqrt(2)*pi is folded
        num: list[Node] = []
        den: list[Node] = []
        for f in factors:
            if f.is_number:
                continue
            if f.is_Pow and f.exp.is_Rational and f.exp.is_negative:
                den.append(self.power(self.convert(f.base), -f.exp))
            else:
                num.append(self.convert(f))
        negate = coeff == -1
        lead = [] if coeff == 1 or negate else [_number(coeff)]
        inv = _ratio(lead + [f for f in num if not f.free], [f for f in den if not f.free])
        ev_num, ev_den = [f for f in num if f.free], [f for f in den if f.free]
        if negate and inv is not None and (ev_num or ev_den):
            inv, negate = apply("neg", inv), False
        out = _ratio(([inv] if inv is not None else []) + ev_num, ev_den) or const(1.0)
        return apply("neg", out) if negate else out

    def add(self, e: Any) -> Node:
        """Terms that do not depend on observables are summed first (once per evaluation)."""
        pos: list[Node] = []
        neg: list[Node] = []
        number = sp.Add(*[t for t in e.args if t.is_number])  # one constant: 1 + pi is folded
        if number != 0:
            negative = number.could_extract_minus_sign()
            (neg if negative else pos).append(_number(-number if negative else number))
        for t in e.args:
            if t.is_number:
                continue
            if t.could_extract_minus_sign():
                neg.append(self.convert(-t))
            else:
                pos.append(self.memo[t])
        ev_pos, ev_neg = [t for t in pos if t.free], [t for t in neg if t.free]
        inv_pos, inv_neg = [t for t in pos if not t.free], [t for t in neg if not t.free]
        if inv_pos:
            ev_pos.insert(0, _signed_sum(inv_pos, inv_neg) or const(0.0))
        elif inv_neg:
            ev_neg.insert(0, _sum(inv_neg))
        return _signed_sum(ev_pos, ev_neg) or const(0.0)

    def piecewise(self, e: Any) -> Node:
        *pieces, (last, cond) = e.args
        m = self.memo
        out = m[last] if cond is sp.true else apply("select", m[cond], m[last], const(math.nan))
        for value, c in reversed(pieces):
            out = apply("select", m[c], m[value], out)
        return out


def _children(e: Any) -> list[Any]:
    if isinstance(e, sp.Piecewise):
        return [part for pair in e.args for part in pair.args]
    if isinstance(e, sp.Pow) and e.exp.is_number:
        return [e.base]
    return list(e.args)


def _sum(terms: list[Node]) -> Node:
    return terms[0] if len(terms) == 1 else apply("add", *terms)


def _product(factors: list[Node]) -> Node:
    return factors[0] if len(factors) == 1 else apply("mul", *factors)


def _signed_sum(pos: list[Node], neg: list[Node]) -> Node | None:
    if not neg:
        return _sum(pos) if pos else None
    return apply("sub", _sum(pos), _sum(neg)) if pos else apply("neg", _sum(neg))


def _ratio(num: list[Node], den: list[Node]) -> Node | None:
    if not num and not den:
        return None
    top = _product(num) if num else const(1.0)
    return apply("div", top, _product(den)) if den else top


def _int_power(base: Node, n: int) -> Node:
    if n < 0:
        return apply("div", const(1.0), _int_power(base, -n))
    if n == 0:
        return const(1.0)
    if n > _MAX_MULS:
        return apply("pow", base, const(float(n)))
    out: Node | None = None
    square = base
    while n:
        if n & 1:
            out = square if out is None else apply("mul", out, square)
        n >>= 1
        if n:
            square = apply("mul", square, square)
    assert out is not None
    return out


def _number(e: Any) -> Node:
    """A SymPy number as a float64 (or complex128) constant, correctly rounded."""
    if e.is_Rational:
        return const(_float(e))
    if e is sp.zoo or e.has(sp.zoo):
        raise _Unsupported("complex infinity")
    if e is sp.nan:
        return const(math.nan)
    if e in (sp.oo, -sp.oo):
        return const(math.inf if e is sp.oo else -math.inf)
    if e.is_Float:
        return const(_float(e))
    v = e.evalf(30)
    re, im = v.as_real_imag()
    if not (re.is_Number and im.is_Number):
        raise _Unsupported(f"cannot evaluate the number {e}")
    return const(_float(re)) if im == 0 else const(complex(_float(re), _float(im)))


def _float(v: Any) -> float:
    """A SymPy Float or Rational rounded to nearest (``float()`` of a SymPy Float truncates)."""
    if v in (sp.oo, -sp.oo, sp.nan):
        return float(v)
    q = sp.Rational(v)
    return float(Fraction(int(q.p), int(q.q)))


def from_sympy(expr: Any, inputs: Mapping[Any, Node]) -> Node:
    """The IR for a SymPy expression whose free symbols are keys of ``inputs``.

    Supports Add, Mul, Pow (small integer powers become products, 1/2 becomes sqrt), exp, log, sqrt,
    trigonometric and hyperbolic functions, erf, erfc, loggamma, gamma, digamma, lower and upper incomplete
    gamma (of a positive number and x), Abs, sign, floor, ceiling, Min, Max, Piecewise (nested selects),
    relationals and logic, re/im/conjugate/arg and I; numbers become float64 (complex128) constants, correctly
    rounded. Sums and products keep the terms and factors that depend on no observable together, so that
    they are computed once per evaluation. Anything else raises the private ``_Unsupported``.

    Example:
        >>> import sympy as sp
        >>> from firmc.ir import param
        >>> a = sp.Symbol("a", real=True)
        >>> from_sympy(sp.exp(a) / a**2 - sp.pi, {a: param("a")}).op
        'sub'
    """
    if isinstance(expr, sp.Basic) and expr.has(*_UNEVALUATED):
        raise _Unsupported("unevaluated SymPy object")
    if isinstance(expr, (bool, int, float, complex)):
        return const(expr if isinstance(expr, bool) else complex(expr) if isinstance(expr, complex) else float(expr))
    try:
        node = _FromSympy(inputs).convert(expr)
        if node.type.dtype is DType.COMPLEX and expr.is_extended_real:
            node = apply("real", node)  # e.g. (x + I*m)*(x - I*m) with real x, m
        return node
    except (RecursionError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _Unsupported(f"{type(exc).__name__}: {exc}") from exc


def describe(n: Node, width: int = 60) -> str:
    """A short text for ``n`` in decisions: ``op(args)`` with leaves by name or value, cut to ``width``.

    Example:
        >>> from firmc.ir import param
        >>> describe(apply("exp", param("a") * 2.0))
        'exp(mul(a, 2.0))'
    """
    parts: list[str] = []
    stack: list[Node | str] = [n]
    while stack and sum(map(len, parts)) <= width:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif item.op in ("param", "obs"):
            parts.append(str(item.attr("name")))
        elif item.op == "const":
            parts.append(repr(item.attr("value")))
        else:
            parts.append(item.op + "(")
            stack.append(")")
            for i, a in enumerate(reversed(item.args)):
                stack.append(a)
                if i < len(item.args) - 1:
                    stack.append(", ")
    text = "".join(parts)
    return text if not stack and len(text) <= width else text[: width - 3] + "..."


def warm_up() -> None:
    """Pay SymPy's one-time costs (it imports modules lazily on first arithmetic, 0.05-0.25 s, and builds its
    Meijer-G table on the first definite integral) outside any SymPy budget, so that budgets measure the work on
    sub-expressions and a budget running out never leaves SymPy half initialised.

    Example:
        >>> warm_up()
    """
    _first_arithmetic()
    _fill_meijerg_table()


@functools.cache
def _first_arithmetic() -> None:
    x, a = obs("%x", 0.0, 1.0), param("%a")
    e = apply("select", apply("gt", x, a), apply("exp", -(x - a) / a) * apply("erf", x) / (x * x - a * a),
              apply("sin", x) ** const(2.0))
    expr, inputs = to_sympy(e)
    for rewrite in (sp.cancel, sp.factor_terms, sp.powsimp, sp.trigsimp):
        rewrite(expr)
    from_sympy(expr, inputs)


def _fill_meijerg_table() -> None:
    """SymPy's Meijer-G table (0.1 s): filled in place on first use, never again while non-empty (see warm_up)."""
    from sympy.integrals import meijerint

    if not meijerint._lookup_table:
        table: dict[Any, Any] = {}
        meijerint._create_lookup_table(table)
        meijerint._lookup_table = table


__all__ = ["OPAQUE", "STRUCTURAL", "Region", "convertible", "describe", "from_sympy", "nice_rational", "partition",
           "rebuild", "region", "substitute", "to_sympy", "warm_up"]
