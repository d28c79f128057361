"""Independent reference values for the ``check`` statements of the example firm programs.

Every number printed here is computed from the physics formulas written out below with plain numpy/scipy; firmc
is not imported. The output is the ``check`` lines that examples/*.firm carry (paste them under the comment
"from make_firm_references.py" of each file); ``firmc check FILE.firm --all-targets`` then compares every
back-end against them.

Run:
    python examples/make_firm_references.py                 # print the check lines of every example
    python examples/make_firm_references.py --write-csv     # first regenerate examples/gauss_exp.csv

Conventions are those of the .firm files: masses in GeV, s in GeV^2, phases in degrees.
"""

from __future__ import annotations

import argparse
import cmath
import itertools
import math
from pathlib import Path

import numpy as np
from scipy import integrate, special

HERE = Path(__file__).resolve().parent


# ------------------------------------------------------------------------------------------------ printing
def number(v: float) -> str:
    """A real number with enough digits to round-trip."""
    return repr(float(v))


def cnumber(z: complex) -> str:
    """A complex number as a firm constant expression: ``a + bim`` / ``a - bim``."""
    re, im = float(z.real), float(z.imag)
    sign = "-" if math.copysign(1.0, im) < 0 else "+"
    return f"{number(re)} {sign} {number(abs(im))}im"


def check(entry: str, point: dict[str, float], value: complex | float, rtol: float) -> str:
    args = ", ".join(f"{k}={number(v)}" for k, v in point.items())
    want = cnumber(value) if isinstance(value, complex) else number(value)
    return f"check {entry}({args}) == {want} rtol 1e{round(math.log10(rtol))}"


# ============================================================================================ gauss_exp
# Model: p(x) = f G(x | mu, sigma) + (1 - f) E(x | c) on x in [LO, HI], each density normalised there.
LO, HI = 0.0, 10.0
TRUTH = {"mu": 5.0, "sigma": 0.6, "c": 0.35, "f": 0.3}
N_EVENTS, SEED = 1000, 2024


def gauss_pdf(x, mu, sigma):
    """Gaussian truncated to [LO, HI]: exp(-(x-mu)^2 / 2 sigma^2) / (sigma sqrt(2 pi) (Phi(b) - Phi(a)))."""
    z = (np.asarray(x) - mu) / sigma
    a, b = (LO - mu) / (math.sqrt(2.0) * sigma), (HI - mu) / (math.sqrt(2.0) * sigma)
    norm = 0.5 * (special.erf(b) - special.erf(a))  # fraction of the Gaussian inside the window
    return np.exp(-0.5 * z * z) / (sigma * math.sqrt(2.0 * math.pi) * norm)


def expo_pdf(x, c):
    """exp(-c x) / integral_LO^HI exp(-c x) dx, the integral (exp(-c LO) - exp(-c HI)) / c."""
    norm = (math.exp(-c * LO) - math.exp(-c * HI)) / c if c != 0.0 else HI - LO
    return np.exp(-c * np.asarray(x)) / norm


def gauss_exp_pdf(x, mu, sigma, c, f):
    return f * gauss_pdf(x, mu, sigma) + (1.0 - f) * expo_pdf(x, c)


def write_gauss_exp_csv(path: Path) -> None:
    """N_EVENTS events of the model at TRUTH, inside [LO, HI], seed SEED."""
    rng = np.random.default_rng(SEED)
    mu, sigma, c, f = (TRUTH[k] for k in ("mu", "sigma", "c", "f"))
    is_signal = rng.uniform(size=N_EVENTS) < f
    x = np.empty(N_EVENTS)
    # signal: the Gaussian truncated to the window (redraw the few outside)
    n_sig = int(is_signal.sum())
    sig = rng.normal(mu, sigma, n_sig)
    while np.any(out := (sig < LO) | (sig > HI)):
        sig[out] = rng.normal(mu, sigma, int(out.sum()))
    x[is_signal] = sig
    # background: inverse of the distribution function of exp(-c x) on the window
    u = rng.uniform(size=N_EVENTS - n_sig)
    x[~is_signal] = -np.log(np.exp(-c * LO) - u * (np.exp(-c * LO) - np.exp(-c * HI))) / c
    path.write_text("x\n" + "".join(f"{v:.6f}\n" for v in x))


def read_gauss_exp_csv(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=1)


def gauss_exp_checks() -> list[str]:
    t = TRUTH
    out = ["# gauss_exp.firm"]
    for x, mu, sigma in ((5.2, 5.0, 0.6), (4.1, 5.0, 0.6), (0.5, 2.0, 1.5)):  # the last one truncated at 0
        out.append(check("signal", {"x": x, "mu": mu, "sigma": sigma}, float(gauss_pdf(x, mu, sigma)), 1e-12))
    for x, c in ((2.0, 0.35), (9.5, 0.35), (3.0, -0.2)):
        out.append(check("background", {"x": x, "c": c}, float(expo_pdf(x, c)), 1e-12))
    for x, pars in ((5.2, t), (1.0, t), (6.5, {"mu": 5.5, "sigma": 0.8, "c": 0.2, "f": 0.45})):
        value = float(gauss_exp_pdf(x, pars["mu"], pars["sigma"], pars["c"], pars["f"]))
        out.append(check("model", {"x": x, **pars}, value, 1e-12))
    events = read_gauss_exp_csv(HERE / "gauss_exp.csv")
    for pars in (t, {"mu": 5.1, "sigma": 0.5, "c": 0.3, "f": 0.25}):
        nll = -float(np.sum(np.log(gauss_exp_pdf(events, pars["mu"], pars["sigma"], pars["c"], pars["f"]))))
        out.append(check("nll_events", pars, nll, 1e-10))
    return out


# ============================================================================================ pipi_swave
# PDG masses (GeV)
M_PI, M_PI0 = 0.13957039, 0.1349768
M_K, M_K0 = 0.493677, 0.497611
# Flatte parameters of the f0(980) (the .firm file's defaults)
F0 = {"m0": 0.9454, "g_pipi": 0.167, "g_KK": 0.5795}
M_LO, M_HI = 0.3, 1.6  # the window of m_pipi


def phase_space(s: complex, m: float) -> complex:
    """rho = sqrt(1 - 4 m^2 / s) = 2 q / sqrt(s), continued to i sqrt(4 m^2 / s - 1) below threshold."""
    x = 1.0 - 4.0 * m * m / s
    return complex(math.sqrt(x), 0.0) if x >= 0 else complex(0.0, math.sqrt(-x))


def rho_pipi(s):
    return 2.0 / 3.0 * phase_space(s, M_PI) + 1.0 / 3.0 * phase_space(s, M_PI0)


def rho_kk(s):
    return 0.5 * phase_space(s, M_K) + 0.5 * phase_space(s, M_K0)


def flatte(m, m0, g_pipi, g_KK):
    """A(s) = 1 / (m0^2 - s - i m0 (g_pipi rho_pipi(s) + g_KK rho_KK(s)))."""
    s = m * m
    return 1.0 / (m0 * m0 - s - 1j * m0 * (g_pipi * rho_pipi(s) + g_KK * rho_kk(s)))


def _normalised(f, *args):
    """f(m, *args) / integral of f over [M_LO, M_HI] (split at the thresholds inside the window)."""
    cuts = [M_LO, 2 * M_K, 2 * M_K0, M_HI]
    total = sum(integrate.quad(lambda m: f(m, *args), a, b, epsabs=0, epsrel=1e-13, limit=200)[0]
                for a, b in itertools.pairwise(cuts))
    return lambda m: f(m, *args) / total


def lineshape(m, m0, g_pipi, g_KK):
    """dN/dm ~ m rho_{pi+pi-}(m) |A|^2: the pi+ pi- mass spectrum of the f0(980)."""
    return m * phase_space(m * m, M_PI).real * abs(flatte(m, m0, g_pipi, g_KK)) ** 2


def rbw_library(m, m0, g_pipi, g_KK):
    """HS3 relativistic_breit_wigner with channels pi+pi- (Gamma = g_pipi) and K+K- (Gamma = g_KK), l = 0:
    Gamma_i(m) = Gamma_i 2 q_i / m, value m Gamma_1(m) / |m0^2 - m^2 - i m0 Gamma(m)|^2."""
    s = m * m
    width = g_pipi * phase_space(s, M_PI) + g_KK * phase_space(s, M_K)
    return m * (g_pipi * phase_space(s, M_PI)).real / abs(m0 * m0 - s - 1j * m0 * width) ** 2


def pipi_checks() -> list[str]:
    p = F0
    out = ["# pipi_swave.firm"]
    masses = (0.5, 0.9454, 0.985, 0.9925, 1.2)  # below, at m0, between the K+K- and K0K0bar thresholds, above
    for m in (0.5, 1.2):
        out.append(check("rho_pipi", {"m_pipi": m}, rho_pipi(m * m), 1e-12))
    for m in masses:
        out.append(check("rho_KK", {"m_pipi": m}, rho_kk(m * m), 1e-12))
    for m in masses:
        out.append(check("f0_amp", {"m_pipi": m}, flatte(m, **p), 1e-10))
    out.append(check("f0_amp", {"m_pipi": 0.97, "m0": 0.96, "g_pipi": 0.2, "g_KK": 0.8},
                     flatte(0.97, 0.96, 0.2, 0.8), 1e-10))
    for m in (0.7, 0.95, 1.1):
        out.append(check("f0_intensity", {"m_pipi": m}, abs(flatte(m, **p)) ** 2, 1e-10))
    for m in (0.7, 0.95, 1.1):
        out.append(check("f0_phase_deg", {"m_pipi": m}, math.degrees(cmath.phase(flatte(m, **p))), 1e-10))
    for pars in (p, {"m0": 0.98, "g_pipi": 0.2, "g_KK": 0.6}):
        dens = _normalised(lineshape, pars["m0"], pars["g_pipi"], pars["g_KK"])
        point = {} if pars is p else pars
        for m in (0.6, 0.95, 1.3):
            out.append(check("f0_lineshape", {"m_pipi": m, **point}, dens(m), 1e-9))
    dens = _normalised(rbw_library, p["m0"], p["g_pipi"], p["g_KK"])
    for m in (0.6, 0.95, 1.3):
        out.append(check("f0_rbw", {"m_pipi": m}, dens(m), 1e-9))
    return out


# ============================================================================================ d3pi_dalitz
M_D = 1.86966  # D+ mass (GeV)
RES = {  # mass, width (GeV), spin, Blatt-Weisskopf radius (1/GeV)
    "rho": (0.77526, 0.1491, 1, 1.5),
    "f0": (0.990, 0.055, 0, 1.5),
    "f2": (1.2754, 0.1866, 2, 1.5),
}
COUPLINGS = {  # magnitude, phase (degrees)
    "rho": (1.0, 0.0), "f0": (0.5, 165.0), "f2": (1.4, 130.0), "nr": (4.0, -40.0),
}


def q_pipi(s):
    """Breakup momentum of a pi pi pair of mass^2 s: sqrt(s / 4 - m_pi^2)."""
    return math.sqrt(s / 4.0 - M_PI * M_PI)


def barrier_sq(spin, z2):
    """Blatt-Weisskopf barrier factor squared B_l^2(z) = 1 / P_l(z^2), z = q R (only ratios B^2(q) / B^2(q0)
    enter the amplitude)."""
    return {0: 1.0, 1: 1.0 / (1.0 + z2), 2: 1.0 / (9.0 + 3.0 * z2 + z2 * z2)}[spin]


def breit_wigner(s, name):
    """F(q)/F(q0) / (m0^2 - s - i m0 Gamma(s)), Gamma(s) = Gamma0 (q/q0)^(2l+1) (m0/sqrt s) B^2(q)/B^2(q0)."""
    m0, g0, spin, radius = RES[name]
    q, q0 = q_pipi(s), q_pipi(m0 * m0)
    ratio = barrier_sq(spin, (q * radius) ** 2) / barrier_sq(spin, (q0 * radius) ** 2)
    width = g0 * (q / q0) ** (2 * spin + 1) * (m0 / math.sqrt(s)) * ratio
    return math.sqrt(ratio) / (m0 * m0 - s - 1j * m0 * width)


def zemach(spin, s_ab, s_ac, s_bc):
    """Zemach angular factor of a resonance in (a b) with bachelor c, all masses m_pi (CLEO's form)."""
    if spin == 0:
        return 1.0
    if spin == 1:
        return s_ac - s_bc
    return (s_bc - s_ac) ** 2 - (s_ab - 2 * M_D**2 - 2 * M_PI**2 + (M_D**2 - M_PI**2) ** 2 / s_ab) \
        * (s_ab - 4 * M_PI**2) / 3.0


def piece(name, s12, s13):
    """Bose-symmetrised resonance term: pi-(1) with pi+(2) and pi-(1) with pi+(3)."""
    spin = RES[name][2]
    s23 = M_D**2 + 3 * M_PI**2 - s12 - s13
    return breit_wigner(s12, name) * zemach(spin, s12, s13, s23) + \
        breit_wigner(s13, name) * zemach(spin, s13, s12, s23)


def coupling(name, couplings=COUPLINGS):
    a, phi = couplings[name]
    return a * cmath.exp(1j * math.radians(phi))


def total(s12, s13, couplings=COUPLINGS):
    return sum(coupling(r, couplings) * piece(r, s12, s13) for r in RES) + coupling("nr", couplings)


def inside_dalitz(s12, s13):
    """s13 within its kinematic range at fixed s12 (pi-(1) pi+(2) system at rest)."""
    m = M_PI
    e1 = math.sqrt(s12) / 2.0  # energies in the rest frame of the (12) pair
    e3 = (M_D**2 - s12 - m * m) / (2.0 * math.sqrt(s12))
    p1, p3 = math.sqrt(e1 * e1 - m * m), math.sqrt(e3 * e3 - m * m)
    lo, hi = (e1 + e3) ** 2 - (p1 + p3) ** 2, (e1 + e3) ** 2 - (p1 - p3) ** 2
    return lo < s13 < hi


def dalitz_checks() -> list[str]:
    out = ["# d3pi_dalitz.firm"]
    points = ((0.6, 1.5), (0.95, 0.45), (1.6, 0.35), (0.3, 2.2), (1.0, 1.2))
    for s12, s13 in points:
        assert inside_dalitz(s12, s13), (s12, s13)
    for s12, s13 in points[:3]:
        out.append(check("s23", {"s12": s12, "s13": s13}, M_D**2 + 3 * M_PI**2 - s12 - s13, 1e-12))
    for name in RES:
        for s12, s13 in points:
            out.append(check(f"amp_{name}", {"s12": s12, "s13": s13}, piece(name, s12, s13), 1e-10))
    for s12, s13 in points:
        out.append(check("amplitude", {"s12": s12, "s13": s13}, total(s12, s13), 1e-10))
    for s12, s13 in points:
        out.append(check("intensity", {"s12": s12, "s13": s13}, abs(total(s12, s13)) ** 2, 1e-10))
    # other couplings
    other = {"rho": (1.0, 0.0), "f0": (0.8, 100.0), "f2": (2.0, -60.0), "nr": (2.5, 200.0)}
    point = {"a_f0": 0.8, "phi_f0": 100.0, "a_f2": 2.0, "phi_f2": -60.0, "a_nr": 2.5, "phi_nr": 200.0}
    for s12, s13 in points[:2]:
        out.append(check("intensity", {"s12": s12, "s13": s13, **point}, abs(total(s12, s13, other)) ** 2,
                         1e-10))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write-csv", action="store_true", help="regenerate examples/gauss_exp.csv first")
    args = ap.parse_args()
    if args.write_csv:
        write_gauss_exp_csv(HERE / "gauss_exp.csv")
    for block in (gauss_exp_checks(), pipi_checks(), dalitz_checks()):
        print("\n".join(block) + "\n")


if __name__ == "__main__":
    main()
