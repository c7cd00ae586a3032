/* model_cnn.c — the paper's CNN (Byrd & Lipton 2019), adapted to the input shape:
 *   [conv3x3(c0) bn? relu] [conv3x3(c1) bn? relu] maxpool2
 *   [conv3x3(c2) bn? relu] [conv3x3(c3) bn? relu] [conv3x3(c4) bn? relu] maxpool2
 *   [dense(f0) bn? relu dropout?] [dense(f1) bn? relu dropout?] dense(n_classes)
 * No padding (1x28x28 -> 64x3x3 before the dense layers, 3x32x32 -> 128x4x4); the first dense
 * layer flattens (c, h, w). Defaults c = 64, 64, 128, 128, 128 and f = 512, 128 (cfg->channels
 * and cfg->fc override them). Batch norm goes after each conv and hidden dense layer, before the
 * ReLU; dropout after the ReLU of the hidden dense layers only. Without batch norm each conv, its
 * ReLU and the pooling after it are one layer (iw_layer_conv2d_relu_new, _relu_pool_new: the ReLU
 * and the pooling applied as the conv writes its output, their gradient built as it reads its
 * gradient; the same values and gradients as the three layers). With batch norm, where a
 * pooling follows, the ReLU is applied after it: max pooling commutes with ReLU (same outputs,
 * same gradients, ties included, since both are monotone and zero gradient flows where the maximum
 * is <= 0), and the ReLU then touches a quarter of the values.
 */
#include "layer.h"

static const int default_channels[5] = {64, 64, 128, 128, 128};
static const int default_fc[2] = {512, 128};

int iw_model_build_cnn(iw_net *net, const iw_net_config *cfg, iw_error *err)
{
    const int *ch = default_channels, *fc = default_fc;
    int n_fc = 2;
    if (cfg->n_channels != 0) {
        if (cfg->n_channels != 5)
            return iw_error_set(err, "cnn: model.channels has %d widths, expected 5 (one per conv layer)",
                                cfg->n_channels);
        ch = cfg->channels;
    }
    if (cfg->n_fc != 0) {
        if (cfg->n_fc < 1 || cfg->n_fc > 4)
            return iw_error_set(err, "cnn: model.fc has %d widths, expected 1 to 4", cfg->n_fc);
        fc = cfg->fc;
        n_fc = cfg->n_fc;
    }
    for (int i = 0; i < 5; i++)
        if (ch[i] < 1) return iw_error_set(err, "cnn: conv layer %d has %d channels, expected >= 1", i, ch[i]);
    for (int i = 0; i < n_fc; i++)
        if (fc[i] < 1) return iw_error_set(err, "cnn: fully connected layer %d has width %d, expected >= 1", i, fc[i]);
    if (cfg->dropout < 0.0f || cfg->dropout >= 1.0f)
        return iw_error_set(err, "cnn: dropout %g, expected a probability in [0, 1)", (double)cfg->dropout);
    /* five valid 3x3 convs and two 2x2 pools: side -> ((side - 4) / 2 - 6) / 2 must stay >= 1 */
    int min_side = cfg->input.h < cfg->input.w ? cfg->input.h : cfg->input.w;
    if (min_side < 18)
        return iw_error_set(err, "cnn: input %dx%d is too small for five unpadded 3x3 convolutions and "
                            "two 2x2 poolings (need at least 18x18)", cfg->input.h, cfg->input.w);

    for (int i = 0; i < 5; i++) {
        const int pool = i == 1 || i == 4;
        if (!cfg->batchnorm) {
            iw_layer *conv = pool ? iw_layer_conv2d_relu_pool_new(ch[i], 3, 1, 0) : iw_layer_conv2d_relu_new(ch[i], 3, 1, 0);
            if (iw_net_append(net, conv, err)) return -1;
            continue;
        }
        if (iw_net_append(net, iw_layer_conv2d_new(ch[i], 3, 1, 0), err)) return -1;
        if (iw_net_append(net, iw_layer_batchnorm_new(), err)) return -1;
        /* relu(maxpool(x)) == maxpool(relu(x)), gradients included; the ReLU then sees 4x less */
        if (pool && iw_net_append(net, iw_layer_maxpool_new(2, 2), err)) return -1;
        if (iw_net_append(net, iw_layer_relu_new(), err)) return -1;
    }
    for (int i = 0; i < n_fc; i++) {
        if (iw_net_append(net, iw_layer_dense_new(fc[i]), err)) return -1;
        if (cfg->batchnorm && iw_net_append(net, iw_layer_batchnorm_new(), err)) return -1;
        if (iw_net_append(net, iw_layer_relu_new(), err)) return -1;
        if (cfg->dropout > 0.0f && iw_net_append(net, iw_layer_dropout_new(cfg->dropout), err)) return -1;
    }
    return iw_net_append(net, iw_layer_dense_new(cfg->n_classes), err);
}
