#!/usr/bin/env bash
# The main job: compile the shipped example model to every available target and check each against the
# interpreter, printing a table (exit status 1 if any check fails).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/firmc check examples/gauss_exp.hs3.json --all-targets "$@"
