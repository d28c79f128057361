"""What the back-end tests share: the Python targets, skipped by capability (a missing optional dependency),
never by ad-hoc conditions inside tests; and the corpus entries every target is checked on."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

import firmc
from conftest import CORPUS_DIR
from firmc.backends import available_targets, get_backend

PYTHON_TARGETS = ("numpy", "jax", "torch")
NATIVE_TARGETS = ("cpp", "llvm")
GENERATED_TARGETS = PYTHON_TARGETS + NATIVE_TARGETS  # every target checked by the agreement harness
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def target_param(name: str) -> object:
    """``name`` as a pytest parameter, skipped when its dependencies are not installed."""
    missing = name not in available_targets()
    why = f"target {name} needs {', '.join(get_backend(name).requires)}" if missing else ""
    return pytest.param(name, marks=pytest.mark.skipif(missing, reason=why), id=name)


def corpus_entries() -> list[tuple[str, str]]:
    """(file, entry) of every compilable entry of the HS3 and RooFit corpus models and the shipped example."""
    files = sorted(glob.glob(str(CORPUS_DIR / "roofit" / "*.json")) + glob.glob(str(CORPUS_DIR / "hs3" / "*.json")))
    files.append(str(EXAMPLES / "gauss_exp.hs3.json"))
    out = []
    for f in files:
        m = firmc.load(f)
        out += [(f, e) for e in m.entries if e not in m.unsupported]
    return out
