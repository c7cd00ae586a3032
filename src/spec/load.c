/* load.c — the entry points of the sweep-file module: read a file, keep its text verbatim (and its
 * SHA-256, which the store records to refuse a different sweep file), check that it is UTF-8
 * (encoding.c), let libyaml build the document, then parse.c and validate.c turn it into an iw_spec. On any error the spec is left
 * empty (nothing to free) and the message says which file, line and key.
 */
#include "spec/spec_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SPEC_BYTES (16u << 20) /* a sweep file is a page of YAML; 16 MiB is surely a mistake */

void spec_set_defaults(iw_spec *s);

void iw_spec_free(iw_spec *spec)
{
    if (!spec) return;
    free(spec->text);
    spec->text = NULL;
    spec->text_len = 0;
    for (int i = 0; i < IW_AXIS_COUNT; i++) {
        free(spec->axes[i].values);
        spec->axes[i].values = NULL;
        spec->axes[i].count = 0;
    }
    spec->n_axes = 0;
}

/* libyaml's own message, with the line it reports (reader errors give a byte offset instead). */
static int yaml_failure(spec_ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) return spec_fail(c, 0, NULL, "out of memory while reading YAML");
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR) {
        int line = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) line += text[i] == '\n';
        return spec_fail(c, line, NULL, "YAML error: %s (byte %zu; a sweep file must be UTF-8 text)", problem,
                         p->problem_offset);
    }
    int line = (int)p->problem_mark.line + 1, column = (int)p->problem_mark.column + 1;
    if (p->context)
        return spec_fail(c, line, NULL, "YAML syntax error: %s (column %d), %s that starts on line %d", problem, column,
                         p->context, (int)p->context_mark.line + 1);
    return spec_fail(c, line, NULL, "YAML syntax error: %s, column %d", problem, column);
}

static int parse_text(spec_ctx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    if (!yaml_parser_initialize(&parser)) return spec_fail(c, 0, NULL, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = -1;
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_failure(c, &parser, text, len);
        yaml_parser_delete(&parser);
        return -1;
    }
    c->doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        spec_fail(c, 1, NULL, "the file is empty: expected a mapping of keys, at least 'name:'");
        goto done;
    }
    /* One file, one sweep: a second document ("---") would be silently ignored otherwise. */
    if (!yaml_parser_load(&parser, &extra)) {
        yaml_failure(c, &parser, text, len);
        goto done;
    }
    yaml_node_t *second = yaml_document_get_root_node(&extra);
    int second_line = second ? (int)extra.start_mark.line + 1 : 0;
    yaml_document_delete(&extra);
    if (second) {
        spec_fail(c, second_line, NULL, "a second YAML document starts here; a sweep file holds exactly one");
        goto done;
    }
    spec_set_defaults(c->spec);
    rc = spec_parse_document(c) || spec_validate(c) ? -1 : 0;
done:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    c->doc = NULL;
    return rc;
}

int iw_spec_parse(const char *text, size_t len, const char *filename, iw_spec *spec, iw_error *err)
{
    memset(spec, 0, sizeof *spec);
    snprintf(spec->file, sizeof spec->file, "%s", filename ? filename : "<sweep>");
    snprintf(spec->data.spec_file, sizeof spec->data.spec_file, "%s", spec->file);
    spec_ctx c;
    memset(&c, 0, sizeof c);
    c.file = spec->file;
    c.spec = spec;
    c.err = err;
    if (len > MAX_SPEC_BYTES)
        return spec_fail(&c, 0, NULL, "%zu bytes is too large for a sweep file (at most %u)", len, MAX_SPEC_BYTES);
    spec->text = malloc(len + 1);
    if (!spec->text) return spec_fail(&c, 0, NULL, "out of memory");
    memcpy(spec->text, text, len);
    spec->text[len] = '\0';
    spec->text_len = len;
    iw_sha256_hex(text, len, spec->sha256);
    if (spec_check_encoding(&c, text, len) || parse_text(&c, text, len)) {
        iw_spec_free(spec);
        return -1;
    }
    return 0;
}

int iw_spec_load(const char *path, iw_spec *spec, iw_error *err)
{
    memset(spec, 0, sizeof *spec);
    FILE *f = fopen(path, "rb");
    if (!f) return iw_error_set(err, "%s: cannot open the sweep file: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return iw_error_set(err, "%s: is a folder, expected a sweep file (YAML)", path);
    }
    /* Read to the end rather than trusting st_size: pipes (<(...)) and /dev/stdin work too. */
    size_t size = 0, cap = 4096;
    char *buf = malloc(cap);
    int read_error = 0;
    while (buf) {
        size += fread(buf + size, 1, cap - size, f);
        if (ferror(f)) {
            read_error = errno ? errno : EIO;
            break;
        }
        if (size < cap) break; /* end of file */
        if (cap > MAX_SPEC_BYTES) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
        }
        buf = bigger, cap *= 2;
    }
    fclose(f);
    if (!buf) return iw_error_set(err, "%s: out of memory", path);
    if (read_error) {
        free(buf);
        return iw_error_set(err, "%s: cannot read the sweep file: %s", path, strerror(read_error));
    }
    if (size > MAX_SPEC_BYTES) {
        free(buf);
        return iw_error_set(err, "%s: too large for a sweep file (more than %u bytes)", path, MAX_SPEC_BYTES);
    }
    int rc = iw_spec_parse(buf, size, path, spec, err);
    free(buf);
    return rc;
}
