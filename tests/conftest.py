"""Shared test fixtures: where the shared corpus of models lives."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ``<repo>/../shared/corpus`` -- the corpus shared by the engineers (HS3, pyhf, RooFit, three-body samples).
CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus directory; tests using it are skipped when it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR
