/* test_spec_encoding.c — a sweep file must be UTF-8 (RFC 3629). Byte strings built here: the same
 * small sweep as UTF-16/UTF-32 with and without byte-order marks, Latin-1 and Windows-1252 bytes,
 * overlong forms, surrogates, code points above U+10FFFF, a sequence cut at the end of the file,
 * and a NUL byte, each refused with the line it is on; a UTF-8 byte-order mark and non-ASCII
 * comments (2-, 3- and 4-byte characters) accepted, the text kept byte for byte.
 */
#include "iw/spec.h"

#include <stdlib.h>
#include <string.h>

#include "test.h"

static const char sweep[] =
    "name: enc\n"
    "data: {source: synthetic2d, train_per_class: 4, test_per_class: 4}\n"
    "model: {kind: linear}\n"
    "train: {epochs: 1, batch_size: 2}\n"
    "grid: {importance_weight: [1, 4]}\n";

/* sweep as UTF-16 or UTF-32 (unit 2 or 4 bytes), little- or big-endian, with or without a mark */
static size_t widen(char *out, int unit, int big_endian, int mark)
{
    size_t n = 0;
    unsigned long bom = 0xFEFF;
    for (size_t i = 0; i < strlen(sweep) + (mark ? 1 : 0); i++) {
        unsigned long cp = mark && i == 0 ? bom : (unsigned char)sweep[i - (mark ? 1 : 0)];
        for (int b = 0; b < unit; b++) {
            int shift = 8 * (big_endian ? unit - 1 - b : b);
            out[n++] = (char)((cp >> shift) & 0xFF);
        }
    }
    return n;
}

/* Parses len bytes; expects a refusal naming line `line` and containing `what` (line 0: accepted). */
static void expect_parse(const char *label, const char *text, size_t len, int line, const char *what)
{
    iw_spec spec;
    iw_error err = {{0}};
    int rc = iw_spec_parse(text, len, "enc.yaml", &spec, &err);
    if (line == 0) {
        EXPECT(rc == 0, "%s: refused: %s", label, err.message);
        if (rc == 0) {
            EXPECT(spec.text_len == len && memcmp(spec.text, text, len) == 0, "%s: text not kept verbatim", label);
            iw_spec_free(&spec);
        }
        return;
    }
    EXPECT(rc != 0, "%s: accepted", label);
    if (rc == 0) {
        iw_spec_free(&spec);
        return;
    }
    char where[32];
    snprintf(where, sizeof where, "enc.yaml:%d: ", line);
    EXPECT(strncmp(err.message, where, strlen(where)) == 0, "%s: expected line %d in '%s'", label, line, err.message);
    EXPECT(strstr(err.message, what) != NULL, "%s: expected '%s' in '%s'", label, what, err.message);
    EXPECT(strstr(err.message, "must be UTF-8") != NULL, "%s: message does not say UTF-8: %s", label, err.message);
}

static void test_utf16_utf32_refused(void)
{
    char buf[4 * sizeof sweep + 8];
    expect_parse("UTF-16LE with mark", buf, widen(buf, 2, 0, 1), 1, "UTF-16 (little-endian)");
    expect_parse("UTF-16BE with mark", buf, widen(buf, 2, 1, 1), 1, "UTF-16 (big-endian)");
    expect_parse("UTF-32LE with mark", buf, widen(buf, 4, 0, 1), 1, "UTF-32 (little-endian)");
    expect_parse("UTF-32BE with mark", buf, widen(buf, 4, 1, 1), 1, "UTF-32 (big-endian)");
    expect_parse("UTF-16LE without mark", buf, widen(buf, 2, 0, 0), 1, "NUL byte");
    expect_parse("UTF-16BE without mark", buf, widen(buf, 2, 1, 0), 1, "NUL byte");
}

/* sweep with `insert` put at the start of line `line` (1-based) */
static size_t with_bytes(char *out, int line, const char *insert, size_t n_insert)
{
    const char *p = sweep;
    for (int l = 1; l < line; l++) p = strchr(p, '\n') + 1;
    size_t head = (size_t)(p - sweep);
    memcpy(out, sweep, head);
    memcpy(out + head, insert, n_insert);
    memcpy(out + head + n_insert, p, strlen(p));
    return head + n_insert + strlen(p);
}

static void test_other_bytes_refused_with_their_line(void)
{
    char buf[sizeof sweep + 64];
    static const struct { const char *label, *bytes; size_t n; int line; const char *what; } cases[] = {
        {"Latin-1 e-acute in a comment", "# caf\xE9\n", 7, 3, "bytes E9 (byte"},
        {"Windows-1252 quotes", "# \x93quoted\x94\n", 11, 2, "bytes 93 (byte"},
        {"lone continuation byte", "# \x80\n", 4, 4, "80"},
        {"overlong '/' (C0 AF)", "# \xC0\xAF\n", 5, 5, "C0 AF"},
        {"overlong 3-byte (E0 80 AF)", "# \xE0\x80\xAF\n", 6, 2, "E0 80 AF"},
        {"surrogate U+D800 (ED A0 80)", "# \xED\xA0\x80\n", 6, 3, "ED A0 80"},
        {"above U+10FFFF (F4 90 80 80)", "# \xF4\x90\x80\x80\n", 7, 4, "F4 90 80 80"},
        {"F5 lead byte", "# \xF5\x80\x80\x80\n", 7, 2, "F5"},
        {"NUL byte", "# a\0b\n", 6, 4, "NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_parse(cases[i].label, buf, with_bytes(buf, cases[i].line, cases[i].bytes, cases[i].n), cases[i].line,
                     cases[i].what);
    /* a 3-byte character cut by the end of the file, on the last line (6: after five full lines) */
    memcpy(buf, sweep, strlen(sweep));
    memcpy(buf + strlen(sweep), "# \xE2\x82", 4);
    expect_parse("sequence cut at the end of the file", buf, strlen(sweep) + 4, 6, "E2 82");
}

static void test_utf8_accepted(void)
{
    char buf[sizeof sweep + 64];
    memcpy(buf, "\xEF\xBB\xBF", 3);
    memcpy(buf + 3, sweep, strlen(sweep));
    expect_parse("UTF-8 byte-order mark", buf, strlen(sweep) + 3, 0, "");
    const char comments[] = "# caf\xC3\xA9, \xE4\xB8\xAD\xE6\x96\x87, \xF0\x9F\x93\x88, U+10FFFF \xF4\x8F\xBF\xBF\n";
    expect_parse("non-ASCII comments", buf, with_bytes(buf, 2, comments, strlen(comments)), 0, "");
    const char value[] = "name: caf\xC3\xA9-\xCE\xB1\n"; /* a non-ASCII name is a name like any other */
    size_t n = strlen(sweep) - strlen("name: enc\n");
    memcpy(buf, value, strlen(value));
    memcpy(buf + strlen(value), sweep + strlen("name: enc\n"), n);
    expect_parse("non-ASCII name", buf, strlen(value) + n, 0, "");
}

int main(void)
{
    RUN_TEST(test_utf16_utf32_refused);
    RUN_TEST(test_other_bytes_refused_with_their_line);
    RUN_TEST(test_utf8_accepted);
    return test_exit_code();
}
