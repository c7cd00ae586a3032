/* test_spec.c — the sweep file: every key read from a full example, the defaults, YAML forms
 * (flow/block lists, anchors, comments), the grid's expansion checked against a nested-loop
 * enumeration for random axis sizes, the data-folder check, the --dry-run listing, SHA-256 against the
 * standard vectors and sha256sum, and the shipped sweeps/ files. Bad files: test_spec_bad.c.
 */
#include "iw/spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <unistd.h>

#include "test.h"

static int parse(const char *text, iw_spec *spec, iw_error *err)
{
    return iw_spec_parse(text, strlen(text), "test.yaml", spec, err);
}

static const char *full_example =
    "# every key of the sweep file\n"
    "name: full-example\n"
    "data:\n"
    "  source: mnist\n"
    "  path: /data/mnist\n"
    "  classes: [2, 4]\n"
    "  train_per_class: [5000, 500]\n"
    "  test_per_class: 300\n"
    "  probes: [noise]\n"
    "  noise_count: 77\n"
    "  seed: 12345678901\n"
    "model:\n"
    "  kind: mlp\n"
    "  hidden: [128, 64, 32]\n"
    "  init: pytorch\n"
    "train:\n"
    "  epochs: 250\n"
    "  batch_size: 32\n"
    "  lr: 0.2\n"
    "  lr_dropout: 0.05\n"
    "  momentum: 0.9\n"
    "  normalize: batch\n"
    "  checkpoint_every: 25\n"
    "  checkpoint_minutes: 7.5\n"
    "grid:\n"
    "  seed: [3, 1]\n"                       /* written out of canonical order on purpose */
    "  sampling: [subsample, weight]\n"
    "  batchnorm: [true, false]\n"
    "  dropout: [0, 0.5]\n"
    "  l2: [0, 1e-3, 0.01]\n"
    "  importance_weight: [0.0625, 1, 16]\n";

static void test_full_example(void)
{
    iw_spec s;
    iw_error err = {{0}};
    int rc = parse(full_example, &s, &err);
    EXPECT(rc == 0, "parse failed: %s", err.message);
    if (rc) return;
    EXPECT(!strcmp(s.name, "full-example"), "name %s", s.name);
    EXPECT(!strcmp(s.file, "test.yaml"), "file %s", s.file);
    EXPECT(s.data.source == IW_SOURCE_MNIST, "source %d", s.data.source);
    EXPECT(!strcmp(s.data.path, "/data/mnist") && s.data.path_line == 5, "path %s line %d", s.data.path, s.data.path_line);
    EXPECT(s.data.classes[0] == 2 && s.data.classes[1] == 4, "classes %d %d", s.data.classes[0], s.data.classes[1]);
    EXPECT(s.data.train_per_class[0] == 5000 && s.data.train_per_class[1] == 500, "train_per_class");
    EXPECT(s.data.test_per_class[0] == 300 && s.data.test_per_class[1] == 300, "test_per_class");
    EXPECT(!s.data.probe_other && s.data.probe_noise, "probes %d %d", s.data.probe_other, s.data.probe_noise);
    EXPECT(s.data.noise_count == 77, "noise_count %d", s.data.noise_count);
    EXPECT(s.data.data_seed == 12345678901ull, "data seed %llu", (unsigned long long)s.data.data_seed);
    EXPECT(s.model.kind == IW_MODEL_MLP && s.model.init == IW_INIT_PYTORCH, "model");
    EXPECT(s.model.n_hidden == 3 && s.model.hidden[0] == 128 && s.model.hidden[1] == 64 && s.model.hidden[2] == 32,
           "hidden n=%d", s.model.n_hidden);
    EXPECT(s.train.epochs == 250 && s.train.batch_size == 32, "epochs %d batch %d", s.train.epochs, s.train.batch_size);
    EXPECT(s.train.lr == 0.2 && s.train.lr_dropout == 0.05 && s.train.momentum == 0.9, "lr/momentum");
    EXPECT(s.train.normalize == IW_NORMALIZE_BATCH, "normalize");
    EXPECT(s.train.checkpoint_every == 25 && s.train.checkpoint_minutes == 7.5, "checkpoints");
    /* Canonical axis order whatever the file's order; values in the file's order within an axis. */
    EXPECT(s.n_axes == 6, "n_axes %d", s.n_axes);
    static const char *names[6] = {"importance_weight", "l2", "dropout", "batchnorm", "seed", "sampling"};
    static const int counts[6] = {3, 3, 2, 2, 2, 2};
    for (int i = 0; i < 6 && i < s.n_axes; i++) {
        EXPECT(s.axes[i].id == (iw_axis_id)i && !strcmp(s.axes[i].def->name, names[i]) && s.axes[i].count == counts[i],
               "axis %d: id %d name %s count %d", i, s.axes[i].id, s.axes[i].def->name, s.axes[i].count);
        EXPECT(iw_spec_axis_index(&s, (iw_axis_id)i) == i, "axis index %d", i);
    }
    EXPECT(s.axes[1].values[1] == 1e-3 && s.axes[0].values[0] == 0.0625, "axis values");
    EXPECT(s.axes[3].values[0] == 1.0 && s.axes[3].values[1] == 0.0, "batchnorm values");
    EXPECT(s.axes[4].values[0] == 3 && s.axes[4].values[1] == 1, "seed values");
    EXPECT(s.axes[5].values[0] == IW_SAMPLING_SUBSAMPLE && s.axes[5].values[1] == IW_SAMPLING_WEIGHT, "sampling values");
    EXPECT(s.axes[3].def->type == IW_AXIS_FLAG && s.axes[4].def->type == IW_AXIS_INT &&
           s.axes[5].def->type == IW_AXIS_ENUM && s.axes[0].def->type == IW_AXIS_REAL, "axis types");
    EXPECT(iw_spec_run_count(&s) == 3 * 3 * 2 * 2 * 2 * 2, "run count %lld", (long long)iw_spec_run_count(&s));
    EXPECT(s.text_len == strlen(full_example) && !memcmp(s.text, full_example, s.text_len), "text kept verbatim");
    char digest[65];
    iw_sha256_hex(full_example, strlen(full_example), digest);
    EXPECT(!strcmp(digest, s.sha256), "sha256 of the text");
    iw_spec_free(&s);
    iw_spec_free(&s); /* idempotent */
}

static void test_synthetic_and_cnn_keys(void)
{
    const char *text =
        "name: syn\n"
        "data: {source: synthetic2d, train_per_class: 200, test_per_class: [50, 60], seed: 3,\n"
        "       synthetic: {std: [2, 0.5], rotation: -45.5, shift: [1.5, -2]}}\n"
        "model: {kind: linear}\n"
        "train: {epochs: 40}\n"
        "record:\n"
        "  boundary_epochs: [0, 1, 10, 40]\n"
        "  boundary_grid: 33\n"
        "  boundary_range: [-5, 5, -2.5, 7]\n";
    iw_spec s;
    iw_error err = {{0}};
    int rc = parse(text, &s, &err);
    EXPECT(rc == 0, "parse failed: %s", err.message);
    if (rc == 0) {
        EXPECT(s.data.source == IW_SOURCE_SYNTHETIC2D && s.data.data_seed == 3, "source/seed");
        EXPECT(s.data.synthetic.std[0] == 2 && s.data.synthetic.std[1] == 0.5, "std");
        EXPECT(s.data.synthetic.rotation_deg == -45.5, "rotation %g", s.data.synthetic.rotation_deg);
        EXPECT(s.data.synthetic.shift[0] == 1.5 && s.data.synthetic.shift[1] == -2, "shift");
        EXPECT(s.data.test_per_class[0] == 50 && s.data.test_per_class[1] == 60, "test_per_class");
        EXPECT(!s.data.probe_other && !s.data.probe_noise, "no probes by default for synthetic2d");
        EXPECT(s.model.kind == IW_MODEL_LINEAR && s.model.n_hidden == 0, "linear");
        EXPECT(s.record.n_boundary_epochs == 4 && s.record.boundary_epochs[3] == 40, "boundary epochs");
        EXPECT(s.record.boundary_grid == 33, "grid %d", s.record.boundary_grid);
        EXPECT(s.record.boundary_range[0] == -5 && s.record.boundary_range[3] == 7, "range");
        EXPECT(s.n_axes == 5 && iw_spec_run_count(&s) == 1, "one run");
        iw_spec_free(&s);
    }
    const char *cnn = "name: c\ndata: {source: cifar10, path: /data/cifar-10-batches-bin}\n"
                      "model: {kind: cnn, channels: [8, 8, 16, 16, 16], fc: [64]}\n";
    rc = parse(cnn, &s, &err);
    EXPECT(rc == 0, "cnn parse failed: %s", err.message);
    if (rc == 0) {
        EXPECT(s.data.classes[0] == 3 && s.data.classes[1] == 5, "cifar10 default classes cat/dog");
        EXPECT(s.model.n_channels == 5 && s.model.channels[4] == 16 && s.model.n_fc == 1 && s.model.fc[0] == 64, "cnn");
        iw_spec_free(&s);
    }
    rc = parse("name: r\ndata: {source: cifar10, path: /data/cifar-10-batches-bin}\nmodel: {kind: resnet}\n", &s, &err);
    EXPECT(rc == 0, "resnet parse failed: %s", err.message);
    if (rc == 0) {
        EXPECT(s.model.n_channels == 4 && s.model.channels[0] == 64 && s.model.channels[3] == 256, "resnet defaults");
        iw_spec_free(&s);
    }
}

static void test_defaults(void)
{
    iw_spec s;
    iw_error err = {{0}};
    int rc = parse("name: minimal\n", &s, &err);
    EXPECT(rc == 0, "parse failed: %s", err.message);
    if (rc) return;
    EXPECT(s.data.source == IW_SOURCE_FASHION_MNIST, "default source");
    EXPECT(!strcmp(s.data.path, "/usr/share/datasets/fashion-mnist") && s.data.path_line == 0, "default path %s", s.data.path);
    EXPECT(s.data.classes[0] == 0 && s.data.classes[1] == 6, "default classes");
    EXPECT(s.data.train_per_class[0] == 1000 && s.data.train_per_class[1] == 1000, "train_per_class");
    EXPECT(s.data.test_per_class[0] == 1000 && s.data.test_per_class[1] == 1000, "test_per_class");
    EXPECT(s.data.probe_other && s.data.probe_noise && s.data.noise_count == 1000, "default probes");
    EXPECT(s.data.data_seed == 0 && s.data.other_count == 0, "data seed, other_count all");
    EXPECT(s.data.synthetic.std[0] == 0.5 && s.data.synthetic.std[1] == 0.125 && s.data.synthetic.rotation_deg == 90 &&
           s.data.synthetic.shift[0] == 3.0 && s.data.synthetic.shift[1] == 0.0, "synthetic defaults");
    EXPECT(s.model.kind == IW_MODEL_MLP && s.model.init == IW_INIT_HE, "model defaults");
    EXPECT(s.model.n_hidden == 2 && s.model.hidden[0] == 256 && s.model.hidden[1] == 256, "hidden default");
    EXPECT(s.train.epochs == 100 && s.train.batch_size == 16 && s.train.lr == 0.1 && s.train.lr_dropout == 0.1 &&
           s.train.momentum == 0 && s.train.normalize == IW_NORMALIZE_WEIGHTS, "train defaults");
    EXPECT(s.train.checkpoint_every == 0 && s.train.checkpoint_minutes == 0, "checkpoints off");
    EXPECT(s.record.n_boundary_epochs == 0 && s.record.boundary_grid == 64 && s.record.boundary_range[0] == -4 &&
           s.record.boundary_range[1] == 6 && s.record.boundary_range[2] == -4 && s.record.boundary_range[3] == 6,
           "record defaults");
    EXPECT(s.record.eval.form == IW_EVAL_ALL && iw_spec_evaluated_epoch_count(&s) == 101, "every epoch evaluated by default");
    EXPECT(s.n_axes == 5, "five axes");
    static const double defaults[5] = {1, 0, 0, 0, 0};
    for (int i = 0; i < s.n_axes && i < 5; i++)
        EXPECT(s.axes[i].count == 1 && s.axes[i].values[0] == defaults[i] && s.axes[i].def != NULL, "axis %d default", i);
    EXPECT(iw_spec_axis_index(&s, IW_AXIS_SAMPLING) == -1, "no sampling axis");
    iw_point p;
    iw_spec_point(&s, 0, &p);
    const double *v = p.value;
    EXPECT(v[IW_AXIS_IMPORTANCE_WEIGHT] == 1 && v[IW_AXIS_L2] == 0 && v[IW_AXIS_DROPOUT] == 0 && v[IW_AXIS_BATCHNORM] == 0 &&
           v[IW_AXIS_SEED] == 0 && v[IW_AXIS_SAMPLING] == IW_SAMPLING_WEIGHT, "default point");
    EXPECT(v[IW_AXIS_LOSS] == IW_LOSS_CROSS_ENTROPY && v[IW_AXIS_POLY_ALPHA] == 1 && v[IW_AXIS_WEIGHT_EXPONENT] == 1 &&
           v[IW_AXIS_REWEIGHT_FROM] == 1 && v[IW_AXIS_NORMALIZE] == IW_NORMALIZE_WEIGHTS,
           "the remedies' defaults: cross-entropy, alpha 1, rho 1, weights from epoch 1, normalize weights");
    EXPECT(s.data.val_per_class[0] == 0 && s.data.val_per_class[1] == 0 && s.record.n_logit_epochs == 0,
           "no validation split, no logits");
    EXPECT(s.train.poly_alpha == 1 && s.train.ldam_max_margin == 0.5 && s.train.ldam_scale == 30 && s.train.la_tau == 1,
           "loss parameter defaults (Wang et al., Cao et al., Menon et al.)");
    iw_spec_free(&s);
}

/* The keys and axes of later work's remedies (issue 11): every one read, in canonical order, and
 * a train key that is also an axis (poly_alpha, normalize) sets the value of every run. */
static void test_remedy_keys_and_axes(void)
{
    const char *text =
        "name: remedies\n"
        "data:\n"
        "  train_per_class: [500, 50]\n"
        "  val_per_class: [30, 5]\n"
        "train:\n"
        "  epochs: 10\n"
        "  ldam_max_margin: 0.3\n"
        "  ldam_scale: 10\n"
        "  la_tau: -0.5\n"
        "grid:\n"
        "  normalize: [dataset, batch]\n"
        "  reweight_from: [1, 4]\n"
        "  weight_exponent: [0, 1.5]\n"
        "  poly_alpha: [1, 2]\n"
        "  loss: [poly, ldam, logit-adjusted, cross-entropy]\n"
        "  seed: [0, 1]\n"
        "record:\n"
        "  logit_epochs: [0, 5, 10]\n";
    iw_spec s;
    iw_error err = {{0}};
    int rc = parse(text, &s, &err);
    EXPECT(rc == 0, "parse failed: %s", err.message);
    if (rc) return;
    EXPECT(s.data.val_per_class[0] == 30 && s.data.val_per_class[1] == 5, "val_per_class");
    EXPECT(s.train.ldam_max_margin == 0.3 && s.train.ldam_scale == 10 && s.train.la_tau == -0.5, "loss parameters");
    EXPECT(s.record.n_logit_epochs == 3 && s.record.logit_epochs[2] == 10, "logit epochs on an image source");
    static const iw_axis_id order[] = {IW_AXIS_IMPORTANCE_WEIGHT, IW_AXIS_L2, IW_AXIS_DROPOUT, IW_AXIS_BATCHNORM, IW_AXIS_SEED,
                                       IW_AXIS_LOSS, IW_AXIS_POLY_ALPHA, IW_AXIS_WEIGHT_EXPONENT, IW_AXIS_REWEIGHT_FROM,
                                       IW_AXIS_NORMALIZE};
    EXPECT(s.n_axes == 10, "n_axes %d", s.n_axes);
    for (int i = 0; i < 10 && i < s.n_axes; i++) EXPECT(s.axes[i].id == order[i], "axis %d is %s", i, s.axes[i].def->name);
    EXPECT(iw_spec_run_count(&s) == 2 * 4 * 2 * 2 * 2 * 2, "runs %lld", (long long)iw_spec_run_count(&s));
    /* mixed-radix digits, last axis fastest: seed 0, loss 1 (ldam), alpha 0 (1), rho 1 (1.5), from 1 (4), normalize 1 (batch) */
    int64_t run = ((((0 * 4 + 1) * 2 + 0) * 2 + 1) * 2 + 1) * 2 + 1;
    iw_point p;
    iw_spec_point(&s, run, &p);
    EXPECT(p.value[IW_AXIS_LOSS] == IW_LOSS_LDAM && p.value[IW_AXIS_POLY_ALPHA] == 1 && p.value[IW_AXIS_WEIGHT_EXPONENT] == 1.5 &&
           p.value[IW_AXIS_REWEIGHT_FROM] == 4 && p.value[IW_AXIS_NORMALIZE] == IW_NORMALIZE_BATCH,
           "run %lld: loss %g alpha %g rho %g from %g normalize %g", (long long)run, p.value[IW_AXIS_LOSS],
           p.value[IW_AXIS_POLY_ALPHA], p.value[IW_AXIS_WEIGHT_EXPONENT], p.value[IW_AXIS_REWEIGHT_FROM],
           p.value[IW_AXIS_NORMALIZE]);
    char label[512];
    iw_spec_describe_point(&s, &p, label, sizeof label);
    EXPECT(strstr(label, "loss=ldam alpha=1 rho=1.5 reweight_from=4 normalize=batch") != NULL, "label '%s'", label);
    iw_spec_free(&s);

    rc = parse("name: keys\ntrain: {poly_alpha: 2.5, normalize: dataset}\ngrid: {loss: [poly]}\n", &s, &err);
    EXPECT(rc == 0, "parse failed: %s", err.message);
    if (rc) return;
    iw_spec_point(&s, 0, &p);
    EXPECT(iw_spec_axis_index(&s, IW_AXIS_POLY_ALPHA) < 0 && iw_spec_axis_index(&s, IW_AXIS_NORMALIZE) < 0 &&
           p.value[IW_AXIS_POLY_ALPHA] == 2.5 && p.value[IW_AXIS_NORMALIZE] == IW_NORMALIZE_DATASET &&
           s.train.normalize == IW_NORMALIZE_DATASET,
           "train.poly_alpha / train.normalize set every run: alpha %g normalize %g", p.value[IW_AXIS_POLY_ALPHA],
           p.value[IW_AXIS_NORMALIZE]);
    iw_spec_free(&s);
}

/* The epochs a schedule evaluates, as a string "0 1 2 ..." (the order of 0..E). */
static void evaluated_list(const iw_spec *s, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int e = 0; e <= s->train.epochs && len < size; e++)
        if (iw_spec_epoch_evaluated(s, e)) len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? " " : "", e);
}

/* record.eval_epochs in its three forms, each against the set written out by hand (with epoch 0,
 * the last epoch and the boundary epochs always in), and data.other_count. */
static void test_eval_epochs_and_other_count(void)
{
    static const struct {
        const char *record, *data, *want;
        int epochs;
        iw_eval_form form;
    } cases[] = {
        {"", "", "0 1 2 3 4 5 6", 6, IW_EVAL_ALL},
        {"record: {eval_epochs: all}\n", "", "0 1 2 3 4 5", 5, IW_EVAL_ALL},
        {"record:\n  eval_epochs: [1, 2, 5, 10]\n  boundary_epochs: [7]\n", "data: {source: synthetic2d}\n",
         "0 1 2 5 7 10 20", 20, IW_EVAL_LIST},
        {"record:\n  eval_epochs:\n    - 3\n", "", "0 3 9", 9, IW_EVAL_LIST},
        {"record: {eval_epochs: []}\n", "", "0 12", 12, IW_EVAL_LIST},
        {"record: {eval_epochs: {every_until: 3, then_every: 5}}\n", "", "0 1 2 3 5 10 15 20 25", 25, IW_EVAL_RULE},
        {"record:\n  eval_epochs:\n    then_every: 7\n", "", "0 7 14 21 28 30", 30, IW_EVAL_RULE},
        {"record: {eval_epochs: {every_until: 4}}\n", "", "0 1 2 3 4 10", 10, IW_EVAL_RULE},
        {"record: {eval_epochs: {every_until: 2, then_every: 4}, boundary_epochs: [5]}\n", "data: {source: synthetic2d}\n",
         "0 1 2 4 5 8 9", 9, IW_EVAL_RULE},
        {"record: {eval_epochs: \"all\"}\n", "", "0 1 2", 2, IW_EVAL_ALL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], got[256];
        snprintf(text, sizeof text, "name: e\n%strain: {epochs: %d}\n%s", cases[i].data, cases[i].epochs, cases[i].record);
        iw_spec s;
        iw_error err = {{0}};
        int rc = parse(text, &s, &err);
        EXPECT(rc == 0, "case %zu: %s", i, err.message);
        if (rc) continue;
        evaluated_list(&s, got, sizeof got);
        EXPECT(s.record.eval.form == cases[i].form, "case %zu: form %d", i, (int)s.record.eval.form);
        EXPECT(!strcmp(got, cases[i].want), "case %zu: evaluated '%s', want '%s'", i, got, cases[i].want);
        int n = 1;
        for (const char *p = cases[i].want; *p; p++) n += *p == ' ';
        EXPECT(iw_spec_evaluated_epoch_count(&s) == n, "case %zu: count %d, want %d", i, iw_spec_evaluated_epoch_count(&s), n);
        EXPECT(!iw_spec_epoch_evaluated(&s, -1) && !iw_spec_epoch_evaluated(&s, cases[i].epochs + 1), "case %zu: outside 0..E", i);
        iw_spec_free(&s);
    }

    iw_spec s;
    iw_error err = {{0}};
    int rc = parse("name: o\ndata:\n  probes: [other-classes]\n  other_count: 1000\n", &s, &err);
    EXPECT(rc == 0 && s.data.other_count == 1000 && s.data.other_count_line == 4, "other_count 1000 on line 4: %s (%d, %d)",
           err.message, s.data.other_count, s.data.other_count_line);
    EXPECT(rc == 0 && !strcmp(s.data.spec_file, "test.yaml"), "the data spec knows the file for the loader's messages");
    if (rc == 0) iw_spec_free(&s);
    rc = parse("name: o\ndata: {other_count: all}\n", &s, &err);
    EXPECT(rc == 0 && s.data.other_count == 0 && s.data.probe_other, "other_count all = 0, default probes: %s", err.message);
    if (rc == 0) iw_spec_free(&s);
    rc = parse("name: o\n", &s, &err);
    EXPECT(rc == 0 && s.data.other_count == 0 && s.data.other_count_line == 0, "other_count default all");
    if (rc == 0) iw_spec_free(&s);
    /* a record section with an image source: eval_epochs is for every source */
    rc = parse("name: o\ndata: {source: mnist}\nrecord: {eval_epochs: [5]}\n", &s, &err);
    EXPECT(rc == 0 && s.record.eval.form == IW_EVAL_LIST, "eval_epochs with an image source: %s", err.message);
    if (rc == 0) iw_spec_free(&s);
}

/* YAML forms that must all mean the same: block vs flow lists, anchors, comments, ints as reals. */
static void test_yaml_forms(void)
{
    const char *forms[] = {
        "name: y\ndata: {source: synthetic2d}\ngrid:\n  l2: [0, 1]\n  importance_weight: [0.5, 2]\n",
        "name: y\ndata:\n  source: synthetic2d  # comment\ngrid:\n  l2:\n    - 0\n    - 1.0\n  importance_weight: [5e-1, +2]\n",
        "---\nname: y\ndata: {source: synthetic2d}\ngrid: {l2: &v [0, 1], importance_weight: [.5, 2.]}\n...\n",
        "name: 'y'\ndata: {source: \"synthetic2d\"}\nw: &w [0.5, 2]\n",
    };
    for (int f = 0; f < 4; f++) {
        iw_spec s;
        iw_error err = {{0}};
        int rc = parse(forms[f], &s, &err);
        if (f == 3) { /* an unknown top-level key is refused even when only used as an anchor */
            EXPECT(rc != 0 && strstr(err.message, "unknown key 'w'"), "form 3: %s", err.message);
            continue;
        }
        EXPECT(rc == 0, "form %d: %s", f, err.message);
        if (rc) continue;
        EXPECT(!strcmp(s.name, "y") && s.axes[0].count == 2 && s.axes[0].values[0] == 0.5 && s.axes[0].values[1] == 2 &&
               s.axes[1].count == 2 && s.axes[1].values[1] == 1, "form %d values", f);
        iw_spec_free(&s);
    }
}

/* Tiny deterministic generator for the randomised tests. */
static uint64_t test_rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_random(void)
{
    test_rng ^= test_rng << 13, test_rng ^= test_rng >> 7, test_rng ^= test_rng << 17;
    return (uint32_t)(test_rng >> 11);
}

/* Differential test: iw_spec_point against six nested loops (last axis fastest). */
static void test_point_expansion_matches_nested_loops(void)
{
    for (int trial = 0; trial < 40; trial++) {
        int n[6];
        n[0] = 1 + (int)(next_random() % 5), n[1] = 1 + (int)(next_random() % 4), n[2] = 1 + (int)(next_random() % 3);
        n[3] = 1 + (int)(next_random() % 2), n[4] = 1 + (int)(next_random() % 4), n[5] = 1 + (int)(next_random() % 2);
        int with_sampling = trial % 2;
        char text[4096], list[6][512];
        for (int a = 0; a < 6; a++) {
            size_t used = (size_t)snprintf(list[a], sizeof list[a], "[");
            for (int i = 0; i < n[a]; i++) {
                const char *sep = i ? ", " : "";
                switch (a) {
                case 0: used += (size_t)snprintf(list[a] + used, sizeof list[a] - used, "%s%g", sep, 0.25 * (i + 1)); break;
                case 1: used += (size_t)snprintf(list[a] + used, sizeof list[a] - used, "%s%g", sep, 0.001 * i); break;
                case 2: used += (size_t)snprintf(list[a] + used, sizeof list[a] - used, "%s%g", sep, 0.3 * i); break;
                case 3: used += (size_t)snprintf(list[a] + used, sizeof list[a] - used, "%s%s", sep, i ? "true" : "false"); break;
                case 4: used += (size_t)snprintf(list[a] + used, sizeof list[a] - used, "%s%d", sep, 7 * i + 1); break;
                default: used += (size_t)snprintf(list[a] + used, sizeof list[a] - used, "%s%s", sep, i ? "subsample" : "weight"); break;
                }
            }
            snprintf(list[a] + used, sizeof list[a] - used, "]");
        }
        if (!with_sampling) n[5] = 1;
        /* axes written in reverse order: the canonical order must not depend on the file */
        snprintf(text, sizeof text, "name: d\ndata: {source: synthetic2d}\ngrid:\n%s%s%s  seed: %s\n  batchnorm: %s\n"
                 "  dropout: %s\n  l2: %s\n  importance_weight: %s\n",
                 with_sampling ? "  sampling: " : "", with_sampling ? list[5] : "", with_sampling ? "\n" : "",
                 list[4], list[3], list[2], list[1], list[0]);
        iw_spec s;
        iw_error err = {{0}};
        if (parse(text, &s, &err)) {
            EXPECT(0, "trial %d: %s", trial, err.message);
            return;
        }
        int64_t expected_runs = (int64_t)n[0] * n[1] * n[2] * n[3] * n[4] * n[5];
        EXPECT(iw_spec_run_count(&s) == expected_runs, "trial %d runs %lld vs %lld", trial,
               (long long)iw_spec_run_count(&s), (long long)expected_runs);
        int64_t r = 0, mismatches = 0;
        for (int i0 = 0; i0 < n[0]; i0++)
            for (int i1 = 0; i1 < n[1]; i1++)
                for (int i2 = 0; i2 < n[2]; i2++)
                    for (int i3 = 0; i3 < n[3]; i3++)
                        for (int i4 = 0; i4 < n[4]; i4++)
                            for (int i5 = 0; i5 < n[5]; i5++, r++) {
                                iw_point p;
                                iw_spec_point(&s, r, &p);
                                const double *v = p.value;
                                int same = p.run == r && v[IW_AXIS_IMPORTANCE_WEIGHT] == 0.25 * (i0 + 1) &&
                                           v[IW_AXIS_L2] == 0.001 * i1 && v[IW_AXIS_DROPOUT] == 0.3 * i2 &&
                                           v[IW_AXIS_BATCHNORM] == i3 && v[IW_AXIS_SEED] == 7 * i4 + 1 &&
                                           v[IW_AXIS_SAMPLING] == (with_sampling && i5 ? IW_SAMPLING_SUBSAMPLE : IW_SAMPLING_WEIGHT);
                                mismatches += !same;
                            }
        EXPECT(mismatches == 0, "trial %d: %lld of %lld points differ from the nested loops", trial,
               (long long)mismatches, (long long)r);
        iw_spec_free(&s);
    }
}

static void test_print_runs(void)
{
    iw_spec s;
    iw_error err = {{0}};
    const char *text = "name: p\ndata: {source: synthetic2d}\ngrid: {importance_weight: [0.0625, 16], l2: [0, 0.001],\n"
                       "  batchnorm: [false, true], seed: [0, 1, 2], sampling: [weight, subsample]}\n";
    if (parse(text, &s, &err)) {
        EXPECT(0, "%s", err.message);
        return;
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    iw_spec_print_runs(&s, out);
    fclose(out);
    int lines = 0;
    for (char *p = buf; *p; p++) lines += *p == '\n';
    int64_t runs = iw_spec_run_count(&s);
    EXPECT(runs == 48, "runs %lld", (long long)runs);
    EXPECT(lines == runs + 2, "header + %lld runs + count line, got %d lines", (long long)runs, lines);
    EXPECT(strstr(buf, "48 runs (2 x 2 x 1 x 2 x 3 x 2)\n") != NULL, "count line in:\n%s", buf);
    EXPECT(strstr(buf, "importance_weight") && strstr(buf, "sampling"), "header names the axes");
    /* every run line has the same length (aligned) and run 47 is the last point */
    char *line = strchr(buf, '\n') + 1;
    size_t width = strcspn(line, "\n");
    int aligned = 1;
    for (int64_t r = 0; r < runs; r++) {
        aligned &= strcspn(line, "\n") == width;
        if (r == runs - 1)
            EXPECT(strstr(line, "47") == line + strspn(line, " ") && strstr(line, "16") && strstr(line, "0.001") &&
                       strstr(line, "true") && strstr(line, "subsample"), "last line: %.*s", (int)width, line);
        line += strcspn(line, "\n") + 1;
    }
    EXPECT(aligned, "run lines differ in width");
    free(buf);
    iw_spec_free(&s);
}

static void test_grid_too_large_without_overflow(void)
{
    /* 4096 values on each of six axes: 2^72 runs, far past int64; must be refused, not wrap. */
    size_t cap = 6 * 4096 * 12 + 1024, used = 0;
    char *text = malloc(cap);
    static const char *axes[4] = {"importance_weight", "l2", "dropout", "seed"};
    iw_spec s;
    iw_error err = {{0}};
    used = (size_t)snprintf(text, cap, "name: big\ndata: {source: synthetic2d}\ngrid:\n");
    for (int a = 0; a < 4; a++) {
        used += (size_t)snprintf(text + used, cap - used, "  %s: [", axes[a]);
        for (int i = 0; i < 4096; i++)
            used += (size_t)snprintf(text + used, cap - used, a == 2 ? "%s%.6f" : "%s%.0f", i ? "," : "",
                                     a == 2 ? i / 4096.0 : (double)(i + 1));
        used += (size_t)snprintf(text + used, cap - used, "]\n");
    }
    used += (size_t)snprintf(text + used, cap - used, "  batchnorm: [false, true]\n  sampling: [weight, subsample]\n");
    int rc = parse(text, &s, &err);
    EXPECT(rc != 0 && strstr(err.message, "grid too large") && strstr(err.message, "4096 x 4096 x 4096 x 2 x 4096 x 2"),
           "message: %s", err.message);
    if (rc == 0) iw_spec_free(&s);
    /* one axis longer than IW_MAX_AXIS_VALUES */
    used = (size_t)snprintf(text, cap, "name: long\ndata: {source: synthetic2d}\ngrid:\n  seed: [");
    for (int i = 0; i <= IW_MAX_AXIS_VALUES; i++) used += (size_t)snprintf(text + used, cap - used, "%s%d", i ? "," : "", i);
    snprintf(text + used, cap - used, "]\n");
    rc = parse(text, &s, &err);
    EXPECT(rc != 0 && strstr(err.message, "test.yaml:4: key 'grid.seed': expected at most 4096 values, got 4097"),
           "message: %s", err.message);
    if (rc == 0) iw_spec_free(&s);
    free(text);
}

static void test_sha256(void)
{
    struct { const char *in; const char *hex; } vectors[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char out[65];
    for (int i = 0; i < 3; i++) {
        iw_sha256_hex(vectors[i].in, strlen(vectors[i].in), out);
        EXPECT(!strcmp(out, vectors[i].hex), "sha256('%s') = %s", vectors[i].in, out);
    }
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    iw_sha256_hex(million, 1000000, out);
    EXPECT(!strcmp(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), "million a: %s", out);
    free(million);
    /* Lengths around the padding boundaries, against the system's sha256sum. */
    static const size_t lengths[] = {1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 4099};
    unsigned char buf[4099];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)next_random();
    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        char path[] = "/tmp/iw_test_sha_XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!f) {
            EXPECT(0, "cannot create a temporary file");
            return;
        }
        fwrite(buf, 1, lengths[k], f);
        fclose(f);
        char cmd[128], theirs[65] = "";
        snprintf(cmd, sizeof cmd, "sha256sum %s", path);
        FILE *p = popen(cmd, "r");
        if (p) {
            if (fscanf(p, "%64s", theirs) != 1) theirs[0] = '\0';
            pclose(p);
        }
        remove(path);
        iw_sha256_hex(buf, lengths[k], out);
        EXPECT(!strcmp(out, theirs), "length %zu: %s vs sha256sum %s", lengths[k], out, theirs);
    }
}

/* Parsing is pure; iw_spec_check_data_path looks at the folder and names the line to blame. */
static void test_data_path_check(void)
{
    char dir[] = "/tmp/iw_test_data_XXXXXX";
    if (!mkdtemp(dir)) {
        EXPECT(0, "cannot create a scratch folder");
        return;
    }
    char text[512], file[600];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    if (f) fclose(f);
    struct { const char *path; int ok; const char *expect; } cases[] = {
        {dir, 1, ""},
        {"/nonexistent/mnist", 0, "test.yaml:4: key 'data.path': data folder '/nonexistent/mnist' cannot be used (No such file or directory): set data.path to the folder of the MNIST IDX files"},
        {file, 0, "is not a folder: expected the folder holding the mnist files"},
    };
    for (int k = 0; k < 3; k++) {
        iw_spec s;
        iw_error err = {{0}};
        snprintf(text, sizeof text, "name: d\ndata:\n  source: mnist\n  path: %s\n", cases[k].path);
        int rc = parse(text, &s, &err);
        EXPECT(rc == 0, "case %d: parsing must not look at the folder: %s", k, err.message);
        if (rc) continue;
        rc = iw_spec_check_data_path(&s, &err);
        EXPECT(cases[k].ok ? rc == 0 : rc != 0 && strstr(err.message, cases[k].expect) != NULL, "case %d: rc %d, %s", k,
               rc, err.message);
        iw_spec_free(&s);
    }
    /* the default folder, blamed on data.source's line when data.path is absent */
    iw_spec s;
    iw_error err = {{0}};
    if (parse("name: d\ndata:\n  classes: [0, 1]\n  source: mnist\n", &s, &err) == 0) {
        EXPECT(!strcmp(s.data.path, "/usr/share/datasets/mnist") && s.data.path_blame_line == 4, "default %s, line %d",
               s.data.path, s.data.path_blame_line);
        iw_spec_free(&s);
    } else {
        EXPECT(0, "%s", err.message);
    }
    if (parse("name: d\ndata: {source: synthetic2d}\n", &s, &err) == 0) {
        EXPECT(iw_spec_check_data_path(&s, &err) == 0, "synthetic2d has no folder: %s", err.message);
        iw_spec_free(&s);
    }
    remove(file);
    rmdir(dir);
}

static void test_load_errors(void)
{
    iw_spec s;
    iw_error err = {{0}};
    EXPECT(iw_spec_load("/nonexistent/sweep.yaml", &s, &err) != 0 &&
               strstr(err.message, "/nonexistent/sweep.yaml: cannot open the sweep file: No such file or directory"),
           "message: %s", err.message);
    EXPECT(iw_spec_load("/tmp", &s, &err) != 0 && strstr(err.message, "/tmp: is a folder"), "message: %s", err.message);
    /* a file that loads: text and digest are the file's bytes */
    char path[] = "/tmp/iw_test_spec_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        EXPECT(0, "cannot create a temporary file");
        return;
    }
    const char *text = "name: loaded\ndata: {source: synthetic2d}\n";
    fputs(text, f);
    fclose(f);
    int rc = iw_spec_load(path, &s, &err);
    EXPECT(rc == 0, "load: %s", err.message);
    if (rc == 0) {
        char digest[65];
        iw_sha256_hex(text, strlen(text), digest);
        EXPECT(!strcmp(s.file, path) && !strcmp(s.text, text) && !strcmp(s.sha256, digest), "file, text, digest");
        iw_spec_free(&s);
    }
    remove(path);
}

/* Every sweep file shipped in sweeps/ and tests/sweeps/ must parse (parsing does not look at the
 * data folder; one missing on this machine is noted). */
static void test_shipped_sweeps_parse(void)
{
    const char *root = getenv("ROOT") ? getenv("ROOT") : ".";
    char pattern[1024];
    int count = 0;
    static const char *const places[3] = {"%s/sweeps/*.yaml", "%s/sweeps/*/*.yaml", "%s/tests/sweeps/*.yaml"};
    for (int place = 0; place < 3; place++) {
        snprintf(pattern, sizeof pattern, places[place], root);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) != 0) continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            iw_spec s;
            iw_error err = {{0}};
            if (iw_spec_load(g.gl_pathv[i], &s, &err) == 0) {
                EXPECT(iw_spec_run_count(&s) >= 1, "%s", g.gl_pathv[i]);
                if (iw_spec_check_data_path(&s, &err) != 0) printf("# data folder absent here: %s\n", err.message);
                iw_spec_free(&s);
            } else {
                EXPECT(0, "%s", err.message);
            }
            count++;
        }
        globfree(&g);
    }
    printf("# %d shipped sweep files checked\n", count);
    EXPECT(count >= 1, "no sweep file found under %s/sweeps (ROOT wrong?)", root);
}

int main(void)
{
    RUN_TEST(test_full_example);
    RUN_TEST(test_synthetic_and_cnn_keys);
    RUN_TEST(test_defaults);
    RUN_TEST(test_eval_epochs_and_other_count);
    RUN_TEST(test_remedy_keys_and_axes);
    RUN_TEST(test_yaml_forms);
    RUN_TEST(test_point_expansion_matches_nested_loops);
    RUN_TEST(test_print_runs);
    RUN_TEST(test_grid_too_large_without_overflow);
    RUN_TEST(test_sha256);
    RUN_TEST(test_data_path_check);
    RUN_TEST(test_load_errors);
    RUN_TEST(test_shipped_sweeps_parse);
    return test_exit_code();
}
