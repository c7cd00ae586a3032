/* sgd.c — the optimiser's inner loop over a flat range of parameters (it never sees a layer).
 * PyTorch's torch.optim.SGD (dampening 0, no Nesterov), in float32 in the same order of
 * operations:  g' = g + l2*p;  v = momentum*v + g';  p -= lr*v.  With momentum 0 PyTorch keeps no
 * buffer and steps p -= lr*g'; we do the same and leave v untouched. On the first step PyTorch sets
 * v = g'; with v zeroed by iw_net_init, momentum*0 + g' is the same value. */
#include "layer.h"

/* The loops run in blocks of 16 so that GCC's -O2 vectoriser (cheap cost model: fixed trip
 * counts only) vectorises them; the arithmetic per element is unchanged. */
void iw_sgd_update(float *restrict p, const float *restrict g, float *restrict v, size_t n, float lr,
                   float momentum, float l2)
{
    size_t i = 0, nb = n & ~(size_t)15;
    if (momentum == 0.0f) {
        for (; i < nb; i += 16)
            for (int k = 0; k < 16; k++) p[i + k] -= lr * (g[i + k] + l2 * p[i + k]);
        for (; i < n; i++) p[i] -= lr * (g[i] + l2 * p[i]);
        return;
    }
    for (; i < nb; i += 16)
        for (int k = 0; k < 16; k++) {
            v[i + k] = momentum * v[i + k] + (g[i + k] + l2 * p[i + k]);
            p[i + k] -= lr * v[i + k];
        }
    for (; i < n; i++) {
        v[i] = momentum * v[i] + (g[i] + l2 * p[i]);
        p[i] -= lr * v[i];
    }
}
