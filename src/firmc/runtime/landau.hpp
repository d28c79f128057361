// firmc native runtime: landau.hpp
//
// Provides: fc_landau(v), the standard Landau density (ROOT's TMath::Landau(v, 0, 1), ROOT::Math::landau_pdf,
// CERNLIB G110 DENLAN), and fc_landau_cdf(v), its distribution function (ROOT::Math::landau_cdf, CERNLIB DISLAN).
//
// Reference: K. S. Koelbig and B. Schorr, "A program package for the Landau distribution", Comput. Phys. Commun.
// 31 (1984) 97-111: piecewise rational approximations.  This is a scalar port of firmc's NumPy implementation
// (firmc.numerics.special.landau_pdf / landau_cdf) with its coefficients, piece boundaries and operation order
// (which follow ROOT); the density is exactly 0 below v = ln(1e-10) - 1 (about -24.03), as in the reference.
// NaN gives NaN (it falls through to the last piece, as in the reference's if/else chain); -inf gives 0; +inf
// gives NaN, as firmc.numerics.special does.
//
// Accuracy (tests/test_cpp_runtime.py): bit for bit firmc.numerics.special for v >= -1 (dense grid to 1e300 and
// every piece boundary); for v < -1, exp(-1/u) and exp(-u), u = exp(+-(v + 1)), magnify the last-bit difference
// between the libm's exp and NumPy's (SIMD) exp by e^-(v+1): measured at most 1.7 eps (1 + e^-(v+1)) relative
// (1.1e-13 at v = -24).  ROOT's table in tests/test_special.py to 1e-13.  (The approximation itself reproduces
// the true Landau functions to about 1e-9 relative, as ROOT's.)  Compilers that contract a * b + c into an FMA
// (nvcc by default, g++ with an -march that has FMA) differ in the last bits.
//
// C++17, <cmath> only; every function is FIRMC_FN (``inline`` by default, ``__host__ __device__ inline`` for
// CUDA); no exceptions, no static or global state.
#ifndef FIRMC_RUNTIME_LANDAU_HPP
#define FIRMC_RUNTIME_LANDAU_HPP

#include <cmath>

#ifndef FIRMC_FN
#define FIRMC_FN inline
#endif

/// c[0] + (c[1] + (c[2] + ... + c[n-1] x) x) x, the reference's Horner order.
FIRMC_FN double fc_detail_landau_poly(const double* c, int n, double x) {
    double acc = c[n - 1];
    for (int k = n - 2; k >= 0; --k) {
        acc = c[k] + acc * x;
    }
    return acc;
}

/// The standard Landau density: TMath::Landau(v, 0, 1), CERNLIB DENLAN.
FIRMC_FN double fc_landau(double v) {
    const double p1[] = {0.4259894875, -0.1249762550, 0.03984243700, -0.006298287635, 0.001511162253};
    const double q1[] = {1.0, -0.3388260629, 0.09594393323, -0.01608042283, 0.003778942063};
    const double p2[] = {0.1788541609, 0.1173957403, 0.01488850518, -0.001394989411, 0.0001283617211};
    const double q2[] = {1.0, 0.7428795082, 0.3153932961, 0.06694219548, 0.008790609714};
    const double p3[] = {0.1788544503, 0.09359161662, 0.006325387654, 0.00006611667319, -0.000002031049101};
    const double q3[] = {1.0, 0.6097809921, 0.2560616665, 0.04746722384, 0.006957301675};
    const double p4[] = {0.9874054407, 118.6723273, 849.2794360, -743.7792444, 427.0262186};
    const double q4[] = {1.0, 106.8615961, 337.6496214, 2016.712389, 1597.063511};
    const double p5[] = {1.003675074, 167.5702434, 4789.711289, 21217.86767, -22324.94910};
    const double q5[] = {1.0, 156.9424537, 3745.310488, 9834.698876, 66924.28357};
    const double p6[] = {1.000827619, 664.9143136, 62972.92665, 475554.6998, -5743609.109};
    const double q6[] = {1.0, 651.4101098, 56974.73333, 165917.4725, -2815759.939};
    const double a1[] = {0.04166666667, -0.01996527778, 0.02709538966};
    const double a2[] = {-1.845568670, -4.284640743};
    if (v < -5.5) {
        const double u = std::exp(v + 1.0);
        if (u < 1e-10) {
            return 0.0;
        }
        const double ue = std::exp(-1.0 / u);
        const double us = std::sqrt(u);
        return 0.3989422803 * (ue / us) * (1.0 + fc_detail_landau_poly(a1, 3, u) * u);
    } else if (v < -1.0) {
        const double u = std::exp(-v - 1.0);
        return std::exp(-u) * std::sqrt(u) * fc_detail_landau_poly(p1, 5, v) / fc_detail_landau_poly(q1, 5, v);
    } else if (v < 1.0) {
        return fc_detail_landau_poly(p2, 5, v) / fc_detail_landau_poly(q2, 5, v);
    } else if (v < 5.0) {
        return fc_detail_landau_poly(p3, 5, v) / fc_detail_landau_poly(q3, 5, v);
    } else if (v < 12.0) {
        const double u = 1.0 / v;
        return u * u * fc_detail_landau_poly(p4, 5, u) / fc_detail_landau_poly(q4, 5, u);
    } else if (v < 50.0) {
        const double u = 1.0 / v;
        return u * u * fc_detail_landau_poly(p5, 5, u) / fc_detail_landau_poly(q5, 5, u);
    } else if (v < 300.0) {
        const double u = 1.0 / v;
        return u * u * fc_detail_landau_poly(p6, 5, u) / fc_detail_landau_poly(q6, 5, u);
    }
    const double u = 1.0 / (v - v * std::log(v) / (v + 1.0));
    return u * u * (1.0 + fc_detail_landau_poly(a2, 2, u) * u);
}

/// The standard Landau distribution function: ROOT::Math::landau_cdf(v), CERNLIB DISLAN.
FIRMC_FN double fc_landau_cdf(double v) {
    const double p1[] = {0.2514091491, -0.06250580444, 0.01458381230, -0.002108817737, 0.0007411247290};
    const double q1[] = {1.0, -0.005571175625, 0.06225310236, -0.003137378427, 0.001931496439};
    const double p2[] = {0.2868328584, 0.3564363231, 0.1523518695, 0.02251304883};
    const double q2[] = {1.0, 0.6191136137, 0.1720721448, 0.02278594771};
    const double p3[] = {0.2868329066, 0.3003828436, 0.09950951941, 0.008733827185};
    const double q3[] = {1.0, 0.4237190502, 0.1095631512, 0.008693851567};
    const double p4[] = {1.000351630, 4.503592498, 10.85883880, 7.536052269};
    const double q4[] = {1.0, 5.539969678, 19.33581111, 27.21321508};
    const double p5[] = {1.000006517, 49.09414111, 85.05544753, 153.2153455};
    const double q5[] = {1.0, 50.09928881, 139.9819104, 420.0002909};
    const double p6[] = {1.000000983, 132.9868456, 916.2149244, -960.5054274};
    const double q6[] = {1.0, 133.9887843, 1055.990413, 553.2224619};
    const double a1[] = {-0.4583333333, 0.6675347222, -1.641741416};
    const double a2[] = {1.0, -0.4227843351, -2.043403138};
    if (v < -5.5) {
        const double u = std::exp(v + 1.0);
        return 0.3989422803 * std::exp(-1.0 / u) * std::sqrt(u) * (1.0 + fc_detail_landau_poly(a1, 3, u) * u);
    } else if (v < -1.0) {
        const double u = std::exp(-v - 1.0);
        return (std::exp(-u) / std::sqrt(u)) * fc_detail_landau_poly(p1, 5, v) / fc_detail_landau_poly(q1, 5, v);
    } else if (v < 1.0) {
        return fc_detail_landau_poly(p2, 4, v) / fc_detail_landau_poly(q2, 4, v);
    } else if (v < 4.0) {
        return fc_detail_landau_poly(p3, 4, v) / fc_detail_landau_poly(q3, 4, v);
    } else if (v < 12.0) {
        const double u = 1.0 / v;
        return fc_detail_landau_poly(p4, 4, u) / fc_detail_landau_poly(q4, 4, u);
    } else if (v < 50.0) {
        const double u = 1.0 / v;
        return fc_detail_landau_poly(p5, 4, u) / fc_detail_landau_poly(q5, 4, u);
    } else if (v < 300.0) {
        const double u = 1.0 / v;
        return fc_detail_landau_poly(p6, 4, u) / fc_detail_landau_poly(q6, 4, u);
    }
    const double u = 1.0 / (v - v * std::log(v) / (v + 1.0));
    return 1.0 - fc_detail_landau_poly(a2, 3, u) * u;
}

#endif  // FIRMC_RUNTIME_LANDAU_HPP
