/* trajectory_flips.c — why a 10-step training case of test_conv_torch can leave PyTorch's trajectory:
 * the evidence behind conv.h's choice of F(2x2) Winograd for training.
 *
 * It trains the batch-norm CNN case of tests/fixtures/conv_torch.bin (cnn_bn1_dropout0 unless
 * another case is named: the paper's CNN with widths 8, 8, 16, 16, 16 / fc 32, 16 on 1x28x28, batch
 * 8, lr 0.02, importance weights) from the fixture's initial parameters with its 3x3 layers forced
 * to one algorithm and the engine on one kernel path, and prints per step the loss's distance to
 * PyTorch's, the number of ReLU inputs whose sign differs from the reference run's (F(2x2) on the
 * same path, the engine's choice), and the first such input (step, layer, its value in both runs);
 * then the final parameters' distance to PyTorch's (the test's bound is 1e-4 of the largest).
 * A run whose trajectory leaves PyTorch's by more than rounding shows where one ReLU decision
 * flipped first. Prints figures only; asserts nothing.
 *
 *   build/bench/trajectory_flips [case]      (run from the source folder: it reads the fixture)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conv.h"
#include "../tests/unit/torch_fixture.h"

#define FIXTURE "tests/fixtures/conv_torch.bin"
#define MAX_STEPS 16

static torch_fixture fixture_;

static const torch_record *find(const char *c, const char *a)
{
    char name[160];
    snprintf(name, sizeof name, "%s/%s", c, a);
    const torch_record *r = torch_fixture_find(&fixture_, name);
    if (!r) {
        fprintf(stderr, "trajectory_flips: %s has no %s\n", FIXTURE, name);
        exit(2);
    }
    return r;
}

typedef struct run {
    float loss[MAX_STEPS];
    int n_layers, relu_layer[IW_MAX_LAYERS]; /* layers whose outputs are ReLU outputs */
    float *relu_in[MAX_STEPS][IW_MAX_LAYERS]; /* the inputs of those ReLUs (their layer's input) */
    size_t n[IW_MAX_LAYERS];
    float *params;
    size_t n_params;
} run;

/* The CNN of gen_conv_fixture.py with batch norm: conv, bn, [pool], relu per block, then
 * dense, bn, relu twice and the last dense; every 3x3 conv forced to `alg`. */
static iw_net *cnn(int batch, iw_conv_algorithm alg, iw_error *err)
{
    const int ch[5] = {8, 8, 16, 16, 16}, fc[2] = {32, 16};
    iw_layer *layers[32];
    int n = 0;
    for (int i = 0; i < 5; i++) {
        layers[n] = iw_layer_conv2d_new(ch[i], 3, 1, 0);
        if (layers[n] && i > 0) iw_conv2d_set_algorithm(layers[n], alg);
        n++;
        layers[n++] = iw_layer_batchnorm_new();
        if (i == 1 || i == 4) layers[n++] = iw_layer_maxpool_new(2, 2);
        layers[n++] = iw_layer_relu_new();
    }
    for (int i = 0; i < 2; i++) {
        layers[n++] = iw_layer_dense_new(fc[i]);
        layers[n++] = iw_layer_batchnorm_new();
        layers[n++] = iw_layer_relu_new();
    }
    layers[n++] = iw_layer_dense_new(2);
    iw_net_config cfg = {.input = {1, 28, 28}, .n_classes = 2, .init = IW_INIT_PYTORCH, .max_batch = batch};
    return iw_net_create_from_layers(&cfg, layers, n, err);
}

static void train(const char *name, iw_conv_algorithm alg, iw_isa isa, run *R)
{
    const torch_record *meta = find(name, "meta"), *x = find("cnn_data", "x"), *labels = find("cnn_data", "labels");
    const torch_record *weights = find("cnn_data", "weights"), *p0 = find(name, "params0");
    const int steps = (int)labels->dims[0], B = (int)labels->dims[1];
    iw_engine_set_isa(isa);
    iw_error err;
    iw_net *net = cnn(B, alg, &err);
    if (!net || steps > MAX_STEPS || iw_net_param_count(net) != p0->n) {
        fprintf(stderr, "trajectory_flips: %s\n", net ? "the fixture's case does not fit" : err.message);
        exit(2);
    }
    iw_rng rng;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_net_init(net, &rng);
    memcpy(iw_net_params(net), p0->data, sizeof(float) * p0->n);
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_WEIGHTS);
    R->n_layers = iw_net_layer_count(net);
    for (int i = 0; i < R->n_layers; i++) {
        R->relu_layer[i] = strcmp(iw_net_layer(net, i)->ops->kind, "relu") == 0;
        R->n[i] = (size_t)B * iw_shape_size(iw_net_layer(net, i)->in);
    }
    const size_t xs = x->n / ((size_t)steps * B);
    int32_t y[64];
    for (int s = 0; s < steps; s++) {
        const float *xb = x->data + (size_t)s * B * xs;
        iw_net_forward(net, xb, B, 1, NULL);
        for (int i = 0; i < R->n_layers; i++) {
            if (!R->relu_layer[i]) continue;
            R->relu_in[s][i] = malloc(sizeof(float) * R->n[i]);
            memcpy(R->relu_in[s][i], iw_net_activation(net, i - 1), sizeof(float) * R->n[i]); /* the ReLU's input */
        }
        for (int b = 0; b < B; b++) y[b] = (int32_t)labels->data[s * B + b];
        R->loss[s] = (float)iw_net_backward(net, y, weights->data + s * B, &loss);
        iw_net_sgd_step(net, meta->data[0], 0.0f, 0.0f);
    }
    R->n_params = iw_net_param_count(net);
    R->params = malloc(sizeof(float) * R->n_params);
    memcpy(R->params, iw_net_params(net), sizeof(float) * R->n_params);
    iw_net_free(net);
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "cnn_bn1_dropout0";
    if (torch_fixture_load(FIXTURE, &fixture_) != 0) {
        fprintf(stderr, "trajectory_flips: cannot read %s (run from the source folder)\n", FIXTURE);
        return 2;
    }
    const torch_record *tl = find(name, "loss"), *tp = find(name, "params");
    const int steps = (int)tl->n;
    const iw_isa best = iw_engine_isa_best();
    struct {
        const char *label;
        iw_conv_algorithm alg;
        iw_isa isa;
    } cf[] = {
        {"F(2x2), the engine's choice", IW_CONV_WINOGRAD, best},
        {"im2col (exact algorithm)", IW_CONV_IM2COL, best},
        {"F(4x4)", IW_CONV_WINOGRAD4, best},
        {"im2col, portable path (OpenBLAS)", IW_CONV_IM2COL, IW_ISA_PORTABLE},
        {"F(4x4), portable path", IW_CONV_WINOGRAD4, IW_ISA_PORTABLE},
    };
    const int n_cf = (int)(sizeof cf / sizeof cf[0]);
    run *R = calloc((size_t)n_cf, sizeof *R);
    for (int r = 0; r < n_cf; r++) train(name, cf[r].alg, cf[r].isa, &R[r]);
    printf("trajectory_flips: case %s of %s, %d SGD steps; reference for ReLU signs: %s on the %s path\n", name,
           FIXTURE, steps, cf[0].label, iw_engine_isa_name(best));
    for (int r = 0; r < n_cf; r++) {
        double pmax = 0.0, pdiff = 0.0;
        for (size_t i = 0; i < R[r].n_params; i++) {
            pmax = fmax(pmax, fabs(tp->data[i]));
            pdiff = fmax(pdiff, fabs(R[r].params[i] - tp->data[i]));
        }
        printf("%-34s (%s path): final parameters %.2e of the largest from PyTorch's\n", cf[r].label,
               iw_engine_isa_name(cf[r].isa), pdiff / pmax);
        int first = 0;
        for (int s = 0; s < steps; s++) {
            long flips = 0;
            for (int i = 0; i < R[r].n_layers; i++) {
                if (!R[r].relu_layer[i]) continue;
                for (size_t k = 0; k < R[r].n[i]; k++) {
                    float a = R[r].relu_in[s][i][k], b = R[0].relu_in[s][i][k];
                    if ((a > 0.0f) == (b > 0.0f)) continue;
                    if (!first++)
                        printf("    first ReLU input of another sign: step %d, layer %d, value %.3g (reference %.3g)\n",
                               s, i, (double)a, (double)b);
                    flips++;
                }
            }
            printf("    step %d: loss %.8f, PyTorch %.8f, relative %.1e; %ld ReLU inputs of another sign\n", s,
                   (double)R[r].loss[s], (double)tl->data[s], fabs(R[r].loss[s] - tl->data[s]) / fabs(tl->data[s]),
                   flips);
        }
    }
    return 0;
}
