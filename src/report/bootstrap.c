/* bootstrap.c — the percentile bootstrap interval of a mean (Efron & Tibshirani, "An Introduction
 * to the Bootstrap", 1993, ch. 13), for iwreport effect: the n values are resampled with
 * replacement, `resamples` times, the mean of each resample is kept, and the interval is the
 * (1 - level)/2 and (1 + level)/2 quantiles of those means, computed as numpy.percentile's default
 * (linear interpolation between order statistics: position q (B - 1) in the sorted means).
 *
 * The resampling indices come from one xoshiro256** stream (rng.h) seeded with (seed, stream):
 * resample b takes indices iw_rng_below(n) drawn in order j = 0..n-1, b = 0..B-1. A test with the
 * same generator reproduces the indices exactly (tests/integration/check_effect.py).
 */
#include "iw/report.h"

#include <math.h>
#include <stdlib.h>

#include "iw/rng.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile(sorted[0..n), 100 q) with method "linear". */
static double quantile_sorted(const double *sorted, int n, double q)
{
    double h = q * (double)(n - 1);
    int lo = (int)floor(h);
    if (lo >= n - 1) return sorted[n - 1];
    return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

void iw_bootstrap_mean_interval(const double *x, int n, int resamples, uint64_t seed, uint64_t stream, double level,
                                double *means, double *lo, double *hi)
{
    if (n < 1 || resamples < 1) {
        *lo = *hi = NAN;
        return;
    }
    iw_rng rng;
    iw_rng_seed(&rng, seed, stream);
    for (int b = 0; b < resamples; b++) {
        double sum = 0.0;
        for (int j = 0; j < n; j++) sum += x[iw_rng_below(&rng, (uint64_t)n)];
        means[b] = sum / n;
    }
    qsort(means, (size_t)resamples, sizeof *means, cmp_double);
    *lo = quantile_sorted(means, resamples, (1.0 - level) / 2.0);
    *hi = quantile_sorted(means, resamples, (1.0 + level) / 2.0);
}
