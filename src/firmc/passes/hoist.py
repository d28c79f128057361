"""Hoisting: move the work that depends only on parameters out of the per-event work.

The pass reassociates products and sums so that all their parameter-only and constant operands meet in one
operand, computed once per evaluation; :func:`schedule` then splits a graph into what runs once per evaluation
and what runs per event, the split every back-end uses.

Rules (``e`` per-event, ``p`` per-evaluation; applied to real-valued nodes that depend on an observable):

* products ``mul``/``div``/``neg`` and ``pow`` with an integer constant exponent (``|n| <= 16``) are
  flattened into factors with multiplicities and rebuilt as ``E_num * P`` (or ``... / E_den``), ``P`` one
  per-evaluation node: ``mul(mul(e, p1), p2) -> e * (p1*p2)``, ``e*p1*e2*p2 -> (e*e2)*(p1*p2)``,
  ``div(e, p) -> e * (1/p)``, ``neg(e)*p -> e * neg(p)``, ``pow(e*p, n) -> pow(e, n) * pow(p, n)``;
  ``exp(-0.5*((x-mu)/s)**2)`` becomes ``exp(((x-mu)*(x-mu)) * (-0.5/(s*s)))``. Powers are rebuilt as
  multiplications (``pow(e, 2) -> e*e``, exact in NumPy; ``pow(e, 16)``: four), factors share powers
  (``a**3 * b**2 -> (a*b)**2 * a``: three multiplications; the cheapest of four constructions); every
  multiplication is binary, so a profile counts real operations.
* sums ``add``/``sub``/``neg`` likewise become ``E_pos - E_neg + P``: ``(x - mu) + c -> x + (c - mu)``,
  ``neg(e + p) -> neg(p) - e``; a repeated term is multiplied (``(x+y) + (x+y) -> (x+y)*2``).
* a node is flattened into its user only when that user is its single user, so shared subexpressions stay
  shared; the same factor on both sides of a division is never cancelled (``x/x`` stays NaN at 0). A
  product or sum is rebuilt only when that costs no more per event (:data:`firmc.passes.cost.COST`) than its
  structure as written (``((x/y)*(x/y))*x`` stays: a division and two multiplications, where
  ``(x*x*x)/(y*y)`` takes a division and three).
* ``exp(e + p) -> exp(e) * exp(p)`` is not done: it saves one addition only where a parameter factor already
  multiplies the exponential, and moves the overflow threshold (``exp(800) * exp(-750)`` is inf, ``exp(50)``
  is not).

Exactness: the rewrites change rounding at the ulp level (reassociation, ``x / p -> x * (1/p)``,
``pow(x, 3) -> x*x*x``), and so where intermediate results overflow or underflow: ``(x-mu)**2 * (-0.5/s**2)``
overflows for ``|x-mu| > 1e154`` where the original does for ``|(x-mu)/s| > 1e154``, and ``s*s`` underflows
for ``|s| < 1e-154`` (then ``x == mu`` gives NaN). Signed zeros may change (``x + 0.0 -> x``). NaN and inf
propagate as before otherwise.

Example:
    >>> from firmc.ir import obs, param, apply
    >>> x, mu, s = obs("x", -5.0, 5.0), param("mu"), param("s")
    >>> g = apply("exp", -0.5 * (((x - mu) / s) * ((x - mu) / s)))
    >>> from firmc.passes.cost import op_counts
    >>> op_counts([g]).event, op_counts(hoist([g])).event
    (Counter({'mul': 2, 'sub': 1, 'div': 1, 'exp': 1}), Counter({'mul': 2, 'sub': 1, 'exp': 1}))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..ir import DType, Node, apply, const, rewrite, walk
from .context import Context
from .cost import COST

MAX_INT_POWER = 16  # pow(b, n) with an integer constant |n| up to this is a product of n factors b
_LEAVES = frozenset({"const", "param", "obs"})
Expand = Callable[[Node], bool]


def _real(n: Node) -> bool:
    return n.type.dtype is DType.REAL


def _operand(n: Node) -> bool:
    return _real(n) or (n.op == "const" and n.type.dtype is DType.INT)


def int_exponent(n: Node) -> int | None:
    """The exponent ``k`` of ``pow(b, k)`` when it is a constant integer with ``0 < |k| <= 16``, else None.

    Example:
        >>> from firmc.ir import param
        >>> int_exponent(param("a") ** 2.0), int_exponent(param("a") ** 0.5)
        (2, None)
    """
    if n.op != "pow" or n.args[1].op != "const":
        return None
    v = n.args[1].attr("value")
    if isinstance(v, bool) or not isinstance(v, int | float) or not float(v).is_integer():
        return None
    k = int(v)
    return k if 0 < abs(k) <= MAX_INT_POWER else None


def is_product_op(n: Node) -> bool:
    """Whether ``n`` is a real per-event ``mul``, ``div``, ``neg`` or integer ``pow`` (a product to flatten).

    Example:
        >>> from firmc.ir import obs, param
        >>> is_product_op(obs("x") * param("a")), is_product_op(param("a") * 2.0)
        (True, False)
    """
    if not n.free or not _real(n):
        return False
    if n.op == "pow":
        return int_exponent(n) is not None and _real(n.args[0])
    return n.op in ("mul", "div", "neg") and all(_operand(a) for a in n.args)


def is_sum_op(n: Node) -> bool:
    """Whether ``n`` is a real per-event ``add``, ``sub`` or ``neg`` (a sum to flatten).

    Example:
        >>> from firmc.ir import obs, param
        >>> is_sum_op(obs("x") - param("a")), is_sum_op(obs("x") * 2.0)
        (True, False)
    """
    return bool(n.free) and _real(n) and n.op in ("add", "sub", "neg") and all(_operand(a) for a in n.args)


# --------------------------------------------------------------------------------------------- flat forms
@dataclass
class Product:
    """``sign * prod(f**k for f, k in num) / prod(f**k for f, k in den)``, factors in first-seen order.

    Example:
        >>> from firmc.ir import param
        >>> Product(-1, {param("a"): 2}).sign
        -1
    """

    sign: int = 1
    num: dict[Node, int] = field(default_factory=dict)
    den: dict[Node, int] = field(default_factory=dict)

    def times(self, other: Product) -> Product:
        """The product of two products (no cancellation between numerator and denominator).

        Example:
            >>> from firmc.ir import param
            >>> a = Product(1, {param("a"): 1})
            >>> a.times(a).num[param("a")]
            2
        """
        num, den = dict(self.num), dict(self.den)
        for f, k in other.num.items():
            num[f] = num.get(f, 0) + k
        for f, k in other.den.items():
            den[f] = den.get(f, 0) + k
        return Product(self.sign * other.sign, num, den)

    def split(self) -> tuple[Product, Product]:
        """(per-evaluation factors with the sign, per-event factors).

        Example:
            >>> from firmc.ir import obs, param
            >>> p, e = Product(1, {param("a"): 1, obs("x"): 1}).split()
            >>> [f.op for f in p.num], [f.op for f in e.num]
            (['param'], ['obs'])
        """
        return (Product(self.sign, {f: k for f, k in self.num.items() if not f.free},
                        {f: k for f, k in self.den.items() if not f.free}),
                Product(1, {f: k for f, k in self.num.items() if f.free},
                        {f: k for f, k in self.den.items() if f.free}))

    def trivial(self) -> bool:
        """Whether this is the number 1.

        Example:
            >>> Product().trivial(), Product(-1).trivial()
            (True, False)
        """
        return self.sign == 1 and not self.num and not self.den


@dataclass
class Sum:
    """``sum(t*k for t, k in pos) - sum(t*k for t, k in neg)``, terms in first-seen order.

    Example:
        >>> from firmc.ir import obs
        >>> Sum({obs("x"): 1}).neg
        {}
    """

    pos: dict[Node, int] = field(default_factory=dict)
    neg: dict[Node, int] = field(default_factory=dict)

    def add(self, term: Node, count: int = 1, negative: bool = False) -> None:
        """Add ``count`` copies of ``term`` (subtract them when ``negative``).

        Example:
            >>> from firmc.ir import obs
            >>> s = Sum(); s.add(obs("x"), 2); s.pos[obs("x")]
            2
        """
        side = self.neg if negative else self.pos
        side[term] = side.get(term, 0) + count


def _region(root: Node, inside: Expand, children: Callable[[Node], Sequence[Node]]) -> tuple[list[Node], list[Node]]:
    """Post-order of the nodes of the region (``inside``) under ``root``, and its leaves in first-seen order."""
    order: list[Node] = []
    leaves: list[Node] = []
    for n in walk([root], lambda n: children(n) if inside(n) else ()):
        (order if inside(n) else leaves).append(n)
    return order, leaves


def _product_children(n: Node) -> Sequence[Node]:
    return n.args[:1] if n.op == "pow" else n.args


def product_form(root: Node, expand: Expand = lambda n: True) -> Product:
    """Flatten the product under ``root``, entering the product nodes for which ``expand`` holds (and
    ``root``). Multiplicities are counted over the DAG, so ``t*t`` with ``t = a*b`` gives ``a**2 b**2``.

    Example:
        >>> from firmc.ir import obs, param
        >>> x, a = obs("x"), param("a")
        >>> p = product_form(-(x * a) / (x * x * 2.0))
        >>> p.sign, [(f.op, k) for f, k in p.num.items()], [(f.op, k) for f, k in p.den.items()]
        (-1, [('obs', 1), ('param', 1)], [('obs', 2), ('const', 1)])
    """

    def inside(n: Node) -> bool:
        return is_product_op(n) and (n is root or expand(n))

    order, leaves = _region(root, inside, _product_children)
    counts: defaultdict[Node, list[int]] = defaultdict(lambda: [0, 0])
    counts[root] = [1, 0]
    sign = 1

    def add(a: Node, num: int, den: int) -> None:
        c = counts[a]
        c[0] += num
        c[1] += den

    for n in reversed(order):  # parents before children
        num, den = counts[n]
        if n.op == "mul":
            for a in n.args:
                add(a, num, den)
        elif n.op == "div":
            add(n.args[0], num, den)
            add(n.args[1], den, num)
        elif n.op == "neg":
            sign = -sign if (num + den) % 2 else sign
            add(n.args[0], num, den)
        else:
            k = int_exponent(n)
            assert k is not None
            add(n.args[0], k * num, k * den) if k > 0 else add(n.args[0], -k * den, -k * num)
    out = Product()
    for f in leaves:
        num, den = counts[f]
        if f.op == "const" and f.attr("value") in (1.0, -1.0):  # x*1, x/1 and x*-1 are exact
            sign = -sign if f.attr("value") == -1.0 and (num + den) % 2 else sign
            continue
        if num:
            out.num[f] = num
        if den:
            out.den[f] = den
    out.sign = sign
    return out


def sum_form(root: Node, expand: Expand = lambda n: True) -> Sum:
    """Flatten the sum under ``root``, entering the sum nodes for which ``expand`` holds (and ``root``);
    zero constants are dropped.

    Example:
        >>> from firmc.ir import obs, param
        >>> s = sum_form(-(obs("x") - param("a")) + 0.0)
        >>> [t.op for t in s.pos], [t.op for t in s.neg]
        (['param'], ['obs'])
    """

    def inside(n: Node) -> bool:
        return is_sum_op(n) and (n is root or expand(n))

    order, leaves = _region(root, inside, lambda n: n.args)
    counts: defaultdict[Node, list[int]] = defaultdict(lambda: [0, 0])
    counts[root] = [1, 0]
    for n in reversed(order):
        pos, neg = counts[n]
        for i, a in enumerate(n.args):
            flip = n.op == "neg" or (n.op == "sub" and i == 1)
            c = counts[a]
            c[0] += neg if flip else pos
            c[1] += pos if flip else neg
    out = Sum()
    for t in leaves:
        if t.op == "const" and t.attr("value") == 0:
            continue
        pos, neg = counts[t]
        if pos:
            out.add(t, pos)
        if neg:
            out.add(t, neg, negative=True)
    return out


# ------------------------------------------------------------------------------------------------ builders
def chain(op: str, nodes: Sequence[Node]) -> Node | None:
    """Left-associated binary ``op`` over ``nodes`` (None when empty).

    Example:
        >>> from firmc.ir import param
        >>> chain("add", [param("a"), param("b"), param("c")]).args[0].op
        'add'
    """
    if not nodes:
        return None
    acc = nodes[0]
    for n in nodes[1:]:
        acc = apply(op, acc, n)
    return acc


def power(b: Node, k: int) -> Node:
    """``b**k`` for ``k >= 1`` by binary powering: multiplications only, squares shared.

    Example:
        >>> from firmc.ir import obs
        >>> p = power(obs("x"), 4); p.op, p.args[0] is p.args[1]
        ('mul', True)
    """
    acc = b
    for bit in bin(k)[3:]:
        acc = apply("mul", acc, acc)
        if bit == "1":
            acc = apply("mul", acc, b)
    return acc


def _grouped(factors: dict[Node, int]) -> Node | None:
    """a**2 * b**2 -> (a*b)**2: one power per multiplicity."""
    groups: dict[int, list[Node]] = {}
    for f, k in factors.items():
        groups.setdefault(k, []).append(f)
    return chain("mul", [power(b, k) for k, fs in groups.items() if (b := chain("mul", fs)) is not None])


def _nested(factors: dict[Node, int], canonical: bool = False) -> Node | None:
    """a**3 * b**2 -> (a*b)**2 * a: powers of nested bases (each base extends the last, or with
    ``canonical`` lists its factors in their first-seen order, to meet a product built elsewhere)."""
    levels = sorted(set(factors.values()), reverse=True)
    parts: list[Node] = []
    base: Node | None = None
    for i, k in enumerate(levels):
        if canonical:
            base = chain("mul", [f for f, c in factors.items() if c >= k])
        else:
            base = chain("mul", [*([base] if base is not None else []), *(f for f, c in factors.items() if c == k)])
        assert base is not None
        parts.append(power(base, k - (levels[i + 1] if i + 1 < len(levels) else 0)))
    return chain("mul", parts[::-1])


def _binary(factors: dict[Node, int]) -> Node | None:
    """y**4 * x -> (y*y)**2 * x: square the accumulator per bit, multiply in the factors with that bit."""
    acc: Node | None = None
    for j in reversed(range(max(factors.values(), default=0).bit_length())):
        acc = apply("mul", acc, acc) if acc is not None else None
        acc = chain("mul", [*([acc] if acc is not None else []), *(f for f, k in factors.items() if k >> j & 1)])
    return acc


def _new_ops(root: Node | None, known: set[Node]) -> int:
    seen: set[Node] = set()
    stack = [root] if root is not None else []
    while stack:
        n = stack.pop()
        if n in seen or n in known:
            continue
        seen.add(n)
        stack.extend(n.args)
    return len(seen)


def _power_product(factors: dict[Node, int], known: set[Node] | None = None) -> Node | None:
    """prod(f**k), built the cheapest of four ways: multiplications counted, those in ``known`` free."""
    if all(k == 1 for k in factors.values()):
        return chain("mul", list(factors))
    free = set(factors) | (known or set())
    candidates = (_nested(factors), _nested(factors, canonical=True), _grouped(factors), _binary(factors))
    return min(candidates, key=lambda n: _new_ops(n, free))


def _subgraph(root: Node | None) -> set[Node]:
    return set(walk([root])) if root is not None else set()


def _multiple_sum(terms: dict[Node, int]) -> Node | None:
    """sum(t*k): terms of equal multiplicity summed first, then multiplied by it ((x+y)+(x+y) -> (x+y)*2)."""
    groups: dict[int, list[Node]] = {}
    for t, k in terms.items():
        groups.setdefault(k, []).append(t)
    parts = []
    for k, ts in groups.items():
        total = chain("add", ts)
        assert total is not None
        parts.append(total if k == 1 else apply("mul", total, const(float(k))))
    return chain("add", parts)


def build_product(p: Product) -> Node:
    """The node for a flat product: per-event factors first, all per-evaluation factors in one operand.

    Example:
        >>> from firmc.ir import obs, param
        >>> x, a = obs("x"), param("a")
        >>> build_product(Product(-1, {x: 1}, {a: 1})) is x * -(1.0 / a)
        True
    """
    pp, ep = p.split()
    e_den, p_den = _power_product(ep.den), _power_product(pp.den)
    e_num, p_num = _power_product(ep.num, _subgraph(e_den)), _power_product(pp.num, _subgraph(p_den))
    par = apply("div", p_num if p_num is not None else const(1.0), p_den) if p_den is not None else p_num
    sign = p.sign
    if par is not None and sign < 0:
        par, sign = apply("neg", par), 1
    if e_num is None and e_den is None:
        return par if par is not None else const(float(sign))
    top = e_num if par is None else par if e_num is None else apply("mul", e_num, par)
    if top is None:
        top, sign = const(float(sign)), 1
    if sign < 0:
        top = apply("neg", top)
    return top if e_den is None else apply("div", top, e_den)


def build_sum(s: Sum) -> Node:
    """The node for a flat sum: per-event terms first, all per-evaluation terms in one operand.

    Example:
        >>> from firmc.ir import obs, param
        >>> build_sum(Sum({param("a"): 1}, {obs("x"): 1})).op
        'sub'
    """
    e_pos = _multiple_sum({t: k for t, k in s.pos.items() if t.free})
    e_neg = _multiple_sum({t: k for t, k in s.neg.items() if t.free})
    p_pos = _multiple_sum({t: k for t, k in s.pos.items() if not t.free})
    p_neg = _multiple_sum({t: k for t, k in s.neg.items() if not t.free})
    par = p_pos if p_neg is None else apply("sub", p_pos, p_neg) if p_pos is not None else None
    if e_pos is None and e_neg is None:
        return par if par is not None else apply("neg", p_neg) if p_neg is not None else const(0.0)
    if e_pos is None:
        assert e_neg is not None
        if par is None and p_neg is not None:
            par = apply("neg", p_neg)
        return apply("neg", e_neg) if par is None else apply("sub", par, e_neg)
    out = e_pos if e_neg is None else apply("sub", e_pos, e_neg)
    if par is not None:
        return apply("add", out, par)
    return apply("sub", out, p_neg) if p_neg is not None else out


# ---------------------------------------------------------------------------------------------------- pass
def _kinds(roots: Sequence[Node]) -> dict[Node, str]:
    kinds: dict[Node, str] = {}
    for n in walk(roots):
        if n.op == "neg" and is_sum_op(n) and kinds.get(n.args[0]) == "sum":
            kinds[n] = "sum"
        elif is_product_op(n):
            kinds[n] = "prod"
        elif is_sum_op(n):
            kinds[n] = "sum"
    return kinds


def _absorbed(roots: Sequence[Node], kinds: dict[Node, str]) -> set[Node]:
    """Nodes flattened into their user: a single user, of the same kind (product or sum)."""
    users: defaultdict[Node, set[Node]] = defaultdict(set)
    for n in walk(roots):
        for a in n.args:
            users[a].add(n)
    rootset = set(roots)
    return {n for n, k in kinds.items()
            if n not in rootset and len(users[n]) == 1 and kinds.get(next(iter(users[n]))) == k}


def _event_cost(root: Node, stop: set[Node]) -> float:
    """Weighted per-event operations under ``root`` down to the nodes in ``stop``."""
    seen: set[Node] = set()
    stack = [root]
    total = 0.0
    while stack:
        n = stack.pop()
        if n in seen or n in stop or not n.free:
            continue
        seen.add(n)
        total += COST.get(n.op, 1.0) if n.op not in _LEAVES else 0.0
        stack.extend(n.args)
    return total


def hoist(roots: Sequence[Node], ctx: Context | None = None) -> list[Node]:
    """Reassociate per-event products and sums so that their per-evaluation operands form one operand.

    Example:
        >>> from firmc.ir import obs, param
        >>> x, p1, p2 = obs("x"), param("p1"), param("p2")
        >>> hoist([(x * p1) * p2])[0] is x * (p1 * p2)
        True
        >>> hoist([x / p1])[0] is x * (1.0 / p1)
        True
    """
    roots = list(roots)
    kinds = _kinds(roots)
    absorbed = _absorbed(roots, kinds)
    inner: set[Node] = set()  # the rebuilt absorbed nodes, entered by the flattening of their user
    trees = 0

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        nonlocal trees
        kind = kinds.get(n)
        if kind is None:
            return None
        plain = n if all(a is b for a, b in zip(args, n.args, strict=True)) else Node.make(n.op, args, n.attrs)
        if n in absorbed:
            inner.add(plain)
            return plain
        trees += 1
        if kind == "prod":
            pf = product_form(plain, inner.__contains__)
            out, stop = build_product(pf), {*pf.num, *pf.den}
        else:
            sf = sum_form(plain, inner.__contains__)
            out, stop = build_sum(sf), {*sf.pos, *sf.neg}
        return out if _event_cost(out, stop) <= _event_cost(plain, stop) else plain

    out = rewrite(roots, rule)
    if ctx is not None and trees:
        ctx.note("hoist", "graph", f"{trees} products/sums reassociated ({len(absorbed)} nodes flattened)")
    return out


# ------------------------------------------------------------------------------------------------ schedule
@dataclass(frozen=True)
class Schedule:
    """Non-leaf nodes in dependency order, by when they run.

    * ``prologue``: depend on parameters only; computed once per evaluation, before the events. An
      ``integral`` (quadrature normalisation) is one entry here: its integrand is evaluated at its own points
      by the back-end, and is in ``per_event`` only where the events need it too.
    * ``per_event``: depend on an observable; computed for every event (inside ``datasum`` too).
    * ``epilogue``: once per evaluation after the events: ``datasum`` reductions and what uses them.

    Example:
        >>> from firmc.ir import obs, param
        >>> s = schedule([obs("x") * apply("exp", param("a"))])
        >>> [n.op for n in s.prologue], [n.op for n in s.per_event], s.epilogue
        (['exp'], ['mul'], ())
    """

    prologue: tuple[Node, ...]
    per_event: tuple[Node, ...]
    epilogue: tuple[Node, ...]


def _schedule_order(roots: list[Node]) -> list[Node]:
    """Post-order of the nodes under ``roots``, not entering the integrand of an ``integral``."""
    return list(walk(roots, lambda n: n.args[1:] if n.op == "integral" else n.args))


def schedule(roots: Sequence[Node]) -> Schedule:
    """Split the work under ``roots`` into prologue, per-event work and epilogue (see :class:`Schedule`).

    Example:
        >>> from firmc.ir import obs, param
        >>> nll = -apply("datasum", apply("log", obs("x") * param("a")), dataset="d", binds=("x",))
        >>> [[n.op for n in part] for part in (schedule([nll]).per_event, schedule([nll]).epilogue)]
        [['mul', 'log'], ['datasum', 'neg']]
    """
    pro: list[Node] = []
    ev: list[Node] = []
    epi: list[Node] = []
    after: set[Node] = set()  # nodes that need a reduction over the events
    for n in _schedule_order(list(roots)):
        if n.op in _LEAVES:
            continue
        if n.free:
            ev.append(n)
        elif n.op == "datasum" or any(a in after for a in n.args):
            after.add(n)
            epi.append(n)
        else:
            pro.append(n)
    return Schedule(tuple(pro), tuple(ev), tuple(epi))
