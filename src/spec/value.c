/* value.c — the sweep file's scalar readers and messages. Each reader takes one YAML node and the
 * dotted key it belongs to, and either stores a checked value or writes
 *     "sweep.yaml:7: key 'train.epochs': expected a whole number >= 1, got 'ten'"
 * YAML semantics kept: a quoted scalar is a string, never a number or a boolean; NaN and infinity
 * (.nan, .inf, or values that overflow a double) are refused everywhere.
 */
#include "spec/spec_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_KEY_NAME(id, dotted) dotted,
const char *const spec_key_names[SPEC_KEY_COUNT] = {SPEC_KEYS(SPEC_KEY_NAME)};
#undef SPEC_KEY_NAME

int spec_line(const yaml_node_t *node) { return node ? (int)node->start_mark.line + 1 : 0; }

int spec_fail(spec_ctx *c, int line, const char *key, const char *fmt, ...)
{
    char what[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char where[64] = "";
    if (line > 0) snprintf(where, sizeof where, ":%d", line);
    if (key)
        return iw_error_set(c->err, "%s%s: key '%s': %s", c->file, where, key, what);
    return iw_error_set(c->err, "%s%s: %s", c->file, where, what);
}

/* Copies a scalar for a message: at most 40 bytes, non-printable bytes as '?', quoted. */
static void quote_scalar(const yaml_node_t *node, char *buf, size_t size)
{
    const unsigned char *s = node->data.scalar.value;
    size_t n = node->data.scalar.length, k = 0;
    char tmp[64];
    for (size_t i = 0; i < n && k < 40; i++) tmp[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    tmp[k] = '\0';
    snprintf(buf, size, "'%s%s'", tmp, n > 40 ? "..." : "");
}

int spec_is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *v = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
    return n == 0 || (n == 1 && v[0] == '~') || (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

int spec_is_word(const yaml_node_t *node, const char *word)
{
    size_t n = strlen(word);
    return node->type == YAML_SCALAR_NODE && node->data.scalar.length == n && !memcmp(node->data.scalar.value, word, n);
}

void spec_describe(const yaml_node_t *node, char *buf, size_t size)
{
    if (node->type == YAML_SEQUENCE_NODE) snprintf(buf, size, "a list");
    else if (node->type == YAML_MAPPING_NODE) snprintf(buf, size, "a mapping");
    else if (node->type != YAML_SCALAR_NODE || spec_is_null(node)) snprintf(buf, size, "nothing");
    else quote_scalar(node, buf, size);
}

static int is_quoted(const yaml_node_t *node)
{
    return node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
}

/* [+-]?[0-9]+ */
static int is_int_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i == n) return 0;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? — decimal only: no hex, no underscores, no nan/inf words. */
static int is_real_text(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, exp_digits++;
        if (exp_digits == 0) return 0;
    }
    return i == n;
}

/* .inf, -.Inf, .nan, NaN, infinity, ... (what YAML or strtod would read as non-finite). */
static int is_nonfinite_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i < n && s[i] == '.') i++;
    char word[9];
    size_t k = 0;
    for (; i < n && k < 8; i++, k++) word[k] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    if (i != n) return 0;
    word[k] = '\0';
    return !strcmp(word, "inf") || !strcmp(word, "infinity") || !strcmp(word, "nan");
}

/* Scalar text as a NUL-terminated string in buf (which is at least 64 bytes); 0 if too long. */
static int scalar_text(const yaml_node_t *node, char *buf, size_t size)
{
    size_t n = node->data.scalar.length;
    if (n >= size) return 0;
    memcpy(buf, node->data.scalar.value, n);
    buf[n] = '\0';
    return 1;
}

static void describe_int_range(long long lo, long long hi, char *buf, size_t size)
{
    if (hi >= 1000000) snprintf(buf, size, "a whole number >= %lld", lo); /* the upper bound only guards sizes */
    else snprintf(buf, size, "a whole number between %lld and %lld", lo, hi);
}

/* spec_read_int, with `alternative` ("all or ") in front of what the messages say was expected. */
static int read_int_or(spec_ctx *c, const yaml_node_t *node, const char *key, long long lo, long long hi,
                       long long *out, const char *alternative)
{
    char expected[128], range[96], got[80], text[64];
    describe_int_range(lo, hi, range, sizeof range);
    snprintf(expected, sizeof expected, "%s%s", alternative, range);
    spec_describe(node, got, sizeof got);
    int line = spec_line(node);
    if (node->type != YAML_SCALAR_NODE || spec_is_null(node))
        return spec_fail(c, line, key, "expected %s, got %s", expected, got);
    const char *s = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
    if (!is_int_text(s, n)) {
        if (is_nonfinite_text(s, n))
            return spec_fail(c, line, key, "expected %s, got %s (NaN and infinity are not allowed)", expected, got);
        return spec_fail(c, line, key, "expected %s, got %s", expected, got);
    }
    if (is_quoted(node))
        return spec_fail(c, line, key, "expected %s, got the quoted string %s (write the number without quotes)",
                         expected, got);
    if (!scalar_text(node, text, sizeof text))
        return spec_fail(c, line, key, "expected %s, got %s (too many digits)", expected, got);
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    if ((errno == ERANGE && v > 0) || v > hi) {
        if (hi >= 1000000) return spec_fail(c, line, key, "expected %s, got %s (too large: at most %lld)", expected, got, hi);
        return spec_fail(c, line, key, "expected %s, got %s", expected, got);
    }
    if (v < lo) return spec_fail(c, line, key, "expected %s, got %s", expected, got);
    *out = v;
    return 0;
}

int spec_read_int(spec_ctx *c, const yaml_node_t *node, const char *key, long long lo, long long hi,
                  long long *out)
{
    return read_int_or(c, node, key, lo, hi, out, "");
}

int spec_read_int_or_word(spec_ctx *c, const yaml_node_t *node, const char *key, const char *word, long long word_value,
                          long long lo, long long hi, long long *out)
{
    if (spec_is_word(node, word)) {
        *out = word_value;
        return 0;
    }
    char alternative[64];
    snprintf(alternative, sizeof alternative, "%s or ", word);
    return read_int_or(c, node, key, lo, hi, out, alternative);
}

static void format_bound(double v, char *buf, size_t size) { snprintf(buf, size, "%g", v); }

static void describe_real_range(double lo, int lo_open, double hi, int hi_open, char *buf, size_t size)
{
    char a[32], b[32];
    format_bound(lo, a, sizeof a);
    format_bound(hi, b, sizeof b);
    if (isinf(lo) && isinf(hi)) snprintf(buf, size, "a finite number");
    else if (isinf(hi)) snprintf(buf, size, "a number %s %s", lo_open ? ">" : ">=", a);
    else if (isinf(lo)) snprintf(buf, size, "a number %s %s", hi_open ? "<" : "<=", b);
    else snprintf(buf, size, "a number in %c%s, %s%c", lo_open ? '(' : '[', a, b, hi_open ? ')' : ']');
}

int spec_read_real(spec_ctx *c, const yaml_node_t *node, const char *key, double lo, int lo_open,
                   double hi, int hi_open, double *out)
{
    char expected[128], got[80], text[400];
    describe_real_range(lo, lo_open, hi, hi_open, expected, sizeof expected);
    spec_describe(node, got, sizeof got);
    int line = spec_line(node);
    if (node->type != YAML_SCALAR_NODE || spec_is_null(node))
        return spec_fail(c, line, key, "expected %s, got %s", expected, got);
    const char *s = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
    if (is_nonfinite_text(s, n))
        return spec_fail(c, line, key, "expected %s, got %s (NaN and infinity are not allowed)", expected, got);
    if (!is_real_text(s, n))
        return spec_fail(c, line, key, "expected %s, got %s", expected, got);
    if (is_quoted(node))
        return spec_fail(c, line, key, "expected %s, got the quoted string %s (write the number without quotes)",
                         expected, got);
    if (!scalar_text(node, text, sizeof text))
        return spec_fail(c, line, key, "expected %s, got %s (too long)", expected, got);
    double v = strtod(text, NULL);
    if (!isfinite(v))
        return spec_fail(c, line, key, "expected %s, got %s (too large for a double)", expected, got);
    if (v == 0.0) v = 0.0; /* -0 prints as 0 and compares equal to 0 in duplicate checks */
    int below = lo_open ? !(v > lo) : !(v >= lo);
    int above = hi_open ? !(v < hi) : !(v <= hi);
    if (below || above) return spec_fail(c, line, key, "expected %s, got %s", expected, got);
    *out = v;
    return 0;
}

int spec_read_bool(spec_ctx *c, const yaml_node_t *node, const char *key, int *out)
{
    char got[80];
    spec_describe(node, got, sizeof got);
    if (node->type == YAML_SCALAR_NODE && !is_quoted(node)) {
        const char *s = (const char *)node->data.scalar.value;
        size_t n = node->data.scalar.length;
        if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))) {
            *out = 1;
            return 0;
        }
        if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5))) {
            *out = 0;
            return 0;
        }
    }
    return spec_fail(c, spec_line(node), key, "expected true or false, got %s", got);
}

int spec_read_enum(spec_ctx *c, const yaml_node_t *node, const char *key,
                   const char *const *names, int n_names, int *out)
{
    char got[80], allowed[256] = "";
    spec_describe(node, got, sizeof got);
    if (node->type == YAML_SCALAR_NODE) {
        for (int i = 0; i < n_names; i++) {
            size_t len = strlen(names[i]);
            if (node->data.scalar.length == len && !memcmp(node->data.scalar.value, names[i], len)) {
                *out = i;
                return 0;
            }
        }
    }
    for (int i = 0; i < n_names; i++) {
        strncat(allowed, i ? ", " : "", sizeof allowed - strlen(allowed) - 1);
        strncat(allowed, names[i], sizeof allowed - strlen(allowed) - 1);
    }
    if (node->type == YAML_SCALAR_NODE && !spec_is_null(node))
        return spec_fail(c, spec_line(node), key, "unknown value %s; expected one of: %s", got, allowed);
    return spec_fail(c, spec_line(node), key, "expected one of: %s, got %s", allowed, got);
}

int spec_read_string(spec_ctx *c, const yaml_node_t *node, const char *key, char *buf, size_t size)
{
    char got[80];
    spec_describe(node, got, sizeof got);
    int line = spec_line(node);
    if (node->type != YAML_SCALAR_NODE || spec_is_null(node))
        return spec_fail(c, line, key, "expected a text value, got %s", got);
    size_t n = node->data.scalar.length;
    if (memchr(node->data.scalar.value, '\0', n))
        return spec_fail(c, line, key, "the value contains a NUL character");
    if (n >= size) return spec_fail(c, line, key, "too long: at most %zu characters, got %zu", size - 1, n);
    memcpy(buf, node->data.scalar.value, n);
    buf[n] = '\0';
    return 0;
}

int spec_read_list(spec_ctx *c, const yaml_node_t *node, const char *key, int min, int max,
                   const char *example, yaml_node_item_t **items, int *n)
{
    char got[80];
    spec_describe(node, got, sizeof got);
    if (node->type != YAML_SEQUENCE_NODE)
        return spec_fail(c, spec_line(node), key, "expected a list like %s, got %s", example, got);
    long count = (long)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (count < min || (max >= 0 && count > max)) {
        if (min == max)
            return spec_fail(c, spec_line(node), key, "expected a list of %d values like %s, got %ld values", min, example, count);
        if (min == 0)
            return spec_fail(c, spec_line(node), key, "expected at most %d values, got %ld", max, count);
        if (max < 0)
            return spec_fail(c, spec_line(node), key, "expected at least %d values like %s, got %ld", min, example, count);
        return spec_fail(c, spec_line(node), key, "expected %d to %d values like %s, got %ld values", min, max, example, count);
    }
    *items = node->data.sequence.items.start;
    *n = (int)count;
    return 0;
}

yaml_node_t *spec_item(spec_ctx *c, const yaml_node_item_t *items, int i)
{
    return yaml_document_get_node(c->doc, items[i]);
}

/* Edit distance, for "did you mean"; both strings are short (keys are cut at 63 bytes). */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strnlen(a, 63), lb = (int)strnlen(b, 63);
    int row[64];
    for (int j = 0; j <= lb; j++) row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *spec_known_key(int k, char *buf, size_t size)
{
    if (k <= SPEC_KEY_GRID) return spec_key_names[k];
    if (k <= SPEC_KEY_GRID + IW_AXIS_COUNT) {
        snprintf(buf, size, "grid.%s", iw_axis_defs[k - SPEC_KEY_GRID - 1].name);
        return buf;
    }
    return spec_key_names[k - IW_AXIS_COUNT];
}

static const char *leaf_of(const char *dotted)
{
    const char *dot = strrchr(dotted, '.');
    return dot ? dot + 1 : dotted;
}

static int parent_is(const char *dotted, const char *parent)
{
    size_t n = strlen(parent);
    const char *leaf = leaf_of(dotted);
    if (n == 0) return leaf == dotted;
    return (size_t)(leaf - dotted) == n + 1 && !strncmp(dotted, parent, n);
}

int spec_suggest_key(const char *parent, const char *given, char *out, size_t size)
{
    char buf[96];
    /* 1. the same name in another section (top-level "epochs" -> "train.epochs") */
    for (int k = 0; k < SPEC_KNOWN_KEYS; k++) {
        const char *key = spec_known_key(k, buf, sizeof buf);
        if (!parent_is(key, parent) && !strcmp(leaf_of(key), given)) return snprintf(out, size, "%s", key) > 0;
    }
    /* 2. the closest name in this section, then anywhere, within a third of its length */
    int best_d = 1 << 30, found = 0;
    for (int pass = 0; pass < 2 && !found; pass++) {
        for (int k = 0; k < SPEC_KNOWN_KEYS; k++) {
            const char *key = spec_known_key(k, buf, sizeof buf);
            if (pass == 0 && !parent_is(key, parent)) continue;
            const char *leaf = leaf_of(key);
            int d = edit_distance(given, leaf);
            int limit = (int)strlen(leaf) / 3 > 1 ? (int)strlen(leaf) / 3 : 1;
            if (d <= limit && d < best_d) {
                snprintf(out, size, "%s", key);
                best_d = d, found = 1;
            }
        }
    }
    return found;
}
