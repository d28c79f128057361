"""Every Python target agrees with the interpreter on every corpus model and on every op of the table.

One harness (:func:`firmc.testing.assert_agrees`) for every target; the op-table tolerance applies (1e-12
relative in float64 for elementwise ops, 1e-9 where a numerical integral is involved).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import firmc
from backends import GENERATED_TARGETS, corpus_entries, target_param
from firmc.backends.csource.dialects import CPP
from firmc.backends.pysource.dialects import DIALECTS
from firmc.ir import OPS
from firmc.testing import Case, assert_agrees, every_op_module

TARGETS = [target_param(t) for t in GENERATED_TARGETS]
STRUCTURAL = {"const", "param", "obs", "integral", "normalize", "datasum"}  # handled by the emitter itself
EVERY_OP = every_op_module()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("optimize", [1, 0])
@pytest.mark.parametrize(("path", "entry"), corpus_entries(), ids=lambda v: Path(v).name if "/" in v else v)
def test_corpus_entry_agrees(path: str, entry: str, optimize: int, target: str) -> None:
    m = firmc.load(path)
    assert_agrees(Case(m, entry, optimize=optimize, name=Path(path).name), target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("optimize", [0, 1])
@pytest.mark.parametrize("entry", sorted(EVERY_OP.entries))
def test_every_op_agrees(entry: str, optimize: int, target: str) -> None:
    assert_agrees(Case(EVERY_OP, entry, optimize=optimize, name="every_op"), target)


def test_every_op_model_uses_every_op() -> None:
    from firmc.ir import walk

    used = {n.op for e in EVERY_OP.entries.values() for n in walk([e.expr])}
    assert used == set(OPS)


@pytest.mark.parametrize("dialect", [*sorted(DIALECTS), "cpp"])
def test_every_elementwise_op_has_a_spelling(dialect: str) -> None:
    ops = CPP.ops if dialect == "cpp" else DIALECTS[dialect].ops
    by_emitter = {"complex", "faddeeva"} if dialect == "cpp" else set()  # C: pairs of reals (csource/pairs.py)
    missing = sorted(set(OPS) - STRUCTURAL - by_emitter - set(ops))
    assert not missing, f"{dialect} cannot spell {missing}"


@pytest.mark.parametrize("target", TARGETS)
def test_every_op_program_keeps_its_ops_at_optimize_0(target: str) -> None:
    """The agreement above is only meaningful if the generated code really contains each op."""
    c = firmc.compile(EVERY_OP, target, "every_op", optimize=0)
    from firmc.ir import walk

    ops = {n.op for n in walk(list(c.program.outputs.values()))}
    assert ops >= set(OPS) - {"const"}, sorted(set(OPS) - ops)
