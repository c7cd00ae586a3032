/* fault.c — the test hooks IW_TEST_FAIL_STEP and IW_TEST_FAIL_RUN (fault.h). */
#include "iw/fault.h"

#include <stdlib.h>
#include <string.h>

int iw_fault_at(const char *step, int rank, iw_error *err)
{
    const char *list = getenv("IW_TEST_FAIL_STEP");
    size_t n = strlen(step);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n + 1 && strncmp(p, step, n) == 0 && p[n] == ':') {
            char *stop;
            long r = strtol(p + n + 1, &stop, 10);
            if (stop == p + len && stop != p + n + 1 && r == rank) {
                if (err) iw_error_set(err, "injected failure at step %s (IW_TEST_FAIL_STEP=%s:%d)", step, step, rank);
                return 1;
            }
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

int iw_fault_run(int64_t run)
{
    for (const char *p = getenv("IW_TEST_FAIL_RUN"); p && *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) break;
        if (v == run) return 1;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}
