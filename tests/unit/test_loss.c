/* test_loss.c — the engine's losses (cross-entropy, poly, LDAM, logit-adjusted), their descriptor
 * and the weighting helpers, checked against naive oracles and finite differences.
 *
 * Oracles: each loss written again here from its paper's formula in the plainest way (exp and log
 * of the raw values, for logits small enough that this is exact), and closed forms at chosen
 * points (poly's value 1 at the margin 1, its tail v^-alpha, LDAM's margins for counts 5000:500).
 * Finite differences: every logit of a batch moved by +-h, (L(z+h) - L(z-h)) / (actual step)
 * against dL/dz from the same call, for every kind and normalisation, with margins on both sides of
 * poly's kink at 1 (never across it: |margin - 1| > h), large |margins|, large logits, imbalanced
 * counts and zero weights. L is computed in double from float logits, so the quotient is accurate
 * to about 1e-9 plus the O(h^2) truncation; a wrong term or scale is off by O(1).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/layer.h"
#include "test.h"

#define FD_TOL 1e-3

/* ---- oracles: per example, straight from the formulas in engine.h ---- */

static double oracle_ce(const double *u, int K, int y)
{
    double s = 0.0;
    for (int k = 0; k < K; k++) s += exp(u[k]);
    return log(s) - u[y];
}

static double oracle_example(const iw_loss *loss, const float *z, int K, int y)
{
    double u[8];
    switch (loss->kind) {
    case IW_LOSS_POLY: {
        double v = ((double)z[1] - z[0]) * (y == 1 ? 1.0 : -1.0);
        return v <= 1.0 ? log(1.0 + exp(-v)) / log(1.0 + exp(-1.0)) : pow(v, -loss->poly_alpha);
    }
    case IW_LOSS_LDAM:
        for (int k = 0; k < K; k++) /* Delta_y = C / n_y^(1/4), the largest max_margin */
            u[k] = loss->ldam_scale * (z[k] - (k == y ? loss->ldam_max_margin * loss->ldam_relative_margin[y] : 0.0));
        return oracle_ce(u, K, y);
    case IW_LOSS_LOGIT_ADJUSTED:
        for (int k = 0; k < K; k++) u[k] = z[k] + loss->la_tau * loss->log_prior[k];
        return oracle_ce(u, K, y);
    default:
        for (int k = 0; k < K; k++) u[k] = z[k];
        return oracle_ce(u, K, y);
    }
}

static double oracle_batch(const iw_loss *loss, const float *z, int B, int K, const int32_t *y, const float *w)
{
    double sum = 0.0, wsum = 0.0;
    for (int i = 0; i < B; i++) {
        sum += w[i] * oracle_example(loss, z + i * K, K, y[i]);
        wsum += w[i];
    }
    double n = loss->normalize == IW_NORMALIZE_WEIGHTS ? wsum
               : loss->normalize == IW_NORMALIZE_BATCH ? B
                                                       : B * loss->weight_mean;
    return sum / n;
}

/* ---- finite differences ---- */

/* Central differences on every logit; returns the worst relative error. The step is h, or a few
 * float ulps of a large logit (1e4 has an ulp of 1e-3). Errors are relative to the entry, floored at
 * 1e-6 of the largest entry: the double rounding of L over the step (~1e-11) would swamp entries
 * of 1e-9 (poly's far tail; its slope there is checked in closed form instead). */
static double fd_check(const iw_loss *loss, const float *z0, int B, int K, const int32_t *y, const float *w,
                       double h, const char *what)
{
    float z[64], dz[64];
    memcpy(z, z0, sizeof(float) * B * K);
    double L = iw_loss_compute(loss, z, B, K, y, w, dz);
    EXPECT(isfinite(L), "%s: loss %g", what, L);
    double largest = 0.0, worst = 0.0;
    for (int j = 0; j < B * K; j++) largest = fmax(largest, fabs(dz[j]));
    for (int j = 0; j < B * K; j++) {
        double step = fmax(h, 1e-6 * fabs(z0[j]));
        float zp = (float)(z0[j] + step), zm = (float)(z0[j] - step);
        z[j] = zp;
        double fp = iw_loss_compute(loss, z, B, K, y, w, NULL);
        z[j] = zm;
        double fm = iw_loss_compute(loss, z, B, K, y, w, NULL);
        z[j] = z0[j];
        double numeric = (fp - fm) / ((double)zp - (double)zm);
        double err = fabs(dz[j] - numeric) / (fmax(fabs(dz[j]), fabs(numeric)) + 1e-6 * largest);
        EXPECT(err <= FD_TOL, "%s: logit %d (example %d): analytic %.9g, numeric %.9g", what, j, j / K, (double)dz[j],
               numeric);
        if (err > worst) worst = err;
    }
    return worst;
}

/* A 2-class batch whose examples have the binary margins v[i] (v = (z1 - z0) * (+1 if y = 1 else -1))
 * on top of logit offsets c[i]. */
static void margins_batch(const double *v, const double *c, const int32_t *y, int B, float *z)
{
    for (int i = 0; i < B; i++) {
        z[2 * i] = (float)c[i];
        z[2 * i + 1] = (float)(c[i] + v[i] * (y[i] == 1 ? 1.0 : -1.0));
    }
}

enum { NB = 12 };
/* margins around poly's kink (0.99, 1.01, 1.1, 0.9), large on both sides, and 0 */
static const double test_margins[NB] = {-50.0, -3.0, -0.2, 0.0, 0.9, 0.99, 1.01, 1.1, 2.5, 7.0, 60.0, 1e4};
static const double test_offsets[NB] = {0.0, 3.0, -2.0, 40.0, -40.0, 1.0, -1.0, 0.5, 20.0, -5.0, 0.0, 30.0};
static const int32_t test_labels[NB] = {0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
static const float test_weights[NB] = {1.0f, 16.0f, 0.0f, 0.25f, 4.0f, 1.0f, 0.0625f, 2.0f, 0.0f, 8.0f, 1.0f, 3.0f};
static const int64_t imbalanced[2] = {5000, 500};

static void fd_all_normalizations(iw_loss *loss, const float *z, int B, int K, const int32_t *y, const float *w,
                                  const char *name)
{
    static const char *const nz_names[] = {"weights", "batch", "dataset"};
    double h = loss->kind == IW_LOSS_LDAM ? 1e-3 / loss->ldam_scale : 1e-3; /* a step of 1e-3 in s*z */
    double worst = 0.0;
    for (int nz = 0; nz < 3; nz++) {
        char what[128];
        snprintf(what, sizeof what, "%s normalize=%s", name, nz_names[nz]);
        loss->normalize = (iw_normalize)nz;
        loss->weight_mean = 2.5;
        worst = fmax(worst, fd_check(loss, z, B, K, y, w, h, what));
    }
    printf("# %s: worst finite-difference relative error %.2g\n", name, worst);
}

static void test_cross_entropy_oracle_and_gradients(void)
{
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_WEIGHTS);
    /* moderate logits for the naive oracle, 3 classes */
    float z[18] = {0.5f, -1.0f, 2.0f, 3.0f, 0.1f, -0.4f, -2.0f, -2.5f, 1.5f,
                   0.0f, 0.0f, 0.0f, 4.0f, -3.0f, 1.0f, 0.2f, 0.3f, 0.1f};
    int32_t y[6] = {2, 0, 1, 1, 0, 2};
    float w[6] = {1.0f, 0.25f, 4.0f, 0.0f, 16.0f, 2.0f};
    for (int nz = 0; nz < 3; nz++) {
        loss.normalize = (iw_normalize)nz;
        loss.weight_mean = 3.0;
        EXPECT_CLOSE(iw_loss_compute(&loss, z, 6, 3, y, w, NULL), oracle_batch(&loss, z, 6, 3, y, w), 1e-12);
    }
    fd_all_normalizations(&loss, z, 6, 3, y, w, "cross-entropy K=3");
    float z2[2 * NB];
    margins_batch(test_margins, test_offsets, test_labels, NB, z2);
    fd_all_normalizations(&loss, z2, NB, 2, test_labels, test_weights, "cross-entropy, large margins");
}

static void test_poly_closed_forms(void)
{
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_POLY, IW_NORMALIZE_BATCH);
    const double c = log(1.0 + exp(-1.0));
    float dz[2];
    struct { double v, alpha, value, slope; } cases[] = {
        {1.0, 2.0, 1.0, -1.0 / ((1.0 + exp(1.0)) * c)},  /* v = 1 takes the left piece: value 1 */
        {2.0, 2.0, 0.25, -2.0 * 0.25 / 2.0},             /* tail v^-alpha, slope -alpha v^-alpha-1 */
        {4.0, 0.5, 0.5, -0.5 * 0.5 / 4.0},
        {0.0, 1.0, log(2.0) / c, -0.5 / c},
        {-1000.0, 1.0, 1000.0 / c, -1.0 / c},            /* log(1 + e^1000) = 1000 exactly in double */
        {1e6, 1.0, 1e-6, -1e-12},                        /* far tail: value and slope still exact */
        {0x1p100, 2.0, 0x1p-200, 0.0},                   /* v ~ 1.3e30 (logits near float's limit):
                                                            slope 2^-299 underflows to 0 in float */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        loss.poly_alpha = cases[k].alpha;
        for (int y = 0; y < 2; y++) { /* the same margin from a negative and from a positive example */
            float z[2];
            double sign = y == 1 ? 1.0 : -1.0;
            z[0] = y == 1 ? 0.0f : (float)cases[k].v;
            z[1] = y == 1 ? (float)cases[k].v : 0.0f;
            int32_t label = y;
            double l = iw_loss_compute(&loss, z, 1, 2, &label, NULL, dz);
            EXPECT(fabs(l - cases[k].value) <= 1e-12 * fabs(cases[k].value),
                   "v = %g, alpha %g, y %d: l = %.17g, expected %.17g", cases[k].v, cases[k].alpha, y, l, cases[k].value);
            /* dl/dz_1 = sign dl/dv, dl/dz_0 = -sign dl/dv (float) */
            EXPECT(fabs(dz[1] - sign * cases[k].slope) <= 1e-6 * fabs(cases[k].slope) + 1e-45 &&
                       fabs(dz[0] + sign * cases[k].slope) <= 1e-6 * fabs(cases[k].slope) + 1e-45,
                   "v = %g, alpha %g, y %d: dz = (%.9g, %.9g), slope %.9g", cases[k].v, cases[k].alpha, y,
                   (double)dz[0], (double)dz[1], cases[k].slope);
        }
    }
    /* continuous at 1 from both sides, for any alpha */
    loss.poly_alpha = 3.0;
    float below[2] = {0.0f, nextafterf(1.0f, 0.0f)}, above[2] = {0.0f, nextafterf(1.0f, 2.0f)};
    int32_t one = 1;
    EXPECT(fabs(iw_loss_compute(&loss, below, 1, 2, &one, NULL, NULL) - 1.0) < 1e-6 &&
               fabs(iw_loss_compute(&loss, above, 1, 2, &one, NULL, NULL) - 1.0) < 1e-6,
           "poly is 1 on both sides of the margin 1");
}

static void test_poly_gradients(void)
{
    float z[2 * NB];
    margins_batch(test_margins, test_offsets, test_labels, NB, z);
    static const double alphas[] = {0.5, 1.0, 2.0, 3.0};
    for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++) {
        iw_loss loss;
        iw_loss_init(&loss, IW_LOSS_POLY, IW_NORMALIZE_WEIGHTS);
        loss.poly_alpha = alphas[a];
        char name[64];
        snprintf(name, sizeof name, "poly alpha %g", alphas[a]);
        /* the naive oracle, away from overflow */
        EXPECT_CLOSE(iw_loss_compute(&loss, z, NB, 2, test_labels, test_weights, NULL),
                     oracle_batch(&loss, z, NB, 2, test_labels, test_weights), 1e-12);
        fd_all_normalizations(&loss, z, NB, 2, test_labels, test_weights, name);
    }
}

static void test_ldam_margins(void)
{
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_LDAM, IW_NORMALIZE_WEIGHTS);
    EXPECT(loss.ldam_max_margin == 0.5 && loss.ldam_scale == 30.0, "defaults 0.5 and 30");
    EXPECT(iw_loss_set_class_counts(&loss, imbalanced, 2, NULL) == 0, "counts 5000:500");
    /* Delta_k = C / n_k^(1/4) with the largest (the rare class's) max_margin: relative margins
     * (n_min / n_k)^(1/4) */
    EXPECT(loss.ldam_relative_margin[1] == 1.0, "the rare class has the largest margin");
    EXPECT_CLOSE(loss.ldam_relative_margin[0], pow(500.0 / 5000.0, 0.25), 1e-15);
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){300, 60, 5}, 3, NULL) == 0, "counts 300:60:5");
    EXPECT(loss.ldam_relative_margin[2] == 1.0, "relative margin of the rarest class");
    EXPECT_CLOSE(loss.ldam_relative_margin[0], pow(5.0 / 300.0, 0.25), 1e-15);
    EXPECT_CLOSE(loss.ldam_relative_margin[1], pow(5.0 / 60.0, 0.25), 1e-15);
    /* max_margin set after the counts still applies: Delta_0 = C / 300^(1/4), C = 0.3 * 5^(1/4) */
    float z3[3] = {0.2f, 0.7f, -0.1f};
    int32_t y = 0;
    loss.ldam_scale = 1.0;
    loss.ldam_max_margin = 0.3;
    double u0 = (double)z3[0] - 0.3 * pow(5.0, 0.25) / pow(300.0, 0.25);
    EXPECT_CLOSE(iw_loss_compute(&loss, z3, 1, 3, &y, NULL, NULL),
                 log(exp(u0) + exp((double)z3[1]) + exp((double)z3[2])) - u0, 1e-12);
}

static void test_ldam_oracle_and_gradients(void)
{
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_LDAM, IW_NORMALIZE_WEIGHTS);
    EXPECT(iw_loss_set_class_counts(&loss, imbalanced, 2, NULL) == 0, "counts");
    /* logits small enough that exp(30 z) is finite: the naive oracle */
    float z[8] = {0.3f, -0.2f, 1.0f, 1.2f, -0.5f, 0.4f, 2.0f, -1.0f};
    int32_t y[4] = {0, 1, 1, 0};
    float w[4] = {1.0f, 10.0f, 0.0f, 1.0f};
    EXPECT_CLOSE(iw_loss_compute(&loss, z, 4, 2, y, w, NULL), oracle_batch(&loss, z, 4, 2, y, w), 1e-12);
    fd_all_normalizations(&loss, z, 4, 2, y, w, "ldam 5000:500");
    /* large logits: s z reaches 1e4; log-sum-exp keeps it finite and exact */
    float big[4] = {100.0f, -100.0f, 100.0f, -100.0f};
    int32_t yb[2] = {0, 1};
    loss.normalize = IW_NORMALIZE_BATCH;
    float dz[4];
    double L = iw_loss_compute(&loss, big, 2, 2, yb, NULL, dz);
    /* example 0: u = 30 (100 - D0, -100), l = log(1 + e^{-30 (200 - D0)}) = 0 in double;
     * example 1: u = 30 (100, -100 - D1), l = 30 (200 + D1), D1 = 0.5 (the rare class) */
    EXPECT_CLOSE(L, 30.0 * (200.0 + 0.5) / 2.0, 1e-12);
    EXPECT(dz[0] == 0.0f && dz[1] == 0.0f && fabsf(dz[2] - 15.0f) < 1e-5f && fabsf(dz[3] + 15.0f) < 1e-5f,
           "gradient at large logits: (%g, %g, %g, %g)", (double)dz[0], (double)dz[1], (double)dz[2], (double)dz[3]);
    float z2[2 * NB];
    margins_batch(test_margins, test_offsets, test_labels, NB, z2);
    fd_all_normalizations(&loss, z2, NB, 2, test_labels, test_weights, "ldam, large margins and logits");
    /* 3 classes, imbalanced, other parameters */
    iw_loss_init(&loss, IW_LOSS_LDAM, IW_NORMALIZE_WEIGHTS);
    loss.ldam_max_margin = 0.3;
    loss.ldam_scale = 10.0;
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){300, 60, 5}, 3, NULL) == 0, "counts");
    float z3[9] = {0.1f, 0.5f, -0.3f, 1.0f, 0.2f, 0.2f, -0.4f, 0.0f, 0.6f};
    int32_t y3[3] = {2, 0, 1};
    float w3[3] = {4.0f, 1.0f, 0.5f};
    EXPECT_CLOSE(iw_loss_compute(&loss, z3, 3, 3, y3, w3, NULL), oracle_batch(&loss, z3, 3, 3, y3, w3), 1e-12);
    fd_all_normalizations(&loss, z3, 3, 3, y3, w3, "ldam 300:60:5");
}

static void test_logit_adjusted_oracle_and_gradients(void)
{
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_LOGIT_ADJUSTED, IW_NORMALIZE_WEIGHTS);
    EXPECT(loss.la_tau == 1.0, "default tau 1");
    EXPECT(iw_loss_set_class_counts(&loss, imbalanced, 2, NULL) == 0, "counts");
    EXPECT_CLOSE(loss.log_prior[0], log(5000.0 / 5500.0), 1e-15);
    EXPECT_CLOSE(loss.log_prior[1], log(500.0 / 5500.0), 1e-15);
    float z[2 * NB];
    margins_batch(test_margins, test_offsets, test_labels, NB, z);
    fd_all_normalizations(&loss, z, NB, 2, test_labels, test_weights, "logit-adjusted 5000:500");
    /* tau = 0 is cross-entropy */
    iw_loss ce;
    iw_loss_init(&ce, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_WEIGHTS);
    loss.normalize = IW_NORMALIZE_WEIGHTS;
    loss.la_tau = 0.0;
    EXPECT(iw_loss_compute(&loss, z, NB, 2, test_labels, test_weights, NULL) ==
               iw_loss_compute(&ce, z, NB, 2, test_labels, test_weights, NULL),
           "tau 0 gives cross-entropy");
    loss.la_tau = 1.5;
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){300, 60, 5}, 3, NULL) == 0, "counts");
    float z3[9] = {0.1f, 0.5f, -0.3f, 1.0f, 0.2f, 0.2f, -0.4f, 0.0f, 0.6f};
    int32_t y3[3] = {2, 0, 1};
    float w3[3] = {4.0f, 1.0f, 0.5f};
    EXPECT_CLOSE(iw_loss_compute(&loss, z3, 3, 3, y3, w3, NULL), oracle_batch(&loss, z3, 3, 3, y3, w3), 1e-12);
    fd_all_normalizations(&loss, z3, 3, 3, y3, w3, "logit-adjusted 300:60:5, tau 1.5");
}

/* The three normalisations agree with the weighted sum; zero weights give zero gradient rows; a
 * batch of zero weights under normalize=weights has loss 0 and no gradient. */
static void test_normalizations_and_zero_weights(void)
{
    float z[2 * NB], dz[2 * NB];
    margins_batch(test_margins, test_offsets, test_labels, NB, z);
    double wsum = 0.0;
    for (int i = 0; i < NB; i++) wsum += test_weights[i];
    for (int kind = 0; kind < IW_LOSS_KIND_COUNT; kind++) {
        iw_loss loss;
        iw_loss_init(&loss, (iw_loss_kind)kind, IW_NORMALIZE_WEIGHTS);
        EXPECT(iw_loss_set_class_counts(&loss, imbalanced, 2, NULL) == 0, "counts");
        const char *name = iw_loss_kind_name(loss.kind);
        double S = iw_loss_weighted_sum(&loss, z, NB, 2, test_labels, test_weights);
        EXPECT(isfinite(S) && S > 0, "%s: weighted sum %g", name, S);
        double Lw = iw_loss_compute(&loss, z, NB, 2, test_labels, test_weights, dz);
        EXPECT_CLOSE(Lw * wsum, S, 1e-12);
        for (int i = 0; i < NB; i++)
            if (test_weights[i] == 0.0f)
                EXPECT(dz[2 * i] == 0.0f && dz[2 * i + 1] == 0.0f, "%s: example %d has weight 0 and gradient (%g, %g)",
                       name, i, (double)dz[2 * i], (double)dz[2 * i + 1]);
        loss.normalize = IW_NORMALIZE_BATCH;
        EXPECT_CLOSE(iw_loss_compute(&loss, z, NB, 2, test_labels, test_weights, NULL) * NB, S, 1e-12);
        loss.normalize = IW_NORMALIZE_DATASET;
        loss.weight_mean = 0.4;
        EXPECT_CLOSE(iw_loss_compute(&loss, z, NB, 2, test_labels, test_weights, NULL) * NB * 0.4, S, 1e-12);
        EXPECT_CLOSE(iw_loss_normalizer(&loss, wsum, NB), NB * 0.4, 1e-15);
        /* all weights 0 */
        float zero[NB] = {0};
        loss.normalize = IW_NORMALIZE_WEIGHTS;
        for (int i = 0; i < 2 * NB; i++) dz[i] = 1.0f;
        EXPECT(iw_loss_compute(&loss, z, NB, 2, test_labels, zero, dz) == 0.0, "%s: zero weights, loss 0", name);
        int all_zero = 1;
        for (int i = 0; i < 2 * NB; i++) all_zero &= dz[i] == 0.0f;
        EXPECT(all_zero, "%s: zero weights, zero gradient", name);
        /* NULL weights = all 1 */
        float ones[NB];
        for (int i = 0; i < NB; i++) ones[i] = 1.0f;
        EXPECT(iw_loss_compute(&loss, z, NB, 2, test_labels, NULL, NULL) ==
                   iw_loss_compute(&loss, z, NB, 2, test_labels, ones, NULL),
               "%s: NULL weights are all 1", name);
    }
}

static void test_descriptor_errors(void)
{
    iw_loss loss;
    iw_error err;
    float z[4] = {0.0f, 1.0f, 2.0f, 0.0f}, z3[3] = {0.0f, 1.0f, 2.0f};
    int32_t y[2] = {0, 1};
    for (int k = 0; k < IW_LOSS_KIND_COUNT; k++) EXPECT(iw_loss_kind_name((iw_loss_kind)k) != NULL, "name of %d", k);
    EXPECT(strcmp(iw_loss_kind_name(IW_LOSS_LOGIT_ADJUSTED), "logit-adjusted") == 0, "names as in the sweep file");
    EXPECT(iw_loss_kind_name((iw_loss_kind)IW_LOSS_KIND_COUNT) == NULL, "unknown kind has no name");

    iw_loss_init(&loss, IW_LOSS_POLY, IW_NORMALIZE_WEIGHTS);
    EXPECT(iw_loss_check(&loss, 2, &err) == 0, "poly defaults: %s", err.message);
    EXPECT(iw_loss_check(&loss, 3, &err) != 0 && strstr(err.message, "2 classes"), "poly K=3: %s", err.message);
    EXPECT(isnan(iw_loss_compute(&loss, z3, 1, 3, y, NULL, NULL)), "poly K=3 gives NaN");
    loss.poly_alpha = 0.0;
    EXPECT(iw_loss_check(&loss, 2, &err) != 0 && strstr(err.message, "alpha"), "alpha 0: %s", err.message);
    loss.poly_alpha = NAN;
    EXPECT(iw_loss_check(&loss, 2, &err) != 0, "alpha NaN refused");
    EXPECT(isnan(iw_loss_compute(&loss, z, 2, 2, y, NULL, NULL)), "a bad descriptor gives NaN");

    iw_loss_init(&loss, IW_LOSS_LDAM, IW_NORMALIZE_WEIGHTS);
    EXPECT(iw_loss_check(&loss, 2, &err) != 0 && strstr(err.message, "iw_loss_set_class_counts"),
           "ldam without counts: %s", err.message);
    EXPECT(isnan(iw_loss_weighted_sum(&loss, z, 2, 2, y, NULL)), "ldam without counts gives NaN");
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){10, 0}, 2, &err) != 0 && strstr(err.message, "class 1"),
           "ldam with an empty class: %s", err.message);
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){10, 20, 30}, 3, &err) == 0, "3 counts");
    EXPECT(iw_loss_check(&loss, 2, &err) != 0 && strstr(err.message, "3 classes"), "counts for 3, logits 2: %s",
           err.message);
    loss.ldam_scale = -1.0;
    EXPECT(iw_loss_check(&loss, 3, &err) != 0 && strstr(err.message, "scale"), "scale -1: %s", err.message);
    loss.ldam_scale = 30.0;
    loss.ldam_max_margin = -0.5;
    EXPECT(iw_loss_check(&loss, 3, &err) != 0 && strstr(err.message, "max_margin"), "margin -0.5: %s", err.message);

    iw_loss_init(&loss, IW_LOSS_LOGIT_ADJUSTED, IW_NORMALIZE_WEIGHTS);
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){0, 5}, 2, &err) != 0 && strstr(err.message, "log-prior"),
           "logit-adjusted with an empty class: %s", err.message);
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){5, 5}, IW_LOSS_MAX_CLASSES + 1, &err) != 0,
           "too many classes refused");
    loss.la_tau = INFINITY;
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){5, 5}, 2, &err) == 0 && iw_loss_check(&loss, 2, &err) != 0 &&
               strstr(err.message, "tau"), "tau inf: %s", err.message);

    iw_loss_init(&loss, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_DATASET);
    loss.weight_mean = 0.0;
    EXPECT(iw_loss_check(&loss, 2, &err) != 0 && strstr(err.message, "mean weight"), "weight_mean 0: %s", err.message);
    loss.weight_mean = 1.0;
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){-1, 5}, 2, &err) != 0 && strstr(err.message, "-1"),
           "negative count: %s", err.message);
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){0, 0}, 2, &err) != 0, "all counts 0 refused");
    EXPECT(iw_loss_set_class_counts(&loss, (int64_t[]){0, 7}, 2, &err) == 0, "cross-entropy takes an empty class");
    EXPECT(iw_loss_check(&loss, 2, &err) == 0 && iw_loss_check(&loss, 100, &err) == 0,
           "cross-entropy needs no class constants, any K");
    loss.kind = (iw_loss_kind)7;
    EXPECT(iw_loss_check(&loss, 2, &err) != 0 && strstr(err.message, "unknown loss kind"), "kind 7: %s", err.message);
    loss.kind = IW_LOSS_CROSS_ENTROPY;
    loss.normalize = (iw_normalize)9;
    EXPECT(iw_loss_check(&loss, 2, &err) != 0 && strstr(err.message, "normalize"), "normalize 9: %s", err.message);
    loss.normalize = IW_NORMALIZE_BATCH;
    EXPECT(isnan(iw_loss_compute(&loss, z, 2, 2, (int32_t[]){0, 2}, NULL, NULL)), "label 2 of K = 2 gives NaN");
    EXPECT(isnan(iw_loss_weighted_sum(&loss, z, 2, 2, (int32_t[]){-1, 0}, NULL)), "label -1 gives NaN");
}

static void test_effective_weights(void)
{
    EXPECT(iw_weight_effective(4.0, 2.0) == 16.0, "4^2");
    EXPECT_CLOSE(iw_weight_effective(0.25, 1.5), 0.125, 1e-15);
    EXPECT_CLOSE(iw_weight_effective(10.0, 3.0), 1000.0, 1e-15);
    EXPECT(iw_weight_effective(0.0, 2.0) == 0.0, "0^2 = 0");
    EXPECT(iw_weight_effective(7.0, 0.0) == 1.0, "rho 0: every weight 1");
    double w = 0.1 + 1e-17;
    EXPECT(iw_weight_effective(w, 1.0) == w, "rho 1: the weight itself, bit for bit");
}

static void test_deferred_reweighting(void)
{
    EXPECT(iw_weights_apply(1, 1) && iw_weights_apply(1, 0), "from the start");
    EXPECT(!iw_weights_apply(2, 3) && iw_weights_apply(3, 3) && iw_weights_apply(4, 3), "from epoch 3");
    const float w[4] = {1.0f, 4.0f, 0.25f, 16.0f};
    float out[4];
    double mean = iw_weights_for_epoch(w, 4, 2.0, 2, 3, out);
    EXPECT(mean == 1.0 && out[0] == 1.0f && out[1] == 1.0f && out[2] == 1.0f && out[3] == 1.0f,
           "before reweight_from every weight is 1 (mean %g)", mean);
    mean = iw_weights_for_epoch(w, 4, 2.0, 3, 3, out);
    EXPECT(out[0] == 1.0f && out[1] == 16.0f && out[2] == 0.0625f && out[3] == 256.0f, "w^2 from reweight_from");
    EXPECT_CLOSE(mean, (1.0 + 16.0 + 0.0625 + 256.0) / 4.0, 1e-15);
    float inplace[4] = {1.0f, 4.0f, 0.25f, 16.0f};
    mean = iw_weights_for_epoch(inplace, 4, 1.0, 1, 1, inplace);
    EXPECT(memcmp(inplace, w, sizeof w) == 0, "rho 1 in place leaves the weights");
    EXPECT_CLOSE(mean, (1.0 + 4.0 + 0.25 + 16.0) / 4.0, 1e-15);
    EXPECT(isnan(iw_weights_for_epoch(w, 0, 1.0, 1, 1, out)), "no examples: NaN mean");
}

int main(void)
{
    RUN_TEST(test_cross_entropy_oracle_and_gradients);
    RUN_TEST(test_poly_closed_forms);
    RUN_TEST(test_poly_gradients);
    RUN_TEST(test_ldam_margins);
    RUN_TEST(test_ldam_oracle_and_gradients);
    RUN_TEST(test_logit_adjusted_oracle_and_gradients);
    RUN_TEST(test_normalizations_and_zero_weights);
    RUN_TEST(test_descriptor_errors);
    RUN_TEST(test_effective_weights);
    RUN_TEST(test_deferred_reweighting);
    return test_exit_code();
}
