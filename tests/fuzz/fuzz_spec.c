/* fuzz_spec.c — libFuzzer harness for the sweep-file parser (issue 5, item 5). Any byte string is
 * parsed as a sweep file; the parser must either refuse it with a message naming the file, or
 * accept it with a grid whose every point satisfies the documented ranges. ASan/UBSan/LSan turn
 * memory errors, undefined behaviour and leaks into crashes. Run by tests/fuzz/run_fuzz.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "iw/spec.h"

static FILE *null_out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    null_out = fopen("/dev/null", "w");
    return 0;
}

static void check_point(const iw_spec *spec, int64_t run)
{
    iw_point p;
    iw_spec_point(spec, run, &p);
    if (p.run != run) __builtin_trap();
    /* every value within its axis's documented range (axis.h) */
    for (int a = 0; a < IW_AXIS_COUNT; a++) {
        const iw_axis_def *def = &iw_axis_defs[a];
        double v = p.value[a];
        if (!isfinite(v)) __builtin_trap();
        if (def->type == IW_AXIS_REAL && (def->lo_open ? !(v > def->lo) : !(v >= def->lo))) __builtin_trap();
        if (def->type == IW_AXIS_REAL && (def->hi_open ? !(v < def->hi) : !(v <= def->hi))) __builtin_trap();
        if (def->type == IW_AXIS_INT && (v != (double)(int64_t)v || v < def->lo || v > def->hi)) __builtin_trap();
        if ((def->type == IW_AXIS_FLAG || def->type == IW_AXIS_ENUM) && (v != (int)v || v < 0 || v >= def->n_names))
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iw_spec spec;
    iw_error err;
    err.message[0] = '\0';
    if (iw_spec_parse((const char *)data, size, "fuzz.yaml", &spec, &err) != 0) {
        if (strncmp(err.message, "fuzz.yaml", 9) != 0) __builtin_trap(); /* every message names the file */
        if (spec.text != NULL || spec.n_axes != 0) __builtin_trap();     /* nothing left to free */
        return 0;
    }
    if (spec.text_len != size || memcmp(spec.text, data, size) != 0) __builtin_trap();
    if (spec.name[0] == '\0' || strchr(spec.name, '/')) __builtin_trap();
    if (spec.train.epochs < 1 || spec.train.batch_size < 1) __builtin_trap();
    if (spec.data.classes[0] == spec.data.classes[1]) __builtin_trap();
    for (int i = 0; i < spec.record.n_boundary_epochs; i++)
        if (spec.record.boundary_epochs[i] > spec.train.epochs || (i && spec.record.boundary_epochs[i] <= spec.record.boundary_epochs[i - 1]))
            __builtin_trap();
    /* the evaluation schedule: list epochs in 0..E and increasing; 0 and E always evaluated */
    const iw_eval_schedule *ev = &spec.record.eval;
    for (int i = 0; i < ev->n_epochs; i++)
        if (ev->epochs[i] < 0 || ev->epochs[i] > spec.train.epochs || (i && ev->epochs[i] <= ev->epochs[i - 1]))
            __builtin_trap();
    if (!iw_spec_epoch_evaluated(&spec, 0) || !iw_spec_epoch_evaluated(&spec, spec.train.epochs)) __builtin_trap();
    if (spec.data.other_count < 0 || (spec.data.other_count > 0 && !spec.data.probe_other)) __builtin_trap();
    int64_t runs = iw_spec_run_count(&spec);
    if (runs < 1 || runs > IW_MAX_RUNS || spec.n_axes < 5) __builtin_trap();
    check_point(&spec, 0);
    check_point(&spec, runs / 2);
    check_point(&spec, runs - 1);
    if (runs <= 512 && null_out) iw_spec_print_runs(&spec, null_out);
    iw_spec_free(&spec);
    return 0;
}
