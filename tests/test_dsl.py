"""The firm language: programs give the values of the models they write (closed forms, the HS3 corpus through
firm and back), ``firmc fmt`` is canonical and idempotent, ``firmc convert`` and the examples."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.special import erf

import firmc
from backends import CORPUS_DIR, EXAMPLES
from firmc.backends import available_targets
from firmc.check import check, format_report
from firmc.cli import main
from firmc.frontends.dsl import load_firm, parse_program, to_hs3
from firmc.frontends.expr import expression_to_ir
from firmc.interp import evaluate
from firmc.writers.firm import format_text, hs3_to_firm, module_to_firm
from firmc.writers.firm.layout import expression
from roundtrip import assert_same_values, assert_same_variables

HS3_FILES = sorted([*CORPUS_DIR.glob("hs3/*.json"), *CORPUS_DIR.glob("roofit/*.json")])
EXAMPLE_PROGRAMS = sorted(EXAMPLES.glob("*.firm"))

GAUSS = """
observable x in [-2, 3]
parameter mu = 0.5 in [-1, 1]
parameter s = 0.8 in [0.1, 2]
distribution g = gaussian(x, mean=mu, sigma=s)
"""


def _gauss_pdf(x: np.ndarray, mu: float, s: float, lo: float = -2.0, hi: float = 3.0) -> np.ndarray:
    z = s * math.sqrt(math.pi / 2) * (erf((hi - mu) / (s * math.sqrt(2))) - erf((lo - mu) / (s * math.sqrt(2))))
    return np.exp(-0.5 * ((x - mu) / s) ** 2) / z


# ----------------------------------------------------------------------------------------------- meaning
def test_gaussian_is_normalised_over_the_domain() -> None:
    f = firmc.compile(load_firm(GAUSS), "numpy", "g")
    x = np.linspace(-2.0, 3.0, 11)
    np.testing.assert_allclose(f({"x": x, "mu": 0.2, "s": 1.3}), _gauss_pdf(x, 0.2, 1.3), rtol=1e-13)


def test_expression_in_a_field_is_a_function_of_its_own() -> None:
    m = load_firm(GAUSS.replace("sigma=s", "sigma=2*s - 0.1"))
    assert m.entries["g_sigma"].kind == "function"
    x = np.array([-1.0, 0.0, 2.5])
    np.testing.assert_allclose(firmc.compile(m, "numpy", "g")({"x": x, "s": 0.6}), _gauss_pdf(x, 0.5, 1.1),
                               rtol=1e-13)


def test_complex_functions() -> None:
    m = load_firm("""
        observable s in [0.1, 2]
        parameter m0 = 0.775 in [0.5, 1]
        parameter w = 0.149 in [0.01, 0.5]
        function bw = 1 / (m0^2 - s - im * m0 * w)
        function phase = arg(bw) + 2.5im * 0
        function intensity = abs2(bw)
        distribution lineshape = abs2(bw) * sqrt(s)
        """)
    s = np.array([0.3, 0.6, 0.7, 1.4])
    bw = 1.0 / (0.775**2 - s - 1j * 0.775 * 0.149)
    got = firmc.compile(m, "numpy", "bw")({"s": s})
    np.testing.assert_allclose(got, bw, rtol=1e-14)
    np.testing.assert_allclose(firmc.compile(m, "numpy", "intensity")({"s": s}), np.abs(bw) ** 2, rtol=1e-14)
    np.testing.assert_allclose(np.real(firmc.compile(m, "numpy", "phase")({"s": s})), np.angle(bw), rtol=1e-14)
    grid = np.linspace(0.1, 2.0, 200_001)
    dens = np.abs(1.0 / (0.775**2 - grid - 1j * 0.775 * 0.149)) ** 2 * np.sqrt(grid)
    norm = np.sum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))
    np.testing.assert_allclose(firmc.compile(m, "numpy", "lineshape")({"s": s}),
                               np.abs(bw) ** 2 * np.sqrt(s) / norm, rtol=1e-8)


def test_constants_and_bounds() -> None:
    m = load_firm("""
        observable phi in [-pi, pi] = 0
        const parameter n = 2^3
        parameter a = -1e-3 in [-inf, 0]
        function f = n * cos(phi) + a
        """)
    assert (m.observables["phi"].min, m.observables["phi"].max, m.observables["phi"].value) == (-math.pi, math.pi,
                                                                                                 0.0)
    assert (m.parameters["n"].value, m.parameters["n"].const) == (8.0, True)
    assert (m.parameters["a"].min, m.parameters["a"].max) == (-math.inf, 0.0)
    assert float(firmc.compile(m, "interp", "f")({"phi": np.array([0.0])})[0]) == pytest.approx(8.0 - 1e-3)


def test_csv_data_and_likelihood(tmp_path: Path) -> None:
    x = np.array([-1.5, -0.2, 0.4, 0.9, 2.8])
    (tmp_path / "ev.csv").write_text("x\n" + "\n".join(repr(v) for v in x.tolist()) + "\n")
    m = load_firm(GAUSS + 'data ev = csv("ev.csv", x)\nlikelihood L = nll(g, ev)\n', base=tmp_path)
    got = float(np.asarray(firmc.compile(m, "interp", "L")({"mu": 0.1, "s": 0.9})))
    assert got == pytest.approx(-np.sum(np.log(_gauss_pdf(x, 0.1, 0.9))), rel=1e-12)
    np.save(tmp_path / "ev.npy", x)
    m2 = load_firm(GAUSS + 'data ev = npy("ev.npy", x)\nlikelihood L = nll(g, ev)\n', base=tmp_path)
    assert float(np.asarray(firmc.compile(m2, "interp", "L")({"mu": 0.1, "s": 0.9}))) == pytest.approx(got, rel=1e-15)


def test_check_statements_are_validations() -> None:
    ref = float(_gauss_pdf(np.array([0.7]), 0.5, 0.8)[0])
    good = load_firm(GAUSS + f"check g(x=0.7) == {ref!r} rtol 1e-12\n")
    bad = load_firm(GAUSS + f"check g(x=0.7, mu=0.4) == {ref!r}\n")
    assert all(c.ok for c in check(good, ["interp"]))
    assert not all(c.ok for c in check(bad, ["interp"]))


def test_program_from_a_file_reads_data_beside_it(tmp_path: Path) -> None:
    (tmp_path / "ev.csv").write_text("x,w\n0.5,2\n1.5,1\n")
    path = tmp_path / "m.firm"
    path.write_text(GAUSS + 'data ev = csv("ev.csv", x, weights=w)\n')
    m = firmc.load(path)
    assert m.format == "firm" and m.datasets["ev"].weights.tolist() == [2.0, 1.0]  # type: ignore[union-attr]


# -------------------------------------------------------------------------------------- HS3 -> firm -> HS3
@pytest.mark.parametrize("path", HS3_FILES, ids=lambda p: p.name)
def test_corpus_through_firm_and_back(path: Path) -> None:
    """Every corpus HS3 and RooFit model: HS3 -> firm -> HS3 keeps the variables and every entry's values; the
    written program is canonical."""
    m = firmc.load(path)
    text = hs3_to_firm(json.loads(path.read_text()), str(path))
    assert format_text(text) == text
    doc = json.loads(json.dumps(to_hs3(text)))
    originals = doc.get("misc", {}).get("firmc", {}).get("original_names", {})
    names = {orig: new for new, orig in originals.items()}
    for back in (load_firm(text), firmc.load(doc)):
        assert_same_variables(m, back, names)
        assert_same_values(m, back, names)
        for k, e in m.entries.items():
            assert back.entries[names.get(k, k)].kind == e.kind, k
    assert "expression_dialect" not in doc["misc"]["firmc"]  # real models: the spec's expressions


def test_root_expressions_are_rewritten() -> None:
    doc = {"metadata": {"hs3_version": "0.2", "packages": [{"name": "ROOT", "version": "6.40.00"}]},
           "functions": [{"name": "f", "type": "generic_function", "expression": "3/2*a + TMath::Sq(b)"}],
           "parameter_points": [{"name": "p", "parameters": [{"name": "a", "value": 3}, {"name": "b", "value": 2}]}]}
    text = hs3_to_firm(doc)
    assert "TMath" not in text
    assert float(np.asarray(firmc.compile(load_firm(text), "interp", "f")({}))) == 3.0 + 4.0  # 3/2 is 1 in C++


@pytest.mark.parametrize("source", ["pyhf/2-bin_1-channel.json", "threebody/Lc2ppiK.json"])
def test_other_formats_convert_to_firm(source: str) -> None:
    m = firmc.load(CORPUS_DIR / source)
    text = module_to_firm(m)
    back = load_firm(text)
    originals = to_hs3(text).get("misc", {}).get("firmc", {}).get("original_names", {})
    names = {orig: new for new, orig in originals.items()}
    entry = next(iter(m.entries))
    assert_same_values(m, back, names, [entry])


# ------------------------------------------------------------------------------------------------- fmt
@pytest.mark.parametrize("text", [
    "a - (b - c)", "(a - b) - c", "-(a + b)", "-a^2", "(-a)^2", "a^(b^c)", "(a^b)^c", "-(-a)", "a * -b",
    "2x^2 + 3im", "(2x)^2", "a < b ? (b < c ? 1 : 2) : -3", "(a ? b : c) ? 1 : 2", "!(a < b) && (b > c || a >= c)",
    "a / (b * c)", "a / b * c", "exp(a) / (1 + exp(-b))", "a ** 2", "+a", "max(a, b) - min(a, c)",
])
def test_expressions_keep_their_value(text: str) -> None:
    tree = parse_program(f"function f = {text}").statements[0].children[2]
    printed = expression(tree)
    env = {"a": 0.7, "b": 1.3, "c": 0.4, "x": 1.7}
    want = evaluate([expression_to_ir(text, "firm")], env)[0]
    assert complex(evaluate([expression_to_ir(printed, "firm")], env)[0]) == complex(want), printed
    assert expression(parse_program(f"function f = {printed}").statements[0].children[2]) == printed


def test_fmt_layout() -> None:
    messy = """# the model
observable   x in [0,10]   # GeV
parameter mu=5 in [ 0 , 10 ]


const   parameter n=3
distribution h = histfactory(axes=[{name="x", min=0, max=1, nbins=2}], samples=[{name="signal", """ \
        """data={contents=[1.5, 2.5], errors=[0.1, 0.2]}, modifiers=[{type="normfactor", name="mu", data=null_}]}])
# end
"""
    want = """# the model
observable x in [0, 10]  # GeV
parameter mu = 5 in [0, 10]

const parameter n = 3
distribution h = histfactory(
    axes=[{name="x", min=0, max=1, nbins=2}],
    samples=[
        {
            name="signal",
            data={contents=[1.5, 2.5], errors=[0.1, 0.2]},
            modifiers=[{type="normfactor", name="mu", data=null_}],
        },
    ]
)
# end
"""
    assert format_text(messy) == want
    assert format_text(want) == want


@pytest.mark.parametrize("path", EXAMPLE_PROGRAMS, ids=lambda p: p.name)
def test_examples_are_formatted(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert format_text(text) == text


# --------------------------------------------------------------------------------------------- examples
@pytest.mark.parametrize("path", EXAMPLE_PROGRAMS, ids=lambda p: p.name)
def test_examples_agree_on_every_target(path: Path) -> None:
    """Every example compiles to every target here, agrees with the interpreter, and passes its checks."""
    m = firmc.load(path)
    assert m.validations, "an example must have check statements"
    lines = check(m, available_targets())
    assert all(ln.ok for ln in lines), format_report([ln for ln in lines if not ln.ok])


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc (CUDA is compiled and assembled here, not run)")
@pytest.mark.parametrize("path", EXAMPLE_PROGRAMS, ids=lambda p: p.name)
def test_examples_compile_to_cuda(path: Path, tmp_path: Path) -> None:
    """The cuda target runs on a GPU only (test_cuda.py, where there is one); here every checked entry of the
    examples is compiled to CUDA C++ and assembled to PTX by nvcc."""
    m = firmc.load(path)
    for entry in sorted({v.entry for v in m.validations}):
        written = firmc.compile(m, "cuda", entry).write(tmp_path / entry)
        assert {Path(w).suffix for w in written} >= {".cu", ".ptx"}, entry


@pytest.mark.parametrize("path", EXAMPLE_PROGRAMS, ids=lambda p: p.name)
def test_examples_through_hs3_and_back(path: Path) -> None:
    """firm -> HS3 -> firm: the same variables and values (complex expressions stay in firm syntax in the HS3)."""
    m = firmc.load(path)
    doc = json.loads(json.dumps(to_hs3(path)))
    via_hs3 = firmc.load(doc)
    via_firm = load_firm(hs3_to_firm(doc), base=path.parent)
    for back in (via_hs3, via_firm):
        assert_same_variables(m, back, {})
        assert_same_values(m, back, {})


def test_at_least_three_examples() -> None:
    assert {p.name for p in EXAMPLE_PROGRAMS} >= {"gauss_exp.firm", "pipi_swave.firm", "d3pi_dalitz.firm"}


# -------------------------------------------------------------------------------------------------- CLI
def test_cli_fmt_convert_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.firm"
    path.write_text(GAUSS.replace("mu = 0.5", "mu=0.5"))
    assert main(["fmt", "--check", str(path)]) == 1
    assert main(["fmt", str(path)]) == 0
    assert main(["fmt", "--check", str(path)]) == 0
    assert path.read_text() == format_text(GAUSS)
    capsys.readouterr()
    assert main(["convert", str(path), "--to", "hs3", "-o", str(tmp_path / "m.json")]) == 0
    assert main(["convert", str(tmp_path / "m.json"), "--to", "firm", "-o", str(tmp_path / "back.firm")]) == 0
    assert main(["convert", str(path), "--to", "hs3-root", "-o", str(tmp_path / "root.json")]) == 0
    for other in ("back.firm", "root.json"):
        assert_same_values(load_firm(GAUSS), firmc.load(tmp_path / other), {})
    assert main(["check", str(path)]) == 0
    assert main([str(path), "--target", "numpy", "-o", str(tmp_path / "out")]) == 0
    assert list((tmp_path / "out").iterdir())


def test_cli_reports_errors_with_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.firm"
    path.write_text("observable x in [0, 1]\ndistribution g = gaussian(x, mean=mu, sigma=1)\n")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:35: undefined name 'mu'" in err and "^" in err
