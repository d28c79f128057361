"""Shared test fixtures: where the shared corpus of models lives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (the CI must not fail by chance); explore new ones with
# `pytest --hypothesis-profile=explore` (or --hypothesis-seed=N), and turn what they find into regression tests.
settings.register_profile("firmc", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("firmc")

#: ``<repo>/../shared/corpus`` -- the corpus shared by the engineers (HS3, pyhf, RooFit, three-body samples).
CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus directory; tests using it are skipped when it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR


def precise_root() -> Any:
    """ROOT in batch mode, quiet, with its integrators raised to 1e-13 relative so that values compare to 1e-9."""
    root = pytest.importorskip("ROOT")
    root.gROOT.SetBatch(True)
    root.RooMsgService.instance().setGlobalKillBelow(root.RooFit.WARNING)
    cfg = root.RooAbsReal.defaultIntegratorConfig()
    cfg.setEpsRel(1e-13)
    cfg.setEpsAbs(1e-15)
    cfg.method1D().setLabel("RooAdaptiveGaussKronrodIntegrator1D")
    cfg.getConfigSection("RooAdaptiveGaussKronrodIntegrator1D").setRealValue("maxSeg", 1000)
    nd = cfg.getConfigSection("RooAdaptiveIntegratorND")
    for key in ("maxEval2D", "maxEval3D", "maxEvalND"):
        nd.setRealValue(key, 1e8)
    return root


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden files of generated code under tests/golden instead of comparing")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to refresh tests/golden (``pytest --update-golden``)."""
    return bool(request.config.getoption("--update-golden"))
