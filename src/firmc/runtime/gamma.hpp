// firmc native runtime: gamma.hpp
//
// Provides: fc_digamma(x) (scipy.special.digamma), fc_gammainc(a, x) and fc_gammaincc(a, x) (the regularised
// lower and upper incomplete gamma functions P and Q, scipy.special.gammainc / gammaincc).
//
// References and algorithms:
// * digamma: as Cephes psi (scipy): reflection psi(x) = psi(1 - x) - pi cot(pi x) for x < 0 (the cotangent taken
//   at an argument of at most pi/4, which Cephes does not do), recurrence into [1, 2] below 10, the asymptotic
//   (Bernoulli) series from 10 on.  On [1, 2], psi(x) = (x - x0) R(x - 1.5) with x0 = 1.4616... the positive zero
//   (split in two doubles) and R a degree-21 Chebyshev fit (mpmath.chebyfit, error 2e-17), so that psi keeps its
//   relative accuracy at the zero; likewise psi(x) = (x - x1) R1(x - x1) within 0.1 of the first negative zero
//   x1 = -0.5040... (degree 17), where scipy uses a Taylor series.  Special values as scipy: -inf at +0, +inf at
//   -0, NaN at the negative integers and at -inf, +inf at +inf.
// * gammainc / gammaincc: the power series P = x^a e^-x / Gamma(a + 1) sum_n x^n / ((a + 1)...(a + n)) and
//   Legendre's continued fraction for Q by the modified Lentz method (Numerical Recipes, 3rd ed., 6.2), and for
//   small x Q = 1 - x^a / Gamma(a + 1) - x^a / Gamma(a) sum_n>=1 (-x)^n / (n! (a + n)) with the 1 - ... as
//   -expm1 (Cephes igamc_series), each function taken as 1 - the other where that does not cancel; the choice
//   among them is scipy's (xsf igam.h): for Q the continued fraction where x > 1.1 and x >= a, 1 - P where
//   x > 1.1 and x < a, and for x <= 1.1 the small-x series unless a is larger than 0.4/|ln x| (x <= 0.5) or
//   1.1 x; P is 1 - Q where x > 1 and x > a.  (This replaces "series below a + 1, fraction above", whose 1 - P
//   loses a digit for a near 1 and all digits for a -> 0.)  For a > 1e7, Temme's uniform asymptotic expansion
//   with two terms (N. M. Temme, SIAM J. Math. Anal. 10 (1979) 757), which scipy uses too.  The prefactor
//   x^a e^-x / Gamma(a) is formed in log space: for a >= 10 as a (log1p(t) - t) + ln(a / 2 pi) / 2 - S(a),
//   t = (x - a)/a, S Stirling's series of ln Gamma (the large terms a ln x, x and ln Gamma(a) cancel
//   analytically); for a < 10 with ln Gamma from the recurrence down to ln Gamma(1 + c), 0.5 < c <= 1.5, and
//   lgamma(1 + c) from its Taylor series in zeta(k) - 1 (no libm lgamma: glibc's writes the global signgam).
//   Special values as scipy: NaN for a < 0, x < 0 or a NaN argument; at a = 0, P = 1 and Q = 0 for x > 0 (NaN at
//   x = 0); P(a, 0) = 0; P(a, inf) = 1; P(inf, x) = 0 for finite x; NaN at a = x = inf.
//
// Accuracy (tests/test_cpp_runtime.py, against mpmath at 30-40 digits and scipy):
// * fc_digamma: 4e-16 relative for x > 0 (the positive zero included) and within 0.1 of x1; elsewhere for x < 0,
//   6.6e-16 of the reflection's largest term |psi(1 - x)| + |pi cot(pi x)|, so relative accuracy is lost only next
//   to the other negative zeros, as in scipy (whose error there reaches 5e-12 of that term where cot is large).
// * fc_gammainc / fc_gammaincc, a in [1e-3, 200], x in [0, 500], values above 1e-300: relative error at most
//   3.1 eps (10 + |ln value|) (15000 points): below 9e-15 for values above 1e-10, 2.2e-13 (P) and 9.3e-14 (Q) at
//   the 1e-285 end, where the rounding of the log prefactor (~eps |ln value|) is what remains.  scipy differs from
//   mpmath by up to 3.6e-13 on the same grid.  Large a: 1.2e-14 at a = 1e6, 5 sigma below the mean (scipy: 4e-6),
//   4.6e-14 for a = 1e7 ... 1e8 (Temme) 20 sigma out, 3e-15 within 5 sigma; up to a = 1e7 the series and fraction
//   take O(sqrt(a)) terms (capped at 200000, never reached).  Below 1e-300 the results may be subnormal or 0.
//
// C++17, <cmath> only; every function is FIRMC_FN (``inline`` by default, ``__host__ __device__ inline`` for
// CUDA); no exceptions, no static or global state.
#ifndef FIRMC_RUNTIME_GAMMA_HPP
#define FIRMC_RUNTIME_GAMMA_HPP

#include <cmath>

#ifndef FIRMC_FN
#define FIRMC_FN inline
#endif

// ---- digamma ------------------------------------------------------------------------------------------------

/// psi on [1, 2]: (x - x0) R(x - 1.5), x0 the positive zero of psi as x0_hi + x0_lo.
FIRMC_FN double fc_detail_digamma_1_2(double x) {
    const double c[] = {
        -0.00017312261802727394, 0.00025968482126430747, -0.00015148586836773365, 0.0002272331660987376,
        -0.0004821990530566789, 0.0007233266279287554, -0.0010376374098418604, 0.0015566317474486838,
        -0.002345267632540769, 0.003519006401502276, -0.005279964873257405, 0.007926944646403797,
        -0.011908218001568644, 0.0179072524394512, -0.02697579675613825, 0.04076083381242074,
        -0.061922133273064534, 0.09498872445494122, -0.14840492305390884, 0.2405424842407742,
        -0.4236274212814605, 0.951055876031833};
    const double t = x - 1.5;
    double r = c[0];
    for (int k = 1; k < 22; ++k) {
        r = r * t + c[k];
    }
    const double g = (x - 1.4616321449683622) - 9.549995429965697e-17;  // x - x0_hi is exact on [1, 2]
    return g * r;
}

/// psi within 0.1 of its first negative zero x1 = x1_hi + x1_lo: (x - x1) R1(x - x1_hi).
FIRMC_FN double fc_detail_digamma_negroot(double x) {
    const double c[] = {
        -200101.55124124658, 636925.2735960382, -35816.34077798014, 130193.05608767796, -8059.16726463025,
        33019.06988336914, -1743.320839953445, 8234.54044974557, -368.57850289878087, 2055.5361530192163,
        -75.37700036562597, 513.2704620953008, -14.706721735821208, 128.27342343174968, -2.761011648790719,
        32.25857206491519, -0.8093454625306508, 8.939798558792134};
    const double t = x - (-0.5040830082644554);  // exact near x1
    double r = c[0];
    for (int k = 1; k < 18; ++k) {
        r = r * t + c[k];
    }
    return (t - (-8.15428206243813e-18)) * r;
}

/// scipy.special.digamma (psi, the logarithmic derivative of Gamma).
FIRMC_FN double fc_digamma(double x) {
    const double pi = 3.141592653589793;
    if (x != x || x == HUGE_VAL) {
        return x;
    }
    if (x == -HUGE_VAL) {
        return static_cast<double>(NAN);
    }
    if (x == 0.0) {
        return std::copysign(HUGE_VAL, -x);  // -inf at +0, +inf at -0 (scipy)
    }
    double y = 0.0;
    if (x < 0.0) {
        if (std::fabs(x - (-0.5040830082644554)) <= 0.1) {
            return fc_detail_digamma_negroot(x);
        }
        double q;
        double r = std::modf(x, &q);  // x = q + r, r in (-1, 0]
        if (r == 0.0) {
            return static_cast<double>(NAN);  // a pole
        }
        // -pi cot(pi r) with the tangent's argument in [-pi/4, pi/4] (the additions are exact)
        if (r < -0.5) {
            r += 1.0;
        }
        y = (r >= -0.25) ? -pi / std::tan(pi * r) : pi * std::tan(pi * (r + 0.5));
        x = 1.0 - x;
    }
    if (x < 1.0) {
        y -= 1.0 / x;
        x += 1.0;
    }
    if (x < 10.0) {
        while (x > 2.0) {
            x -= 1.0;  // exact
            y += 1.0 / x;
        }
        return y + fc_detail_digamma_1_2(x);
    }
    // asymptotic series: ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
    const double w = 1.0 / x;
    const double w2 = w * w;
    const double s =
        w2 * (1.0 / 12 - w2 * (1.0 / 120 - w2 * (1.0 / 252 - w2 * (1.0 / 240 - w2 * (1.0 / 132 - w2 * (
            691.0 / 32760 - w2 * (1.0 / 12 - w2 * (3617.0 / 8160))))))));
    return y + ((std::log(x) - 0.5 * w) - s);
}

// ---- incomplete gamma -----------------------------------------------------------------------------------------

/// Stirling's series S(z) = ln Gamma(z) - (z - 1/2) ln z + z - ln(2 pi)/2 for z >= 10 (error < 2e-18).
FIRMC_FN double fc_detail_stirling(double z) {
    const double w = 1.0 / z;
    const double w2 = w * w;
    return w * (1.0 / 12 + w2 * (-1.0 / 360 + w2 * (1.0 / 1260 + w2 * (-1.0 / 1680 + w2 * (1.0 / 1188 + w2 * (
        -691.0 / 360360 + w2 * (1.0 / 156 + w2 * (-3617.0 / 122400))))))));
}

/// log1p(t) - t, accurate also for small |t| (series in s = t / (2 + t) on [-0.5, 1]).
FIRMC_FN double fc_detail_log1pmx(double t) {
    if (t >= -0.5 && t <= 1.0) {
        // log(1 + t) = 2 atanh(s) = 2 (s + s^3/3 + ...) and t - 2 s = s t
        const double s = t / (2.0 + t);
        const double s2 = s * s;
        double p = s * s2;
        double sum = 0.0;
        for (int k = 3; k < 200; k += 2) {
            const double term = p / k;
            sum += term;
            if (std::fabs(term) <= 1e-17 * std::fabs(sum)) {
                break;
            }
            p *= s2;
        }
        return 2.0 * sum - s * t;
    }
    return std::log1p(t) - t;
}

/// lgamma(1 + a) for -0.5 <= a <= 1.5: -gamma a + a - log1p(a) + sum_k>=2 (-1)^k (zeta(k) - 1) a^k / k on
/// [-0.5, 0.5], ln(a) + lgamma(1 + (a - 1)) above.
FIRMC_FN double fc_detail_lgamma1p(double a) {
    const double c[] = {  // (-1)^k (zeta(k) - 1) / k, k = 2 ... 30
        0.3224670334241132, -0.0673523010531981, 0.020580808427784546, -0.007385551028673986,
        0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425, -0.00022315475845357939,
        9.945751278180853e-05, -4.492623673813314e-05, 2.050721277567069e-05, -9.439488275268397e-06,
        4.374866789907488e-06, -2.039215753801366e-06, 9.55141213040742e-07, -4.492469198764566e-07,
        2.1207184805554665e-07, -1.0043224823968099e-07, 4.7698101693639804e-08, -2.2711094608943164e-08,
        1.0838659214896955e-08, -5.183475041970047e-09, 2.4836745438024785e-09, -1.1921401405860912e-09,
        5.731367241678862e-10, -2.7595228851242334e-10, 1.330476437424449e-10, -6.4229645638381e-11,
        3.1044247747322276e-11};
    double shift = 0.0;
    if (a > 0.5) {
        shift = std::log(a);
        a -= 1.0;  // exact
    }
    double s = c[28];
    for (int k = 27; k >= 0; --k) {
        s = s * a + c[k];
    }
    return shift + ((0.42278433509846713 * a - std::log1p(a)) + s * a * a);  // 0.4227... = 1 - Euler's gamma
}

/// ln Gamma(a + shift) for 0 < a < 10 and shift 0 or 1: the recurrence down to ln Gamma(1 + c), c in (0.5, 1.5]
/// (the arguments stay exact), or ln Gamma(1 + a) - ln a for a < 1.5.
FIRMC_FN double fc_detail_lgamma_small(double a, int shift) {
    double c = a;
    if (shift == 0) {
        if (a < 1.5) {
            return fc_detail_lgamma1p(a) - std::log(a);
        }
        c = a - 1.0;  // exact
    }
    double prod = 1.0;
    while (c > 1.5) {
        prod *= c;
        c -= 1.0;  // exact
    }
    return std::log(prod) + fc_detail_lgamma1p(c);
}

/// ln(x^a e^-x / Gamma(a + shift)) for shift 0 or 1, a > 0 and 0 < x < inf.
FIRMC_FN double fc_detail_igam_logfac(double a, double x, int shift) {
    if (a >= 10.0) {
        // a ln x - x - ln Gamma(a) = a (ln(x/a) - t) + ln(a / 2 pi)/2 - S(a), t = (x - a)/a
        const double t = (x - a) / a;
        const double m = (t >= -0.5 && t <= 1.0) ? a * fc_detail_log1pmx(t) : a * std::log(x / a) - (x - a);
        const double r = m + 0.5 * std::log(a * 0.15915494309189535) - fc_detail_stirling(a);
        return shift ? r - std::log(a) : r;
    }
    return (a * std::log(x) - x) - fc_detail_lgamma_small(a, shift);
}

/// P(a, x) by its power series (x < a + 1).
FIRMC_FN double fc_detail_igam_series(double a, double x) {
    double term = 1.0;
    double sum = 1.0;
    for (int n = 1; n < 200000; ++n) {
        term *= x / (a + n);
        sum += term;
        if (term <= 1e-17 * sum) {
            break;
        }
    }
    return std::exp(fc_detail_igam_logfac(a, x, 1)) * sum;
}

/// Q(a, x) by Legendre's continued fraction, modified Lentz (x >= a + 1).
FIRMC_FN double fc_detail_igamc_cf(double a, double x) {
    const double tiny = 1e-300;
    double b = x + 1.0 - a;
    double c = 1.0 / tiny;
    double d = 1.0 / b;
    double h = d;
    for (int i = 1; i < 200000; ++i) {
        const double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (std::fabs(d) < tiny) {
            d = tiny;
        }
        c = b + an / c;
        if (std::fabs(c) < tiny) {
            c = tiny;
        }
        d = 1.0 / d;
        const double del = d * c;
        h *= del;
        if (std::fabs(del - 1.0) <= 2.220446049250313e-16) {
            break;
        }
    }
    return std::exp(fc_detail_igam_logfac(a, x, 0)) * h;
}

/// Q(a, x) for small x and a <= 1.21 without the cancellation of 1 - P (Cephes igamc_series, as scipy):
/// 1 - x^a / Gamma(a + 1) - x^a / Gamma(a) sum_n>=1 (-x)^n / (n! (a + n)).
FIRMC_FN double fc_detail_igamc_small(double a, double x) {
    double fac = 1.0;
    double sum = 0.0;
    for (int n = 1; n < 200; ++n) {
        fac *= -x / n;
        const double term = fac / (a + n);
        sum += term;
        if (std::fabs(term) <= 1e-17 * std::fabs(sum)) {
            break;
        }
    }
    const double u = a * std::log(x) - fc_detail_lgamma1p(a);  // ln(x^a / Gamma(1 + a))
    return -std::expm1(u) - a * std::exp(u) * sum;
}

/// Q(a, x) (upper = true) or P(a, x) for a > 1e7 by Temme's uniform asymptotic expansion, two terms:
/// Q = erfc(eta sqrt(a/2))/2 + exp(-a eta^2/2) / sqrt(2 pi a) (C0(eta) + C1(eta)/a), P likewise with -eta, -C.
/// eta^2/2 = mu - log1p(mu), mu = x/a - 1; C0 = 1/mu - 1/eta and C1 = 1/eta^3 - 1/mu^3 - 1/mu^2 - 1/(12 mu), by
/// their Taylor series for |eta| <= 0.05 (N. M. Temme, SIAM J. Math. Anal. 10 (1979) 757; the truncation error is
/// below C2/a^2 ~ 4e-17).
FIRMC_FN double fc_detail_igam_temme(double a, double x, bool upper) {
    const double mu = (x - a) / a;
    const double l = fc_detail_log1pmx(mu);  // -eta^2/2
    const double eta = std::copysign(std::sqrt(-2.0 * l), mu);
    double c0, c1;
    if (std::fabs(eta) <= 0.05) {
        const double d0[] = {-0.3333333333333333, 0.08333333333333333, -0.014814814814814815, 0.0011574074074074073,
                             0.0003527336860670194, -0.0001787551440329218, 3.919263178522438e-05,
                             -2.185448510679992e-06, -1.85406221071516e-06, 8.296711340953087e-07};
        const double d1[] = {-0.001851851851851852, -0.003472222222222222, 0.0026455026455026454,
                             -0.0009902263374485596, 0.00020576131687242798};
        c0 = d0[9];
        for (int k = 8; k >= 0; --k) {
            c0 = c0 * eta + d0[k];
        }
        c1 = d1[4];
        for (int k = 3; k >= 0; --k) {
            c1 = c1 * eta + d1[k];
        }
    } else {
        const double im = 1.0 / mu;
        const double ie = 1.0 / eta;
        c0 = im - ie;
        c1 = ie * ie * ie - im * im * im - im * im - im / 12.0;
    }
    const double r = std::exp(a * l) / (2.5066282746310002 * std::sqrt(a)) * (c0 + c1 / a);
    const double z = eta * std::sqrt(0.5 * a);
    return upper ? 0.5 * std::erfc(z) + r : 0.5 * std::erfc(-z) - r;
}

/// Q(a, x) for finite a > 0 and 0 < x < inf, choosing the method as scipy (xsf igamc): Temme's expansion for
/// a > 1e7, the continued fraction for x > 1.1 and x >= a, the small-x series where 1 - P would cancel, else 1 - P.
FIRMC_FN double fc_detail_igamc(double a, double x) {
    if (a > 1e7) {
        return fc_detail_igam_temme(a, x, true);
    }
    if (x > 1.1) {
        return x < a ? 1.0 - fc_detail_igam_series(a, x) : fc_detail_igamc_cf(a, x);
    }
    const bool series = x <= 0.5 ? (-0.4 / std::log(x) < a) : (x * 1.1 < a);
    return series ? 1.0 - fc_detail_igam_series(a, x) : fc_detail_igamc_small(a, x);
}

/// scipy.special.gammainc: the regularised lower incomplete gamma function P(a, x).
FIRMC_FN double fc_gammainc(double a, double x) {
    if (a != a || x != x || a < 0.0 || x < 0.0) {
        return static_cast<double>(NAN);
    }
    if (a == 0.0) {
        return x > 0.0 ? 1.0 : static_cast<double>(NAN);
    }
    if (x == 0.0) {
        return 0.0;
    }
    if (a == HUGE_VAL) {
        return x == HUGE_VAL ? static_cast<double>(NAN) : 0.0;
    }
    if (x == HUGE_VAL) {
        return 1.0;
    }
    if (a > 1e7) {
        return fc_detail_igam_temme(a, x, false);
    }
    if (x > 1.0 && x > a) {
        return 1.0 - fc_detail_igamc(a, x);
    }
    return fc_detail_igam_series(a, x);
}

/// scipy.special.gammaincc: the regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x).
FIRMC_FN double fc_gammaincc(double a, double x) {
    if (a != a || x != x || a < 0.0 || x < 0.0) {
        return static_cast<double>(NAN);
    }
    if (a == 0.0) {
        return x > 0.0 ? 0.0 : static_cast<double>(NAN);
    }
    if (x == 0.0) {
        return 1.0;
    }
    if (a == HUGE_VAL) {
        return x == HUGE_VAL ? static_cast<double>(NAN) : 1.0;
    }
    if (x == HUGE_VAL) {
        return 0.0;
    }
    return fc_detail_igamc(a, x);
}

#endif  // FIRMC_RUNTIME_GAMMA_HPP
