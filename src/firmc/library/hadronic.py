"""Hadronic lineshapes and vertex form factors of the amplitude-serialization format, as IR.

The conventions are those of the Julia reference (HadronicLineshapes.jl ``src/form_factors.jl``,
``src/shapes.jl``; ThreeBodyDecaysIO.jl ``src/HadronicLineshapesIO.jl``, ``src/generic_function.jl``):

* breakup momentum ``p = sqrt((m-(ma+mb))(m+(ma+mb))) sqrt((m-(ma-mb))(m+(ma-mb))) / 2m``, ``m = sqrt(σ)``;
* Blatt-Weisskopf factor ``F_l(z) = sqrt(z^(2l) / χ_l(z²))``, ``z = d p``, with unit limit at large ``z``
  (not normalised at the resonance mass), ``χ_l(z²) = |z^(l+1) h_l⁽¹⁾(z)|²`` (spherical Hankel function):
  ``χ_1 = 1 + z²``, ``χ_2 = 9 + 3z² + z⁴``, ...; computed exactly here for any ``l``;
* a vertex form factor is called with squared masses ``ff(m0², m1², m2²)`` of the vertex's parent and
  daughters (ThreeBodyDecays.jl ``src/decay_channel.jl``) and evaluated at their breakup momentum;
* ``MultichannelBreitWigner(σ) = 1 / (m² - σ - i m Σ_c gsq_c 2 p_c/√σ F²_l(d p_c))``, evaluated by the
  reference at ``σ + i ε`` so that below a channel's threshold ``p_c = +i |p_c|``. This is HadronicLineshapes
  v0.4.0, with which the published model files and their checksums were made (files last changed 2024-06);
  v0.4.1 (commit f4baa69, 2024-08) dropped the factor ``m`` (``BW(σ, m0, mΓ / m0)``), which changes every
  MultichannelBreitWigner of these files by 3-9 % and fails their checksums;
* ``BreitWigner`` is the one-channel case with ``gsq = Γ₀ m / (2 p₀ F²_l(d p₀))`` (the same function in both
  versions): ``Γ(σ) = Γ₀ (p/p₀)^(2l+1) (m/√σ) χ_l(z₀²)/χ_l(z²)``.

Example:
    >>> from firmc.interp import evaluate
    >>> from firmc.ir import obs
    >>> bw = {"type": "BreitWigner", "mass": 1.0, "width": 0.1, "ma": 0.1, "mb": 0.1, "l": 0, "d": 1.5}
    >>> v = complex(evaluate([lineshape(bw, obs("s", 0.1, 4.0))], {"s": 1.0})[0])  # i / (m Γ₀) at σ = m²
    >>> v.real == 0.0, v.imag
    (True, 10.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import cache
from typing import Any

from ..errors import FormatError
from ..frontends.expr import build_expression, parse_expression
from ..ir import Node, apply, const, lift
from ..ir.node import Operand
from ..ir.types import DType
from .spin import MAX_ANGULAR_MOMENTUM

JsonPath = Sequence[str | int]
LINESHAPE_TYPES = ("BreitWigner", "MultichannelBreitWigner", "Polynomial", "generic_function", "custom",
                   "BreitWignerWidthExpLikeBugg")
FORM_FACTOR_TYPES = ("BlattWeisskopf", "MomentumPower")
_ZERO = const(0.0)


# ------------------------------------------------------------------------------------- Blatt-Weisskopf
@cache
def chi_coefficients(ell: int) -> tuple[int, ...]:
    """The coefficients of ``χ_l(z²) = |Σ_k c_k i^k z^(l-k)|²``, ``c_k = (l+k)!/((l-k)! k! 2^k)`` (the reverse
    Bessel polynomial, ``z^(l+1) h_l⁽¹⁾(z)`` up to a phase), in powers of ``z²``, constant term first.

    Example:
        >>> chi_coefficients(2), chi_coefficients(5)
        ((9, 3, 1), (893025, 99225, 6300, 315, 15, 1))
    """
    if ell < 0:
        raise ValueError(f"orbital angular momentum must be >= 0, got {ell}")
    c = [Fraction(math.factorial(ell + k), math.factorial(ell - k) * math.factorial(k) * 2**k)
         for k in range(ell + 1)]
    # Q(z) = Σ_k c_k i^k z^(l-k): real part from even k, imaginary part from odd k; χ = Re² + Im²
    re = [c[k] * (-1) ** (k // 2) if k % 2 == 0 else Fraction(0) for k in range(ell + 1)]
    im = [c[k] * (-1) ** (k // 2) if k % 2 == 1 else Fraction(0) for k in range(ell + 1)]
    square = [Fraction(0)] * (2 * ell + 1)  # coefficient of z^(2l - n), n = k1 + k2
    for k1 in range(ell + 1):
        for k2 in range(ell + 1):
            square[k1 + k2] += re[k1] * re[k2] + im[k1] * im[k2]
    coefs = [square[2 * ell - 2 * n] for n in range(ell + 1)]  # odd powers of z cancel
    return tuple(int(v) for v in coefs)


def _horner(coefs: Sequence[float], x: Node) -> Node:
    acc: Node = const(float(coefs[-1]))
    for c in reversed(coefs[:-1]):
        acc = float(c) + x * acc
    return acc


def blatt_weisskopf_squared(ell: int, z2: Node) -> Node:
    """``F_l² = z^(2l) / χ_l(z²)`` as a function of ``z² = (d p)²``: 1 for ``l = 0``, ``z^(2l)/((2l-1)!!)²``
    near ``z = 0``, 1 as ``z → ∞``. Real for ``z² < 0`` too (below threshold, where ``p`` is imaginary).

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([blatt_weisskopf_squared(1, const(2.0))], {})[0])  # 2 / (1 + 2)
        0.6666666666666666
    """
    if ell == 0:
        return const(1.0)
    power = apply("mul", *([z2] * ell)) if ell > 1 else z2
    return power / _horner(chi_coefficients(ell), z2)


def blatt_weisskopf(ell: int, z: Node) -> Node:
    """The reference's ``BlattWeisskopf{l}`` at ``z = d p``: ``F_l(z) = sqrt(z^(2l) / χ_l(z²))`` (not ``F_l²``,
    and not divided by its value at the resonance mass).

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([blatt_weisskopf(1, const(1.0))], {})[0]) ** 2  # 1 / (1 + 1)
        0.5000000000000001
    """
    return const(1.0) if ell == 0 else apply("sqrt", blatt_weisskopf_squared(ell, z * z))


# ----------------------------------------------------------------------------------------- kinematics
def _sqrt(v: Operand) -> Node:
    if isinstance(v, Node) and not (v.op == "const" and v.type.dtype is DType.REAL):
        return apply("sqrt", v)
    value = v.attr("value") if isinstance(v, Node) else v
    return const(math.sqrt(float(value)))  # type: ignore[arg-type]


def breakup_momentum_squared(msq: Operand, ma: Operand, mb: Operand) -> Node:
    """``p² = (m² - (ma+mb)²)(m² - (ma-mb)²) / (4 m²)`` of a parent of squared mass ``msq``: real everywhere,
    negative between the pseudo-threshold ``(ma-mb)²`` and the threshold ``(ma+mb)²``.

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([breakup_momentum_squared(const(4.0), 0.0, 0.0)], {})[0])
        1.0
    """
    s, a, b = lift(msq), lift(ma), lift(mb)
    return (s - (a + b) * (a + b)) * (s - (a - b) * (a - b)) / (4.0 * s)


def _momentum_parts(msq: Node, ma: float, mb: float) -> tuple[Node, Node, Node]:
    """(Re p, Im p, p²) of the reference's breakup momentum at ``msq + i ε``, the product of the complex
    square roots of ``msq - (ma+mb)²`` and ``msq - (ma-mb)²`` over ``2 sqrt(msq)``."""
    above = msq - (ma + mb) ** 2  # ≤ the pseudo-threshold term: (ma+mb)² ≥ (ma-mb)²
    pseudo = msq - (ma - mb) ** 2
    p2 = above * pseudo / (4.0 * msq)
    size = apply("sqrt", apply("abs", p2))
    ge, lt = apply("ge", above, _ZERO), apply("lt", pseudo, _ZERO)
    re = apply("select", ge, size, apply("select", lt, -size, _ZERO))  # below pseudo-threshold: i·i = -1
    im = apply("select", ge, _ZERO, apply("select", lt, _ZERO, size))
    return re, im, p2


def breakup_momentum(msq: Node, ma: float, mb: float) -> Node:
    """The complex breakup momentum as the reference's lineshapes evaluate it (at ``msq + i ε``): real and
    non-negative above threshold ``(ma+mb)²``, ``+i |p|`` between the pseudo-threshold ``(ma-mb)²`` and the
    threshold, ``-|p|`` below the pseudo-threshold. (Real arguments below threshold raise a DomainError in the
    reference; see :func:`form_factor` for what vertex factors do there.)

    Example:
        >>> from firmc.interp import evaluate
        >>> complex(evaluate([breakup_momentum(const(1.0), 1.25, 0.75)], {})[0])  # p² = -3 · 0.75 / 4
        0.75j
    """
    re, im, _ = _momentum_parts(lift(msq), ma, mb)
    return apply("complex", re, im)


def form_factor(obj: Mapping[str, Any], m0sq: Operand, m1sq: Operand, m2sq: Operand, *,
                where: JsonPath = (), file: str | None = None) -> Node:
    """A vertex form factor ``ff(m0², m1², m2²)`` of type ``BlattWeisskopf`` {radius, l}: ``F_l(radius p)``,
    or ``MomentumPower`` {l}: ``p^l``, at the breakup momentum ``p`` of ``m0 → m1 m2``. Below threshold the
    reference raises a DomainError; here ``p`` is 0 there (``m0 < m1 + m2``; no NaN: the value at threshold).

    Example:
        >>> from firmc.interp import evaluate
        >>> ff = form_factor({"type": "MomentumPower", "l": 2}, 4.0, 0.0, 0.0)  # p = 1
        >>> float(evaluate([ff], {})[0])
        1.0
    """
    kind, ell = obj.get("type"), _angular_momentum(obj, "l", where, file)
    if kind not in FORM_FACTOR_TYPES:
        raise _unknown(kind, FORM_FACTOR_TYPES, where, file)
    m0_sq, m1, m2 = lift(m0sq), _sqrt(m1sq), _sqrt(m2sq)
    above = m0_sq - (m1 + m2) * (m1 + m2)
    p2 = apply("select", apply("gt", above, _ZERO), above * (m0_sq - (m1 - m2) * (m1 - m2)) / (4.0 * m0_sq), _ZERO)
    if kind == "BlattWeisskopf":
        d = _number(obj, "radius", where, file)
        return const(1.0) if ell == 0 else apply("sqrt", blatt_weisskopf_squared(ell, (d * d) * p2))
    half = apply("mul", *([p2] * (ell // 2))) if ell >= 2 else const(1.0)
    return half * apply("sqrt", p2) if ell % 2 else half


# ------------------------------------------------------------------------------------------ lineshapes
def multichannel_breit_wigner(x: Node, mass: float, channels: Sequence[tuple[float, float, float, int, float]]
                              ) -> Node:
    """``1 / (m² - σ - i m Σ_c gsq_c 2 p_c/√σ F²_l(d_c p_c))`` for channels ``(gsq, ma, mb, l, d)``
    (HadronicLineshapes v0.4.0, see the module docstring); ``p_c`` is :func:`breakup_momentum` (imaginary
    below the channel's threshold, so that channel's width term turns real there).

    Example:
        >>> from firmc.interp import evaluate
        >>> v = multichannel_breit_wigner(const(4.0), 2.0, [(0.05, 0.0, 0.0, 0, 1.0)])  # 2 p/√σ = 1
        >>> complex(evaluate([v], {})[0]).imag  # i / (m gsq) at σ = m²
        10.0
    """
    width_re: list[Node] = []
    width_im: list[Node] = []
    for gsq, ma, mb, ell, d in channels:
        re, im, p2 = _momentum_parts(x, ma, mb)
        k = (2.0 * gsq) / apply("sqrt", x) * blatt_weisskopf_squared(ell, (d * d) * p2)
        width_re.append(k * re)
        width_im.append(k * im)
    m_gamma_re = mass * (apply("add", *width_re) if len(width_re) > 1 else width_re[0])
    m_gamma_im = mass * (apply("add", *width_im) if len(width_im) > 1 else width_im[0])
    # m² - σ - i (Re + i Im) = (m² - σ + Im) - i Re, with m Γ = Re + i Im
    return 1.0 / apply("complex", mass * mass - x + m_gamma_im, -m_gamma_re)


def breit_wigner_gsq(mass: float, width: float, ma: float, mb: float, ell: int, d: float) -> float:
    """The coupling ``gsq = Γ₀ m / (2 p₀ F²_l(d p₀))`` that makes the one-channel
    :func:`multichannel_breit_wigner` a Breit-Wigner of width ``Γ₀`` at ``σ = m²``.

    Example:
        >>> breit_wigner_gsq(2.0, 0.1, 0.0, 0.0, 0, 1.0)  # p₀ = 1
        0.1
    """
    p0 = math.sqrt((mass - (ma + mb)) * (mass + (ma + mb))) * math.sqrt((mass - (ma - mb)) * (mass + (ma - mb)))
    p0 /= 2.0 * mass
    z2 = (d * p0) ** 2
    f2 = z2**ell / math.fsum(c * z2**n for n, c in enumerate(chi_coefficients(ell)))
    return width / (2.0 * p0) * mass / f2


def bugg_breit_wigner(x: Node, mass: float, width: float, slope: float, adler_zero: float) -> Node:
    """``1 / (m² - σ - i m Γ (σ - s_A)/(m² - s_A) exp(-slope σ))``: Bugg's width with an Adler zero ``s_A``.

    Example:
        >>> from firmc.interp import evaluate
        >>> complex(evaluate([bugg_breit_wigner(const(1.0), 1.0, 0.5, 0.0, 0.0)], {})[0]).imag  # i / (m Γ)
        2.0
    """
    g = (mass * width / (mass * mass - adler_zero)) * (x - adler_zero) * apply("exp", -slope * x)
    return 1.0 / apply("complex", mass * mass - x, -g)


def lineshape(obj: Mapping[str, Any], x: Node, *, masses: tuple[float, float] | None = None,
              where: JsonPath = (), file: str | None = None) -> Node:
    """The complex value at ``x`` (a Mandelstam variable) of a ``functions`` entry of type ``BreitWigner``,
    ``MultichannelBreitWigner``, ``Polynomial`` (coefficients constant first), ``generic_function`` or
    ``custom`` (a Julia expression whose one free symbol is the argument; other numeric keys of ``obj`` are
    constants of it) or ``BreitWignerWidthExpLikeBugg`` (ampform-dpd's; needs ``masses``, the daughters' masses
    of the node, unless ``obj`` has ``ma``, ``mb``: its Adler zero is ``s_A = M² - m²/2``, ``M`` the heavier).

    Example:
        >>> from firmc.interp import evaluate
        >>> from firmc.ir import obs
        >>> f = {"type": "generic_function", "expression": "1/(1 - σ - 0.5im)"}
        >>> complex(evaluate([lineshape(f, obs("s", 0.0, 2.0))], {"s": 1.0})[0]).imag
        2.0
    """
    kind = obj.get("type")
    if kind == "BreitWigner":
        mass, width, ma, mb, d = (_number(obj, k, where, file) for k in ("mass", "width", "ma", "mb", "d"))
        ell = _angular_momentum(obj, "l", where, file)
        gsq = breit_wigner_gsq(mass, width, ma, mb, ell, d)
        return multichannel_breit_wigner(x, mass, [(gsq, ma, mb, ell, d)])
    if kind == "MultichannelBreitWigner":
        return multichannel_breit_wigner(x, _number(obj, "mass", where, file), _channels(obj, where, file))
    if kind == "Polynomial":
        coefs = obj.get("coefficients")
        if not isinstance(coefs, list) or not coefs or not all(_is_number(c) for c in coefs):
            raise FormatError("expected a non-empty list of numbers", path=(*where, "coefficients"), file=file)
        return _as_complex(_horner([float(c) for c in coefs], x))
    if kind in ("generic_function", "custom"):
        return _as_complex(_expression(obj, x, where, file))
    if kind == "BreitWignerWidthExpLikeBugg":
        mass, width, slope = (_number(obj, k, where, file) for k in ("mass", "width", "slope"))
        if "ma" in obj or "mb" in obj:
            masses = (_number(obj, "ma", where, file), _number(obj, "mb", where, file))
        if masses is None:
            raise FormatError("BreitWignerWidthExpLikeBugg needs the masses of the resonance's daughters "
                              "(the node of the chain that uses it)", path=where, file=file)
        heavy, light = max(masses), min(masses)
        return bugg_breit_wigner(x, mass, width, slope, heavy * heavy - light * light / 2.0)
    if kind in FORM_FACTOR_TYPES:
        raise FormatError(f"'{kind}' is a vertex form factor (a function of three masses), not a lineshape",
                          path=(*where, "type"), file=file)
    raise _unknown(kind, LINESHAPE_TYPES, where, file)


# ---------------------------------------------------------------------------------------------- helpers
def expression_argument(obj: Mapping[str, Any], where: JsonPath = (), file: str | None = None) -> str | None:
    """The free symbol of a ``generic_function``/``custom`` expression (None for a constant expression).

    Example:
        >>> expression_argument({"type": "generic_function", "expression": "a / (m_12_sq + 1)", "a": 2.0})
        'm_12_sq'
    """
    text = obj.get("expression")
    if not isinstance(text, str):
        raise FormatError("expected the expression as a string", path=(*where, "expression"), file=file)
    origin = _origin(where, file)
    names = [n for n in parse_expression(text, "julia", origin=origin).names if not _is_constant(obj, n)]
    if len(names) > 1:
        raise FormatError(f"the expression has {len(names)} free symbols {names}; a lineshape has one argument",
                          path=(*where, "expression"), file=file)
    return names[0] if names else None


def _expression(obj: Mapping[str, Any], x: Node, where: JsonPath, file: str | None) -> Node:
    arg = expression_argument(obj, where, file)

    def resolve(name: str) -> Node:
        return x if name == arg else const(float(obj[name]))  # the others are _is_constant

    parsed = parse_expression(str(obj["expression"]), "julia", origin=_origin(where, file))
    return build_expression(parsed, resolve)


def _is_constant(obj: Mapping[str, Any], name: str) -> bool:
    return name not in ("name", "type", "expression", "x") and _is_number(obj.get(name))


def _origin(where: JsonPath, file: str | None) -> str:
    from ..errors import format_path

    path = format_path((*where, "expression"))
    return f"{file}: {path}" if file else path


def _as_complex(v: Node) -> Node:
    return v if v.type.dtype is DType.COMPLEX else apply("complex", v, _ZERO)


def _channels(obj: Mapping[str, Any], where: JsonPath, file: str | None
              ) -> list[tuple[float, float, float, int, float]]:
    chans = obj.get("channels")
    if not isinstance(chans, list) or not chans:
        raise FormatError("expected a non-empty list of channels", path=(*where, "channels"), file=file)
    out = []
    for i, ch in enumerate(chans):
        at = (*where, "channels", i)
        if not isinstance(ch, Mapping):
            raise FormatError("expected an object {gsq, ma, mb, l, d}", path=at, file=file)
        gsq, ma, mb, d = (_number(ch, k, at, file) for k in ("gsq", "ma", "mb", "d"))
        out.append((gsq, ma, mb, _angular_momentum(ch, "l", at, file), d))
    return out


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number(obj: Mapping[str, Any], key: str, where: JsonPath, file: str | None) -> float:
    v = obj.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        what = "missing" if v is None else f"expected a number, got {v!r}"
        raise FormatError(what, path=(*where, key), file=file)
    return float(v)


def _angular_momentum(obj: Mapping[str, Any], key: str, where: JsonPath, file: str | None) -> int:
    v = obj.get(key)
    if isinstance(v, str) and v.isdigit():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_ANGULAR_MOMENTUM:
        raise FormatError(f"expected an integer in 0 .. {MAX_ANGULAR_MOMENTUM} (firmc's limit), got {v!r}",
                          path=(*where, key), file=file)
    return v


def _unknown(kind: object, supported: Sequence[str], where: JsonPath, file: str | None) -> FormatError:
    from ..errors import did_you_mean

    hint = did_you_mean(kind, supported) if isinstance(kind, str) else ""
    return FormatError(f"unknown function type {kind!r}{hint}; supported: {', '.join(supported)}",
                       path=(*where, "type"), file=file)
