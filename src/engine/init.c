/* init.c — parameter initialisation for conv and linear layers (declared in layer.h).
 *   He (Kaiming normal, fan_in, ReLU gain): w ~ N(0, 2/fan_in), biases 0.
 *   PyTorch default (Linear/Conv2d reset_parameters): kaiming_uniform(a = sqrt(5)) gives the bound
 *   gain*sqrt(3/fan_in) with gain = sqrt(2/(1+5)), i.e. 1/sqrt(fan_in); biases use the same bound.
 * Draws come from the caller's rng in array order, weights before biases. */
#include "layer.h"

#include <math.h>

void iw_init_weights(float *w, size_t n, int fan_in, iw_init init, iw_rng *rng)
{
    if (init == IW_INIT_HE) {
        double std = sqrt(2.0 / (double)fan_in);
        for (size_t i = 0; i < n; i++) w[i] = (float)(std * iw_rng_normal(rng));
    } else {
        float bound = (float)(1.0 / sqrt((double)fan_in));
        for (size_t i = 0; i < n; i++) w[i] = (2.0f * iw_rng_uniform(rng) - 1.0f) * bound;
    }
}

void iw_init_biases(float *b, size_t n, int fan_in, iw_init init, iw_rng *rng)
{
    if (init == IW_INIT_HE) {
        for (size_t i = 0; i < n; i++) b[i] = 0.0f;
    } else {
        iw_init_weights(b, n, fan_in, IW_INIT_PYTORCH, rng);
    }
}
