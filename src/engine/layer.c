/* layer.c — what every layer kind shares: allocation and freeing of the layer struct, and the
 * standalone harness (plan + one arena per kind of memory) used by tests and composite layers.
 */
#include "layer.h"

#include <stdlib.h>
#include <string.h>

iw_layer *iw_layer_alloc(const iw_layer_ops *ops, size_t config_size)
{
    iw_layer *layer = calloc(1, sizeof *layer);
    if (!layer) return NULL;
    layer->ops = ops;
    if (config_size > 0) {
        layer->config = calloc(1, config_size);
        if (!layer->config) {
            free(layer);
            return NULL;
        }
    }
    return layer;
}

void iw_layer_free(iw_layer *layer)
{
    if (!layer) return;
    if (layer->ops && layer->ops->destroy)
        layer->ops->destroy(layer);
    else
        free(layer->config);
    free(layer);
}

/* Zeroed floats, or NULL for n = 0; *ok cleared on allocation failure. */
static float *alloc_floats(size_t n, int *ok)
{
    if (n == 0) return NULL;
    float *p = calloc(n, sizeof *p);
    if (!p) *ok = 0;
    return p;
}

int iw_layer_harness_create(iw_layer_harness *h, iw_layer *layer, iw_shape in, int max_batch, iw_error *err)
{
    memset(h, 0, sizeof *h);
    if (!layer) return iw_error_set(err, "layer harness: out of memory creating the layer");
    h->layer = layer;
    if (max_batch < 1) {
        iw_layer_harness_free(h);
        return iw_error_set(err, "layer harness: max_batch must be >= 1, got %d", max_batch);
    }
    if (layer->ops->plan(layer, in, max_batch, &h->sizes, err) != 0) {
        iw_error_prefix(err, "%s layer", layer->ops->kind);
        iw_layer_harness_free(h);
        return -1;
    }
    int ok = 1;
    h->params = alloc_floats(h->sizes.params, &ok);
    h->grads = alloc_floats(h->sizes.params, &ok);
    h->buffers = alloc_floats(h->sizes.buffers, &ok);
    h->saved = alloc_floats(h->sizes.saved, &ok);
    h->workspace = alloc_floats(h->sizes.workspace, &ok);
    if (!ok) {
        iw_layer_harness_free(h);
        return iw_error_set(err, "layer harness: out of memory");
    }
    layer->in = in;
    layer->out = h->sizes.out;
    layer->max_batch = max_batch;
    layer->params = h->params;
    layer->grads = h->grads;
    layer->n_params = h->sizes.params;
    layer->n_weights = h->sizes.weights;
    layer->positions = h->sizes.positions ? h->sizes.positions : (size_t)h->sizes.out.h * h->sizes.out.w;
    layer->buffers = h->buffers;
    layer->n_buffers = h->sizes.buffers;
    layer->saved = h->saved;
    return 0;
}

void iw_layer_harness_free(iw_layer_harness *h)
{
    if (!h) return;
    iw_layer_free(h->layer);
    free(h->params);
    free(h->grads);
    free(h->buffers);
    free(h->saved);
    free(h->workspace);
    memset(h, 0, sizeof *h);
}
