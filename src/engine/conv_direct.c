/* conv_direct.c — stride-1 convolution forward by direct summation over the kernel taps, for
 * layers with few input channels (the first layer: 9 or 27 taps per output, where im2col + sgemm
 * spends its time copying), and the first layer's 3x3 weight gradient. NCHW, weights
 * (Cout, Cin, k, k), zero padding `pad`.
 *
 * Vector paths: the forward is conv_direct_avx2.c's on both (one fused multiply-add chain per
 * output from the bias, taps in the order ci, ky, kx); the weight gradient has an AVX-512 and an
 * AVX2 kernel (conv_direct_avx512.c, conv_direct_avx2.c) that give the same bits. The plain C
 * forward here sums the same taps with separate multiplies and adds; without a vector path the
 * weight gradient is left to conv2d.c's im2col backward. A fused ReLU (cfg->relu) is applied as
 * the outputs are stored, and its mask as the weight-gradient kernels read dy.
 */
#include "conv.h"

static void direct_portable(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                            const float *bias, const float *x, float *y)
{
    const int k = c->kernel, pad = c->pad, H = in.h, W = in.w, Ho = out.h, Wo = out.w;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out), P = (size_t)Ho * Wo;
    for (int j = 0; j < batch; j++)
        for (int co = 0; co < c->out_channels; co++) {
            float *yp = y + j * out_size + co * P;
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    float sum = bias[co];
                    for (int ci = 0; ci < in.c; ci++) {
                        const float *xp = x + j * in_size + (size_t)ci * H * W;
                        const float *w = Wt + ((size_t)co * in.c + ci) * k * k;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy + ky - pad;
                            if (iy < 0 || iy >= H) continue;
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox + kx - pad;
                                if (ix >= 0 && ix < W) sum += w[ky * k + kx] * xp[(size_t)iy * W + ix];
                            }
                        }
                    }
                    yp[(size_t)oy * Wo + ox] = c->relu && !(sum > 0.0f) ? 0.0f : sum;
                }
        }
}

#define MAX_K 16 /* wider kernels take the plain C forward (conv2d.c sends at most 27 taps per output) */

int iw_conv_direct_backward_weights(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch,
                                    const float *x, const float *y, const float *dy, float *dW, float *db)
{
    if (c->kernel != 3 || c->stride != 1) return 0;
    switch (iw_engine_isa()) {
    case IW_ISA_AVX512: iw_conv_direct_weights3_avx512(c, in, out, batch, x, y, dy, dW, db); return 1;
    case IW_ISA_AVX2: iw_conv_direct_weights3_avx2(c, in, out, batch, x, y, dy, dW, db); return 1;
    default: return 0;
    }
}

void iw_conv_direct_forward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                            const float *bias, const float *x, float *y)
{
    /* both vector paths take the AVX2 kernel: its three chains side by side beat the AVX-512
     * kernel's one (0.022 against 0.033 ms per example for the CNN's first layer on Zen 4), with
     * the same bits */
    if (iw_engine_isa() != IW_ISA_PORTABLE && c->kernel <= MAX_K)
        iw_conv_direct_forward_avx2(c, in, out, batch, Wt, bias, x, y);
    else
        direct_portable(c, in, out, batch, Wt, bias, x, y);
}
