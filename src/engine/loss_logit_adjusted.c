/* loss_logit_adjusted.c — the logit-adjusted softmax cross-entropy of Menon, Jayasumana, Rawat,
 * Jain, Veit & Kumar, "Long-tail learning via logit adjustment", ICLR 2021, Eq. 10:
 *
 *   l = -log [ e^{z_y + tau log pi_y} / sum_k e^{z_k + tau log pi_k} ],   pi_k = n_k / sum_j n_j,
 *
 * the class priors pi from the training counts, tau >= 0 in their experiments (default 1). The
 * post-hoc variant (subtracting tau log pi from a trained model's logits) is an analysis of stored
 * logits, not a training loss, and is not here. dl/dz_k = softmax(z + tau log pi)_k - [k = y].
 */
#include "layer.h"

#include <math.h>

void iw_loss_log_priors(const int64_t *counts, int K, double *log_prior)
{
    double total = 0.0;
    for (int k = 0; k < K; k++) total += (double)counts[k];
    for (int k = 0; k < K; k++) log_prior[k] = counts[k] > 0 ? log((double)counts[k] / total) : -INFINITY;
}

double iw_loss_example_logit_adjusted(const iw_loss *loss, const float *z, int K, int y, double g, float *dz)
{
    double shift[IW_LOSS_MAX_CLASSES];
    for (int k = 0; k < K; k++) shift[k] = loss->la_tau * loss->log_prior[k];
    return iw_loss_softmax_affine(z, K, y, 1.0, shift, 0.0, g, dz);
}
