/* model_resnet.c — a small ResNet (He et al. 2016, CIFAR style) for the paper's second
 * architecture:
 *   conv3x3(c0, pad 1) bn? relu
 *   stage 1: 2 basic blocks of c1 channels, stride 1
 *   stage 2: 2 basic blocks of c2 channels, the first with stride 2
 *   stage 3: 2 basic blocks of c3 channels, the first with stride 2
 *   global average pooling, dense(n_classes)
 * Defaults c = 64, 64, 128, 256 (cfg->channels overrides: [stem, s1, s2, s3]). Batch norm inside
 * the blocks and after the stem when cfg->batchnorm; no dropout (the paper's ResNet has none —
 * a dropout grid value other than 0 is refused rather than silently ignored).
 */
#include "layer.h"

static const int default_channels[4] = {64, 64, 128, 256};

int iw_model_build_resnet(iw_net *net, const iw_net_config *cfg, iw_error *err)
{
    const int *ch = default_channels;
    if (cfg->n_channels != 0) {
        if (cfg->n_channels != 4)
            return iw_error_set(err, "resnet: model.channels has %d widths, expected 4 "
                                "(stem, stage 1, stage 2, stage 3)", cfg->n_channels);
        ch = cfg->channels;
    }
    for (int i = 0; i < 4; i++)
        if (ch[i] < 1) return iw_error_set(err, "resnet: width %d is %d, expected >= 1", i, ch[i]);
    if (cfg->dropout != 0.0f)
        return iw_error_set(err, "resnet: dropout %g requested, but the ResNet has no dropout layers "
                            "(use dropout: [0])", (double)cfg->dropout);
    if (cfg->input.h < 4 || cfg->input.w < 4)
        return iw_error_set(err, "resnet: input %dx%d is too small (need at least 4x4)", cfg->input.h,
                            cfg->input.w);

    if (iw_net_append(net, iw_layer_conv2d_new(ch[0], 3, 1, 1), err)) return -1;
    if (cfg->batchnorm && iw_net_append(net, iw_layer_batchnorm_new(), err)) return -1;
    if (iw_net_append(net, iw_layer_relu_new(), err)) return -1;
    for (int stage = 1; stage <= 3; stage++)
        for (int block = 0; block < 2; block++) {
            int stride = stage > 1 && block == 0 ? 2 : 1;
            if (iw_net_append(net, iw_layer_resblock_new(ch[stage], stride, cfg->batchnorm), err)) return -1;
        }
    if (iw_net_append(net, iw_layer_global_avgpool_new(), err)) return -1;
    return iw_net_append(net, iw_layer_dense_new(cfg->n_classes), err);
}
