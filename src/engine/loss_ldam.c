/* loss_ldam.c — the label-distribution-aware margin loss of Cao, Wei, Gaidon, Arechiga & Ma,
 * "Learning imbalanced datasets with label-distribution-aware margin loss", NeurIPS 2019, Eq. 13:
 *
 *   l = -log [ e^{s (z_y - Delta_y)} / ( e^{s (z_y - Delta_y)} + sum_{k != y} e^{s z_k} ) ],
 *   Delta_k = C / n_k^(1/4),
 *
 * n_k the training count of class k, C chosen so that the largest margin (the rarest class's) is
 * max_margin (their code: 0.5). The scale s is not in the paper's equation; their released code
 * multiplies the shifted logits by s = 30 before the cross-entropy, and so do we. Margins are in
 * logit units; dl/dz_k = s (softmax(u)_k - [k = y]) with u the scaled, shifted logits.
 */
#include "layer.h"

#include <math.h>
#include <stdint.h>

void iw_loss_ldam_margins(const int64_t *counts, int K, double *relative_margin)
{
    /* Delta_k / max_j Delta_j = (min_j n_j / n_k)^(1/4), over the classes with examples */
    int64_t smallest = INT64_MAX;
    for (int k = 0; k < K; k++)
        if (counts[k] > 0 && counts[k] < smallest) smallest = counts[k];
    for (int k = 0; k < K; k++)
        relative_margin[k] = counts[k] > 0 ? pow((double)smallest / (double)counts[k], 0.25) : INFINITY;
}

double iw_loss_example_ldam(const iw_loss *loss, const float *z, int K, int y, double g, float *dz)
{
    double margin = loss->ldam_max_margin * loss->ldam_relative_margin[y]; /* Delta_y */
    return iw_loss_softmax_affine(z, K, y, loss->ldam_scale, NULL, -margin, g, dz);
}
