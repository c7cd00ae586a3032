/* run_internal.h — what the files of src/run share about one execution of a run (private):
 * the run's context (run.c sets it up and trains; run_eval.c evaluates; run_loss.c gives the loss
 * and the weights of each epoch).
 *
 * A run's examples, all rows of data->train:
 *   val_idx [n_val]     the validation split (data.val_per_class), never trained on
 *   idx     [n_train]   the training set: the rest, after sub-sampling (sampling = subsample)
 * Their weights: base_* is what the sampling gives (importance_weight on positives, or 1), the
 * other array what applies in the current epoch (w^rho, or 1 before reweight_from).
 */
#ifndef IW_RUN_INTERNAL_H
#define IW_RUN_INTERNAL_H

#include "iw/run.h"

typedef struct run_ctx {
    const iw_spec *spec;
    const iw_data *data;
    const iw_point *point;
    iw_net *net;
    size_t dim;              /* floats per example */
    int max_batch, eval_batch;
    int64_t n_train;         /* the run's training set (after the validation split and sub-sampling) */
    int64_t class_counts[2]; /* its examples per class */
    int32_t *idx;            /* n_train: rows of data->train */
    int32_t *labels;         /* n_train: labels of those rows */
    float *base_weights;     /* n_train: per-example weights from the sampling */
    float *weights;          /* n_train: the weights of epoch `weights_epoch` */
    double weight_sum;       /* sum of weights[], for normalize=weights */
    int64_t n_val;           /* the validation split, 0 without one */
    int32_t *val_idx;        /* n_val: rows of data->train */
    int32_t *val_labels;     /* n_val */
    float *val_base_weights; /* n_val */
    float *val_weights;      /* n_val: weighted as the training set in `weights_epoch` */
    int weights_applied;     /* -1 before the first run_set_epoch_weights; else whether the weights
                                apply (0: every weight 1, before reweight_from) */
    iw_loss loss;            /* the training loss, its normalisation and class counts */
    int32_t *order;          /* n_train: positions into idx, this epoch's batch order */
    float *x;                /* max_batch * dim: gathered batch */
    int32_t *y;              /* max_batch */
    float *w;                /* max_batch */
    float *grid_x;           /* G*G*2 normalised boundary points (synthetic2d with boundary epochs) */
    int checkpoint_warned;   /* a checkpoint problem was reported (once per execution) */
} run_ctx;

/* run_loss.c: the weights (and weight_mean, weight_sum) that apply in training epoch `epoch`
 * (1-based; evaluation at epoch e uses those of epoch max(e, 1)): base_weights^rho from the
 * point's reweight_from on, 1 before. Cheap when nothing changes since the last call. */
void run_set_epoch_weights(run_ctx *c, int epoch);

/* run_eval.c: every metric of epoch `epoch` into t->metrics, the test logits when `epoch` is one
 * of record.logit_epochs. Returns 1 when the training loss is not finite (divergence). */
int run_evaluate(run_ctx *c, iw_trajectory *t, int epoch);
/* The decision boundary of epoch `epoch`, when it is one of record.boundary_epochs. */
void run_record_boundary(run_ctx *c, iw_trajectory *t, int epoch);

#endif
