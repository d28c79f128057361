/* Hand-written reference for PERFORMANCE.md's Workload 1 (benchmarks/native.py, tests/test_bench_references.py).
 *
 * NLL = -sum_i log(f Gauss(x_i | mu, sigma) + (1 - f) Exp(x_i | c)), each normalised on [lo, hi], Exp ~ exp(c x),
 * as one writes it in C: the two normalisations once per call, then one loop over the events with two exp and one
 * log each.  gauss_exp_nll_grad is the same loop fused with the analytic gradient (order c, f, mu, sigma).
 *
 * benchmarks/native.py builds it with gcc -O3 -march=native -shared -fPIC -pthread, with and without -ffast-math:
 * with it, gcc vectorises the loop and calls glibc's libmvec for exp and log (_ZGV..._exp / _log); without, the loop
 * is scalar libm.  gauss_exp_set_threads(n) splits the events into n contiguous chunks, one POSIX thread each (the
 * caller takes the first), created per call; chunks add up in a fixed order.  Not OpenMP: a second OpenMP runtime
 * next to torch's bundled libgomp made both 10-50x slower in one process.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <unistd.h>

#define MAX_THREADS 256
#define MIN_EVENTS_PER_THREAD 32768

static int n_threads = 1;

/* The mixture's two per-event prefactors: pdf(x) = a exp(-(x - mu)^2 / (2 sigma^2)) + b exp(c x). */
static void prefactors(double lo, double hi, double mu, double sigma, double c, double f, double *a, double *b,
                       double *ng, double *ne) {
    const double sqrt2 = 1.4142135623730951, sqrt_pi_2 = 1.2533141373155003;
    *ng = sigma * sqrt_pi_2 * (erf((hi - mu) / (sqrt2 * sigma)) - erf((lo - mu) / (sqrt2 * sigma)));
    *ne = (exp(c * hi) - exp(c * lo)) / c;
    *a = f / *ng;
    *b = (1.0 - f) / *ne;
}

/* Threads for the event loops: n, or the online cores when n <= 0; returns the setting. */
int gauss_exp_set_threads(int n) {
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    n_threads = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
    return n_threads;
}

static double nll_chunk(const double *x, ptrdiff_t n, double lo, double hi, double mu, double sigma, double c,
                     double f) {
    double a, b, ng, ne;
    prefactors(lo, hi, mu, sigma, c, f, &a, &b, &ng, &ne);
    const double k = -0.5 / (sigma * sigma);
    double s = 0.0;
    for (ptrdiff_t i = 0; i < n; ++i) {
        const double d = x[i] - mu;
        s += log(a * exp(k * d * d) + b * exp(c * x[i]));
    }
    return -s;
}

static double nll_grad_chunk(const double *x, ptrdiff_t n, double lo, double hi, double mu, double sigma, double c,
                          double f, double *grad) {
    double a, b, ng, ne;
    prefactors(lo, hi, mu, sigma, c, f, &a, &b, &ng, &ne);
    const double inv_sigma = 1.0 / sigma;
    /* sums over the events: log pdf, each component's share w_s, w_b, and the moments the gradient needs */
    double s_lp = 0.0, s_ws = 0.0, s_wb = 0.0, s_wbx = 0.0, s_wsz = 0.0, s_wszz = 0.0;
    for (ptrdiff_t i = 0; i < n; ++i) {
        const double z = (x[i] - mu) * inv_sigma;
        const double sig = a * exp(-0.5 * z * z), bkg = b * exp(c * x[i]);
        const double pdf = sig + bkg, inv = 1.0 / pdf;
        const double ws = sig * inv, wb = bkg * inv;
        s_lp += log(pdf);
        s_ws += ws;
        s_wb += wb;
        s_wbx += wb * x[i];
        s_wsz += ws * z;
        s_wszz += ws * z * z;
    }
    const double g_lo = exp(-0.5 * ((lo - mu) * inv_sigma) * ((lo - mu) * inv_sigma));
    const double g_hi = exp(-0.5 * ((hi - mu) * inv_sigma) * ((hi - mu) * inv_sigma));
    const double dng_dmu = g_lo - g_hi;
    const double dng_dsigma = ng * inv_sigma - ((hi - mu) * g_hi - (lo - mu) * g_lo) * inv_sigma;
    const double dne_dc = (hi * exp(c * hi) - lo * exp(c * lo)) / c - ne / c;
    grad[0] = -s_wbx + s_wb * dne_dc / ne;                       /* c */
    grad[1] = -s_ws / f + s_wb / (1.0 - f);                      /* f */
    grad[2] = -s_wsz * inv_sigma + s_ws * dng_dmu / ng;          /* mu */
    grad[3] = -s_wszz * inv_sigma + s_ws * dng_dsigma / ng;      /* sigma */
    return -s_lp;
}

/* ---- the exported entry points: the chunks over the threads (the gradient is linear in the sums: chunks add up) */

typedef struct {
    const double *x;
    ptrdiff_t n;
    double lo, hi, mu, sigma, c, f;
    int with_grad;
    double value, grad[4];
} chunk_t;

static void *run_chunk(void *arg) {
    chunk_t *t = (chunk_t *)arg;
    if (t->with_grad)
        t->value = nll_grad_chunk(t->x, t->n, t->lo, t->hi, t->mu, t->sigma, t->c, t->f, t->grad);
    else
        t->value = nll_chunk(t->x, t->n, t->lo, t->hi, t->mu, t->sigma, t->c, t->f);
    return NULL;
}

static double run(const double *x, ptrdiff_t n, double lo, double hi, double mu, double sigma, double c, double f,
                  double *grad) {
    chunk_t chunks[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int k = n_threads;
    if (k > n / MIN_EVENTS_PER_THREAD) k = (int)(n / MIN_EVENTS_PER_THREAD);
    if (k < 1) k = 1;
    ptrdiff_t step = (n / k + 7) / 8 * 8, start = 0;
    int started = 0;
    for (int i = 0; i < k; ++i) {
        ptrdiff_t len = (i == k - 1 || start + step > n) ? n - start : step;
        chunks[i] = (chunk_t){x + start, len, lo, hi, mu, sigma, c, f, grad != NULL, 0.0, {0.0, 0.0, 0.0, 0.0}};
        start += len;
    }
    for (int i = 1; i < k; ++i) {
        if (pthread_create(&ids[i], NULL, run_chunk, &chunks[i]) != 0) break;
        started = i;
    }
    run_chunk(&chunks[0]);
    for (int i = 1; i <= started; ++i) pthread_join(ids[i], NULL);
    for (int i = started + 1; i < k; ++i) run_chunk(&chunks[i]); /* threads that could not start */
    double value = 0.0;
    if (grad) grad[0] = grad[1] = grad[2] = grad[3] = 0.0;
    for (int i = 0; i < k; ++i) {
        value += chunks[i].value;
        if (grad)
            for (int j = 0; j < 4; ++j) grad[j] += chunks[i].grad[j];
    }
    return value;
}

double gauss_exp_nll(const double *x, ptrdiff_t n, double lo, double hi, double mu, double sigma, double c,
                     double f) {
    return run(x, n, lo, hi, mu, sigma, c, f, NULL);
}

double gauss_exp_nll_grad(const double *x, ptrdiff_t n, double lo, double hi, double mu, double sigma, double c,
                          double f, double *grad) {
    return run(x, n, lo, hi, mu, sigma, c, f, grad);
}
