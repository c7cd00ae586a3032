/* test.h — the tiny test harness of the C unit tests. Each test binary runs its cases with
 * RUN_TEST and prints one TAP-like line per case ("ok - name" / "not ok - name" with the failed
 * expectations above it as "# ..." lines); tests/run_tests.sh counts them. A case that cannot run
 * here calls TEST_SKIP("why") and returns: it prints "ok - name # SKIP why" (TAP's directive),
 * which run_tests.sh counts as skipped, never as passed. main() returns test_exit_code():
 * non-zero when any case failed or when no case ran at all, so a binary run by hand fails too.
 */
#ifndef IW_TEST_H
#define IW_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int test_case_failed_;
static int test_cases_failed_;
static int test_cases_run_ __attribute__((unused));
static char test_skip_reason_[256] __attribute__((unused)); /* non-empty: the current case was skipped */

#define EXPECT(cond, ...)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            test_case_failed_ = 1;                                                            \
            printf("# %s:%d: expected %s: ", __FILE__, __LINE__, #cond);                      \
            printf(__VA_ARGS__);                                                              \
            printf("\n");                                                                     \
        }                                                                                     \
    } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define EXPECT_CLOSE(a, b, tol)                                                               \
    do {                                                                                      \
        double a_ = (double)(a), b_ = (double)(b);                                            \
        double s_ = fabs(b_) > 1.0 ? fabs(b_) : 1.0;                                          \
        EXPECT(fabs(a_ - b_) <= (tol) * s_, "%s = %.9g, %s = %.9g (tol %g)", #a, a_, #b, b_,  \
               (double)(tol));                                                                \
    } while (0)

/* Marks the current case as skipped (printf-style reason); the case should return right after.
 * A case that also failed an expectation is reported as failed. */
#define TEST_SKIP(...)                                                                        \
    do {                                                                                      \
        snprintf(test_skip_reason_, sizeof test_skip_reason_, __VA_ARGS__);                   \
        if (!test_skip_reason_[0]) snprintf(test_skip_reason_, sizeof test_skip_reason_, "?");\
    } while (0)

#define RUN_TEST(fn)                                                                          \
    do {                                                                                      \
        test_case_failed_ = 0;                                                                \
        test_skip_reason_[0] = '\0';                                                          \
        fn();                                                                                 \
        if (test_case_failed_)                                                                \
            printf("not ok - %s\n", #fn);                                                     \
        else if (test_skip_reason_[0])                                                        \
            printf("ok - %s # SKIP %s\n", #fn, test_skip_reason_);                            \
        else                                                                                  \
            printf("ok - %s\n", #fn);                                                         \
        fflush(stdout);                                                                       \
        test_cases_failed_ += test_case_failed_;                                              \
        test_cases_run_++;                                                                    \
    } while (0)

static inline int test_exit_code(void)
{
    if (test_cases_run_ == 0) {
        printf("not ok - no test case ran\n");
        return 1;
    }
    return test_cases_failed_ ? 1 : 0;
}

#endif
