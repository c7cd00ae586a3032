/* test_engine_torch.c — the engine's MLP against PyTorch 1.13 (tests/fixtures/mlp_torch.bin, made by
 * tests/fixtures/gen_mlp_fixture.py, which documents the format and the cases).
 *
 * For each case (normalize=weights, normalize=batch, and dropout with PyTorch's masks fed to our
 * dropout layers): the same initial parameters are copied into the engine; the first training
 * forward's logits, the loss and every parameter gradient must match PyTorch to a relative error
 * (per tensor, ||ours - torch|| / ||torch||) below 1e-4; then 10 SGD steps (momentum 0.9, L2 1e-3
 * on the weights) must give the same loss trace, the same final parameters and batch-norm running
 * statistics, and the same evaluation logits (which use the running statistics).
 *
 * IW_TORCH_FIXTURE=FILE reads another fixture file (tests/integration/test_harness.sh feeds one
 * whose loss trace has the wrong length, which must fail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#include "engine/layer.h"
#include "test.h"
#include "torch_fixture.h"

#define TOL 1e-4

static torch_fixture fixture;
static double worst; /* largest relative difference seen in the current case */

#define find(...) torch_fixture_expect(&fixture, __VA_ARGS__)

static double norm(const float *a, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return sqrt(s);
}

/* ||a - b|| / max(||b||, floor) (b = PyTorch). The floor matters for a dense bias followed by batch
 * norm: its exact gradient is 0 (the mean subtraction removes it) and both sides hold rounding noise
 * (~1e-8), so it is measured against the size of the same layer's weight gradient instead. */
static double rel_diff(const float *a, const float *b, size_t n, double floor)
{
    double d = 0.0;
    for (size_t i = 0; i < n; i++) d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(d) / fmax(fmax(norm(b, n), floor), 1e-12);
}

static void expect_tensor_floor(const char *what, const float *ours, const torch_record *ref, size_t n, double floor)
{
    if (!ref) return;
    EXPECT(ref->n == n, "%s: fixture has %zu values, engine %zu", what, ref->n, n);
    if (ref->n != n) return;
    double r = rel_diff(ours, ref->data, n, floor);
    if (r > worst) worst = r;
    EXPECT(r < TOL, "%s: relative difference %.3g (first values: ours %.8g, torch %.8g)", what, r,
           (double)ours[0], (double)ref->data[0]);
}

static void expect_tensor(const char *what, const float *ours, const torch_record *ref, size_t n)
{
    expect_tensor_floor(what, ours, ref, n, 0.0);
}

/* The torch layer index of the k-th parameterised layer of the model without dropout. */
static const int init_layers[] = {0, 1, 3, 4, 6};

static void run_case(const char *prefix, iw_normalize normalize, int dropout)
{
    const torch_record *config = find("config");
    if (!config) return;
    int IN = (int)config->data[0], H1 = (int)config->data[1], H2 = (int)config->data[2];
    int K = (int)config->data[3], B = (int)config->data[4], STEPS = (int)config->data[5];
    float lr = config->data[6], momentum = config->data[7], l2 = config->data[8];
    float p_drop = config->data[9];
    iw_net_config cfg = {.kind = IW_MODEL_MLP, .input = {IN, 1, 1}, .n_classes = K, .hidden = {H1, H2},
                         .n_hidden = 2, .batchnorm = 1, .dropout = dropout ? p_drop : 0.0f,
                         .init = IW_INIT_PYTORCH, .max_batch = B};
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    EXPECT(net != NULL, "%s", err.message);
    if (!net) return;
    worst = 0.0;
    iw_rng rng;
    iw_rng_seed(&rng, 0, IW_STREAM_INIT);
    iw_net_init(net, &rng); /* then overwritten by PyTorch's parameters; sets running stats */
    int n_layers = iw_net_layer_count(net), k = 0;
    EXPECT(n_layers == (dropout ? 9 : 7), "%d layers", n_layers);
    for (int i = 0; i < n_layers; i++) {
        iw_layer *l = iw_net_layer(net, i);
        if (!l->n_params) continue;
        const torch_record *w = find("init.%d.weight", init_layers[k]), *b = find("init.%d.bias", init_layers[k]);
        k++;
        if (!w || !b) return;
        EXPECT(w->n + b->n == l->n_params, "layer %d: %zu + %zu params vs %zu", i, w->n,
               b->n, l->n_params);
        if (w->n + b->n != l->n_params) return;
        /* engine layout: [weights (dense: (out, in) row-major as PyTorch) | rest], i.e. weight then bias */
        memcpy(l->params, w->data, w->n * sizeof(float));
        memcpy(l->params + w->n, b->data, b->n * sizeof(float));
    }
    const torch_record *x = find("x"), *y = find("y"), *wt = find("w");
    if (!x || !y || !wt) return;
    iw_loss loss_fn;
    iw_loss_init(&loss_fn, IW_LOSS_CROSS_ENTROPY, normalize);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)STEPS * B);
    for (int i = 0; i < STEPS * B; i++) labels[i] = (int32_t)y->data[i];
    char what[128];
    for (int s = 0; s < STEPS; s++) {
        if (dropout)
            for (int i = 0; i < n_layers; i++)
                if (strcmp(iw_net_layer(net, i)->ops->kind, "dropout") == 0) {
                    const torch_record *m = find("%smask.%d.%d", prefix, s, i);
                    if (!m || m->n != (size_t)B * iw_shape_size(iw_net_layer(net, i)->in)) {
                        EXPECT(0, "mask %d.%d missing or of the wrong size", s, i);
                        goto done;
                    }
                    iw_layer_dropout_use_mask(iw_net_layer(net, i), m->data);
                }
        const float *logits = iw_net_forward(net, x->data + (size_t)s * B * IN, B, 1, &rng);
        if (s == 0) {
            snprintf(what, sizeof what, "%slogits", prefix);
            expect_tensor(what, logits, find("%slogits", prefix), (size_t)B * K);
        }
        double loss = iw_net_backward(net, labels + s * B, wt->data + (size_t)s * B, &loss_fn);
        const torch_record *trace = find("%strace", prefix);
        if (!trace || (int)trace->n != STEPS) {
            EXPECT(0, "%strace missing or of length %d, expected %d", prefix, trace ? (int)trace->n : -1, STEPS);
            goto done;
        }
        worst = fmax(worst, fabs(loss - trace->data[s]) / fabs(trace->data[s]));
        EXPECT(fabs(loss - trace->data[s]) <= TOL * fabs(trace->data[s]),
                   "%s step %d: loss %.8g, torch %.8g", prefix, s, loss, (double)trace->data[s]);
        if (s == 0) {
            const torch_record *l0 = find("%sloss0", prefix);
            if (l0) EXPECT_CLOSE(loss, l0->data[0], TOL);
            for (int i = 0; i < n_layers; i++) {
                iw_layer *l = iw_net_layer(net, i);
                if (!l->n_params) continue;
                const torch_record *gw = find("%sgrad.%d.weight", prefix, i), *gb = find("%sgrad.%d.bias", prefix, i);
                if (!gw || !gb) continue;
                snprintf(what, sizeof what, "%sgrad of layer %d (%s) weight", prefix, i, l->ops->kind);
                expect_tensor(what, l->grads, gw, gw->n);
                snprintf(what, sizeof what, "%sgrad of layer %d (%s) bias", prefix, i, l->ops->kind);
                expect_tensor_floor(what, l->grads + gw->n, gb, gb->n, norm(gw->data, gw->n));
            }
        }
        iw_net_sgd_step(net, lr, momentum, l2);
    }
    for (int i = 0; i < n_layers; i++) {
        iw_layer *l = iw_net_layer(net, i);
        if (!l->n_params) continue;
        const torch_record *fw = find("%sfinal.%d.weight", prefix, i), *fb = find("%sfinal.%d.bias", prefix, i);
        if (!fw || !fb) continue;
        snprintf(what, sizeof what, "%sfinal layer %d (%s) weight", prefix, i, l->ops->kind);
        expect_tensor(what, l->params, fw, fw->n);
        snprintf(what, sizeof what, "%sfinal layer %d (%s) bias", prefix, i, l->ops->kind);
        expect_tensor(what, l->params + fw->n, fb, fb->n);
        if (l->n_buffers) {
            size_t c = l->n_buffers / 2;
            snprintf(what, sizeof what, "%sfinal layer %d running_mean", prefix, i);
            expect_tensor(what, l->buffers, find("%sfinal.%d.running_mean", prefix, i), c);
            snprintf(what, sizeof what, "%sfinal layer %d running_var", prefix, i);
            expect_tensor(what, l->buffers + c, find("%sfinal.%d.running_var", prefix, i), c);
        }
    }
    const float *eval = iw_net_forward(net, x->data, B, 0, NULL);
    snprintf(what, sizeof what, "%seval_logits", prefix);
    expect_tensor(what, eval, find("%seval_logits", prefix), (size_t)B * K);
    printf("# %s worst relative difference to PyTorch: %.2g\n", prefix, worst);
done:
    free(labels);
    iw_net_free(net);
}

static void test_torch_mlp_normalize_weights(void) { run_case("W.", IW_NORMALIZE_WEIGHTS, 0); }
static void test_torch_mlp_normalize_batch(void) { run_case("B.", IW_NORMALIZE_BATCH, 0); }
static void test_torch_mlp_dropout_fed_masks(void) { run_case("D.", IW_NORMALIZE_WEIGHTS, 1); }

int main(void)
{
    const char *root = getenv("ROOT"), *given = getenv("IW_TORCH_FIXTURE");
    char path[4096];
    if (given && *given) snprintf(path, sizeof path, "%s", given);
    else snprintf(path, sizeof path, "%s/tests/fixtures/mlp_torch.bin", root ? root : ".");
    if (torch_fixture_load(path, &fixture) != 0) {
        printf("not ok - load_fixture\n");
        return 1;
    }
    printf("ok - load_fixture (%d records)\n", fixture.n);
    RUN_TEST(test_torch_mlp_normalize_weights);
    RUN_TEST(test_torch_mlp_normalize_batch);
    RUN_TEST(test_torch_mlp_dropout_fed_masks);
    torch_fixture_free(&fixture);
    return test_exit_code();
}
