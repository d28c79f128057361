"""PTX from llvmlite's NVPTX target (the cuda target's second output): every corpus entry and every op of the
table gives PTX that the CUDA toolkit's ``ptxas`` assembles for sm_80, or, for the special functions of firmc's
C++ runtime (digamma, incomplete gamma, Landau, Faddeeva), a clear error naming the op. (Running the kernels needs
a GPU: see docs/notes.md.)"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import firmc
from backends import corpus_entries
from conftest import CORPUS_DIR
from firmc.backends.llvm.ptx import ARCH, libdevice, ptx_text
from firmc.errors import UnsupportedFeature
from firmc.testing import every_op_module

pytestmark = pytest.mark.skipif(shutil.which("ptxas") is None, reason="needs the CUDA toolkit's ptxas")
RUNTIME_OPS = ("digamma", "gammainc", "gammaincc", "landau", "landau_cdf", "faddeeva")


def _programs() -> list[tuple[str, firmc.Module, str]]:
    out = [(f"{Path(f).name}:{e}", firmc.load(f), e) for f, e in corpus_entries()]
    m = every_op_module()
    return out + [(f"every_op:{e}", m, e) for e in sorted(m.entries)]


def _assemble(item: tuple[str, str], tmp: Path) -> tuple[str, int, str]:
    name, text = item
    path = tmp / (name.replace(":", "_").replace("/", "_") + ".ptx")
    path.write_text(text)
    run = subprocess.run(["ptxas", f"-arch={ARCH}", str(path), "-o", str(path.with_suffix(".cubin"))],
                         capture_output=True, text=True, check=False)
    return name, run.returncode, run.stderr[-2000:]


def test_every_entry_assembles_with_ptxas(tmp_path: Path) -> None:
    texts: list[tuple[str, str]] = []
    refused: list[str] = []
    for name, m, entry in _programs():
        program = firmc.compile(m, "llvm", entry).artifact.program
        assert program is not None
        try:
            texts.append((name, ptx_text(program)))
        except UnsupportedFeature as exc:
            assert any(f"'{op}'" in str(exc) for op in RUNTIME_OPS) or "libdevice" in str(exc), (name, exc)
            refused.append(name)
    assert len(texts) > 50 and len(refused) < len(texts) // 4, (len(texts), refused)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda t: _assemble(t, tmp_path), texts))
    failed = [(name, err) for name, rc, err in results if rc]
    assert not failed, failed[:3]


def test_kernels_and_their_environment_are_listed() -> None:
    m = firmc.load(Path(__file__).parents[1] / "examples" / "gauss_exp.hs3.json")
    program = firmc.compile(m, "llvm", "model").artifact.program
    assert program is not None
    text = ptx_text(program)
    assert ".entry firmc_model_nll_grad_k0(" in text and ".entry firmc_model_pdf_k0(" in text
    assert "// kernel firmc_model_nll_grad_k0: " in text
    assert "bar.sync" in text  # the block reduction


@pytest.mark.skipif(libdevice() is None, reason="needs CUDA's libdevice")
def test_libdevice_functions_are_linked_in() -> None:
    m = every_op_module()
    program = firmc.compile(m, "llvm", "op:erf").artifact.program
    assert program is not None
    text = ptx_text(program)
    assert ".extern" not in text and "__nv_erf" not in text  # libdevice's erf, linked and inlined
    assert text.count("fma.rn.f64") > 5


def test_cuda_target_writes_the_ptx_beside_the_source(tmp_path: Path) -> None:
    m = firmc.load(Path(__file__).parents[1] / "examples" / "gauss_exp.hs3.json")
    written = firmc.compile(m, "cuda", "model").write(tmp_path)
    assert sorted(p.name for p in written) == ["model.cu", "model.ptx"]
    assert ".entry firmc_model_nll_grad_k0(" in (tmp_path / "model.ptx").read_text()
    # a model needing the C++ runtime's special functions gets the CUDA source only
    gamma = firmc.load(CORPUS_DIR / "roofit" / "gamma.json")
    assert list(firmc.compile(gamma, "cuda", "gam").artifact.files) == ["gam.cu"]
