/* test_spec_bad.c — the table of bad sweep files in tests/bad_sweeps/. Each file's first line is
 * "# expect: <part of the message>"; the line the message must name carries the comment
 * "# <- error" (files without it are file-level errors). For each: iw_spec_load fails (or, for a
 * bad data folder, iw_spec_check_data_path after it, as in iwsweep), the message starts with the
 * file's path, contains the expected text and names that line. Also
 * mutates a good file byte by byte (truncations), which must fail or succeed cleanly (ASan build).
 */
#include "iw/spec.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf && (n += fread(buf + n, 1, cap - n, f)) == cap) {
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) free(buf);
        buf = bigger, cap *= 2;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

static void check_bad_file(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        EXPECT(0, "cannot read %s", path);
        return;
    }
    char expect[512] = "";
    if (strncmp(text, "# expect: ", 10) == 0) {
        size_t n = strcspn(text + 10, "\n");
        if (n >= sizeof expect) n = sizeof expect - 1;
        memcpy(expect, text + 10, n);
        expect[n] = '\0';
    }
    EXPECT(expect[0] != '\0', "%s: first line must be '# expect: <text>'", path);
    int want_line = 0, line = 1;
    for (const char *p = text; p < text + len; p++) {
        if (*p == '\n') line++;
        else if (!strncmp(p, "# <- error", 10)) want_line = line;
    }
    free(text);
    iw_spec spec;
    iw_error err = {{0}};
    int rc = iw_spec_load(path, &spec, &err);
    if (rc == 0 && iw_spec_check_data_path(&spec, &err) != 0) { /* what iwsweep checks next */
        iw_spec_free(&spec);
        rc = -1;
    }
    EXPECT(rc != 0, "%s was accepted", path);
    if (rc == 0) {
        iw_spec_free(&spec);
        return;
    }
    EXPECT(strncmp(err.message, path, strlen(path)) == 0, "%s: message does not start with the file: %s", path, err.message);
    EXPECT(strstr(err.message, expect) != NULL, "%s:\n#   expected '%s'\n#   in       '%s'", path, expect, err.message);
    if (want_line) {
        char where[1100];
        snprintf(where, sizeof where, "%s:%d: ", path, want_line);
        EXPECT(strncmp(err.message, where, strlen(where)) == 0, "%s: expected line %d in '%s'", path, want_line, err.message);
    }
}

static void test_bad_sweep_table(void)
{
    const char *root = getenv("ROOT") ? getenv("ROOT") : ".";
    char pattern[1024];
    snprintf(pattern, sizeof pattern, "%s/tests/bad_sweeps/*.yaml", root);
    glob_t g;
    int found = glob(pattern, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    EXPECT(found >= 40, "expected the table of bad sweep files under %s, found %d", pattern, found);
    for (int i = 0; i < found; i++) check_bad_file(g.gl_pathv[i]);
    if (found) globfree(&g);
    printf("# %d bad sweep files checked\n", found);
}

/* Every prefix of a good file either parses or fails with a message naming the file; no crash or
 * leak (the ASan build runs this too). A cheap, deterministic cousin of the fuzz harness. */
static void test_truncated_files(void)
{
    const char *good =
        "name: cut\n"
        "data:\n  source: synthetic2d\n  train_per_class: [100, 10]\n  synthetic: {std: [1, 0.25], rotation: 90}\n"
        "model: {kind: mlp, hidden: [16, 16], init: pytorch}\n"
        "train:\n  epochs: 20\n  lr: 0.1\n  normalize: batch\n"
        "grid:\n  importance_weight: [0.25, 1, 4]\n  batchnorm: [false, true]\n  sampling: [weight, subsample]\n"
        "record: {boundary_epochs: [0, 5, 20], boundary_grid: 16}\n";
    size_t len = strlen(good);
    int accepted = 0, refused = 0;
    for (size_t n = 0; n <= len; n++) {
        iw_spec spec;
        iw_error err = {{0}};
        if (iw_spec_parse(good, n, "cut.yaml", &spec, &err) == 0) {
            accepted++;
            iw_point p;
            iw_spec_point(&spec, iw_spec_run_count(&spec) - 1, &p);
            iw_spec_free(&spec);
        } else {
            refused++;
            EXPECT(strncmp(err.message, "cut.yaml", 8) == 0, "prefix %zu: %s", n, err.message);
        }
    }
    EXPECT(accepted >= 1 && refused >= 1, "accepted %d refused %d", accepted, refused);
    iw_spec spec;
    iw_error err = {{0}};
    int rc = iw_spec_parse(good, len, "cut.yaml", &spec, &err);
    EXPECT(rc == 0 && iw_spec_run_count(&spec) == 12, "the whole file: %s", err.message);
    if (rc == 0) iw_spec_free(&spec);
}

int main(void)
{
    RUN_TEST(test_bad_sweep_table);
    RUN_TEST(test_truncated_files);
    return test_exit_code();
}
