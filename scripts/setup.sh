#!/usr/bin/env bash
# Create .venv (if needed) and install firmc with every extra and the dev tools.
# Re-runs are cheap: the install is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "firmc setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.firmc-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "firmc setup: installing firmc[all,dev] into .venv (first run takes a few minutes)" >&2
  .venv/bin/python -m pip install -qq --upgrade pip
  # torch is pinned to the CPU build that lies on this machine's wheel path
  .venv/bin/python -m pip install -qq -e ".[all,dev]"
  echo "$want" > "$stamp"
fi
