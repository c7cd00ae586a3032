/* loss_poly.c — the polynomially-tailed loss of Wang, Chatterji, Haque & Hashimoto, "Is importance
 * weighting incompatible with interpolating classifiers?", ICLR 2022: their loss l_{alpha,beta}
 * with beta = 1 and, for its left part, the logistic loss normalised to 1 at the margin 1 (the
 * "logit" variant of the authors' code). On the binary margin
 *
 *   v = (z_1 - z_0) * (+1 if y = 1, -1 if y = 0)          (class 1 is the positive class)
 *   l(v) = log(1 + e^-v) / log(1 + e^-1)   for v <= 1
 *        = v^-alpha                          for v > 1      (alpha > 0; both pieces are 1 at v = 1)
 *   dl/dv = -1 / ((1 + e^v) log(1 + e^-1))  for v <= 1,    -alpha v^-alpha / v  for v > 1,
 *
 * and dl/dz_1 = sign dl/dv, dl/dz_0 = -sign dl/dv. The loss is continuous but not differentiable at
 * v = 1 (slopes -0.858 and -alpha); v = 1 takes the left piece. Unlike the logistic loss, whose
 * gradient decays like e^-v, the tail's gradient decays only polynomially, which is why importance
 * weights keep acting on separated data (the paper's point).
 *
 * Numerics (double): log(1 + e^-v) as max(-v, 0) + log1p(e^-|v|), exact for v -> -inf where the
 * naive form overflows; e^v <= e on the left piece, so its slope needs no guard. On the tail,
 * v^-alpha = exp(-alpha log v) and the slope reuses it (l / v): for v of 1e30 (logits near float's
 * limit) they underflow smoothly to 0, never to NaN.
 */
#include "layer.h"

#include <math.h>

double iw_loss_example_poly(const iw_loss *loss, const float *z, int K, int y, double g, float *dz)
{
    (void)K; /* 2, checked by iw_loss_check */
    const double sign = y == 1 ? 1.0 : -1.0;
    const double v = ((double)z[1] - (double)z[0]) * sign;
    const double c = log1p(exp(-1.0)); /* log(1 + e^-1): the left piece's value at v = 1 */
    double l, dl_dv;
    if (v <= 1.0) {
        l = (fmax(-v, 0.0) + log1p(exp(-fabs(v)))) / c;
        dl_dv = -1.0 / ((1.0 + exp(v)) * c);
    } else {
        const double alpha = loss->poly_alpha;
        l = exp(-alpha * log(v));
        dl_dv = -alpha * l / v;
    }
    if (dz) {
        dz[1] = (float)(g * sign * dl_dv);
        dz[0] = (float)(-g * sign * dl_dv);
    }
    return l;
}
