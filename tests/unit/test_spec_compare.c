/* test_spec_compare.c — "the same sweep" is the same parsed sweep (iw_spec_compare, issue 9 item 6).
 * The base sweep below, rewritten with CRLF line endings, comments, another key order, block
 * instead of flow style, and its defaults written out, is the same sweep (no key listed); each
 * single change of a key's value — one per key of the key table that a synthetic2d + mlp sweep can
 * change (data.classes is fixed for synthetic2d), and the grid's axes (values, their order, an optional axis added) — is listed under exactly
 * that key, with both values as written from the parsed sweeps (the keys and axes of later work's
 * remedies too); a change of source lists the keys
 * whose defaults follow it; long lists are shortened around their first difference.
 */
#include "iw/spec.h"

#include <stdlib.h>
#include <string.h>

#include "test.h"

static const char base[] =
    "name: cmp\n"
    "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10}\n"
    "model: {kind: mlp, hidden: [8]}\n"
    "train: {epochs: 3, batch_size: 8, lr: 0.1}\n"
    "grid: {importance_weight: [1, 4], seed: [0]}\n";

static int parse(const char *text, iw_spec *spec)
{
    iw_error err = {{0}};
    int rc = iw_spec_parse(text, strlen(text), "cmp.yaml", spec, &err);
    EXPECT(rc == 0, "does not parse: %s\n%s", err.message, text);
    return rc;
}

/* Compares `from` with `text`: expects `want` changes, the first under key `key` (NULL: none). */
static void expect_changes_from(const char *from, const char *label, const char *text, int want, const char *key,
                                const char *a, const char *b)
{
    iw_spec s0, s1;
    if (parse(from, &s0) != 0) return;
    if (parse(text, &s1) != 0) {
        iw_spec_free(&s0);
        return;
    }
    iw_spec_change changes[8];
    iw_error err = {{0}};
    int n = iw_spec_compare(&s0, &s1, changes, 8, &err);
    EXPECT(n == want, "%s: %d keys differ, expected %d (first: %s)", label, n, want, n > 0 ? changes[0].key : "-");
    if (n > 0 && key) {
        EXPECT(strcmp(changes[0].key, key) == 0, "%s: key '%s', expected '%s'", label, changes[0].key, key);
        if (a) EXPECT(strcmp(changes[0].a, a) == 0, "%s: stored value '%s', expected '%s'", label, changes[0].a, a);
        if (b) EXPECT(strcmp(changes[0].b, b) == 0, "%s: file value '%s', expected '%s'", label, changes[0].b, b);
    }
    iw_spec_free(&s0);
    iw_spec_free(&s1);
}

static void expect_changes(const char *label, const char *text, int want, const char *key, const char *a,
                           const char *b)
{
    expect_changes_from(base, label, text, want, key, a, b);
}

/* base with the line starting with `prefix` replaced by `line` */
static char *replace_line(const char *prefix, const char *line)
{
    static char out[4096];
    const char *at = strstr(base, prefix);
    if (!at) return NULL;
    const char *end = strchr(at, '\n') + 1;
    snprintf(out, sizeof out, "%.*s%s\n%s", (int)(at - base), base, line, end);
    return out;
}

static void test_formatting_does_not_matter(void)
{
    char crlf[1024];
    size_t n = 0;
    for (const char *p = base; *p; p++) {
        if (*p == '\n') crlf[n++] = '\r';
        crlf[n++] = *p;
    }
    crlf[n] = '\0';
    expect_changes("CRLF line endings", crlf, 0, NULL, NULL, NULL);
    expect_changes("comments", "# a sweep\nname: cmp   # the name\n"
                   "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10}  # 2-D\n"
                   "model: {kind: mlp, hidden: [8]}\n# training\ntrain: {epochs: 3, batch_size: 8, lr: 0.1}\n"
                   "grid: {importance_weight: [1, 4], seed: [0]}\n# end\n", 0, NULL, NULL, NULL);
    expect_changes("key order", "grid: {seed: [0], importance_weight: [1, 4]}\n"
                   "train: {lr: 0.1, batch_size: 8, epochs: 3}\nmodel: {hidden: [8], kind: mlp}\n"
                   "data: {test_per_class: 10, train_per_class: 20, source: synthetic2d}\nname: cmp\n",
                   0, NULL, NULL, NULL);
    expect_changes("block style, quoted strings, 1e-1", "name: \"cmp\"\ndata:\n  source: 'synthetic2d'\n"
                   "  train_per_class: [20, 20]\n  test_per_class: 10\nmodel:\n  kind: mlp\n  hidden:\n    - 8\n"
                   "train:\n  epochs: 3\n  batch_size: 8\n  lr: 1e-1\ngrid:\n  importance_weight:\n    - 1.0\n"
                   "    - 4\n  seed: [0]\n", 0, NULL, NULL, NULL);
    expect_changes("defaults written out", "name: cmp\n"
                   "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10, seed: 0, probes: [],\n"
                   "       synthetic: {std: [0.5, 0.125], rotation: 90, shift: [3.0, 0.0]}}\n"
                   "model: {kind: mlp, hidden: [8], init: he}\n"
                   "train: {epochs: 3, batch_size: 8, lr: 0.1, lr_dropout: 0.1, momentum: 0, normalize: weights,\n"
                   "        checkpoint_every: 0, checkpoint_minutes: 0}\n"
                   "grid: {importance_weight: [1, 4], l2: [0], dropout: [0], batchnorm: [false], seed: [0]}\n",
                   0, NULL, NULL, NULL);
}

/* One changed key at a time: listed under that key alone. */
static void test_each_key_listed(void)
{
    static const struct { const char *prefix, *line, *key; } cases[] = {
        {"name:", "name: other", "name"},
        {"data:", "data: {source: synthetic2d, train_per_class: [20, 10], test_per_class: 10}", "data.train_per_class"},
        {"data:", "data: {source: synthetic2d, train_per_class: 20, test_per_class: 11}", "data.test_per_class"},
        {"data:", "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10, probes: [noise]}", "data.probes"},
        {"data:", "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10, seed: 3}", "data.seed"},
        {"data:", "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10, synthetic: {std: [0.5, 0.25]}}",
         "data.synthetic.std"},
        {"data:", "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10, synthetic: {rotation: 45}}",
         "data.synthetic.rotation"},
        {"data:", "data: {source: synthetic2d, train_per_class: 20, test_per_class: 10, synthetic: {shift: [3, 1]}}",
         "data.synthetic.shift"},
        {"model:", "model: {kind: mlp, hidden: [8, 8]}", "model.hidden"},
        {"model:", "model: {kind: mlp, hidden: [8], init: pytorch}", "model.init"},
        {"train:", "train: {epochs: 4, batch_size: 8, lr: 0.1}", "train.epochs"},
        {"train:", "train: {epochs: 3, batch_size: 4, lr: 0.1}", "train.batch_size"},
        {"train:", "train: {epochs: 3, batch_size: 8, lr: 0.1, lr_dropout: 0.05}", "train.lr_dropout"},
        {"train:", "train: {epochs: 3, batch_size: 8, lr: 0.1, momentum: 0.9}", "train.momentum"},
        {"train:", "train: {epochs: 3, batch_size: 8, lr: 0.1, normalize: batch}", "train.normalize"},
        {"train:", "train: {epochs: 3, batch_size: 8, lr: 0.1, checkpoint_every: 1}", "train.checkpoint_every"},
        {"train:", "train: {epochs: 3, batch_size: 8, lr: 0.1, checkpoint_minutes: 5}", "train.checkpoint_minutes"},
        {"grid:", "grid: {importance_weight: [1, 4], seed: [0], l2: [0.001]}", "grid.l2"},
        {"grid:", "grid: {importance_weight: [1, 4], seed: [0], dropout: [0, 0.5]}", "grid.dropout"},
        {"grid:", "grid: {importance_weight: [1, 4], seed: [0], batchnorm: [true]}", "grid.batchnorm"},
        {"grid:", "grid: {importance_weight: [1, 4], seed: [0, 1]}", "grid.seed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_changes(cases[i].key, replace_line(cases[i].prefix, cases[i].line), 1, cases[i].key, NULL, NULL);
    /* record.* (synthetic2d only): each alone */
    const char *with_record = "record: {boundary_epochs: [1, 3]}";
    char text[4096];
    snprintf(text, sizeof text, "%s%s\n", base, with_record);
    expect_changes("record.boundary_epochs", text, 1, "record.boundary_epochs", "[]", "[1, 3]");
    snprintf(text, sizeof text, "%srecord: {boundary_grid: 32}\n", base);
    expect_changes("record.boundary_grid", text, 1, "record.boundary_grid", "64", "32");
    snprintf(text, sizeof text, "%srecord: {boundary_range: [-1, 1, -1, 1]}\n", base);
    expect_changes("record.boundary_range", text, 1, "record.boundary_range", NULL, "[-1, 1, -1, 1]");
}

/* The keys only image sources and the CNN have. */
static void test_image_and_cnn_keys_listed(void)
{
    static const char cnn[] =
        "name: cnn\ndata: {source: fashion-mnist, path: /data/f, train_per_class: 20, test_per_class: 10}\n"
        "model: {kind: cnn, channels: [8, 8, 16, 16, 16], fc: [32, 16]}\ntrain: {epochs: 1}\n"
        "grid: {importance_weight: [1]}\n";
    static const struct { const char *from, *to, *key; } cases[] = {
        {"path: /data/f", "path: /data/g", "data.path"},
        {"test_per_class: 10}", "test_per_class: 10, noise_count: 7}", "data.noise_count"},
        {"test_per_class: 10}", "test_per_class: 10, classes: [2, 4]}", "data.classes"},
        {"channels: [8, 8, 16, 16, 16]", "channels: [8, 8, 16, 16, 32]", "model.channels"},
        {"fc: [32, 16]", "fc: [32]", "model.fc"},
        {"test_per_class: 10}", "test_per_class: 10, other_count: 100}", "data.other_count"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[1024];
        const char *at = strstr(cnn, cases[i].from);
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - cnn), cnn, cases[i].to, at + strlen(cases[i].from));
        expect_changes_from(cnn, cases[i].key, text, 1, cases[i].key, NULL, NULL);
    }
}

static void test_values_shown(void)
{
    expect_changes("a changed value", replace_line("train:", "train: {epochs: 3, batch_size: 8, lr: 0.05}"), 2,
                   "train.lr", "0.1", "0.05"); /* lr_dropout defaults to lr: it changes with it */
    expect_changes("a different grid", replace_line("grid:", "grid: {importance_weight: [1, 2, 4], seed: [0]}"), 1,
                   "grid.importance_weight", "[1, 4]", "[1, 2, 4]");
    expect_changes("axis values reordered (runs renumbered)", replace_line("grid:", "grid: {importance_weight: [4, 1], seed: [0]}"),
                   1, "grid.importance_weight", "[1, 4]", "[4, 1]");
    expect_changes("an optional axis added", replace_line("grid:", "grid: {importance_weight: [1, 4], seed: [0], sampling: [weight]}"),
                   1, "grid.sampling", "(not in the grid)", "[weight]");
    expect_changes("a value that differs in the 17th digit", replace_line("grid:", "grid: {importance_weight: [1, 4.000000000000001], seed: [0]}"),
                   1, "grid.importance_weight", "[1, 4]", "[1, 4.000000000000001]");
    expect_changes("another model kind", replace_line("model:", "model: {kind: linear}"), 2, "model.kind", "mlp", "linear");
    /* another source: its defaults (folder, classes, probes) differ too, each listed */
    expect_changes("another source", replace_line("data:", "data: {source: fashion-mnist, train_per_class: 20, test_per_class: 10}"),
                   4, "data.source", "synthetic2d", "fashion-mnist");
}

/* record.eval_epochs is compared by the epochs it evaluates: a rule and the list it expands to
 * are the same sweep; another set of epochs is listed, as ranges. */
static void test_eval_schedule_compared_by_epochs(void)
{
    static const char rule[] =
        "name: ev\ndata: {source: synthetic2d, train_per_class: 20, test_per_class: 10}\n"
        "model: {kind: mlp, hidden: [8]}\ntrain: {epochs: 30}\ngrid: {importance_weight: [1]}\n"
        "record: {eval_epochs: {every_until: 3, then_every: 10}}\n";
    static const char list[] =
        "name: ev\ndata: {source: synthetic2d, train_per_class: 20, test_per_class: 10}\n"
        "model: {kind: mlp, hidden: [8]}\ntrain: {epochs: 30}\ngrid: {importance_weight: [1]}\n"
        "record: {eval_epochs: [1, 2, 3, 10, 20]}\n";
    static const char other[] =
        "name: ev\ndata: {source: synthetic2d, train_per_class: 20, test_per_class: 10}\n"
        "model: {kind: mlp, hidden: [8]}\ntrain: {epochs: 30}\ngrid: {importance_weight: [1]}\n"
        "record: {eval_epochs: [1, 2, 3, 10]}\n";
    expect_changes_from(rule, "a rule and its list", list, 0, NULL, NULL, NULL);
    expect_changes_from(rule, "another schedule", other, 1, "record.eval_epochs", "[0-3, 10, 20, 30]", "[0-3, 10, 30]");
}

/* The keys and axes of later work's remedies (issue 11): each change listed under its own key; their
 * defaults written out change nothing. */
static void test_remedy_keys_listed(void)
{
    static const char rem[] =
        "name: rem\ndata: {source: synthetic2d, train_per_class: 20, test_per_class: 10}\n"
        "model: {kind: mlp, hidden: [8]}\ntrain: {epochs: 3, lr: 0.1}\n"
        "grid: {importance_weight: [1, 4], loss: [cross-entropy, poly, ldam, logit-adjusted]}\n";
    static const struct { const char *from, *to, *key; } cases[] = {
        {"test_per_class: 10}", "test_per_class: 10, val_per_class: [2, 1]}", "data.val_per_class"},
        {"lr: 0.1}", "lr: 0.1, poly_alpha: 2}", "train.poly_alpha"},
        {"lr: 0.1}", "lr: 0.1, ldam_max_margin: 0.25}", "train.ldam_max_margin"},
        {"lr: 0.1}", "lr: 0.1, ldam_scale: 5}", "train.ldam_scale"},
        {"lr: 0.1}", "lr: 0.1, la_tau: 0.5}", "train.la_tau"},
        {"logit-adjusted]}", "logit-adjusted]}\nrecord: {logit_epochs: [1, 3]}", "record.logit_epochs"},
        {"ldam, logit-adjusted]", "ldam]", "grid.loss"},
        {"logit-adjusted]}", "logit-adjusted], poly_alpha: [1, 2]}", "grid.poly_alpha"},
        {"logit-adjusted]}", "logit-adjusted], weight_exponent: [1, 2]}", "grid.weight_exponent"},
        {"logit-adjusted]}", "logit-adjusted], reweight_from: [2]}", "grid.reweight_from"},
        {"logit-adjusted]}", "logit-adjusted], normalize: [weights, dataset]}", "grid.normalize"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[1024];
        const char *at = strstr(rem, cases[i].from);
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - rem), rem, cases[i].to, at + strlen(cases[i].from));
        expect_changes_from(rem, cases[i].key, text, 1, cases[i].key, NULL, NULL);
    }
    expect_changes_from(rem, "remedy defaults written out",
                        "name: rem\ndata: {source: synthetic2d, train_per_class: 20, test_per_class: 10, val_per_class: 0}\n"
                        "model: {kind: mlp, hidden: [8]}\n"
                        "train: {epochs: 3, lr: 0.1, poly_alpha: 1, ldam_max_margin: 0.5, ldam_scale: 30, la_tau: 1}\n"
                        "grid: {importance_weight: [1, 4], loss: [cross-entropy, poly, ldam, logit-adjusted]}\n",
                        0, NULL, NULL, NULL);
    expect_changes_from(rem, "logits at epochs 1 and 3", "name: rem\ndata: {source: synthetic2d, train_per_class: 20, test_per_class: 10}\n"
                        "model: {kind: mlp, hidden: [8]}\ntrain: {epochs: 3, lr: 0.1}\n"
                        "grid: {importance_weight: [1, 4], loss: [cross-entropy, poly, ldam, logit-adjusted]}\n"
                        "record: {logit_epochs: [1, 3]}\n", 1, "record.logit_epochs", "[]", "[1, 3]");
}

/* Two lists of 300 seeds that differ only in the last value: both shortened, still different. */
static void test_long_values_shortened(void)
{
    char a[8192], b[8192], line[4096];
    size_t n = 0;
    n += (size_t)snprintf(line + n, sizeof line - n, "grid: {importance_weight: [1], seed: [");
    for (int i = 0; i < 300; i++) n += (size_t)snprintf(line + n, sizeof line - n, "%s%d", i ? ", " : "", 1000 + i);
    snprintf(line + n, sizeof line - n, "]}");
    snprintf(a, sizeof a, "%s", replace_line("grid:", line));
    line[n - 2] = '9'; /* last seed 1299 -> 1999 */
    line[n - 3] = '9';
    snprintf(b, sizeof b, "%s", replace_line("grid:", line));
    iw_spec sa, sb;
    if (parse(a, &sa) != 0) return;
    if (parse(b, &sb) != 0) {
        iw_spec_free(&sa);
        return;
    }
    iw_spec_change c;
    iw_error err = {{0}};
    int k = iw_spec_compare(&sa, &sb, &c, 1, &err);
    EXPECT(k == 1 && strcmp(c.key, "grid.seed") == 0, "%d changes, key %s", k, c.key);
    EXPECT(strlen(c.a) < sizeof c.a && strstr(c.a, "...") == c.a, "stored value not shortened at its start: %s", c.a);
    EXPECT(strcmp(c.a, c.b) != 0, "shortened values look the same: %s", c.a);
    EXPECT(strstr(c.a, "1299]") && strstr(c.b, "1999]"), "the difference is not shown: %s / %s", c.a, c.b);
    iw_spec_free(&sa);
    iw_spec_free(&sb);
}

int main(void)
{
    RUN_TEST(test_formatting_does_not_matter);
    RUN_TEST(test_each_key_listed);
    RUN_TEST(test_image_and_cnn_keys_listed);
    RUN_TEST(test_values_shown);
    RUN_TEST(test_eval_schedule_compared_by_epochs);
    RUN_TEST(test_remedy_keys_listed);
    RUN_TEST(test_long_values_shortened);
    return test_exit_code();
}
