/* run_eval.c — the evaluation of a run at one epoch (evaluation mode: batch-norm running
 * statistics, no dropout): every metric of enum iw_metric, the test logits at record.logit_epochs
 * and the decision boundary at record.boundary_epochs. One concern per function: the training set,
 * the test set (with its per-class accuracies and logits), the validation split, the probes. Each
 * split is one pass of forward calls in batches of eval_batch; nothing is allocated here.
 */
#include "run_internal.h"

#include <math.h>
#include <string.h>

/* Counts and loss sums over one evaluated split. */
typedef struct eval_sums {
    double loss;             /* sum of w_i * l_i with the run's loss and the split's weights */
    double loss_unweighted;  /* sum of l_i */
    double weight_sum;       /* sum of w_i */
    int64_t n, correct, positive;
    int64_t n_class[2], correct_class[2]; /* per true class (labelled splits) */
    int nonfinite;           /* some logit was NaN or infinite */
} eval_sums;

/* Predictions of b examples: the positive class when its logit is larger. */
static void tally(eval_sums *s, const float *logits, int b, const int32_t *y)
{
    for (int i = 0; i < b; i++) {
        float l0 = logits[2 * i], l1 = logits[2 * i + 1];
        if (!isfinite(l0) || !isfinite(l1)) s->nonfinite = 1;
        int pred = l1 > l0;
        s->positive += pred;
        if (y) {
            int k = y[i] != 0;
            s->correct += pred == y[i];
            s->n_class[k]++;
            s->correct_class[k] += pred == y[i];
        }
    }
    s->n += b;
}

/* Rows rows[0..n) of data->train with their labels and weights: the training set or the
 * validation split. The unweighted loss sum is kept too. */
static void eval_rows(run_ctx *c, const int32_t *rows, int64_t n, const int32_t *labels, const float *weights,
                      eval_sums *s)
{
    memset(s, 0, sizeof *s);
    for (int64_t k = 0; k < n; k += c->eval_batch) {
        int b = (int)(n - k < c->eval_batch ? n - k : c->eval_batch);
        for (int i = 0; i < b; i++)
            memcpy(c->x + (size_t)i * c->dim, c->data->train.x + (size_t)rows[k + i] * c->dim, sizeof(float) * c->dim);
        const float *logits = iw_net_forward(c->net, c->x, b, 0, NULL);
        s->loss += iw_loss_weighted_sum(&c->loss, logits, b, 2, labels + k, weights + k);
        s->loss_unweighted += iw_loss_weighted_sum(&c->loss, logits, b, 2, labels + k, NULL);
        for (int i = 0; i < b; i++) s->weight_sum += weights[k + i];
        tally(s, logits, b, labels + k);
    }
}

/* A contiguous split (test, probes): x (n, dim), labels y or NULL. The logits go to
 * logits_out[n * 2] when it is not NULL. */
static void eval_split(run_ctx *c, const iw_split *split, eval_sums *s, float *logits_out)
{
    memset(s, 0, sizeof *s);
    for (int64_t k = 0; k < split->n; k += c->eval_batch) {
        int b = (int)(split->n - k < c->eval_batch ? split->n - k : c->eval_batch);
        const float *logits = iw_net_forward(c->net, split->x + (size_t)k * c->dim, b, 0, NULL);
        if (logits_out) memcpy(logits_out + 2 * (size_t)k, logits, sizeof(float) * 2 * (size_t)b);
        tally(s, logits, b, split->y ? split->y + k : NULL);
    }
}

static float finite_or_nan(double v) { return isfinite(v) ? (float)v : NAN; }
static double fraction(const eval_sums *s, int64_t count, int64_t of)
{
    return of > 0 && !s->nonfinite ? (double)count / (double)of : NAN;
}

/* metrics[m][epoch] */
static void put(iw_trajectory *t, int m, int epoch, double v) { t->metrics[m * (t->epochs + 1) + epoch] = finite_or_nan(v); }

/* Accuracy, per-class accuracies and their mean (the balanced accuracy) of a labelled split. */
static void put_accuracies(iw_trajectory *t, int epoch, const eval_sums *s, int acc, int negative, int positive,
                           int balanced)
{
    double a0 = fraction(s, s->correct_class[0], s->n_class[0]), a1 = fraction(s, s->correct_class[1], s->n_class[1]);
    put(t, acc, epoch, fraction(s, s->correct, s->n));
    put(t, negative, epoch, a0);
    put(t, positive, epoch, a1);
    put(t, balanced, epoch, (a0 + a1) / 2.0);
}

/* Returns the normalised training loss. */
static double evaluate_train(run_ctx *c, iw_trajectory *t, int epoch)
{
    eval_sums s;
    eval_rows(c, c->idx, c->n_train, c->labels, c->weights, &s);
    double loss = s.loss / iw_loss_normalizer(&c->loss, c->weight_sum, c->n_train);
    put(t, IW_METRIC_TRAIN_LOSS, epoch, loss);
    put(t, IW_METRIC_TRAIN_ACC, epoch, fraction(&s, s.correct, s.n));
    put(t, IW_METRIC_TRAIN_FRAC_POSITIVE, epoch, fraction(&s, s.positive, s.n));
    return loss;
}

/* The slice of record.logit_epochs that is `epoch`, or -1. */
static int logit_slice(const run_ctx *c, const iw_trajectory *t, int epoch)
{
    for (int s = 0; s < t->n_logit; s++)
        if (c->spec->record.logit_epochs[s] == epoch) return s;
    return -1;
}

static void evaluate_test(run_ctx *c, iw_trajectory *t, int epoch)
{
    int slice = logit_slice(c, t, epoch);
    float *logits = slice >= 0 ? t->logits + (size_t)slice * (size_t)t->n_test * 2 : NULL;
    eval_sums s;
    eval_split(c, &c->data->test, &s, logits);
    put(t, IW_METRIC_TEST_FRAC_POSITIVE, epoch, fraction(&s, s.positive, s.n));
    put_accuracies(t, epoch, &s, IW_METRIC_TEST_ACC, IW_METRIC_TEST_ACC_NEGATIVE, IW_METRIC_TEST_ACC_POSITIVE,
                   IW_METRIC_TEST_BALANCED_ACC);
}

/* The validation split: the run's loss weighted as in training (normalised like train_loss, by
 * this split's weight sum or size) and unweighted (the mean), and the accuracies. */
static void evaluate_validation(run_ctx *c, iw_trajectory *t, int epoch)
{
    if (c->n_val == 0) return;
    eval_sums s;
    eval_rows(c, c->val_idx, c->n_val, c->val_labels, c->val_weights, &s);
    put(t, IW_METRIC_VAL_LOSS, epoch, s.loss / iw_loss_normalizer(&c->loss, s.weight_sum, c->n_val));
    put(t, IW_METRIC_VAL_LOSS_UNWEIGHTED, epoch, s.loss_unweighted / (double)c->n_val);
    put_accuracies(t, epoch, &s, IW_METRIC_VAL_ACC, IW_METRIC_VAL_ACC_NEGATIVE, IW_METRIC_VAL_ACC_POSITIVE,
                   IW_METRIC_VAL_BALANCED_ACC);
}

static void evaluate_probes(run_ctx *c, iw_trajectory *t, int epoch)
{
    eval_sums s;
    if (c->data->other.n > 0) {
        eval_split(c, &c->data->other, &s, NULL);
        put(t, IW_METRIC_OTHER_FRAC_POSITIVE, epoch, fraction(&s, s.positive, s.n));
    }
    if (c->data->noise.n > 0) {
        eval_split(c, &c->data->noise, &s, NULL);
        put(t, IW_METRIC_NOISE_FRAC_POSITIVE, epoch, fraction(&s, s.positive, s.n));
    }
}

int run_evaluate(run_ctx *c, iw_trajectory *t, int epoch)
{
    run_set_epoch_weights(c, epoch > 0 ? epoch : 1);
    double loss = evaluate_train(c, t, epoch);
    evaluate_test(c, t, epoch);
    evaluate_validation(c, t, epoch);
    evaluate_probes(c, t, epoch);
    put(t, IW_METRIC_WEIGHT_NORM, epoch, iw_net_weight_norm(c->net));
    return !isfinite(loss);
}

void run_record_boundary(run_ctx *c, iw_trajectory *t, int epoch)
{
    int64_t n = (int64_t)t->grid * t->grid;
    for (int slice = 0; slice < t->n_boundary; slice++) {
        if (c->spec->record.boundary_epochs[slice] != epoch) continue;
        float *out = t->boundary + (size_t)slice * (size_t)n;
        for (int64_t k = 0; k < n; k += c->eval_batch) {
            int b = (int)(n - k < c->eval_batch ? n - k : c->eval_batch);
            const float *logits = iw_net_forward(c->net, c->grid_x + 2 * (size_t)k, b, 0, NULL);
            for (int i = 0; i < b; i++) /* p(positive) = sigmoid(z_1 - z_0) */
                out[k + i] = (float)(1.0 / (1.0 + exp((double)logits[2 * i] - (double)logits[2 * i + 1])));
        }
    }
}
