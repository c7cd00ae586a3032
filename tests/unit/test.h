/* test.h — the tiny test harness of the C unit tests. Each test binary runs its cases with
 * RUN_TEST and prints one TAP-like line per case ("ok - name" / "not ok - name" with the failed
 * expectations above it as "# ..." lines); tests/run_tests.sh counts them. main() returns
 * test_exit_code(): non-zero when any case failed, so a binary run by hand fails too.
 */
#ifndef IW_TEST_H
#define IW_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int test_case_failed_;
static int test_cases_failed_;

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

#define RUN_TEST(fn)                                                                          \
    do {                                                                                      \
        test_case_failed_ = 0;                                                                \
        fn();                                                                                 \
        printf("%s - %s\n", test_case_failed_ ? "not ok" : "ok", #fn);                        \
        fflush(stdout);                                                                       \
        test_cases_failed_ += test_case_failed_;                                              \
    } while (0)

static inline int test_exit_code(void) { return test_cases_failed_ ? 1 : 0; }

#endif
