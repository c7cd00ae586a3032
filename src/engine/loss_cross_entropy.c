/* loss_cross_entropy.c — softmax cross-entropy, the paper's loss, and the softmax core that LDAM
 * and the logit-adjusted loss share (they are cross-entropy on shifted and scaled logits).
 *
 * With u_k = scale * (z_k + shift_k + [k = y] true_shift) and m = max_k u_k:
 *   l = logsumexp(u) - u_y = m + log sum_k exp(u_k - m) - u_y      (no exp of a positive number)
 *   dl/dz_k = scale * (softmax(u)_k - [k = y]),  softmax(u)_k = exp(u_k - m) / sum_j exp(u_j - m).
 * In double: K is tiny (2 in every sweep), so this costs nothing next to the matrix products, and
 * LDAM's scale 30 turns logits of a few tens into u of a thousand, far beyond float's exp range.
 */
#include "layer.h"

#include <math.h>

static inline double affine(const float *z, int k, int y, double scale, const double *shift, double true_shift)
{
    double u = (double)z[k];
    if (shift) u += shift[k];
    if (k == y) u += true_shift;
    return scale * u;
}

double iw_loss_softmax_affine(const float *z, int K, int y, double scale, const double *shift,
                              double true_shift, double g, float *dz)
{
    double m = affine(z, 0, y, scale, shift, true_shift);
    for (int k = 1; k < K; k++) {
        double u = affine(z, k, y, scale, shift, true_shift);
        if (u > m) m = u;
    }
    double e[IW_LOSS_MAX_CLASSES], s = 0.0; /* exp(u_k - m), kept for the gradient when K fits */
    const int keep = K <= IW_LOSS_MAX_CLASSES;
    for (int k = 0; k < K; k++) {
        double ek = exp(affine(z, k, y, scale, shift, true_shift) - m);
        if (keep) e[k] = ek;
        s += ek;
    }
    double l = m + log(s) - affine(z, y, y, scale, shift, true_shift);
    if (dz)
        for (int k = 0; k < K; k++) {
            double ek = keep ? e[k] : exp(affine(z, k, y, scale, shift, true_shift) - m);
            dz[k] = (float)(g * scale * (ek / s - (k == y ? 1.0 : 0.0)));
        }
    return l;
}

/* l = -log softmax(z)_y. */
double iw_loss_example_cross_entropy(const iw_loss *loss, const float *z, int K, int y, double g, float *dz)
{
    (void)loss;
    return iw_loss_softmax_affine(z, K, y, 1.0, NULL, 0.0, g, dz);
}
