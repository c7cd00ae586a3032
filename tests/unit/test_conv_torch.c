/* test_conv_torch.c — the convolutional layers and models against PyTorch 1.13 reference values
 * (tests/fixtures/conv_torch.bin, written by tests/fixtures/gen_conv_fixture.py; its docstring
 * gives the format and the cases).
 *
 * Each layer case runs one training-mode forward and backward and compares y, dx, the parameter
 * gradients and (batch norm inside residual blocks) the running statistics; 3x3 stride-1
 * convolutions run with every algorithm (im2col, Winograd F(2x2) and F(4x4)). Each training case runs 10 SGD steps of the CNN or the
 * ResNet with importance weights != 1 (dropout masks taken from the fixture) and compares every
 * step's loss, the final parameters and the final running statistics (so they run with the
 * engine's choice of algorithms: F(2x2) Winograd for the 3x3 layers; F(4x4), which the evaluation
 * forward takes, is checked here on the layer cases).
 * "Relative error" here is max|engine - torch| / max|torch| over each array; the bound is 1e-4.
 * Every case runs on each kernel path the CPU has (portable, AVX2+FMA, AVX-512: iw_engine_set_isa);
 * a path it lacks is a skip.
 */
#include "engine/conv.h"
#include "test.h"
#include "torch_fixture.h"

#include <stdint.h>
#include <string.h>

#define FIXTURE "tests/fixtures/conv_torch.bin"
#define TOL 1e-4

static torch_fixture fixture;

static const torch_record *find(const char *case_name, const char *array)
{
    char name[160];
    snprintf(name, sizeof name, "%s/%s", case_name, array);
    return torch_fixture_find(&fixture, name);
}

static const torch_record *need(const char *case_name, const char *array)
{
    const torch_record *r = find(case_name, array);
    EXPECT(r != NULL, "fixture has %s/%s", case_name, array);
    return r;
}

/* max|a - b| <= TOL * max|b| */
static void expect_close(const char *what, const char *array, const float *a, const torch_record *b, size_t n)
{
    if (!b) return;
    EXPECT(b->n == n, "%s/%s: engine has %zu values, fixture %zu", what, array, n, b->n);
    if (b->n != n) return;
    double maxabs = 0.0, maxdiff = 0.0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        maxabs = fmax(maxabs, fabs(b->data[i]));
        double d = fabs((double)a[i] - b->data[i]);
        if (d > maxdiff || d != d) {
            maxdiff = d;
            worst = i;
        }
    }
    EXPECT(maxdiff <= TOL * maxabs, "%s/%s: relative error %.3g (at %zu: %.8g vs torch %.8g)", what, array,
           maxabs > 0 ? maxdiff / maxabs : maxdiff, worst, (double)a[worst], (double)b->data[worst]);
}

/* One forward + backward of `layer` on the case's x and dy. */
static void layer_case(const char *name, iw_layer *layer)
{
    const torch_record *x = need(name, "x"), *dy = need(name, "dy"), *y = need(name, "y"), *dx = need(name, "dx");
    if (!x || !dy || !y || !dx || x->ndim != 4) {
        iw_layer_free(layer);
        return;
    }
    int batch = (int)x->dims[0];
    iw_shape in = {(int)x->dims[1], (int)x->dims[2], (int)x->dims[3]};
    iw_layer_harness h;
    iw_error err;
    if (iw_layer_harness_create(&h, layer, in, batch, &err)) {
        EXPECT(0, "%s: %s", name, err.message);
        return;
    }
    iw_rng rng;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    if (layer->ops->init) layer->ops->init(layer, IW_INIT_PYTORCH, &rng);
    const torch_record *params = find(name, "params");
    if (params) {
        EXPECT(params->n == h.sizes.params, "%s: %zu params, fixture %zu", name, h.sizes.params, params->n);
        if (params->n == h.sizes.params) memcpy(h.params, params->data, sizeof(float) * params->n);
    }
    size_t n_out = iw_shape_size(h.sizes.out) * batch;
    float *out = malloc(sizeof(float) * n_out), *din = malloc(sizeof(float) * x->n);
    iw_layer_ctx ctx = {batch, 1, NULL, h.workspace};
    layer->ops->forward(layer, &ctx, x->data, out);
    expect_close(name, "y", out, y, n_out);
    layer->ops->backward(layer, &ctx, x->data, out, dy->data, din);
    expect_close(name, "dx", din, dx, x->n);
    if (params) expect_close(name, "dparams", h.grads, find(name, "dparams"), h.sizes.params);
    const torch_record *buffers = find(name, "buffers");
    if (buffers) expect_close(name, "buffers", h.buffers, buffers, h.sizes.buffers);
    free(out);
    free(din);
    iw_layer_harness_free(&h);
}

static iw_layer *conv_with(int cout, int k, int s, int pad, iw_conv_algorithm alg)
{
    iw_layer *l = iw_layer_conv2d_new(cout, k, s, pad);
    if (l) iw_conv2d_set_algorithm(l, alg);
    return l;
}

static void test_conv_torch_conv2d(void)
{
    for (int alg = IW_CONV_AUTO; alg <= IW_CONV_WINOGRAD4; alg++) {
        layer_case("conv_3x3_s1_p0_cin3", conv_with(5, 3, 1, 0, alg));
        layer_case("conv_3x3_s1_p1_cin8", conv_with(6, 3, 1, 1, alg));
        layer_case("conv_3x3_s1_p0_cin16", conv_with(8, 3, 1, 0, alg));
    }
    layer_case("conv_3x3_s2_p1", iw_layer_conv2d_new(6, 3, 2, 1));
    layer_case("conv_1x1_s2", iw_layer_conv2d_new(4, 1, 2, 0));
}

static void test_conv_torch_pooling(void)
{
    layer_case("maxpool_2", iw_layer_maxpool_new(2, 2));
    layer_case("avgpool", iw_layer_global_avgpool_new());
}

static void test_conv_torch_resblock(void)
{
    layer_case("resblock_identity", iw_layer_resblock_new(8, 1, 0));
    layer_case("resblock_identity_bn", iw_layer_resblock_new(8, 1, 1));
    layer_case("resblock_projection", iw_layer_resblock_new(16, 2, 0));
    layer_case("resblock_projection_bn", iw_layer_resblock_new(16, 2, 1));
}

/* 10 SGD steps of a net against the fixture's losses and final parameters and statistics. */
static void train_case(const char *name, const char *data, iw_net_config *cfg)
{
    const torch_record *meta = need(name, "meta"), *x = need(data, "x"), *labels = need(data, "labels");
    const torch_record *weights = need(data, "weights"), *params0 = need(name, "params0"), *loss = need(name, "loss");
    if (!meta || !x || !labels || !weights || !params0 || !loss) return;
    const int steps = (int)labels->dims[0], batch = (int)labels->dims[1];
    const float lr = meta->data[0];
    iw_loss loss_fn;
    iw_loss_init(&loss_fn, IW_LOSS_CROSS_ENTROPY, meta->data[1] != 0.0f ? IW_NORMALIZE_BATCH : IW_NORMALIZE_WEIGHTS);
    cfg->input = (iw_shape){(int)x->dims[2], (int)x->dims[3], (int)x->dims[4]};
    cfg->batchnorm = meta->data[2] != 0.0f;
    cfg->dropout = meta->data[3];
    cfg->n_classes = 2;
    cfg->max_batch = batch;
    cfg->init = IW_INIT_PYTORCH;
    iw_error err;
    iw_net *net = iw_net_create(cfg, &err);
    EXPECT(net != NULL, "%s: %s", name, err.message);
    if (!net) return;
    iw_rng rng;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_net_init(net, &rng);
    EXPECT(iw_net_param_count(net) == params0->n, "%s: %zu params, fixture %zu", name, iw_net_param_count(net),
           params0->n);
    if (iw_net_param_count(net) != params0->n) {
        iw_net_free(net);
        return;
    }
    memcpy(iw_net_params(net), params0->data, sizeof(float) * params0->n);
    /* dropout layers in order, with their masks */
    iw_layer *drops[8];
    const torch_record *masks[8];
    int n_drops = 0;
    for (int i = 0; i < iw_net_layer_count(net) && n_drops < 8; i++) {
        iw_layer *l = iw_net_layer(net, i);
        if (strcmp(l->ops->kind, "dropout") != 0) continue;
        char m[16];
        snprintf(m, sizeof m, "mask%d", n_drops);
        masks[n_drops] = need(name, m);
        if (!masks[n_drops]) {
            iw_net_free(net);
            return;
        }
        drops[n_drops++] = l;
    }
    EXPECT((n_drops > 0) == (cfg->dropout > 0.0f), "%s: %d dropout layers", name, n_drops);
    size_t xs = x->n / ((size_t)steps * batch);
    int32_t *y = malloc(sizeof(int32_t) * batch);
    float *losses = malloc(sizeof(float) * steps);
    for (int s = 0; s < steps; s++) {
        for (int d = 0; d < n_drops; d++)
            iw_layer_dropout_use_mask(drops[d], masks[d]->data + masks[d]->n / steps * s);
        for (int b = 0; b < batch; b++) y[b] = (int32_t)labels->data[s * batch + b];
        iw_net_forward(net, x->data + (size_t)s * batch * xs, batch, 1, NULL);
        losses[s] = (float)iw_net_backward(net, y, weights->data + s * batch, &loss_fn);
        iw_net_sgd_step(net, lr, 0.0f, 0.0f);
    }
    expect_close(name, "loss", losses, loss, (size_t)steps);
    expect_close(name, "params", iw_net_params(net), need(name, "params"), iw_net_param_count(net));
    if (cfg->batchnorm)
        expect_close(name, "buffers", iw_net_buffers(net), need(name, "buffers"), iw_net_buffer_count(net));
    free(y);
    free(losses);
    iw_net_free(net);
}

static void test_conv_torch_cnn_10_steps(void)
{
    const char *cases[4] = {"cnn_bn0_dropout0", "cnn_bn0_dropout1", "cnn_bn1_dropout0", "cnn_bn1_dropout1"};
    for (int i = 0; i < 4; i++) {
        iw_net_config cfg = {.kind = IW_MODEL_CNN, .channels = {8, 8, 16, 16, 16}, .n_channels = 5,
                             .fc = {32, 16}, .n_fc = 2};
        train_case(cases[i], "cnn_data", &cfg);
    }
}

static void test_conv_torch_resnet_10_steps(void)
{
    const char *cases[2] = {"resnet_bn0", "resnet_bn1"};
    for (int i = 0; i < 2; i++) {
        iw_net_config cfg = {.kind = IW_MODEL_RESNET, .channels = {8, 8, 16, 16}, .n_channels = 4};
        train_case(cases[i], "resnet_data", &cfg);
    }
}

/* The default-width models plan on both input shapes, and refuse what they cannot take. */
static void test_conv_model_shapes(void)
{
    iw_shape shapes[2] = {{1, 28, 28}, {3, 32, 32}};
    for (int k = 0; k < 2; k++)
        for (int kind = IW_MODEL_CNN; kind <= IW_MODEL_RESNET; kind++) {
            iw_net_config cfg = {.kind = kind, .input = shapes[k], .n_classes = 2, .batchnorm = 1,
                                 .dropout = kind == IW_MODEL_CNN ? 0.5f : 0.0f, .max_batch = 4};
            iw_error err;
            iw_net *net = iw_net_create(&cfg, &err);
            EXPECT(net != NULL, "kind %d on %dx%dx%d: %s", kind, shapes[k].c, shapes[k].h, shapes[k].w, err.message);
            iw_net_free(net);
        }
    iw_net_config small = {.kind = IW_MODEL_CNN, .input = {1, 16, 16}, .n_classes = 2, .max_batch = 4};
    iw_error err = {{0}};
    EXPECT(iw_net_create(&small, &err) == NULL, "cnn on 16x16 refused");
    EXPECT(strstr(err.message, "too small") != NULL, "message: %s", err.message);
    iw_net_config bad = {.kind = IW_MODEL_RESNET, .input = {1, 28, 28}, .n_classes = 2, .max_batch = 4,
                         .channels = {8, 8, 16}, .n_channels = 3};
    EXPECT(iw_net_create(&bad, &err) == NULL, "resnet with 3 widths refused");
    EXPECT(strstr(err.message, "expected 4") != NULL, "message: %s", err.message);
}

/* Runs `fn` with the engine on `isa`, or skips when the CPU cannot run it. */
static void on_path(iw_isa isa, void (*fn)(void))
{
    iw_isa before = iw_engine_isa();
    if (iw_engine_set_isa(isa) != isa)
        TEST_SKIP("this CPU cannot run the %s path (best: %s)", iw_engine_isa_name(isa),
                  iw_engine_isa_name(iw_engine_isa_best()));
    else
        fn();
    iw_engine_set_isa(before);
}

#define ON_EVERY_PATH(fn)                                                                          \
    static void fn##_portable(void) { on_path(IW_ISA_PORTABLE, fn); }                              \
    static void fn##_avx2(void) { on_path(IW_ISA_AVX2, fn); }                                      \
    static void fn##_avx512(void) { on_path(IW_ISA_AVX512, fn); }
#define RUN_ON_EVERY_PATH(fn) RUN_TEST(fn##_portable); RUN_TEST(fn##_avx2); RUN_TEST(fn##_avx512)
ON_EVERY_PATH(test_conv_torch_conv2d)
ON_EVERY_PATH(test_conv_torch_pooling)
ON_EVERY_PATH(test_conv_torch_resblock)
ON_EVERY_PATH(test_conv_torch_cnn_10_steps)
ON_EVERY_PATH(test_conv_torch_resnet_10_steps)

int main(void)
{
    if (torch_fixture_load(FIXTURE, &fixture) != 0) {
        printf("not ok - load_fixture\n");
        return 1;
    }
    RUN_ON_EVERY_PATH(test_conv_torch_conv2d);
    RUN_ON_EVERY_PATH(test_conv_torch_pooling);
    RUN_ON_EVERY_PATH(test_conv_torch_resblock);
    RUN_ON_EVERY_PATH(test_conv_torch_cnn_10_steps);
    RUN_ON_EVERY_PATH(test_conv_torch_resnet_10_steps);
    RUN_TEST(test_conv_model_shapes);
    torch_fixture_free(&fixture);
    return test_exit_code();
}
