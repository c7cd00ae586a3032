/* csv_out.h — the fields of iwreport's CSV outputs (csv, stop --csv, effect --csv, adjust --csv),
 * written one way: labels quoted as RFC 4180 asks, axis values exact, numbers empty where they are
 * not finite (NaN in pandas).
 */
#ifndef IW_REPORT_CSV_OUT_H
#define IW_REPORT_CSV_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "iw/store_read.h"

/* A label as one field: as it is, or in double quotes (inner quotes doubled) when it holds a
 * comma, a quote or a newline. */
void iw_csv_label(FILE *out, const char *s);
/* v with `digits` significant digits (%.*g: 9 for float32 values, 17 for doubles); nothing when
 * v is NaN or infinite. */
void iw_csv_number(FILE *out, double v, int digits);
/* Axis ax of run r: its label (enum, flag) or its value in the shortest of %.15g and %.17g that
 * reads back as the same double. */
void iw_csv_axis_value(FILE *out, const iw_read_axis *ax, int64_t r);

#endif
