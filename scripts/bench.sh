#!/usr/bin/env bash
# Run the benchmarks (all, or the ones named: bash scripts/bench.sh pipeline) and write their reports to docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=($(ls benchmarks/*.py | xargs -n1 basename | sed 's/\.py$//' | grep -v '^models$'))
fi
status=0
for name in "${names[@]}"; do
  echo "== benchmark $name"
  .venv/bin/python "benchmarks/$name.py" || status=1
done
exit $status
