// firmc native runtime: elementary.hpp
//
// Provides: fc_min, fc_max, fc_sign, fc_logaddexp, fc_approx_eq, fc_round, fc_pow -- the ops whose C/C++
// spelling does not have the semantics of firmc's reference interpreter (NumPy) -- and fc_choice, fc_pick (the
// position and the value of firmc's ``choose``: a table look-up).
//
// Reference: NumPy's ufuncs numpy.minimum / maximum / sign / logaddexp / rint / power and firmc's approx_eq
// (firmc.ir.ops._approx_eq). fc_min/fc_max return NaN if either argument is NaN and, for equal arguments
// (+0 and -0), the second one, as NumPy does; fc_sign gives NaN for NaN and +0 for +-0; fc_logaddexp follows
// NumPy's npy_logaddexp (x + log1p(exp(-|x - y|)), -inf for two -inf, +inf for two +inf, NaN propagates);
// fc_round rounds to nearest, ties to even (std::nearbyint in the default rounding mode); fc_pow is std::pow
// (C99 pow, which numpy.power calls for float64).
//
// Accuracy (tests/test_cpp_runtime.py): fc_min, fc_max, fc_sign, fc_round and fc_approx_eq are identical to
// NumPy / firmc's approx_eq, NaN and signed zeros included; fc_logaddexp is bit for bit numpy.logaddexp on 200000
// random pairs (the test allows 2 eps for other libms); fc_pow is the libm's pow, within 1 ulp of numpy.power
// (which may use its own SIMD pow) and identical at every special value.
//
// C++17, <cmath> only; every function is FIRMC_FN (``inline`` by default, ``__host__ __device__ inline`` for
// CUDA); no exceptions, no static or global state.
#ifndef FIRMC_RUNTIME_ELEMENTARY_HPP
#define FIRMC_RUNTIME_ELEMENTARY_HPP

#include <cmath>
#include <cstddef>

#ifndef FIRMC_FN
#define FIRMC_FN inline
#endif

/// numpy.minimum: NaN if either argument is NaN; the second argument when they compare equal.
FIRMC_FN double fc_min(double a, double b) { return (a < b || a != a) ? a : b; }

/// numpy.maximum: NaN if either argument is NaN; the second argument when they compare equal.
FIRMC_FN double fc_max(double a, double b) { return (a > b || a != a) ? a : b; }

/// numpy.sign: -1, +1, +0 for +-0, NaN for NaN.
FIRMC_FN double fc_sign(double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : (x == 0.0 ? 0.0 : x)); }

/// numpy.logaddexp: log(exp(a) + exp(b)) without overflow or underflow (NumPy's npy_logaddexp).
FIRMC_FN double fc_logaddexp(double a, double b) {
    if (a == b) {  // also two infinities of the same sign
        return a + 0.6931471805599453;  // ln 2
    }
    const double d = a - b;
    if (d > 0.0) {
        return a + std::log1p(std::exp(-d));
    }
    if (d <= 0.0) {
        return b + std::log1p(std::exp(d));
    }
    return d;  // NaN: an argument is NaN, or a = -b = +-inf
}

/// numpy.spacing for s >= 0: the distance to the next larger double; NaN for inf and NaN.
FIRMC_FN double fc_detail_spacing(double s) {
    return s < HUGE_VAL ? std::nextafter(s, HUGE_VAL) - s : static_cast<double>(NAN);
}

/// firmc's approx_eq (HS3 ``==``): a == b, or |a - b| <= 4 ulp of the larger magnitude.
FIRMC_FN bool fc_approx_eq(double a, double b) {
    return (a == b) || (std::fabs(a - b) <= 4.0 * fc_detail_spacing(std::fmax(std::fabs(a), std::fabs(b))));
}

/// numpy.rint: round to nearest, ties to even (the default floating-point rounding mode is assumed).
FIRMC_FN double fc_round(double x) { return std::nearbyint(x); }

/// numpy.power on float64: C99 pow, forwarded unchanged.
FIRMC_FN double fc_pow(double a, double b) { return std::pow(a, b); }

/// choose's position for k among n >= 1 values: the floor of k clamped to 0 .. n-1, NaN giving 0 (compared before
/// converting: no conversion of NaN, infinities or out-of-range values).
FIRMC_FN std::size_t fc_choice(double k, std::size_t n) {
    return k >= 1.0 ? (k < static_cast<double>(n - 1) ? static_cast<std::size_t>(k) : n - 1) : 0;
}

/// choose(k, t[0], ..., t[N-1]) of values given as a braced list (computed where the call is: values that vary per
/// event; a table of values that do not is an array declared once, read as ``table[fc_choice(k, N)]``).
template <typename T, std::size_t N>
FIRMC_FN T fc_pick(double k, const T (&t)[N]) {
    return t[fc_choice(k, N)];
}

#endif  // FIRMC_RUNTIME_ELEMENTARY_HPP
