/* test_fault.c — the test hooks of fault.h read exactly what they name: IW_TEST_FAIL_STEP matches a
 * (step, rank) pair of its comma-separated list and nothing else (not a prefix of a step, not a
 * rank written with trailing text), says so in the message, and leaves err alone otherwise;
 * IW_TEST_FAIL_RUN lists runs. Unset, nothing fails.
 */
#include "iw/fault.h"

#include <stdlib.h>
#include <string.h>

#include "test.h"

static void test_fail_step(void)
{
    iw_error err = {"untouched"};
    unsetenv("IW_TEST_FAIL_STEP");
    EXPECT(!iw_fault_at("open_store", 0, &err), "unset: no fault");
    setenv("IW_TEST_FAIL_STEP", "plan:0,open_store:2", 1);
    EXPECT(!iw_fault_at("open_store", 1, &err), "open_store:2 does not name rank 1");
    EXPECT(strcmp(err.message, "untouched") == 0, "err untouched without a fault: %s", err.message);
    EXPECT(iw_fault_at("open_store", 2, &err), "open_store:2 names rank 2");
    EXPECT(strcmp(err.message, "injected failure at step open_store (IW_TEST_FAIL_STEP=open_store:2)") == 0, "%s",
           err.message);
    EXPECT(iw_fault_at("plan", 0, NULL), "the first of the list");
    EXPECT(!iw_fault_at("open", 2, NULL) && !iw_fault_at("open_store_x", 2, NULL) && !iw_fault_at("pla", 0, NULL),
           "only whole step names match");
    setenv("IW_TEST_FAIL_STEP", "close_store:1x,barrier:,finalize:-1", 1);
    EXPECT(!iw_fault_at("close_store", 1, NULL) && !iw_fault_at("barrier", 0, NULL), "malformed entries match nothing");
    EXPECT(iw_fault_at("finalize", -1, NULL), "a rank is a whole number");
    unsetenv("IW_TEST_FAIL_STEP");
}

static void test_fail_run(void)
{
    unsetenv("IW_TEST_FAIL_RUN");
    EXPECT(!iw_fault_run(0), "unset: no run fails");
    setenv("IW_TEST_FAIL_RUN", "3,7", 1);
    EXPECT(iw_fault_run(3) && iw_fault_run(7), "3 and 7 fail");
    EXPECT(!iw_fault_run(0) && !iw_fault_run(4) && !iw_fault_run(37), "others do not");
    unsetenv("IW_TEST_FAIL_RUN");
}

int main(void)
{
    RUN_TEST(test_fail_step);
    RUN_TEST(test_fail_run);
    return test_exit_code();
}
