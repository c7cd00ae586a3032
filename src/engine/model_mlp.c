/* model_mlp.c — the linear model and the MLP, in PyTorch's layer order:
 *   linear:  dense(K)
 *   mlp:     [dense(h), batchnorm (if cfg->batchnorm), relu, dropout (if cfg->dropout > 0)]
 *            for each hidden width h, then dense(K). */
#include "layer.h"

int iw_model_build_mlp(iw_net *net, const iw_net_config *cfg, iw_error *err)
{
    if (cfg->kind == IW_MODEL_MLP) {
        if (cfg->n_hidden < 0 || cfg->n_hidden > IW_MAX_HIDDEN)
            return iw_error_set(err, "mlp: %d hidden layers, expected 0..%d", cfg->n_hidden, IW_MAX_HIDDEN);
        if (cfg->dropout < 0.0f || cfg->dropout >= 1.0f)
            return iw_error_set(err, "mlp: dropout %g, expected a probability in [0, 1)", (double)cfg->dropout);
        for (int i = 0; i < cfg->n_hidden; i++) {
            if (cfg->hidden[i] < 1)
                return iw_error_set(err, "mlp: hidden layer %d has width %d, expected >= 1", i, cfg->hidden[i]);
            if (iw_net_append(net, iw_layer_dense_new(cfg->hidden[i]), err)) return -1;
            if (cfg->batchnorm && iw_net_append(net, iw_layer_batchnorm_new(), err)) return -1;
            if (iw_net_append(net, iw_layer_relu_new(), err)) return -1;
            if (cfg->dropout > 0.0f && iw_net_append(net, iw_layer_dropout_new(cfg->dropout), err)) return -1;
        }
    }
    return iw_net_append(net, iw_layer_dense_new(cfg->n_classes), err);
}
