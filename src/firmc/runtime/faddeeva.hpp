// firmc native runtime: faddeeva.hpp
//
// Provides: fc_faddeeva(x, y, &re, &im), the Faddeeva function w(z) = exp(-z^2) erfc(-i z) at z = x + i y
// (scipy.special.wofz), written as two doubles (no std::complex).
//
// Reference: J. A. C. Weideman, "Computation of the complex error function", SIAM J. Numer. Anal. 31 (1994)
// 1497-1518: the rational approximation with N = 40 terms, L = sqrt(N / sqrt 2), in the upper half plane; in the
// lower half plane w(z) = 2 exp(-z^2) - w(-z), with Re(-z^2) = (y - x)(x + y) as in the Faddeeva package (scipy).
// A scalar port of firmc.backends.pysource.runtime.faddeeva (same coefficients and operations; complex products
// and quotients written out, the quotients by Smith's method as NumPy's); exp(-z^2) is taken as 0 where
// Re(-z^2) < -800 and overflows to inf/NaN where scipy's does (far in the lower half plane).  Non-finite
// arguments as scipy.special.wofz (the reference interpreter), which is where the Python version differs: NaN for
// a NaN argument (Im w = x kept for x = +-0), w = 0 where y = +inf or x = +-inf with y > -inf, inf for
// z = +-0 - i inf and NaN elsewhere at y = -inf.
//
// Accuracy (tests/test_cpp_runtime.py): against mpmath, 1.3e-15 of |w| in the upper half plane (|z| in
// [1e-3, 1e3]) and 26 eps (1 + 2 |x y|) in the lower half plane, where exp(-z^2) is as sensitive to the rounding
// of its argument -2 x y (scipy: 34 eps (1 + 2 |x y|)); against scipy.special.wofz, 1.4e-14 of |w| on a
// logarithmic grid of |x|, |y| in [1e-10, 1e4] (mostly scipy's own error: 1.3e-14 against mpmath), and within
// 6.7e-16 of |w| of firmc's Python version.
//
// C++17, <cmath> only; every function is FIRMC_FN (``inline`` by default, ``__host__ __device__ inline`` for
// CUDA); no exceptions, no static or global state.
#ifndef FIRMC_RUNTIME_FADDEEVA_HPP
#define FIRMC_RUNTIME_FADDEEVA_HPP

#include <cmath>

#ifndef FIRMC_FN
#define FIRMC_FN inline
#endif

/// (ar + i ai) / (br + i bi) by Smith's method, as NumPy divides complex numbers.
FIRMC_FN void fc_detail_cdiv(double ar, double ai, double br, double bi, double* cr, double* ci) {
    if (std::fabs(br) >= std::fabs(bi)) {
        const double rat = bi / br;
        const double scl = 1.0 / (br + bi * rat);
        *cr = (ar + ai * rat) * scl;
        *ci = (ai - ar * rat) * scl;
    } else {
        const double rat = br / bi;
        const double scl = 1.0 / (bi + br * rat);
        *cr = (ar * rat + ai) * scl;
        *ci = (ai * rat - ar) * scl;
    }
}

/// exp(re + i im) with C99 Annex G's special values (as NumPy's complex exp), except that a non-finite im gives
/// NaN + i NaN for every re (as exp(re + 1j * im) does in NumPy, where 1j * inf has a NaN real part).
FIRMC_FN void fc_detail_cexp(double re, double im, double* er, double* ei) {
    if (!std::isfinite(im)) {
        *er = static_cast<double>(NAN);
        *ei = static_cast<double>(NAN);
    } else if (re != re) {
        *er = re;
        *ei = (im == 0.0) ? im : static_cast<double>(NAN);
    } else if (im == 0.0) {
        *er = std::exp(re);
        *ei = im;
    } else if (re == HUGE_VAL || re == -HUGE_VAL) {
        const double v = re > 0.0 ? HUGE_VAL : 0.0;
        *er = std::copysign(v, std::cos(im));
        *ei = std::copysign(v, std::sin(im));
    } else if (re > 709.0) {  // exp(re) overflows, the product may not
        const double h = std::exp(0.5 * re);
        *er = (h * std::cos(im)) * h;
        *ei = (h * std::sin(im)) * h;
    } else {
        const double e = std::exp(re);
        *er = e * std::cos(im);
        *ei = e * std::sin(im);
    }
}

/// The Faddeeva function w(x + i y) = exp(-z^2) erfc(-i z) (scipy.special.wofz): *re, *im.
FIRMC_FN void fc_faddeeva(double x, double y, double* re, double* im) {
    // a[0] Z^39 + ... + a[39], the polynomial in Z = (L + i z)/(L - i z) (Weideman's a_n, reversed)
    const double a[] = {
        -1.7356980998791865e-15, 1.201674910759281e-15, 1.1519170220749485e-14, -5.231716366324404e-15,
        -7.071088022159408e-14, 1.3778224047664046e-14, 4.5341448909434655e-13, 1.203330952919568e-13,
        -2.90771851041427e-12, -2.7277735625830245e-12, 1.771418567386718e-11, 3.4727420938907015e-11,
        -9.055138860958323e-11, -3.5632350403602684e-10, 2.1085990731251058e-10, 3.017780425551564e-09,
        3.249746582945079e-09, -1.8315616834296834e-08, -6.351773483015411e-08, 1.419864237295343e-08,
        5.912136953029057e-07, 1.4835661133172014e-06, -1.066013898416273e-06, -1.8007447144723407e-05,
        -5.5913092642348794e-05, -3.939363145483805e-05, 0.000439807015986967, 0.002705405633073729,
        0.010048186242783535, 0.02920291647124188, 0.07182361779074328, 0.15504263802479504,
        0.2998943799615006, 0.5266528988277086, 0.8472174576593815, 1.2563815675765133,
        1.7253830848179779, 2.201513794878312, 2.6160541527618597, 2.899624509389705};
    const double big_l = 5.3182958969449885;  // L = sqrt(N / sqrt(2))
    if (x != x || y != y) {  // NaN in, NaN out; scipy keeps Im w = x for x = +-0
        *re = static_cast<double>(NAN);
        *im = (x == 0.0) ? x : static_cast<double>(NAN);
        return;
    }
    if (y == -HUGE_VAL) {  // scipy: w(+-0 - i inf) = inf +- 0 i (erfcx(-inf)), NaN elsewhere
        *re = (x == 0.0) ? HUGE_VAL : static_cast<double>(NAN);
        *im = (x == 0.0) ? x : static_cast<double>(NAN);
        return;
    }
    const bool lower = y < 0.0;
    const double ux = lower ? -x : x;  // z reflected into the upper half plane
    const double uy = lower ? -y : y;
    const double r = std::hypot(ux, uy);
    double wr, wi;
    if (r < HUGE_VAL) {
        // d = L - i z, Z = (L + i z) / d
        const double dr = big_l + uy;
        const double di = -ux;
        double zr, zi;
        fc_detail_cdiv(big_l - uy, ux, dr, di, &zr, &zi);
        double pr = a[0] * zr + a[1];
        double pim = a[0] * zi;
        for (int k = 2; k < 40; ++k) {
            const double tr = pr * zr - pim * zi + a[k];
            pim = pr * zi + pim * zr;
            pr = tr;
        }
        // w = (2 p / d + 1/sqrt(pi)) / d
        double qr, qi;
        fc_detail_cdiv(2.0 * pr, 2.0 * pim, dr, di, &qr, &qi);
        fc_detail_cdiv(qr + 0.5641895835477563, qi, dr, di, &wr, &wi);
    } else if (r == HUGE_VAL) {
        wr = 0.0;
        wi = 0.0;
    } else {  // NaN
        wr = x;
        wi = y;
    }
    if (!lower) {
        *re = wr;
        *im = wi;
        return;
    }
    // w(z) = 2 exp(-z^2) - w(-z)
    const double mre = (y - x) * (x + y);  // Re(-z^2)
    double er, ei;
    if (mre < -800.0) {  // exp(-z^2) underflows to 0 (also where Im(-z^2) overflows)
        fc_detail_cexp(-800.0, 0.0, &er, &ei);
    } else {
        fc_detail_cexp(mre, -2.0 * x * y, &er, &ei);
    }
    *re = er + er - wr;
    *im = ei + ei - wi;
}

#endif  // FIRMC_RUNTIME_FADDEEVA_HPP
