/* test_run_trainable.c — a run that cannot train is never reported as finished. iw_run_execute is
 * given a set-up the parser refuses (batch norm with train.batch_size 1: every minibatch holds one
 * example and is skipped), as a library caller could: it must fail with "took no optimiser step"
 * instead of returning a "done" trajectory whose metrics never change. The same sweep with
 * batch_size 2 trains: done, and the weight norm moves after epoch 1. Also: the parser refuses the
 * batch_size 1 sweep, naming train.batch_size and its line.
 */
#include "iw/run.h"

#include <math.h>
#include <string.h>

#include "test.h"

static const char sweep[] =
    "name: bn\n"
    "data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}\n"
    "model: {kind: mlp, hidden: [16]}\n"
    "train: {epochs: 2, batch_size: 2, lr: 0.1}\n"
    "grid: {batchnorm: [true]}\n";

/* Runs the only grid point with train.batch_size forced to `batch`; returns iw_run_execute's code. */
static int run_with_batch(int batch, iw_trajectory *traj, iw_error *err)
{
    iw_spec spec;
    if (iw_spec_parse(sweep, strlen(sweep), "bn.yaml", &spec, err) != 0) return -2;
    spec.train.batch_size = batch;
    iw_data data;
    int rc = -2;
    if (iw_data_load(&spec.data, &data, err) == 0) {
        if (iw_trajectory_alloc(traj, &spec, err) == 0) {
            iw_point point;
            iw_spec_point(&spec, 0, &point);
            rc = iw_run_execute(&spec, &data, &point, NULL, traj, err);
        }
        iw_data_free(&data);
    }
    iw_spec_free(&spec);
    return rc;
}

static void test_batchnorm_batch_of_one_fails(void)
{
    iw_trajectory traj;
    iw_error err = {{0}};
    int rc = run_with_batch(1, &traj, &err);
    EXPECT(rc == -1, "iw_run_execute returned %d (status %d), expected -1", rc, traj.status);
    EXPECT(strstr(err.message, "epoch 1 took no optimiser step") != NULL, "message: %s", err.message);
    EXPECT(traj.status != IW_STATUS_DONE, "the run was reported done");
    iw_trajectory_free(&traj);
}

static void test_batchnorm_batch_of_two_trains(void)
{
    iw_trajectory traj;
    iw_error err = {{0}};
    int rc = run_with_batch(2, &traj, &err);
    EXPECT(rc == 0 && traj.status == IW_STATUS_DONE, "rc %d status %d: %s", rc, traj.status, err.message);
    if (rc == 0) {
        const float *norm = traj.metrics + (size_t)IW_METRIC_WEIGHT_NORM * (size_t)(traj.epochs + 1);
        EXPECT(isfinite(norm[0]) && isfinite(norm[1]) && norm[1] != norm[0], "weight norm %g -> %g: no training",
               norm[0], norm[1]);
    }
    iw_trajectory_free(&traj);
}

static void test_parser_refuses_batch_of_one(void)
{
    char text[sizeof sweep];
    memcpy(text, sweep, sizeof sweep);
    char *b = strstr(text, "batch_size: 2");
    b[strlen("batch_size: ")] = '1';
    iw_spec spec;
    iw_error err = {{0}};
    int rc = iw_spec_parse(text, strlen(text), "bn.yaml", &spec, &err);
    EXPECT(rc != 0, "batch_size 1 with batch norm accepted");
    if (rc == 0) iw_spec_free(&spec);
    EXPECT(strstr(err.message, "bn.yaml:4: key 'train.batch_size': batch norm needs at least 2") != NULL, "message: %s",
           err.message);
}

int main(void)
{
    RUN_TEST(test_batchnorm_batch_of_one_fails);
    RUN_TEST(test_batchnorm_batch_of_two_trains);
    RUN_TEST(test_parser_refuses_batch_of_one);
    return test_exit_code();
}
