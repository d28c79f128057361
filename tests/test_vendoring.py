"""Vendoring: a generated module runs where firmc is not installed.

For each Python target a fresh virtual environment is made whose only packages are the target's framework
and its dependencies (resolved from the installed distributions' metadata and linked in, so no download is
needed): no firmc, and for jax no torch, for torch no jax. The generated module is copied next to a small
script that imports it, evaluates the density, the NLL and its analytic gradient (and, for jax, the same
under ``jax.jit``), and the numbers are compared with firmc's interpreter here.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement

import firmc
from backends import EXAMPLES, target_param

# what each environment has: the framework and numpy (a numpy module may use scipy.special for erf ...)
FRAMEWORK = {"numpy": ("numpy", "scipy"), "jax": ("jax",), "torch": ("torch", "numpy")}
SCRIPT = """
import json, sys
import numpy as np
sys.path.insert(0, ".")
try:
    import firmc  # noqa: F401
    sys.exit("firmc is importable in the vendoring environment")
except ModuleNotFoundError:
    pass
target = sys.argv[1]
if target == "jax":
    import jax
    jax.config.update("jax_enable_x64", True)
import model_{target} as m
x = np.linspace(-9.5, 9.5, 41)
def num(v):
    return float(v.detach()) if hasattr(v, "detach") else float(v)
out = {{"pdf": [num(v) for v in m.pdf({{"x": x}})], "nll": num(m.nll({{"x": x}}, {{"mu": 0.8}}))}}
value, grad = m.nll_grad({{"x": x}}, {{"mu": 0.8}})
out["grad"] = {{k: num(g) for k, g in grad.items()}}
if target == "jax":
    out["jit"] = num(jax.jit(m.nll)({{"x": x}}, {{"mu": 0.8}}))
print(json.dumps(out))
"""


def _distributions(*roots: str) -> set[str]:
    """The installed distributions ``roots`` need (themselves and their unconditional requirements)."""
    todo, seen = list(roots), set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        for spec in md.distribution(name).requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def _site(tmp: Path, roots: tuple[str, ...]) -> Path:
    """A directory with links to exactly the files of the distributions ``roots`` need."""
    site = tmp / "site"
    site.mkdir()
    for name in sorted(_distributions(*roots)):
        dist = md.distribution(name)
        base = Path(str(dist.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in sorted(tops):
            if top != "__pycache__" and not top.endswith(".pth") and not (site / top).exists():
                (site / top).symlink_to(base / top)
    return site


@pytest.mark.slow
@pytest.mark.parametrize("target", [target_param(t) for t in ("numpy", "jax", "torch")])
def test_generated_module_runs_without_firmc(target: str, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, clear=True)
    purelib = next(env_dir.glob("lib/python*/site-packages"))
    (purelib / "deps.pth").write_text(str(_site(tmp_path, FRAMEWORK[target])) + "\n")
    work = tmp_path / "work"
    c = firmc.compile(firmc.load(EXAMPLES / "gauss_exp.hs3.json"), target, "model")
    c.write(work)
    (work / "check.py").write_text(SCRIPT.format(target=target))
    py = env_dir / "bin" / "python"
    run = subprocess.run([str(py), "-I", "check.py", target], check=False, cwd=work, capture_output=True, text=True,
                         env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.splitlines()[-1])
    ref = firmc.compile(firmc.load(EXAMPLES / "gauss_exp.hs3.json"), "interp", "model")
    x = np.linspace(-9.5, 9.5, 41)
    assert np.allclose(got["pdf"], ref({"x": x}), rtol=1e-12, atol=0)
    nll, grad = ref.nll_grad({"x": x}, {"mu": 0.8})
    assert got["nll"] == pytest.approx(nll, rel=1e-12)
    assert got["grad"] == {k: pytest.approx(v, rel=1e-10) for k, v in grad.items()}
    if target == "jax":
        assert got["jit"] == pytest.approx(nll, rel=1e-12)


def test_vendoring_environment_has_no_torch_in_the_jax_one(tmp_path: Path) -> None:
    """The jax environment is jax's closure only (so the test would catch an import of torch or firmc)."""
    pytest.importorskip("jax")
    dists = _distributions("jax")
    assert "jax" in dists and "numpy" in dists and "torch" not in dists and "firmc" not in dists
    assert not sys.flags.isolated  # the test process itself is a normal interpreter
