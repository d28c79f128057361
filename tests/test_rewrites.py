"""The rewrite passes (fold, dce, cse, strength reduction): each rule fires where it should, leaves the
interpreter's values unchanged (bit for bit for the exact rules, to 1e-12 for the rounding-level ones) over inputs
that include 0, -0.0, negatives, huge and tiny values, inf and NaN, and does not fire where it must not."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from firmc.errors import FormatError
from firmc.interp import evaluate
from firmc.ir import (
    Dataset,
    DType,
    Entry,
    Module,
    Node,
    Observable,
    Parameter,
    Validation,
    apply,
    const,
    obs,
    param,
    verify_node,
    walk,
)
from firmc.passes.context import Context
from firmc.passes.cse import CSE_RULES, cse, share_prefixes
from firmc.passes.dce import DCE_RULES, dce, prune
from firmc.passes.fold import FOLD_RULES, fold, same_bits
from firmc.passes.rules import Rule, run_rules
from firmc.passes.strength import POW_EXACT, STRENGTH_RULES, strength_reduce

INF, NAN = math.inf, math.nan
X_VALUES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 2.0, 0.25, 7.123456789, -0.3, 1e-20, -1e-20, 1e-170, 1e-300,
            -1e-300, 5e-324, 1e154, -1e154, 1e300, -1e300, 709.0, 800.0, -800.0, INF, -INF, NAN]
A_VALUES = [0.0, -0.0, 1.5, -2.0, 1e-300, 1e300, INF, -INF, NAN, 3.0]
B_VALUES = [0.5, -0.0, NAN]
TINY = float(np.finfo(np.float64).tiny)

x, a, b = obs("x"), param("a"), param("b")
c = apply("lt", x, a)  # a bool per event
d = apply("ge", a, b)  # a bool per evaluation
k = apply("select", c, const(3), const(-7))  # an int per event
z = apply("complex", x, a)  # a complex per event
zc = apply("conj", z)  # with -0.0 imaginary parts (the interpreter's complex(x, a) is x + 1j * a: imaginary +0.0)


def _grid() -> dict[str, np.ndarray]:
    """Every combination of x, a and b values as event arrays (parameters broadcast like observables)."""
    xs, as_, bs = zip(*itertools.product(X_VALUES, A_VALUES, B_VALUES), strict=True)
    return {"x": np.array(xs), "a": np.array(as_), "b": np.array(bs)}


GRID = _grid()
SCALAR_ENV = {"x": np.array(X_VALUES), "a": 1.5, "b": -0.0}


def values(roots: Sequence[Node], env: Mapping[str, object]) -> list[np.ndarray]:
    n = len(np.atleast_1d(np.asarray(env["x"])))
    return [np.broadcast_to(np.asarray(v), (n,)) for v in evaluate(list(roots), env)]


def assert_same(old: Sequence[Node], new: Sequence[Node], rtol: float | None) -> None:
    """Bitwise (any NaN for NaN) when ``rtol`` is None, else the same NaN and inf positions and agreement to ``rtol``
    (absolutely below the smallest normal number, where fewer significant bits exist)."""
    for env in (GRID, SCALAR_ENV):
        for u, v in zip(values(old, env), values(new, env), strict=True):
            if rtol is None:
                assert same_bits(np.ascontiguousarray(u), np.ascontiguousarray(v)), (u, v)
                continue
            p, q = u.astype(complex), v.astype(complex)
            assert np.array_equal(np.isnan(p), np.isnan(q))
            assert np.array_equal(np.isinf(p), np.isinf(q))
            with np.errstate(invalid="ignore"):
                ok = np.isnan(p) | (p == q) | (np.abs(p - q) <= rtol * np.abs(p) + TINY)
            assert ok.all(), (p[~ok], q[~ok])


def ops(roots: Sequence[Node]) -> list[str]:
    """Sorted non-leaf ops of a graph."""
    return sorted(n.op for n in walk(list(roots)) if n.op not in ("const", "param", "obs"))


# ------------------------------------------------------------------------------------------- per-rule cases
TABLES: dict[str, tuple[Rule, ...]] = {"fold": FOLD_RULES + DCE_RULES, "cse": CSE_RULES, "strength": STRENGTH_RULES}


@dataclass(frozen=True)
class Case:
    rule: str
    roots: tuple[Node, ...]
    after: list[str] | None  # sorted non-leaf ops after the pass (None: not checked)
    level: int = 1
    rtol: float | None = None  # None: bitwise

    @property
    def table(self) -> str:
        return next(t for t, rules in TABLES.items() if any(r.name == self.rule for r in rules))


def case(rule: str, *roots: Node, after: list[str] | None, level: int = 1, rtol: float | None = None) -> Case:
    return Case(rule, roots, after, level, rtol)


def run(table: str, roots: Sequence[Node], level: int) -> tuple[list[Node], Counter[str]]:
    result = run_rules(roots, TABLES[table], level)
    if table == "cse":
        return share_prefixes(result.roots)[0], result.fired
    return result.roots, result.fired


P2 = 2 if POW_EXACT[2.0] else None  # exact on NumPy >= 2.3, where np.power squares
CASES = [
    # fold: literals
    case("const_eval", apply("exp", const(1.0)) + x, after=["add"]),
    case("const_eval", apply("and", const(True), const(False)), apply("add", const(3), const(4)),
         apply("sub", const(INF), const(INF)), const(1.0) / 0.0, apply("neg", const(-0.0)), after=[]),
    case("const_eval", apply("complex", const(1.0), const(2.0)) * const(3j) + z, after=["add", "complex"]),
    case("const_eval", apply("landau", const(0.3)) * apply("lgamma", const(-2.5)) * x, after=["mul"]),
    case("const_prefix", apply("add", const(2.0), const(3.0), x), apply("mul", const(2), const(3), k),
         after=["add", "lt", "mul", "select"]),
    case("flatten", apply("add", apply("add", x, a), b), after=["add"]),
    case("flatten", apply("mul", apply("mul", apply("mul", x, a), b), x), after=["mul"]),
    case("single", apply("add", x), apply("mul", a), after=[]),
    case("mul_one", x * 1.0, apply("mul", const(1.0), x, a), apply("mul", k, const(1)), x * const(1),
         after=["lt", "mul", "select"]),
    case("add_neg_zero", x + -0.0, apply("add", const(-0.0), x, a), apply("add", k, const(0)),
         after=["add", "lt", "select"]),
    case("sub_zero", x - 0.0, x - const(0), apply("sub", k, const(0)), after=["lt", "select"]),
    case("neg_zero_sub", apply("sub", const(-0.0), x), apply("sub", const(0), k), after=["lt", "neg", "neg", "select"]),
    case("div_one", x / 1.0, a / const(1), x / -1.0, after=["neg"]),
    case("mul_minus_one", x * -1.0, const(-1) * a, apply("mul", k, const(-1)), after=["lt", "neg", "neg", "neg",
                                                                                     "select"]),
    case("neg_neg", apply("neg", -x), apply("neg", -z), apply("neg", -k), after=["complex", "lt", "select"]),
    case("neg_pair", (-x) * (-a), (-x) / (-a), after=["div", "mul"]),
    case("logic_identity", apply("and", const(True), c), apply("or", d, const(0.0)), apply("and", const(2.0), c),
         after=["ge", "lt"]),
    case("not_not", apply("not", apply("not", c)), after=["lt"]),
    # dce
    case("select_const", apply("select", const(True), x, a), apply("select", const(0.0), x, a),
         apply("select", const(NAN), x, a), after=[]),
    case("select_const", apply("select", const(True), k, x), apply("select", const(1), z, x),
         apply("select", const(True), x, z), after=["add", "add", "complex", "lt", "select"]),
    case("select_same", apply("select", c, apply("exp", x), apply("exp", x)), after=["exp"]),
    case("select_not", apply("select", apply("not", c), x, a), after=["lt", "select"]),
    case("select_nested", apply("select", c, apply("select", c, x, a), b),
         apply("select", d, a, apply("select", d, x, b)), after=["ge", "lt", "select", "select"]),
    case("choose_const", apply("choose", const(1.5), a, x, b), apply("choose", const(NAN), x, a),
         apply("choose", const(-2.0), a, x), apply("choose", const(1e300), a, x), after=[]),
    case("choose_const", apply("choose", const(True), a, k), apply("choose", const(0), k, c),
         after=["add", "lt", "select"]),
    case("choose_same", apply("choose", x, a, a, a), apply("choose", c, apply("exp", x)), after=["exp"]),
    case("int_mul_zero", apply("mul", k, const(0)), apply("mul", const(0), k, k), after=[]),
    case("absorb", apply("and", const(False), c), apply("or", d, const(1.0)), after=[]),
    # cse
    case("commute", x * a, a * x, x + a, a + x, after=["add", "mul"]),
    case("commute", apply("add", a, x, b), apply("add", x, a, b), after=["add"]),
    case("commute", apply("eq", x, a), apply("eq", a, x), apply("and", c, d), apply("and", d, c),
         apply("approx_eq", x, a), apply("approx_eq", a, x), apply("ne", a, x), apply("ne", x, a),
         after=["and", "approx_eq", "eq", "le", "lt", "ne"]),
    case("flip_comparison", apply("gt", a, x), apply("lt", x, a), apply("ge", x, b), apply("le", b, x),
         after=["le", "lt"]),
    case("add_neg", x + (-a), (-a) + x, x - a, after=["sub"]),
    case("add_neg", z + (-apply("complex", b, a)), after=["complex", "complex", "sub"]),
    case("sub_neg", x - (-a), x + a, after=["add"]),
    # strength: exact
    case("pow_zero", x ** 0.0, x ** const(0), after=[]),
    case("pow_one", x ** 1.0, a ** const(1), after=[]),
    case("pow_two", x ** 2.0, x ** const(2), after=["mul"], level=1 if P2 else 2, rtol=None if P2 else 1e-12),
    case("pow_minus_one", x ** -1.0, after=["div"], level=1 if POW_EXACT[-1.0] else 2,
         rtol=None if POW_EXACT[-1.0] else 1e-12),
    case("pow_half", x ** 0.5, after=["sqrt"] if POW_EXACT[0.5] else ["abs", "eq", "select", "sqrt"],
         level=1 if POW_EXACT[0.5] else 2, rtol=None if POW_EXACT[0.5] else 1e-12),
    case("abs2_real", apply("abs2", x), after=["mul"]),
    case("mul_abs_abs", apply("abs", x) * apply("abs", x), after=["mul"]),
    case("div_pow2", x / 4.0, x / 0.125, x / const(2), a / -(2.0 ** -1022), after=["mul", "mul", "mul", "mul"]),
    # strength: rounding level
    case("pow_minus_half", x ** -0.5, after=["abs", "div", "eq", "select", "sqrt"], level=2, rtol=1e-12),
    case("pow_int", x ** 3.0, after=["mul", "mul"], level=2, rtol=1e-12),
    case("pow_int", x ** 16.0, after=["mul"] * 4, level=2, rtol=1e-12),
    case("pow_int", x ** const(13), after=["mul"] * 5, level=2, rtol=1e-12),
    case("pow_int", x ** -2.0, x ** -3.0, a ** -16.0, after=["div"] * 2 + ["mul"] * 6, level=2, rtol=1e-12),
    case("div_reciprocal", x / a, x / (a * b), after=["div", "div", "mul", "mul", "mul"], level=2, rtol=1e-12),
    case("div_reciprocal", x / 3.0, x / -1e300, after=["mul", "mul"], level=2, rtol=1e-12),
]


@pytest.mark.parametrize("cs", CASES, ids=[f"{i}-{cs.rule}" for i, cs in enumerate(CASES)])
def test_rule(cs: Case) -> None:
    out, fired = run(cs.table, cs.roots, cs.level)
    assert fired[cs.rule] >= 1, fired
    if cs.after is not None:
        assert ops(out) == sorted(cs.after)
    for r in out:
        verify_node(r)
    assert_same(cs.roots, out, cs.rtol)


def test_every_rule_has_a_case() -> None:
    tested = {cs.rule for cs in CASES} | {"log_exp"}  # log_exp changes values: its own test below
    assert {r.name for rules in TABLES.values() for r in rules} == tested


def test_rule_tables_are_consistent() -> None:
    for rules in TABLES.values():
        assert len({r.name for r in rules}) == len(rules)
        for r in rules:
            assert r.doc and (r.min_level == 1) == r.exact, r.name


# --------------------------------------------------------------------------------------- must not fire
MUST_NOT: list[tuple[str, Node] | tuple[str, Node, str]] = [
    ("fold", x + 0.0),  # -0.0 + 0.0 is +0.0
    ("fold", x + const(0)),
    ("fold", x - -0.0),
    ("fold", apply("sub", const(0.0), x)),
    ("fold", x * 0.0),  # inf * 0 is NaN, -1 * 0 is -0.0
    ("fold", x - x),
    ("fold", x / x),
    ("fold", apply("mul", x, const(2.0), const(3.0))),  # (x * 2) * 3 is not x * 6
    ("fold", apply("add", a, apply("add", x, b))),  # a + (x + b) is not (a + x) + b
    ("fold", zc * 1.0),  # complex * real is a complex product: inf * (1 + 0j) has a NaN imaginary part
    ("fold", apply("and", const(True), x)),  # and(true, x) is x != 0, not x
    ("fold", apply("not", apply("not", x))),
    ("fold", apply("select", c, const(1.0), x)),
    ("cse", apply("min", a, x)),  # np.minimum(0.0, -0.0) is -0.0, np.minimum(-0.0, 0.0) is 0.0
    ("cse", apply("max", a, x)),
    ("cse", apply("mul", z, apply("complex", a, b))),  # NumPy's complex multiply is not bitwise commutative
    ("cse", -(x - a)),  # -(a - a) is -0.0, (a - a) is +0.0
    ("cse", zc + (-x), "commute"),  # -x widens to (-x, +0.0): zc + (-x), zc - x differ in the sign of a zero imag part
    ("cse", zc - (-x)),
    ("cse", apply("add", apply("neg", k), const(-0.0)), "commute"),  # int -0 widens to +0.0; -0.0 - 0 is -0.0
    ("strength", x ** 17.0),
    ("strength", x ** 2.5),
    ("strength", z ** 2.0),
    ("strength", apply("exp", apply("log", x))),  # NaN for x < 0 would become x
    ("strength", apply("sqrt", x) * apply("sqrt", x)),
    ("strength", x / 5e-324),  # the reciprocal overflows
    ("strength", a / b),  # no per-event work to save
]


@pytest.mark.parametrize("entry", MUST_NOT, ids=[f"{i}-{e[0]}" for i, e in enumerate(MUST_NOT)])
def test_rule_does_not_fire(entry: tuple[str, Node] | tuple[str, Node, str]) -> None:
    table, root, *allowed = entry  # allowed: a rule that may fire (exactly) on the same node
    out, fired = run(table, [root], 3)
    assert set(fired) <= set(allowed), fired
    assert out[0] is root or allowed
    assert_same([root], out, None)


def test_rounding_rules_wait_for_level_two() -> None:
    for e in (x / 3.0, x / a, x ** 3.0, x ** -0.5):
        assert strength_reduce([e], Context(optimize=1))[0] is e
        assert strength_reduce([e], Context(optimize=2))[0] is not e


def test_only_the_first_two_operands_commute() -> None:
    out = cse([apply("add", x, b, a), apply("add", x, a, b), apply("add", b, x, a)])
    assert out[0] is not out[1] and out[0] is out[2]


def test_x_plus_zero_is_not_an_identity() -> None:
    u = values([x + 0.0], {"x": np.array([-0.0])})[0]
    assert not np.signbit(u[0])  # so folding it to x would turn +0.0 into -0.0


def test_flatten_keeps_shared_inner_sums() -> None:
    inner = apply("add", x, a)
    outer = apply("add", inner, b)
    out = fold([outer, inner * 2.0])
    assert out[0].args[0] is inner


def test_log_exp_is_value_changing_and_level_three() -> None:
    e = apply("log", apply("exp", x))
    assert strength_reduce([e], Context(optimize=2))[0] is e
    out = strength_reduce([e], Context(optimize=3))[0]
    assert out is x
    env = {"x": np.array([800.0, -800.0, 1e-20, 0.5])}
    assert values([e], env)[0].tolist() == [INF, -INF, 0.0, pytest.approx(0.5, rel=1e-15)]
    assert values([out], env)[0].tolist() == [800.0, -800.0, 1e-20, 0.5]


def test_power_reuses_squares_across_powers() -> None:
    out = strength_reduce([x ** 4.0, x ** 8.0, x ** 2.0], Context(optimize=2))
    assert ops(out) == ["mul"] * 3  # x*x, (x*x)^2, (x^4)^2


# ------------------------------------------------------------------------------------ cse: sharing found
def test_cse_shares_prefixes_and_reports() -> None:
    s1 = apply("add", x, a, b, const(1.0))
    s2 = apply("add", a, x, b, const(2.0))  # same value prefix after the first pair is put in canonical order
    s3 = apply("add", x, a)
    ctx = Context()
    out = cse([s1, s2, s3], ctx)
    p = out[0].args[0]
    assert p is out[1].args[0] and p.args[0] is out[2]
    assert ops(out) == ["add"] * 4  # x + a, (x + a) + b, then + 1 and + 2: 4 additions where there were 6
    assert_same([s1, s2, s3], out, None)
    assert ctx.decisions[-1].pass_name == "cse" and "2 shared prefixes" in ctx.decisions[-1].what


def test_cse_order_is_deterministic() -> None:
    # the canonical order is by structural digest, not by id: building the operands in either order gives the
    # same graph
    p, q = apply("exp", param("p")), apply("log", param("q"))
    assert cse([p * q])[0] is cse([q * p])[0]


def test_cse_level_zero_does_nothing() -> None:
    e = a * x
    assert cse([e], Context(optimize=0))[0] is e


# ---------------------------------------------------------------------------------------- dce and prune
def test_dce_pass_and_fold_include_branch_rules() -> None:
    e = apply("select", apply("lt", const(1.0), const(2.0)), x, apply("exp", x))
    assert fold([e])[0] is x
    assert dce([apply("select", const(False), apply("exp", x), x)])[0] is x


def test_prune_keeps_what_the_entries_reach() -> None:
    y = obs("y")
    lik = apply("datasum", apply("log", x * a), dataset="d", binds=("x",))
    m = Module(
        observables={"x": Observable("x", 0.0, 1.0), "y": Observable("y", 0.0, 1.0)},
        parameters={n: Parameter(n, 1.0) for n in "abc"},
        entries={"nll": Entry("nll", "likelihood", lik), "g": Entry("g", "function", y * param("c"))},
        datasets={"d": Dataset("d", {"x": np.array([0.5])}), "e": Dataset("e", {"y": np.array([0.5])})},
        validations=[Validation("nll", {"a": 1.0}, 0.0), Validation("g", {"y": 0.0}, 0.0)],
        unsupported={"h": "no closed form"}, format="ir",
    )
    small = prune(m, ["nll"])
    assert (sorted(small.entries), sorted(small.parameters), sorted(small.observables), sorted(small.datasets)) == \
        (["nll"], ["a"], ["x"], ["d"])
    assert [v.entry for v in small.validations] == ["nll"] and small.unsupported == {} and small.format == "ir"
    assert prune(m, ["h"]).unsupported == {"h": "no closed form"}
    with pytest.raises(FormatError, match="did you mean 'nll'"):
        prune(m, ["nl"])


# ------------------------------------------------------------------------------ random graphs, level 1
CONSTANTS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0, NAN, INF, -INF]
EXPONENTS = [0.0, 1.0, 2.0, -1.0, 0.5, 3.0, -0.5]


def random_graph(rng: np.random.Generator, size: int) -> Node:
    """A random DAG over x, a, b and literals, with shared nodes, literal-only subtrees and the ops the rules
    look at (and some they must leave alone)."""
    pool: list[Node] = [x, a, b, const(1.0), const(-0.0)]
    bools: list[Node] = [c, d]

    def pick() -> Node:
        return pool[-1] if rng.random() < 0.35 else pool[int(rng.integers(len(pool)))]

    def lit() -> Node:
        return const(CONSTANTS[int(rng.integers(len(CONSTANTS)))])

    builders: list[Callable[[], Node]] = [
        lambda: apply("add", *(pick() if rng.random() < 0.8 else lit() for _ in range(int(rng.integers(1, 5))))),
        lambda: apply("mul", *(pick() if rng.random() < 0.8 else lit() for _ in range(int(rng.integers(1, 4))))),
        lambda: apply("sub", pick(), lit() if rng.random() < 0.4 else pick()),
        lambda: apply("div", pick(), lit() if rng.random() < 0.4 else pick()),
        lambda: apply("neg", pick()),
        lambda: apply("pow", pick(), const(EXPONENTS[int(rng.integers(len(EXPONENTS)))])),
        lambda: apply(["exp", "log", "sqrt", "abs", "abs2", "sin"][int(rng.integers(6))], pick()),
        lambda: apply("select", bools[int(rng.integers(len(bools)))], pick(), lit() if rng.random() < 0.3 else pick()),
        lambda: apply("select", lit(), pick(), pick()),
        lambda: apply(["min", "max"][int(rng.integers(2))], pick(), pick()),
        lambda: apply("add", lit(), lit(), pick()),
    ]
    bool_builders: list[Callable[[], Node]] = [
        lambda: apply(["lt", "le", "gt", "ge", "eq", "ne"][int(rng.integers(6))], pick(), pick()),
        lambda: apply(["and", "or"][int(rng.integers(2))], bools[int(rng.integers(len(bools)))],
                      const(bool(rng.integers(2))) if rng.random() < 0.5 else bools[-1]),
        lambda: apply("not", bools[int(rng.integers(len(bools)))]),
    ]
    for _ in range(size):
        if rng.random() < 0.2:
            bools.append(bool_builders[int(rng.integers(len(bool_builders)))]())
        else:
            pool.append(builders[int(rng.integers(len(builders)))]())
    return apply("add", pool[-1], apply("select", bools[-1], pool[-2], pool[-3]))


def pipeline(roots: Sequence[Node], level: int) -> list[Node]:
    ctx = Context(optimize=level)
    out = fold(roots, ctx)
    out = strength_reduce(out, ctx)
    out = fold(out, ctx)
    return cse(out, ctx)


def test_random_graphs_keep_bits_at_level_one() -> None:
    rng = np.random.default_rng(7)
    fired = 0
    for _ in range(60):
        root = random_graph(rng, 25)
        out = pipeline([root], 1)
        verify_node(out[0])
        assert_same([root], out, None)
        fired += out[0] is not root
    assert fired > 50


def test_passes_are_idempotent_on_their_output() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        out = pipeline([random_graph(rng, 25)], 1)
        assert pipeline(out, 1) == out


def test_large_graphs_use_no_recursion() -> None:
    chain = x
    for i in range(5000):
        chain = apply("exp", chain * 1.0 + -0.0) if i % 2 else chain * a - 0.0
    out = pipeline([chain], 2)
    assert ops(out).count("exp") == 2500
    total = apply("add", *[param(f"p{i}") * (x - float(i)) ** 2.0 for i in range(3000)])
    out = pipeline([total], 2)
    assert "pow" not in ops(out)


def test_int_results_keep_their_dtype() -> None:
    out = fold([apply("mul", k, const(1)), apply("add", const(2), const(3))])
    assert out[0].type.dtype is DType.INT and out[1].attr("value") == 5
