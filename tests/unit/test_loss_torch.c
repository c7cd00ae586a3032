/* test_loss_torch.c — the engine's losses against PyTorch 1.13 (tests/fixtures/loss_torch.bin, made
 * by tests/fixtures/gen_loss_fixture.py, which writes each loss from its paper's definition and
 * documents the records).
 *
 * Part 1: for cross-entropy, poly (alpha 1 and 2), LDAM and logit-adjusted, on a 2-class batch
 * built from chosen margins (both sides of 1, |v| up to 1e5, logits offset by up to +-60) and a
 * 3-class batch, with imbalanced class counts, zero weights and the three normalisations: the batch
 * loss and dL/dlogits must match PyTorch's autograd to a relative error (||ours - torch|| /
 * ||torch||) below 1e-4, and so must the evaluation helper (weighted sum / normaliser).
 * Part 2: a small MLP (20-16-12-2, no batch norm) trained 10 SGD steps (momentum 0.9, L2 1e-3) with
 * each loss from PyTorch's initial parameters: the loss of every step, the step-0 gradient of every
 * layer and the final parameters must match to the same bound.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layer.h"
#include "test.h"

#include "torch_fixture.h"

static torch_fixture fixture;

#define find(...) torch_fixture_expect(&fixture, __VA_ARGS__)

#define TOL 1e-4

static const char *const normalize_names[] = {"weights", "batch", "dataset"};

static double rel_diff(const float *ours, const float *ref, size_t n)
{
    double d = 0.0, r = 0.0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)ours[i] - ref[i]) * ((double)ours[i] - ref[i]);
        r += (double)ref[i] * ref[i];
    }
    return sqrt(d) / fmax(sqrt(r), 1e-30);
}

/* A descriptor from a fixture's [kind, alpha, max_margin, scale, tau, ...] and class counts. */
static int descriptor(iw_loss *loss, const torch_record *params, iw_normalize normalize, const torch_record *counts,
                      double weight_mean, const char *what)
{
    iw_loss_init(loss, (iw_loss_kind)params->data[0], normalize);
    loss->poly_alpha = params->data[1];
    loss->ldam_max_margin = params->data[2];
    loss->ldam_scale = params->data[3];
    loss->la_tau = params->data[4];
    loss->weight_mean = weight_mean;
    int64_t n[IW_LOSS_MAX_CLASSES];
    for (uint32_t k = 0; k < counts->n && k < IW_LOSS_MAX_CLASSES; k++) n[k] = (int64_t)counts->data[k];
    iw_error err;
    int rc = iw_loss_set_class_counts(loss, n, (int)counts->n, &err);
    EXPECT(rc == 0, "%s: %s", what, err.message);
    return rc;
}

static void loss_case(const char *name)
{
    const torch_record *params = find("%s.params", name);
    if (!params) return;
    int K = (int)params->data[5];
    const char *prefix = K == 2 ? "L2." : "L3.";
    const torch_record *z = find("%slogits", prefix), *y = find("%sy", prefix), *w = find("%sw", prefix);
    const torch_record *counts = find("%scounts", prefix), *mean = find("%sweight_mean", prefix);
    if (!z || !y || !w || !counts || !mean) return;
    int B = (int)y->n;
    int32_t labels[64];
    float dz[64 * 3];
    EXPECT(B <= 64 && z->n == (uint32_t)(B * K), "%s: %d examples of %d logits", name, B, K);
    if (B > 64 || z->n != (uint32_t)(B * K)) return;
    for (int i = 0; i < B; i++) labels[i] = (int32_t)y->data[i];
    double worst = 0.0;
    for (int nz = 0; nz < 3; nz++) {
        char what[96];
        snprintf(what, sizeof what, "%s normalize=%s", name, normalize_names[nz]);
        iw_loss loss;
        if (descriptor(&loss, params, (iw_normalize)nz, counts, mean->data[0], what)) return;
        const torch_record *value = find("%s.%s.value", name, normalize_names[nz]);
        const torch_record *grad = find("%s.%s.dlogits", name, normalize_names[nz]);
        if (!value || !grad) return;
        double L = iw_loss_compute(&loss, z->data, B, K, labels, w->data, dz);
        double r = fabs(L - value->data[0]) / fabs(value->data[0]);
        EXPECT(r < TOL, "%s: loss %.9g, torch %.9g", what, L, (double)value->data[0]);
        worst = fmax(worst, r);
        r = rel_diff(dz, grad->data, (size_t)B * K);
        EXPECT(r < TOL, "%s: dlogits relative difference %.3g", what, r);
        worst = fmax(worst, r);
        /* the evaluation side: the weighted sum over the batch, divided by the normaliser */
        double wsum = 0.0;
        for (int i = 0; i < B; i++) wsum += w->data[i];
        double E = iw_loss_weighted_sum(&loss, z->data, B, K, labels, w->data) / iw_loss_normalizer(&loss, wsum, B);
        EXPECT(fabs(E - value->data[0]) < TOL * fabs(value->data[0]), "%s: evaluation %.9g, torch %.9g", what, E,
               (double)value->data[0]);
    }
    printf("# %s: worst relative difference to PyTorch %.2g\n", name, worst);
}

static void test_torch_cross_entropy(void) { loss_case("ce2"); loss_case("ce3"); }
static void test_torch_poly(void) { loss_case("poly1"); loss_case("poly2"); }
static void test_torch_ldam(void) { loss_case("ldam2"); loss_case("ldam3"); }
static void test_torch_logit_adjusted(void) { loss_case("la2"); loss_case("la3"); }

/* Compares a flat vector in engine order (per dense layer: weight, bias) layer by layer. */
static void expect_layers(iw_net *net, const float *ours, const torch_record *ref, const char *what, double *worst)
{
    EXPECT(ref->n == iw_net_param_count(net), "%s: fixture has %zu values, engine %zu", what, ref->n,
           iw_net_param_count(net));
    if (ref->n != iw_net_param_count(net)) return;
    size_t off = 0;
    for (int i = 0; i < iw_net_layer_count(net); i++) {
        iw_layer *l = iw_net_layer(net, i);
        if (!l->n_params) continue;
        size_t parts[2] = {l->n_weights, l->n_params - l->n_weights}; /* weight, bias */
        for (int p = 0; p < 2; p++) {
            double r = rel_diff(ours + off, ref->data + off, parts[p]);
            EXPECT(r < TOL, "%s: layer %d %s: relative difference %.3g", what, i, p ? "bias" : "weight", r);
            *worst = fmax(*worst, r);
            off += parts[p];
        }
    }
}

static void trace_case(const char *name)
{
    const torch_record *config = find("T.config"), *x = find("T.x"), *y = find("T.y"), *w = find("T.w");
    const torch_record *counts = find("T.counts"), *mean = find("T.weight_mean"), *init = find("T.init");
    const torch_record *params = find("%s.params", name), *trace = find("%s.trace", name);
    const torch_record *grad0 = find("%s.grad0", name), *final = find("%s.final", name);
    if (!config || !x || !y || !w || !counts || !mean || !init || !params || !trace || !grad0 || !final) return;
    int IN = (int)config->data[0], H1 = (int)config->data[1], H2 = (int)config->data[2];
    int K = (int)config->data[3], B = (int)config->data[4], STEPS = (int)config->data[5];
    float lr = config->data[6], momentum = config->data[7], l2 = config->data[8];
    iw_loss loss;
    if (descriptor(&loss, params, (iw_normalize)params->data[5], counts, mean->data[0], name)) return;
    iw_error err;
    EXPECT(iw_loss_check(&loss, K, &err) == 0, "%s: %s", name, err.message);
    iw_net_config cfg = {.kind = IW_MODEL_MLP, .input = {IN, 1, 1}, .n_classes = K, .hidden = {H1, H2},
                         .n_hidden = 2, .init = IW_INIT_PYTORCH, .max_batch = B};
    iw_net *net = iw_net_create(&cfg, &err);
    EXPECT(net != NULL, "%s", err.message);
    if (!net) return;
    int sizes_ok = init->n == iw_net_param_count(net) && (int)trace->n == STEPS && B <= 256 &&
                   y->n == (uint32_t)(STEPS * B) && w->n == y->n && x->n == y->n * (uint32_t)IN;
    EXPECT(sizes_ok, "%s: fixture sizes do not fit the config", name);
    if (!sizes_ok) {
        iw_net_free(net);
        return;
    }
    memcpy(iw_net_params(net), init->data, sizeof(float) * init->n);
    int32_t labels[256];
    double worst = 0.0;
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < B; i++) labels[i] = (int32_t)y->data[s * B + i];
        iw_net_forward(net, x->data + (size_t)s * B * IN, B, 1, NULL);
        double L = iw_net_backward(net, labels, w->data + (size_t)s * B, &loss);
        double r = fabs(L - trace->data[s]) / fabs(trace->data[s]);
        EXPECT(r < TOL, "%s step %d: loss %.9g, torch %.9g", name, s, L, (double)trace->data[s]);
        worst = fmax(worst, r);
        if (s == 0) expect_layers(net, iw_net_grads(net), grad0, "step-0 gradient", &worst);
        iw_net_sgd_step(net, lr, momentum, l2);
    }
    expect_layers(net, iw_net_params(net), final, "final parameters", &worst);
    printf("# %s: worst relative difference to PyTorch %.2g (loss %.4g -> %.4g)\n", name, worst,
           (double)trace->data[0], (double)trace->data[STEPS - 1]);
    iw_net_free(net);
}

static void test_torch_mlp_trace_cross_entropy(void) { trace_case("T.ce"); }
static void test_torch_mlp_trace_poly(void) { trace_case("T.poly1"); trace_case("T.poly2"); }
static void test_torch_mlp_trace_ldam(void) { trace_case("T.ldam"); }
static void test_torch_mlp_trace_logit_adjusted(void) { trace_case("T.la"); }

int main(void)
{
    const char *root = getenv("ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/loss_torch.bin", root ? root : ".");
    if (torch_fixture_load(path, &fixture) != 0) {
        printf("not ok - load_fixture\n");
        torch_fixture_free(&fixture);
        return 1;
    }
    printf("ok - load_fixture (%d records)\n", fixture.n);
    RUN_TEST(test_torch_cross_entropy);
    RUN_TEST(test_torch_poly);
    RUN_TEST(test_torch_ldam);
    RUN_TEST(test_torch_logit_adjusted);
    RUN_TEST(test_torch_mlp_trace_cross_entropy);
    RUN_TEST(test_torch_mlp_trace_poly);
    RUN_TEST(test_torch_mlp_trace_ldam);
    RUN_TEST(test_torch_mlp_trace_logit_adjusted);
    torch_fixture_free(&fixture);
    return test_exit_code();
}
