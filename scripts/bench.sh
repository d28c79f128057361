#!/usr/bin/env bash
# Run the benchmarks (all, or the ones named: bash scripts/bench.sh pipeline) and write their reports to docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# pyhs3 is compared against, but is no dependency of firmc: its pytensor 3.0.7 caps numba at 0.65, which would
# downgrade the llvmlite the llvm target runs on; its C-compiled path (FAST_RUN) needs neither, so it is
# installed without pytensor's numba requirement
stamp=.venv/.firmc-bench-installed
if [ ! -f "$stamp" ]; then
  echo "firmc bench: installing pyhs3 0.4.2 for the comparison" >&2
  .venv/bin/python -m pip install -qq --no-deps "pyhs3==0.4.2" "pytensor==3.0.7"
  .venv/bin/python -m pip install -qq cons etuples logical-unification miniKanren filelock hist pydantic rich \
    rustworkx
  touch "$stamp"
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=($(ls benchmarks/*.py | xargs -n1 basename | sed 's/\.py$//' | grep -v -E '^(models|common)$'))
fi
# ampform-dpd (benchmarks/amplitude.py compares against it) gets a venv of its own: its pins (jax, sympy, numpy)
# must not change firmc's; the benchmark runs it in a worker process of that venv
if printf '%s\n' "${names[@]}" | grep -qx amplitude; then
  ampform_pins=("ampform-dpd==0.4.3" "ampform==0.16.2" "tensorwaves[jax]==0.4.17" "jax==0.10.2" "jaxlib==0.10.2"
    "sympy==1.14.0")
  astamp=.venv-ampform/.firmc-bench-installed
  if [ ! -f "$astamp" ] || [ "$(cat "$astamp")" != "${ampform_pins[*]}" ]; then
    echo "firmc bench: installing ampform-dpd + tensorwaves (jax) into .venv-ampform for the comparison" >&2
    [ -x .venv-ampform/bin/python ] || "${PYTHON:-python3}" -m venv .venv-ampform
    .venv-ampform/bin/python -m pip install -qq "${ampform_pins[@]}"
    echo "${ampform_pins[*]}" > "$astamp"
  fi
fi
status=0
for name in "${names[@]}"; do
  echo "== benchmark $name"
  .venv/bin/python "benchmarks/$name.py" || status=1
done
exit $status
