"""Hoisting: the per-evaluation work leaves the per-event work, counted by the interpreter's profile."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from firmc.interp import evaluate
from firmc.ir import Node, Parameter, apply, const, obs, param, verify_node, walk
from firmc.library import composite, shapes
from firmc.passes.context import Context
from firmc.passes.cost import COST, op_counts
from firmc.passes.hoist import hoist, schedule
from firmc.passes.logspace import logspace
from firmc.passes.normalise import lower_normalisation

X = obs("x", -5.0, 5.0)
MU, SIGMA, C, F = param("mu"), param("sigma"), param("c"), param("f")
ENV = {"mu": 0.3, "sigma": 1.3, "c": 0.4, "f": 0.35}
CTX = Context(parameters={"f": Parameter("f", 0.35, 0.0, 1.0)})


def gaussian() -> Node:
    return lower_normalisation([shapes.gaussian(X, MU, SIGMA)])[0]


def mixture() -> Node:
    return lower_normalisation([composite.mixture([shapes.gaussian(X, MU, SIGMA), shapes.exponential(X, C)], [F])])[0]


def profile(roots: list[Node], n: int) -> Counter[str]:
    p: Counter[str] = Counter()
    evaluate(roots, {**ENV, "x": np.linspace(-4.9, 4.9, n)}, profile=p)
    return p


def per_event(p: Counter[str]) -> Counter[str]:
    return Counter({k.removesuffix("/event"): v for k, v in p.items() if k.endswith("/event")})


def per_evaluation(p: Counter[str]) -> Counter[str]:
    return Counter({k: v for k, v in p.items() if not k.endswith("/event")})


def agree(a: Node, b: Node, rtol: float = 1e-13) -> None:
    va, vb = evaluate([a, b], {**ENV, "x": np.linspace(-4.9, 4.9, 101)})
    np.testing.assert_allclose(vb, va, rtol=rtol)


def test_gaussian_per_event_ops() -> None:
    pdf = gaussian()
    assert per_event(profile([pdf], 10)) == Counter(sub=1, div=2, mul=2, exp=1)
    out = hoist([pdf])[0]
    # d = x - mu; d*d; * (-0.5/(sigma*sigma)); exp; * (1/Z): the division by sigma and by Z are per evaluation
    assert per_event(profile([out], 10)) == Counter(sub=1, mul=3, exp=1)
    assert op_counts([out]).event == per_event(profile([out], 10))
    agree(pdf, out)


def test_per_evaluation_ops_run_once_whatever_the_number_of_events() -> None:
    out = hoist([gaussian()])[0]
    small, large = profile([out], 10), profile([out], 1000)
    assert small == large
    assert per_evaluation(small) == op_counts([out]).evaluation
    sched = schedule([out])
    assert len(sched.prologue) == sum(per_evaluation(small).values())
    assert len(sched.per_event) == sum(per_event(small).values()) == 5
    assert all(not n.free for n in sched.prologue) and all(n.free for n in sched.per_event)


def test_mixture_per_event_ops() -> None:
    pdf = mixture()
    assert per_event(profile([pdf], 10)) == Counter(mul=5, div=3, exp=2, add=1, sub=1)
    out = hoist([pdf])[0]
    # gauss: sub, mul, mul, exp, mul (coefficient f/Z); exp: mul, exp, mul ((1-f)/Z); add
    assert per_event(profile([out], 10)) == Counter(mul=5, exp=2, add=1, sub=1)
    agree(pdf, out)


def test_mixture_log_density_has_one_exp_fewer_per_event() -> None:
    pdf = mixture()
    direct = apply("log", pdf)
    out = hoist(logspace(hoist([direct]), CTX))[0]
    before, after = per_event(profile([direct], 10)), per_event(profile([out], 10))
    assert before["exp"] == 2 and after["exp"] == 0  # one logaddexp (an exp and a log1p inside)
    assert after == Counter(add=2, mul=3, sub=1, logaddexp=1)
    assert sum(before.values()) == 13 and sum(after.values()) == 7
    assert per_evaluation(profile([out], 10)) == per_evaluation(profile([out], 1000))
    agree(direct, out, rtol=1e-12)


def test_reassociation_rules() -> None:
    y = obs("y")
    p1, p2 = param("p1"), param("p2")
    assert hoist([(X * p1) * p2])[0] is X * (p1 * p2)
    assert hoist([X * p1 * y * p2])[0] is (X * y) * (p1 * p2)
    assert hoist([(X * p1) ** 2.0])[0] is (X * X) * (p1 * p1)
    assert hoist([-X * p1])[0] is X * -p1
    assert hoist([X / p1])[0] is X * (1.0 / p1)
    assert hoist([(X - MU) + p1])[0] is X + (p1 - MU)
    assert hoist([-(X + p1)])[0] is -p1 - X
    g = apply("exp", -0.5 * (((X - MU) / SIGMA) * ((X - MU) / SIGMA)))
    d = X - MU
    assert hoist([g])[0] is apply("exp", (d * d) * (-0.5 / (SIGMA * SIGMA)))


def test_shared_subexpressions_stay_shared() -> None:
    t = (X - MU) / SIGMA  # used by two roots: computed once, not flattened into either
    roots = hoist([apply("exp", t * t), apply("sin", t)])
    assert op_counts(roots).event == Counter(sub=1, mul=2, exp=1, sin=1)


def test_hoist_is_idempotent_and_keeps_types() -> None:
    once = hoist([mixture(), gaussian()])
    assert hoist(once) == once
    for n in walk(once):
        verify_node(n)


def test_schedule_of_a_likelihood() -> None:
    nll = -apply("datasum", apply("log", hoist([gaussian()])[0]), dataset="d", binds=("x",))
    s = schedule([nll])
    assert [n.op for n in s.epilogue] == ["datasum", "neg"]
    assert all(not (n.free & {"x"}) for n in s.prologue)
    assert {n.op for n in s.per_event} == {"sub", "mul", "exp", "log"}
    quad = apply("normalize", apply("exp", -X * X * C))
    s = schedule(lower_normalisation([quad]))
    assert [n.op for n in s.prologue][-1] == "integral"


def test_context_records_the_decision() -> None:
    ctx = Context()
    hoist([gaussian()], ctx)
    assert ctx.decisions and ctx.decisions[0].pass_name == "hoist"


# ------------------------------------------------------------------------------------ property: values kept
Y = obs("y", 0.5, 2.0)
P, Q = param("p"), param("q")
LEAVES = [(X, 1), (Y, 1), (P, 1), (Q, 1), (const(2.0), 1), (const(0.5), 1), (const(-3.0), -1)]
Signed = tuple[Node, int]


def _same_sign_sum(a: Signed, b: Signed) -> Signed:
    return (a[0] + (b[0] if a[1] == b[1] else -b[0]), a[1])  # no cancellation: the terms have one sign


def _tree(children: st.SearchStrategy[Signed]) -> st.SearchStrategy[Signed]:
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda ab: (ab[0][0] * ab[1][0], ab[0][1] * ab[1][1])),
        pair.map(lambda ab: (ab[0][0] / ab[1][0], ab[0][1] * ab[1][1])),
        pair.map(lambda ab: _same_sign_sum(*ab)),
        children.map(lambda a: (-a[0], -a[1])),
        st.tuples(children, st.sampled_from([2, 3, -1, 5])).map(lambda ak: (ak[0][0] ** float(ak[1]),
                                                                          ak[0][1] ** (ak[1] % 2))),
    )


TREES = st.recursive(st.sampled_from(LEAVES), _tree, max_leaves=12)


def _event_cost(roots: list[Node]) -> float:
    return sum(COST.get(op, 1.0) * k for op, k in op_counts(roots).event.items())


@settings(max_examples=150, deadline=None)
@given(TREES)
def test_hoist_keeps_values_and_never_adds_per_event_work(tree: Signed) -> None:
    e = tree[0] * X  # per event
    out = hoist([e])[0]
    env = {"x": np.linspace(0.5, 2.0, 7), "y": np.linspace(2.0, 0.6, 7), "p": 1.3, "q": 0.7}
    a, b = evaluate([e, out], env)
    np.testing.assert_allclose(b, a, rtol=1e-12)
    assert _event_cost([out]) <= _event_cost([e])
    assert _event_cost(hoist([out])) <= _event_cost([out])
