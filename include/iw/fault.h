/* fault.h — the test hook that makes one rank fail at one collective step on purpose.
 *
 *   IW_TEST_FAIL_STEP=<step>:<rank>[,<step>:<rank>...]       e.g. IW_TEST_FAIL_STEP=node_data:2
 *
 * Why: every collective step of a sweep (read the sweep file, check inputs, load the node's data,
 * open or create the store, plan, prepare the workers, the barrier before close, close, the final
 * barrier) must end the whole job cleanly when one rank fails while the others are inside a
 * collective call, never with a hang. A rank's failure cannot be produced on demand from outside
 * (a full disk on one node, a store one node cannot see), so the code asks iw_fault_at at each
 * step, at the point where that rank's own part of the step ends, right before the agreement that
 * lets every rank leave together (tests/integration/sweep_collective_faults.sh). The steps and
 * what the failure means at each are listed in docs/DESIGN.md ("Errors agree").
 *
 * Unset (always, outside tests) it costs one getenv per step.
 *
 *   IW_TEST_FAIL_RUN=<run>[,<run>...]                          e.g. IW_TEST_FAIL_RUN=3,7
 *
 * makes those runs fail instead of training (iwsweep records them as failed, status 3, and goes on:
 * tests/integration/sweep_failures.sh).
 */
#ifndef IW_FAULT_H
#define IW_FAULT_H

#include "iw/common.h"

/* 1 when IW_TEST_FAIL_STEP names (step, rank); then, when err is non-NULL, err says "injected
 * failure at step <step> (IW_TEST_FAIL_STEP=<step>:<rank>)". 0 otherwise (err untouched). */
int iw_fault_at(const char *step, int rank, iw_error *err);

/* 1 when IW_TEST_FAIL_RUN lists run `run`, else 0. */
int iw_fault_run(int64_t run);

#endif
