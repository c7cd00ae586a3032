/* csv_out.c — CSV fields for iwreport's outputs (csv_out.h has the rules). */
#include "csv_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void iw_csv_label(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void iw_csv_number(FILE *out, double v, int digits)
{
    if (isfinite(v)) fprintf(out, "%.*g", digits, v);
}

void iw_csv_axis_value(FILE *out, const iw_read_axis *ax, int64_t r)
{
    if (ax->is_label || ax->is_bool) {
        iw_csv_label(out, ax->labels[ax->index[r]]);
        return;
    }
    char buf[40];
    double v = ax->values[r];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, out);
}
