/* encoding.c — a sweep file must be UTF-8 text, checked before libyaml sees it.
 *
 * Why our own check: libyaml decodes UTF-16 itself when the file starts with a UTF-16 byte-order
 * mark, so such a file parsed and its bytes, NULs included, went verbatim into the store's /spec,
 * a C string cut at the first NUL (h5py and xarray then failed to decode it). Refusing anything
 * but UTF-8 keeps /spec complete, valid UTF-8, and the sweep's SHA-256 that of the text users see.
 *
 * Accepted: well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates U+D800..U+DFFF, nothing
 * above U+10FFFF), optionally after a UTF-8 byte-order mark EF BB BF. Refused, naming the line:
 * UTF-16/UTF-32 byte-order marks, NUL bytes (UTF-16/32 without a mark), and any other byte
 * sequence that is not UTF-8 (Latin-1, Windows-1252, ... text), with the bytes and a way to convert.
 */
#include "spec/spec_internal.h"

#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char b = s[0];
    if (b < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) n = 2;
    else if (b == 0xE0) n = 3, lo = 0xA0;               /* no overlong 3-byte forms */
    else if (b == 0xED) n = 3, hi = 0x9F;               /* no surrogates */
    else if (b >= 0xE1 && b <= 0xEF) n = 3;
    else if (b == 0xF0) n = 4, lo = 0x90;               /* no overlong 4-byte forms */
    else if (b == 0xF4) n = 4, hi = 0x8F;               /* nothing above U+10FFFF */
    else if (b >= 0xF1 && b <= 0xF3) n = 4;
    else return 0;                                      /* 80..C1 (continuation, overlong), F5..FF */
    if (left < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

int spec_check_encoding(spec_ctx *c, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    static const struct { const char *bom; size_t n; const char *name, *iconv; } marks[] = {
        {"\xFF\xFE\x00\x00", 4, "UTF-32 (little-endian)", "UTF-32"},
        {"\x00\x00\xFE\xFF", 4, "UTF-32 (big-endian)", "UTF-32"},
        {"\xFF\xFE", 2, "UTF-16 (little-endian)", "UTF-16"},
        {"\xFE\xFF", 2, "UTF-16 (big-endian)", "UTF-16"},
    };
    for (size_t m = 0; m < sizeof marks / sizeof *marks; m++)
        if (len >= marks[m].n && memcmp(s, marks[m].bom, marks[m].n) == 0)
            return spec_fail(c, 1, NULL,
                             "the file is %s text (it starts with that byte-order mark); a sweep file must be "
                             "UTF-8: convert it with iconv -f %s -t UTF-8 %s > NEW.yaml",
                             marks[m].name, marks[m].iconv, c->file);
    size_t i = len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a UTF-8 mark is fine */
    int line = 1;
    while (i < len) {
        if (s[i] == '\0')
            return spec_fail(c, line, NULL,
                             "a NUL byte (byte %zu): the file looks like UTF-16 or UTF-32 text; a sweep file must "
                             "be UTF-8 (convert it with iconv -t UTF-8)", i);
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            char bytes[32] = "";
            for (size_t k = 0; k < 4 && i + k < len && (k == 0 || s[i + k] >= 0x80); k++) { /* up to ASCII */
                char one[8];
                snprintf(one, sizeof one, "%s%02X", k ? " " : "", s[i + k]);
                strncat(bytes, one, sizeof bytes - strlen(bytes) - 1);
            }
            return spec_fail(c, line, NULL,
                             "bytes %s (byte %zu) are not UTF-8 (Latin-1 or Windows-1252 text?); a sweep file must "
                             "be UTF-8: convert it with iconv -f LATIN1 -t UTF-8 (or -f CP1252)", bytes, i);
        }
        line += s[i] == '\n';
        i += n;
    }
    return 0;
}
