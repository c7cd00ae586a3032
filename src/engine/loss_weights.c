/* loss_weights.c — the weighting variants a run applies to its per-example importance weights
 * before they reach the loss (engine.h, "Weighting variants"):
 *   - exponentiated weights w^rho (Wang, Chatterji, Haque & Hashimoto, ICLR 2022, who show that
 *     exponentiating the unbiased weights, rho > 1, can improve on them; rho = weight_exponent);
 *   - deferred re-weighting (Cao, Wei, Gaidon, Arechiga & Ma, NeurIPS 2019, "DRW"): every weight is
 *     1 until training epoch reweight_from, the weights apply from then on.
 * The mean of the resulting weights is what normalize=dataset divides by (iw_loss.weight_mean).
 */
#include "iw/engine.h"

#include <math.h>

double iw_weight_effective(double weight, double rho)
{
    if (rho == 1.0) return weight; /* bit for bit the weight itself: the default changes nothing */
    return pow(weight, rho);
}

int iw_weights_apply(int epoch, int reweight_from) { return epoch >= reweight_from; }

double iw_weights_for_epoch(const float *weights, int64_t n, double rho, int epoch, int reweight_from,
                            float *out)
{
    if (n < 1) return NAN;
    int apply = iw_weights_apply(epoch, reweight_from);
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        out[i] = apply ? (float)iw_weight_effective(weights[i], rho) : 1.0f;
        sum += out[i];
    }
    return sum / (double)n;
}
