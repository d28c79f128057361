"""Golden files: the generated code itself, checked in under tests/golden and compared byte for byte, so that
a change of the emitters shows in review. Refresh them deliberately with ``pytest tests/test_golden.py
--update-golden`` (then read the diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

import firmc
from backends import GENERATED_TARGETS
from firmc.testing import every_op_module

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLE = "examples/gauss_exp.hs3.json"  # relative: the header names the source as it was given


def _text(target: str, source: str) -> str:
    if source == "every_op":
        c = firmc.compile(every_op_module(), target, "every_op", optimize=0,
                          command=f"firmc <every_op> --target {target} -O0")
    else:
        c = firmc.compile(firmc.load(EXAMPLE), target, source, command=f"firmc {EXAMPLE} --target {target}")
    files = c.artifact.files
    if target == "roofit":  # the JSON, the classes and the two scripts
        return "".join(f"==> {name} <==\n{text}\n" for name, text in files.items())
    return next(iter(files.values()))  # cuda: the .cu (its .ptx names the host's libdevice)


# llvm's text names the host CPU's triple and layout; cuda is emitted anywhere (run only on a GPU: test_cuda.py)
TARGETS = [*(t for t in GENERATED_TARGETS if t != "llvm"), "cuda", "roofit"]
CASES = [(t, "model") for t in TARGETS] + [(t, "every_op") for t in TARGETS]
SUFFIX = {"cpp": "hpp", "cuda": "cu", "roofit": "files"}


@pytest.mark.parametrize(("target", "source"), CASES)
def test_generated_code_is_golden(target: str, source: str, update_golden: bool,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    text = _text(target, source)
    path = GOLDEN / f"{source}_{target}.{SUFFIX.get(target, 'py')}.txt"
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"rewrote {path.relative_to(REPO)}")
    assert path.exists(), f"no golden file {path.name}: run pytest {Path(__file__).name} --update-golden"
    want = path.read_text(encoding="utf-8")
    if text != want:
        diff = next(i for i, (a, b) in enumerate(zip(text.splitlines(), want.splitlines(), strict=False)) if a != b)
        pytest.fail(f"generated code differs from {path.name} at line {diff + 1}:\n"
                    f"  now:    {text.splitlines()[diff]}\n  golden: {want.splitlines()[diff]}\n"
                    "if the change is intended, run with --update-golden and review the diff")
