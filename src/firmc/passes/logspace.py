"""Log-space rewrites of ``log`` nodes: what makes log-likelihoods cheap and free of underflow.

For a real per-event ``log(arg)``, ``arg`` is flattened into ``P * prod(F_j ** k_j)`` (``P`` per evaluation,
``F_j`` per event) and the log is rebuilt as a sum, one factor at a time:

* ``exp(a)`` gives ``a`` (``log(exp(a)) -> a``; ``log(e * exp(a)) -> log(e) + a``);
* a sum of terms ``c_i * exp(a_i)`` (``c_i`` per evaluation, ``c_i >= 0`` proven, one exponential or several
  or none per term, nested mixtures distributed) gives its log-sum-exp (:func:`logsumexp`) of
  ``b_i = a_i + log(c_i)``, ``log(c_i)`` computed once per evaluation: for two terms
  ``m + log1p(exp(min(b1, b2) - m))``, ``m = max(b1, b2)``: one exponential per event fewer than the direct
  form, and finite where both terms underflow (an event far in the tails). For n > 2 terms no exponential is
  saved (``m + log(sum exp(b_i - m))``); it is done for the underflow;
* ``pow(b, q)`` gives ``q * log(b)`` where that is exact: ``b >= 0`` proven, or ``q`` a non-integer
  constant (both sides NaN for ``b < 0``); ``sqrt(b)`` gives ``0.5 * log(b)``;
* ``select(c, u, v)`` gives ``select(c, log u, log v)``, each branch in log space, where a branch has a
  log-space form and at most one per-event branch keeps a plain ``log`` (a Crystal Ball 40 sigma from its
  mean: its core's exponent, not ``log(0)``);
* the other per-event factors stay together under one ``log``, so a split never adds a logarithm; ``P``
  becomes ``log(P)``, once per evaluation (inside that ``log`` when ``P``'s sign is unknown and other
  factors remain), its exponential factors (looking into the products ``P`` is made of) as their exponents:
  a closed-form normalisation ``Z = exp(shift) rest`` (:mod:`firmc.library.integrals`) gives
  ``-shift - log(rest)``, finite where ``Z`` under- or overflows (the mean 40 sigma beyond the range). The
  same holds for the coefficients of a log-sum-exp. A ``log`` with nothing to split stays as it is.

Which splits are exact: ``log(u * v) = log(u) + log(v)`` needs ``u, v >= 0``. A factor ``exp(a) > 0`` always
splits off; the log-sum-exp needs every coefficient ``c_i >= 0``, which :class:`Signs` proves from the
structure (exp, squares, abs, positive constants, closed-form normalisation integrals such as
``s * (erf(u/s) - erf(v/s))``, quotients and products of those) and from parameter bounds in
``ctx.parameters`` (a fraction ``f`` in [0, 1] makes ``f`` and ``1 - f`` non-negative). A sum with a
coefficient of unknown sign is left alone. With bounds, the rewrite trusts them: a value outside its bounds
that makes a coefficient negative gives NaN where the direct form may be finite.

What pays: ``exp`` and ``pow`` factors drop a transcendental per event; the split of ``log(P)`` moves a
multiplication into the per-evaluation work; two per-event factors without such a form are never split into
two logs. The two-term log-sum-exp trades an ``exp``, an addition and a ``log`` for a ``log1p`` and five cheap
operations (max, min, a clamp, sub, add; the ``b_i`` additions replace the coefficient multiplications): for
the hoisted Gauss+Exp mixture 13 per-event operations with one ``exp`` instead of 10 with two (13 before
hoisting). With n > 2 terms it adds 2n + 2 cheap operations per event and saves nothing: the price of the
underflow safety (``max_terms=2`` turns it off).

NaN and inf: the log-sum-exp subtracts ``m`` clamped to the finite range, so it gives ``log(sum(exp(b_i)))``
as IEEE arithmetic would with no overflow or underflow in between (what ``numpy.logaddexp`` gives) for every
``b_i`` in {-inf, finite, +inf, NaN}: all ``-inf`` (every term zero) gives ``-inf`` as ``log(0)`` does, not
``-inf - -inf = NaN``; a ``+inf`` gives ``+inf``; NaN propagates. Two terms are one ``logaddexp`` op
(NumPy's semantics, the same at every edge).
That is the direct form's value except where the direct form underflows to ``log(0) = -inf`` or overflows to
``inf``: there the rewritten form gives the finite value. Otherwise values agree to rounding (a few ulp, or
about 1e-16 absolute near 0: ``log(0.3 + 0.7)`` is 0, ``log(0.7) + log1p(0.3/0.7)`` is -1.1e-16); signed
zeros aside.

Example:
    >>> from firmc.ir import obs, param
    >>> x, mu = obs("x", -5.0, 5.0), param("mu")
    >>> log_density(apply("exp", -(x - mu) * (x - mu)) * param("k")).op
    'add'
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence

from ..ir import DType, Node, Parameter, apply, const, rewrite, walk
from .context import Context
from .hoist import Product, Sum, build_product, build_sum, chain, is_sum_op, product_form, sum_form

Sign = tuple[int, frozenset[Node]]  # (s, atoms): sign(node) = s * prod(sign(atom)); "or NaN" always allowed
POS: Sign = (1, frozenset())
NEG: Sign = (-1, frozenset())
MAX_TERMS = 64  # log-sum-exp over at most this many terms (by default)
_DBL_MAX = sys.float_info.max

_POSITIVE = frozenset({"exp", "abs", "abs2", "sqrt", "cosh", "erfc", "gammainc", "gammaincc", "landau"})
_INCREASING = frozenset({"exp", "log", "log10", "log1p", "expm1", "sqrt", "erf", "atan", "tanh", "sinh",
                         "asinh", "floor", "ceil", "trunc"})
_DECREASING = frozenset({"erfc", "neg"})
_ZERO_AT = {"log": 1.0, "log10": 1.0, "log1p": 0.0, "expm1": 0.0, "erf": 0.0, "atan": 0.0, "tanh": 0.0,
            "sinh": 0.0, "asinh": 0.0}
Interval = tuple[float, float]
_ANY: Interval = (-math.inf, math.inf)


def times(a: Sign, b: Sign) -> Sign:
    """The sign of a product (or quotient) of values with signs ``a`` and ``b``.

    Example:
        >>> times(NEG, NEG) == POS
        True
    """
    return a[0] * b[0], a[1] ^ b[1]


class Signs:
    """Sign analysis: which values are >= 0 (or NaN), by construction or from parameter bounds.

    A sign is ``(s, atoms)``: ``s`` times the product of the unknown signs of the ``atoms`` (nodes), so that
    ``sigma * (erf(u/sigma) - erf(v/sigma))`` with ``u > v`` comes out as ``sign(sigma)**2``: non-negative.
    Differences ``f(u) - f(v)`` of monotone functions, and ``u*k - v*k``, ``u/k - v/k``, ``u - k - (v - k)``,
    reduce to the sign of ``u - v``; rounding is monotone, so these hold in floating point (given libm
    functions monotone where their mathematical counterparts are).

    Example:
        >>> from firmc.ir import param
        >>> s = param("s")
        >>> Signs().nonneg(s * s), Signs().nonneg(s), Signs({"s": Parameter("s", 1.0, 0.0, 2.0)}).nonneg(s)
        (True, False, True)
    """

    def __init__(self, parameters: Mapping[str, Parameter] | None = None) -> None:
        self.parameters = parameters or {}
        self._sign: dict[Node, Sign] = {}
        self._interval: dict[Node, Interval] = {}

    def nonneg(self, n: Node) -> bool:
        """Whether ``n`` is proven >= 0 (or NaN).

        Example:
            >>> from firmc.ir import param
            >>> Signs().nonneg(apply("exp", param("a")))
            True
        """
        return self.sign(n) == POS

    def sign(self, n: Node) -> Sign:
        """The sign of ``n`` (computed for its whole subgraph, bottom-up, and remembered).

        Example:
            >>> from firmc.ir import param
            >>> Signs().sign(-param("a") * 2.0)[0]
            -1
        """
        if n not in self._sign:
            for m in walk([n]):
                if m not in self._sign:
                    self._interval.setdefault(m, self._bounds(m))
                    self._sign[m] = self._compute(m)
        return self._sign[n]

    def interval(self, n: Node) -> Interval:
        """Bounds of a per-evaluation value from the parameter bounds (``(-inf, inf)`` when unknown).

        Example:
            >>> from firmc.ir import param
            >>> Signs({"f": Parameter("f", 0.5, 0.0, 1.0)}).interval(1.0 - param("f"))
            (0.0, 1.0)
        """
        if n not in self._interval:
            for m in walk([n]):
                if m not in self._interval:
                    self._interval[m] = self._bounds(m)
        return self._interval[n]

    def _bounds(self, n: Node) -> Interval:
        if n.free or n.type.dtype not in (DType.REAL, DType.INT):
            return _ANY
        if n.op == "const":
            v = float(n.attr("value"))
            return (v, v) if not math.isnan(v) else _ANY
        if n.op == "param":
            p = self.parameters.get(n.attr("name"))
            return _ANY if p is None else (p.value, p.value) if p.const else (p.min, p.max)
        iv = [self._interval[a] for a in n.args]
        if n.op == "sub":
            (a, b), (c, d) = iv
            out = (a - d, b - c)
        elif n.op == "neg":
            out = (-iv[0][1], -iv[0][0])
        elif n.op in ("add", "mul"):
            out = iv[0]
            for c, d in iv[1:]:  # left to right, as evaluated: rounding is monotone, so the ends are bounds
                ends = [x + y for x in out for y in (c, d)] if n.op == "add" else [x * y for x in out for y in (c, d)]
                out = (min(ends), max(ends))
        else:
            return _ANY
        return _ANY if any(math.isnan(v) for v in out) else out

    def _compute(self, n: Node) -> Sign:
        lo, hi = self._interval[n]
        if lo >= 0.0:
            return POS
        if hi <= 0.0:
            return NEG
        op, s = n.op, self._sign
        if op in _POSITIVE:
            return POS
        if op in ("mul", "div"):
            out = POS
            for a in n.args:
                out = times(out, s[a])
            return out
        if op == "neg":
            return times(NEG, s[n.args[0]])
        if op in ("add", "select", "max", "min"):
            return self._combined(n)
        if op == "sub":
            return self.difference(n.args[0], n.args[1]) or (1, frozenset((n,)))
        if op == "pow":
            return self._pow(n)
        if op in _ZERO_AT:
            d = self.difference(n.args[0], const(_ZERO_AT[op]))
            if d is not None:
                return d
        if op in ("normalize", "integral") and s[n.args[0]] == POS and self._ordered_bounds(n):
            return POS
        return 1, frozenset((n,))

    def _combined(self, n: Node) -> Sign:
        s = self._sign
        args = n.args[1:] if n.op == "select" else n.args
        signs = [s[a] for a in args]
        if n.op == "max" and POS in signs:
            return POS
        if n.op == "min" and NEG in signs:
            return NEG
        if all(x == signs[0] for x in signs):
            return signs[0]
        return 1, frozenset((n,))

    def _pow(self, n: Node) -> Sign:
        base, e = n.args
        if self._sign[base] == POS:
            return POS
        v = e.attr("value") if e.op == "const" else None
        if isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer():
            return POS if int(v) % 2 == 0 else self._sign[base]
        return 1, frozenset((n,))

    def _ordered_bounds(self, n: Node) -> bool:
        if n.op == "normalize":
            return True
        b = n.args[1:]
        return all(lo.op == hi.op == "const" and lo.attr("value") <= hi.attr("value")
                   for lo, hi in zip(b[::2], b[1::2], strict=True))

    def difference(self, a: Node, b: Node, depth: int = 0) -> Sign | None:
        """The sign of ``a - b`` when it follows from the structure of ``a`` and ``b`` (else None).

        Example:
            >>> from firmc.ir import param
            >>> mu, s = param("mu"), param("s")
            >>> d = Signs().difference(apply("erf", (5.0 - mu) / s), apply("erf", (-5.0 - mu) / s))
            >>> d == (1, frozenset({s}))
            True
        """
        if a is b:
            return POS
        (alo, ahi), (blo, bhi) = self.interval(a), self.interval(b)
        if alo >= bhi:
            return POS
        if ahi <= blo:
            return NEG
        if b.op == "const" and b.attr("value") == 0:
            return self.sign(a)
        if a.op == "const" and a.attr("value") == 0:
            return times(NEG, self.sign(b))
        if depth > 16 or a.op != b.op or a.attrs != b.attrs or len(a.args) != len(b.args):
            return None
        step = depth + 1
        if a.op in _INCREASING and len(a.args) == 1:
            return self.difference(a.args[0], b.args[0], step)
        if a.op in _DECREASING:
            d = self.difference(a.args[0], b.args[0], step)
            return None if d is None else times(NEG, d)
        if len(a.args) != 2:
            return None
        (a0, a1), (b0, b1) = a.args, b.args
        if a.op == "sub":
            return self.difference(a0, b0, step) if a1 is b1 else self.difference(b1, a1, step) if a0 is b0 else None
        if a.op in ("add", "mul"):  # a shared operand k: u + k - (v + k), u*k - v*k
            for i, j in ((0, 0), (1, 1), (0, 1), (1, 0)):
                k = a.args[1 - i]
                d = self.difference(a.args[i], b.args[j], step) if k is b.args[1 - j] else None
                if d is not None:
                    return d if a.op == "add" else times(self.sign(k), d)
            return None
        if a.op == "div" and a1 is b1:
            d = self.difference(a0, b0, step)
            return None if d is None else times(self.sign(a1), d)
        return None


# ------------------------------------------------------------------------------------------ log-sum-exp
def logsumexp(bs: Sequence[Node]) -> Node:
    """``log(sum(exp(b) for b in bs))`` without overflow or underflow (see the module's NaN/inf policy).

    Example:
        >>> from firmc.ir import obs
        >>> from firmc.interp import evaluate
        >>> import numpy as np
        >>> u, v = obs("u"), obs("v")
        >>> r = evaluate([logsumexp([u, v])], {"u": np.array([-1000.0, -np.inf]), "v": np.array([-1001.0, -np.inf])})
        >>> [round(float(t), 6) for t in r[0]]
        [-999.686738, -inf]
    """
    if len(bs) == 1:
        return bs[0]
    if len(bs) == 2:  # one op: every target has it (NumPy, torch and JAX as one kernel, C as max + log1p)
        return apply("logaddexp", bs[0], bs[1])
    m = chain("max", bs)
    assert m is not None
    ms = apply("max", m, const(-_DBL_MAX))  # all -inf: b - m would be -inf - -inf = NaN
    ms = apply("min", ms, const(_DBL_MAX))  # a +inf term: inf - inf
    total = chain("add", [apply("exp", apply("sub", b, ms)) for b in bs])
    assert total is not None
    return apply("add", m, apply("log", total))


Term = tuple[Product, Sum]  # (coefficient, sum of exponents)


def _exp_terms(s: Node) -> list[Term] | None:
    """The terms ``c * exp(a_1) * exp(a_2) ...`` of the sum ``s``, distributing per-evaluation factors over
    nested sums (nested mixtures); None when a term has another per-event factor or a minus sign."""
    out: list[Term] = []
    stack: list[tuple[Node, Product, Sum]] = [(s, Product(), Sum())]
    while stack:
        node, coef, expo = stack.pop()
        sf = sum_form(node) if is_sum_op(node) else Sum({node: 1})
        if sf.neg:
            return None
        for t, k in sf.pos.items():
            pp, ep = product_form(t).split()
            c = coef.times(pp)
            e = Sum(dict(expo.pos), dict(expo.neg))
            nested: list[Node] = []
            for f, num in ep.num.items():
                if f.op == "exp":
                    e.add(f.args[0], num)
                elif is_sum_op(f) and num == 1 and not nested:
                    nested.append(f)
                else:
                    return None
            for f, den in ep.den.items():
                if f.op != "exp":
                    return None
                e.add(f.args[0], den, negative=True)
            for _ in range(k):  # a fresh Sum per copy: later steps extend each term's exponent in place
                if nested:
                    stack.append((nested[0], c, Sum(dict(e.pos), dict(e.neg))))
                else:
                    out.append((c, Sum(dict(e.pos), dict(e.neg))))
        if len(out) + len(stack) > MAX_TERMS:
            return None
    return out


def _coefficient_sign(c: Product, signs: Signs) -> Sign:
    out: Sign = (c.sign, frozenset())
    for f in {**c.num, **c.den}:
        if (c.num.get(f, 0) + c.den.get(f, 0)) % 2:
            out = times(out, signs.sign(f))
    return out


def _flat(n: Node, limit: int = 64) -> Product | None:
    """The per-evaluation product under ``n`` (mul, div, neg of real values) flattened, or None where it has
    more than ``limit`` factors."""
    out = Product()
    stack = [(n, False)]
    while stack:
        m, inverse = stack.pop()
        if not m.free and m.op in ("mul", "div", "neg") and all(a.type.dtype is DType.REAL for a in m.args):
            if m.op == "neg":
                out.sign = -out.sign
            stack.extend((a, inverse != (m.op == "div" and i == 1)) for i, a in enumerate(m.args))
            continue
        side = out.den if inverse else out.num
        side[m] = side.get(m, 0) + 1
        if len(out.num) + len(out.den) > limit:
            return None
    return out


def _exp_factors(p: Product) -> tuple[Sum, Product]:
    """The exponential factors of the per-evaluation product ``p`` (looking into the products it is made of)
    as the sum of their exponents, and the other factors: ``log(exp(s) r) = s + log(r)`` exactly
    (``exp(s) > 0``), and finite where ``exp(s)`` over- or underflows (a normalisation integral
    ``exp(-p^2) rest`` with the mean 40 sigma beyond the range, see :func:`firmc.library.integrals.gaussian_integral`).
    A factor without an exponential inside stays as it is.

    Example:
        >>> from firmc.ir import param
        >>> e, r = _exp_factors(Product(1, {param("a"): 1}, {apply("exp", param("s")) * 2.0: 1}))
        >>> [t.op for t in e.neg], [f.op for f in r.num], [f.op for f in r.den]
        (['param'], ['param'], ['const'])
    """
    shifts, rest = Sum(), Product(p.sign)
    for side, negative in ((p.num, False), (p.den, True)):
        for f, k in side.items():
            flat = _flat(f)
            if flat is None or not any(g.op == "exp" for g in (*flat.num, *flat.den)):
                flat = Product(1, {f: 1})
            rest.sign *= flat.sign ** k
            for inner, inv in ((flat.num, negative), (flat.den, not negative)):
                for g, j in inner.items():
                    if g.op == "exp":
                        shifts.add(g.args[0], j * k, inv)
                    else:
                        out = rest.den if inv else rest.num
                        out[g] = out.get(g, 0) + j * k
    return shifts, rest


def _add_terms(e: Sum, terms: Sum) -> None:
    for side, negative in ((terms.pos, False), (terms.neg, True)):
        for t, k in side.items():
            e.add(t, k, negative)


def _add_log(e: Sum, p: Product) -> None:
    """Add ``log(p)`` to ``e`` for a per-evaluation product ``p`` (its exponential factors as exponents)."""
    shifts, rest = _exp_factors(p)
    _add_terms(e, shifts)
    if not rest.trivial():
        e.add(apply("log", build_product(rest)))


def _log_of_sum(s: Node, signs: Signs, max_terms: int, scale: Product | None = None) -> Node | None:
    """The log-sum-exp of the sum ``s`` (times the per-evaluation ``scale``, folded into the coefficients)."""
    terms = _exp_terms(s)
    if terms is None or not 2 <= len(terms) <= max_terms:
        return None
    if scale is not None:
        terms = [(c.times(scale), e) for c, e in terms]
    if any(_coefficient_sign(c, signs) != POS for c, _ in terms):
        return None
    bs = []
    for c, e in terms:
        _add_log(e, c)
        bs.append(build_sum(e))
    return logsumexp(bs)


def _split_power(f: Node, signs: Signs, max_terms: int) -> Node | None:
    """``log(f)`` as ``q * log(b)`` for ``f = pow(b, q)`` or ``sqrt(b)`` where that is exact."""
    if f.op == "sqrt":
        return apply("mul", log_of(f.args[0], signs, max_terms) or apply("log", f.args[0]), const(0.5))
    if f.op != "pow" or f.args[1].free:
        return None
    b, q = f.args
    v = q.attr("value") if q.op == "const" else None
    fractional = isinstance(v, float) and math.isfinite(v) and not v.is_integer()
    if fractional or signs.nonneg(b):
        return apply("mul", log_of(b, signs, max_terms) or apply("log", b), q)
    return None


def _log_of_select(f: Node, signs: Signs, max_terms: int) -> Node | None:
    """``log(select(c, u, v))`` as ``select(c, log u, log v)``, each branch in log space, where a branch has a
    log-space form and at most one per-event branch keeps a plain ``log`` (no logarithm added per event): the
    core of a Crystal Ball 40 sigma from its mean gives its exponent, not log(0)."""
    c, u, v = f.args
    logs = [log_of(b, signs, max_terms) if b.free else None for b in (u, v)]
    if all(g is None for g in logs) or sum(g is None and bool(b.free) for g, b in zip(logs, (u, v), strict=True)) > 1:
        return None
    lu, lv = (g if g is not None else apply("log", b) for g, b in zip(logs, (u, v), strict=True))
    return apply("select", c, lu, lv)


def _log_piece(f: Node, signs: Signs, max_terms: int) -> Node | None:
    """``log(f)`` for a per-event factor that has a log-space form, else None."""
    if f.op == "exp":
        return f.args[0]
    if f.op == "select" and f.type.dtype is DType.REAL:
        return _log_of_select(f, signs, max_terms)
    return _log_of_sum(f, signs, max_terms) if is_sum_op(f) else _split_power(f, signs, max_terms)


def log_of(arg: Node, signs: Signs, max_terms: int = MAX_TERMS) -> Node | None:
    """``log(arg)`` rewritten in log space, or None when nothing splits off (see the module docstring).

    Example:
        >>> from firmc.ir import obs, param
        >>> x, a = obs("x"), param("a")
        >>> log_of(apply("exp", x) * a, Signs()) is x + apply("log", a)
        True
        >>> log_of(x * a, Signs()) is None
        True
    """
    pf = product_form(arg)
    par, ev = pf.split()
    (f, k), = ev.num.items() if len(ev.num) == 1 and not ev.den and not par.trivial() else ((None, 0),)
    if f is not None and k == 1 and is_sum_op(f):  # log(P * sum): P goes into the coefficients, once per evaluation
        lse = _log_of_sum(f, signs, max_terms, scale=par)
        if lse is not None:
            return lse
    pieces = Sum()
    rest = Product()
    for side, negative in ((ev.num, False), (ev.den, True)):
        for f, k in side.items():
            piece = _log_piece(f, signs, max_terms)
            if piece is None:
                (rest.den if negative else rest.num)[f] = k
            else:
                pieces.add(piece, k, negative)
    if not pieces.pos and not pieces.neg:
        return None
    if rest.trivial() or signs.nonneg(build_product(par)):
        _add_log(pieces, par)
        if not rest.trivial():
            pieces.add(apply("log", build_product(rest)))
    else:
        shifts, par = _exp_factors(par)
        _add_terms(pieces, shifts)
        pieces.add(apply("log", build_product(rest.times(par))))
    return build_sum(pieces)


def logspace(roots: Sequence[Node], ctx: Context | None = None, *, max_terms: int = MAX_TERMS) -> list[Node]:
    """Rewrite every real per-event ``log`` in log space (parameter bounds from ``ctx.parameters``).
    ``max_terms=2`` takes the log-sum-exp only where it saves an exponential (see the module docstring).

    Example:
        >>> from firmc.ir import obs, param
        >>> x = obs("x", 0.0, 1.0)
        >>> logspace([apply("log", apply("exp", -param("c") * x) / param("z"))])[0].op
        'add'
    """
    signs = Signs(ctx.parameters if ctx is not None else None)
    done = 0

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        nonlocal done
        if n.op != "log" or not n.free or n.type.dtype is not DType.REAL or args[0].type.dtype is not DType.REAL:
            return None
        out = log_of(args[0], signs, max_terms)
        done += out is not None
        return out

    out = rewrite(roots, rule)
    if ctx is not None and done:
        ctx.note("logspace", "graph", f"{done} per-event logs rewritten in log space")
    return out


def log_density(pdf: Node, ctx: Context | None = None, *, max_terms: int = MAX_TERMS) -> Node:
    """``log(pdf)`` with the log-space rewrites applied (the compiler's ``logpdf``). Run it on a density whose
    normalisation is lowered (:func:`firmc.passes.normalise.lower_normalisation`) to split the
    normalisation integrals off as per-evaluation ``log(Z)``.

    Example:
        >>> from firmc.ir import obs, param
        >>> from firmc.library.shapes import gaussian
        >>> from firmc.passes.normalise import lower_normalisation
        >>> pdf, = lower_normalisation([gaussian(obs("x", -5.0, 5.0), param("mu"), param("s"))])
        >>> sorted({n.op for n in walk([log_density(pdf)]) if n.free})
        ['add', 'div', 'mul', 'obs', 'sub']
    """
    return logspace([apply("log", pdf)], ctx, max_terms=max_terms)[0]
