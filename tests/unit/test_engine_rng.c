/* test_engine_rng.c — the seeded streams (rng.h): reproducible, independent across streams and seeds,
 * and with the right distributions. Moment tolerances are about 6-7 standard errors of the sample
 * sizes used, so a correct generator passes every time (the draws are fixed by the seeds) and a
 * biased one (e.g. uniform on [0, 2), a normal with variance 2) fails by a wide margin.
 */
#include <stdlib.h>
#include <string.h>

#include "iw/rng.h"
#include "test.h"

/* Known answer: xoshiro256** from the state {1, 2, 3, 4} gives the outputs of Blackman & Vigna's
 * reference implementation (the vector rand_xoshiro's tests and others publish). */
static void test_xoshiro_known_answer(void)
{
    static const uint64_t expected[10] = {
        11520u, 0u, 1509978240u, 1215971899390074240u, 1216172134540287360u, 607988272756665600u,
        16172922978634559625u, 8476171486693032832u, 10595114339597558777u, 2904607092377533576u};
    iw_rng r = {{1, 2, 3, 4}};
    for (int i = 0; i < 10; i++) {
        uint64_t got = iw_rng_next(&r);
        EXPECT(got == expected[i], "output %d: %llu, reference %llu", i, (unsigned long long)got,
               (unsigned long long)expected[i]);
    }
}

static void test_same_seed_reproduces(void)
{
    iw_rng a, b;
    iw_rng_seed(&a, 12345, IW_STREAM_BATCH);
    iw_rng_seed(&b, 12345, IW_STREAM_BATCH);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= iw_rng_next(&a) == iw_rng_next(&b);
    EXPECT(same, "two generators seeded alike give the same sequence");
    /* the state is a plain struct: a copy continues identically */
    iw_rng c = a;
    EXPECT(iw_rng_next(&a) == iw_rng_next(&c), "a copied state continues the same sequence");
}

/* Number of equal outputs among the first n of two generators (0 expected). */
static int overlap(uint64_t seed1, uint64_t stream1, uint64_t seed2, uint64_t stream2, int n)
{
    iw_rng a, b;
    iw_rng_seed(&a, seed1, stream1);
    iw_rng_seed(&b, seed2, stream2);
    int equal = 0;
    for (int i = 0; i < n; i++) equal += iw_rng_next(&a) == iw_rng_next(&b);
    return equal;
}

static void test_streams_and_seeds_differ(void)
{
    for (uint64_t s = 1; s <= 6; s++)
        for (uint64_t t = s + 1; t <= 6; t++)
            EXPECT(overlap(0, s, 0, t, 100) == 0, "streams %llu and %llu of seed 0 share outputs",
                   (unsigned long long)s, (unsigned long long)t);
    EXPECT(overlap(0, IW_STREAM_INIT, 1, IW_STREAM_INIT, 100) == 0, "seeds 0 and 1 differ");
    EXPECT(overlap(1, IW_STREAM_INIT, 2, IW_STREAM_INIT, 100) == 0, "seeds 1 and 2 differ");
    /* (seed, stream) pairs that a naive seed + stream mix would confuse */
    EXPECT(overlap(1, 2, 2, 1, 100) == 0, "(1, 2) and (2, 1) differ");
    /* streams are uncorrelated: correlation of uniforms from two streams of one seed */
    iw_rng a, b;
    iw_rng_seed(&a, 7, IW_STREAM_INIT);
    iw_rng_seed(&b, 7, IW_STREAM_DROPOUT);
    double sab = 0, sa = 0, sb = 0, saa = 0, sbb = 0;
    int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = iw_rng_uniform(&a), v = iw_rng_uniform(&b);
        sab += u * v; sa += u; sb += v; saa += u * u; sbb += v * v;
    }
    double cov = sab / n - (sa / n) * (sb / n);
    double corr = cov / sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
    EXPECT(fabs(corr) < 0.02, "correlation between streams %g", corr); /* 1/sqrt(n) = 0.003 */
}

static void test_uniform_moments(void)
{
    iw_rng r;
    iw_rng_seed(&r, 3, IW_STREAM_DATA);
    int n = 200000, in_range = 1;
    double s = 0, ss = 0;
    int bins[10] = {0};
    for (int i = 0; i < n; i++) {
        float u = iw_rng_uniform(&r);
        in_range &= u >= 0.0f && u < 1.0f;
        s += u;
        ss += (double)u * u;
        bins[(int)(u * 10)]++;
    }
    double mean = s / n, var = ss / n - mean * mean;
    EXPECT(in_range, "uniform values in [0, 1)");
    EXPECT(fabs(mean - 0.5) < 0.004, "uniform mean %g", mean);        /* se 0.00065 */
    EXPECT(fabs(var - 1.0 / 12) < 0.002, "uniform variance %g", var); /* se 0.00013 */
    double chi2 = 0;
    for (int k = 0; k < 10; k++) chi2 += (bins[k] - n / 10.0) * (bins[k] - n / 10.0) / (n / 10.0);
    EXPECT(chi2 < 40, "uniform histogram chi2 %g (9 dof)", chi2);
}

static void test_normal_moments(void)
{
    iw_rng r;
    iw_rng_seed(&r, 4, IW_STREAM_INIT);
    int n = 200000;
    double s = 0, s2 = 0, s3 = 0, s4 = 0;
    int finite = 1;
    for (int i = 0; i < n; i++) {
        double z = iw_rng_normal(&r);
        finite &= isfinite(z);
        s += z; s2 += z * z; s3 += z * z * z; s4 += z * z * z * z;
    }
    double mean = s / n, var = s2 / n - mean * mean, skew = s3 / n, kurt = s4 / n;
    EXPECT(finite, "normal values are finite");
    EXPECT(fabs(mean) < 0.015, "normal mean %g", mean);       /* se 0.0022 */
    EXPECT(fabs(var - 1.0) < 0.02, "normal variance %g", var); /* se 0.0032 */
    EXPECT(fabs(skew) < 0.04, "normal third moment %g", skew); /* se 0.0055 */
    EXPECT(fabs(kurt - 3.0) < 0.1, "normal fourth moment %g", kurt); /* se 0.011 */
}

static void test_below_range_and_uniformity(void)
{
    iw_rng r;
    iw_rng_seed(&r, 5, IW_STREAM_SUBSAMPLE);
    int counts[7] = {0}, in_range = 1, n = 70000;
    for (int i = 0; i < n; i++) {
        uint64_t v = iw_rng_below(&r, 7);
        in_range &= v < 7;
        if (v < 7) counts[v]++;
    }
    EXPECT(in_range, "iw_rng_below(7) in [0, 7)");
    double chi2 = 0;
    for (int k = 0; k < 7; k++) chi2 += (counts[k] - n / 7.0) * (counts[k] - n / 7.0) / (n / 7.0);
    EXPECT(chi2 < 35, "below(7) histogram chi2 %g (6 dof)", chi2);
    int zero = 1;
    for (int i = 0; i < 100; i++) zero &= iw_rng_below(&r, 1) == 0;
    EXPECT(zero, "below(1) is always 0");
    /* a bound that is not a power of two near 2^64 still stays in range */
    uint64_t big = UINT64_MAX / 3 * 2;
    int ok = 1;
    for (int i = 0; i < 1000; i++) ok &= iw_rng_below(&r, big) < big;
    EXPECT(ok, "below(2^64 * 2/3) in range");
}

static void test_shuffle_is_permutation(void)
{
    enum { N = 1000 };
    int32_t a[N], b[N];
    for (int i = 0; i < N; i++) a[i] = b[i] = i;
    iw_rng r, q;
    iw_rng_seed(&r, 9, IW_STREAM_BATCH);
    iw_rng_seed(&q, 10, IW_STREAM_BATCH);
    iw_rng_shuffle(&r, a, N);
    iw_rng_shuffle(&q, b, N);
    int seen[N] = {0}, fixed = 0, ok = 1, same = 1;
    for (int i = 0; i < N; i++) {
        ok &= a[i] >= 0 && a[i] < N;
        if (a[i] >= 0 && a[i] < N) seen[a[i]]++;
        fixed += a[i] == i;
        same &= a[i] == b[i];
    }
    for (int i = 0; i < N; i++) ok &= seen[i] == 1;
    EXPECT(ok, "shuffle gives a permutation of 0..N-1");
    EXPECT(fixed < 10, "%d fixed points (about 1 expected)", fixed);
    EXPECT(!same, "different seeds give different orders");
    /* every position equally likely: where element 0 lands over many shuffles of 4 */
    int where[4] = {0};
    for (int t = 0; t < 40000; t++) {
        int32_t c[4] = {0, 1, 2, 3};
        iw_rng_shuffle(&r, c, 4);
        for (int k = 0; k < 4; k++)
            if (c[k] == 0) where[k]++;
    }
    for (int k = 0; k < 4; k++) EXPECT(abs(where[k] - 10000) < 600, "position %d: %d of 40000", k, where[k]);
    iw_rng_shuffle(&r, a, 0); /* empty and single arrays are fine */
    iw_rng_shuffle(&r, a, 1);
}

int main(void)
{
    RUN_TEST(test_xoshiro_known_answer);
    RUN_TEST(test_same_seed_reproduces);
    RUN_TEST(test_streams_and_seeds_differ);
    RUN_TEST(test_uniform_moments);
    RUN_TEST(test_normal_moments);
    RUN_TEST(test_below_range_and_uniformity);
    RUN_TEST(test_shuffle_is_permutation);
    return test_exit_code();
}
