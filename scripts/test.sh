#!/usr/bin/env bash
# The whole test suite: unit tests, doctests, live ROOT tests, ruff and mypy --strict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
