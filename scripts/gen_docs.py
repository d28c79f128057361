"""Regenerate the generated parts of docs/ from firmc's registries.

Run: .venv/bin/python scripts/gen_docs.py
"""

from pathlib import Path

from firmc.frontends.hs3.registry import markdown_table
from firmc.ir.ops import markdown_ops
from firmc.passes.pipeline import markdown_pipeline

DOCS = Path(__file__).resolve().parents[1] / "docs"
(DOCS / "hs3-types.md").write_text(markdown_table(), encoding="utf-8")
(DOCS / "ops.md").write_text(markdown_ops(), encoding="utf-8")
(DOCS / "passes-generated.md").write_text(markdown_pipeline(), encoding="utf-8")
