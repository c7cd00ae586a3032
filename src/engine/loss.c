/* loss.c — weighted softmax cross-entropy (engine.h gives the formulas).
 * Per example, with m = max_k z_k:  log-sum-exp = m + log sum_k exp(z_k - m),  l = lse - z_y, and
 * dL/dz_k = (softmax_k - [k = y]) * w / norm, norm = sum_i w_i (normalize=weights) or B (batch).
 * Computed in double; K is tiny (2) so this costs nothing next to the matrix products. */
#include "layer.h"

#include <math.h>

/* l_i for one example; writes softmax into p[0..K) when p != NULL. */
static double example_loss(const float *z, int K, int y, double *p)
{
    double m = z[0];
    for (int k = 1; k < K; k++)
        if (z[k] > m) m = z[k];
    double s = 0.0;
    for (int k = 0; k < K; k++) {
        double e = exp((double)z[k] - m);
        if (p) p[k] = e;
        s += e;
    }
    if (p)
        for (int k = 0; k < K; k++) p[k] /= s;
    return m + log(s) - (double)z[y];
}

double iw_loss_weighted_sum(const float *logits, int batch, int n_classes, const int32_t *labels,
                            const float *weights)
{
    double total = 0.0;
    for (int i = 0; i < batch; i++) {
        if (labels[i] < 0 || labels[i] >= n_classes) return NAN;
        double w = weights ? weights[i] : 1.0;
        total += w * example_loss(logits + (size_t)i * n_classes, n_classes, labels[i], NULL);
    }
    return total;
}

double iw_loss_softmax_ce(const float *logits, int batch, int n_classes, const int32_t *labels,
                          const float *weights, iw_normalize normalize, float *dlogits)
{
    double norm = batch;
    if (normalize == IW_NORMALIZE_WEIGHTS) {
        norm = 0.0;
        for (int i = 0; i < batch; i++) norm += weights ? weights[i] : 1.0;
    }
    double total = 0.0, p[64];
    for (int i = 0; i < batch; i++) {
        const float *z = logits + (size_t)i * n_classes;
        int y = labels[i];
        if (y < 0 || y >= n_classes) return NAN;
        double w = weights ? weights[i] : 1.0;
        double *pp = dlogits && n_classes <= 64 ? p : NULL;
        double l = example_loss(z, n_classes, y, pp);
        total += w * l;
        if (!dlogits) continue;
        float *dz = dlogits + (size_t)i * n_classes;
        double scale = norm != 0.0 ? w / norm : 0.0;
        for (int k = 0; k < n_classes; k++) {
            double pk;
            if (pp) {
                pk = pp[k];
            } else { /* more than 64 classes: recompute softmax entries one by one */
                double m = z[0], s = 0.0;
                for (int j = 1; j < n_classes; j++)
                    if (z[j] > m) m = z[j];
                for (int j = 0; j < n_classes; j++) s += exp((double)z[j] - m);
                pk = exp((double)z[k] - m) / s;
            }
            dz[k] = (float)((pk - (k == y ? 1.0 : 0.0)) * scale);
        }
    }
    return norm != 0.0 ? total / norm : 0.0;
}
