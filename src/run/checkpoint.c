/* checkpoint.c — save and resume one run's whole training state (issue 5 item 6): a full-scale run
 * outlasts a Slurm time limit, so after a requeue it continues from its last checkpoint instead of
 * epoch 0. Layout and atomicity: see checkpoint.h. Nothing here allocates more than a path.
 * Also the sweep's checkpoint folder: its name, and what is removed before and after a sweep.
 */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_MAGIC "IWSWCKPT"
#define CKPT_VERSION 2u /* 2: logits (record.logit_epochs) */

typedef struct ckpt_header {
    char magic[8];
    uint32_t version, zero;
    char sha256[64];
    int64_t run;
    uint64_t n_params, n_buffers;
    int64_t n_train;
    int32_t epochs, n_boundary, grid, epoch;
    int64_t position;
    int64_t n_logit, n_test;
    uint64_t batch_rng[4], dropout_rng[4];
} ckpt_header;

/* A FILE plus the running FNV-1a checksum of every byte that went through it. */
typedef struct ckpt_stream {
    FILE *f;
    uint64_t hash;
    int failed;
} ckpt_stream;

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t x = *h;
    for (size_t i = 0; i < n; i++) {
        x ^= b[i];
        x *= 1099511628211ull;
    }
    *h = x;
}

static void put(ckpt_stream *s, const void *p, size_t n)
{
    if (s->failed || n == 0) return;
    if (fwrite(p, 1, n, s->f) != n) s->failed = 1;
    hash_bytes(&s->hash, p, n);
}

static void get(ckpt_stream *s, void *p, size_t n)
{
    if (s->failed || n == 0) return;
    if (fread(p, 1, n, s->f) != n) { s->failed = 1; return; }
    hash_bytes(&s->hash, p, n);
}

static void fill_header(ckpt_header *h, const iw_checkpoint_state *st)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, CKPT_MAGIC, 8);
    h->version = CKPT_VERSION;
    memcpy(h->sha256, st->spec_sha256, 64);
    h->run = st->run;
    h->n_params = iw_net_param_count(st->net);
    h->n_buffers = iw_net_buffer_count(st->net);
    h->n_train = st->n_train;
    h->epochs = st->traj->epochs;
    h->n_boundary = st->traj->n_boundary;
    h->grid = st->traj->grid;
    h->epoch = st->epoch;
    h->position = st->position;
    h->n_logit = st->traj->n_logit;
    h->n_test = st->traj->n_test;
    memcpy(h->batch_rng, st->batch_rng.s, sizeof h->batch_rng);
    memcpy(h->dropout_rng, st->dropout_rng.s, sizeof h->dropout_rng);
}

static size_t metric_floats(const iw_trajectory *t) { return (size_t)IW_METRIC_COUNT * (size_t)(t->epochs + 1); }
static size_t boundary_floats(const iw_trajectory *t)
{
    return t->boundary ? (size_t)t->n_boundary * (size_t)t->grid * (size_t)t->grid : 0;
}
static size_t logit_floats(const iw_trajectory *t)
{
    return t->logits ? 2 * (size_t)t->n_logit * (size_t)t->n_test : 0;
}

/* fsync of the folder holding `path`, so that the rename itself survives an OS crash. */
static void sync_parent(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int iw_checkpoint_save(const char *path, const iw_checkpoint_state *st, iw_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return iw_error_set(err, "checkpoint path too long: %s", path);
    ckpt_stream s = {fopen(tmp, "wb"), 14695981039346656037ull, 0};
    if (!s.f && errno == ENOENT) { /* the checkpoint folder is made on first use */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        if (mkdir(dirname(dir), 0777) == 0 || errno == EEXIST) s.f = fopen(tmp, "wb");
    }
    if (!s.f) return iw_error_set(err, "cannot write checkpoint %s: %s", tmp, strerror(errno));

    ckpt_header h;
    fill_header(&h, st);
    size_t P = (size_t)h.n_params, N = (size_t)h.n_buffers;
    put(&s, &h, sizeof h);
    put(&s, st->order, sizeof(int32_t) * (size_t)st->n_train);
    put(&s, iw_net_params(st->net), sizeof(float) * P);
    put(&s, iw_net_velocity(st->net), sizeof(float) * P);
    put(&s, iw_net_buffers(st->net), sizeof(float) * N);
    put(&s, st->traj->metrics, sizeof(float) * metric_floats(st->traj));
    put(&s, st->traj->boundary, sizeof(float) * boundary_floats(st->traj));
    put(&s, st->traj->logits, sizeof(float) * logit_floats(st->traj));
    uint64_t sum = s.hash;
    if (!s.failed && fwrite(&sum, sizeof sum, 1, s.f) != 1) s.failed = 1;
    if (!s.failed && fflush(s.f) != 0) s.failed = 1;
    if (!s.failed && fsync(fileno(s.f)) != 0) s.failed = 1;
    int saved_errno = errno;
    if (fclose(s.f) != 0 && !s.failed) {
        s.failed = 1;
        saved_errno = errno;
    }
    if (s.failed) {
        unlink(tmp);
        return iw_error_set(err, "cannot write checkpoint %s: %s", tmp, strerror(saved_errno));
    }
    if (rename(tmp, path) != 0) {
        saved_errno = errno;
        unlink(tmp);
        return iw_error_set(err, "cannot rename checkpoint %s to %s: %s", tmp, path, strerror(saved_errno));
    }
    sync_parent(path);
    return 0;
}

int iw_checkpoint_load(const char *path, iw_checkpoint_state *st, iw_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR) return 0; /* none there (ENOTDIR: no folder either) */
        return iw_error_set(err, "cannot read checkpoint %s: %s", path, strerror(errno));
    }
    ckpt_stream s = {f, 14695981039346656037ull, 0};
    ckpt_header h, want;
    get(&s, &h, sizeof h);
    fill_header(&want, st);
    /* Everything but the progress fields must match this run exactly. */
    int same = !s.failed && memcmp(h.magic, want.magic, 8) == 0 && h.version == want.version &&
               memcmp(h.sha256, want.sha256, 64) == 0 && h.run == want.run &&
               h.n_params == want.n_params && h.n_buffers == want.n_buffers &&
               h.n_train == want.n_train && h.epochs == want.epochs &&
               h.n_boundary == want.n_boundary && h.grid == want.grid && h.n_logit == want.n_logit &&
               h.n_test == want.n_test && h.epoch >= 0 &&
               h.epoch < h.epochs && h.position >= -1 && h.position < h.n_train;
    if (!same) {
        fclose(f);
        return 0;
    }
    size_t P = (size_t)h.n_params, N = (size_t)h.n_buffers;
    get(&s, st->order, sizeof(int32_t) * (size_t)st->n_train);
    get(&s, iw_net_params(st->net), sizeof(float) * P);
    get(&s, iw_net_velocity(st->net), sizeof(float) * P);
    get(&s, iw_net_buffers(st->net), sizeof(float) * N);
    get(&s, st->traj->metrics, sizeof(float) * metric_floats(st->traj));
    get(&s, st->traj->boundary, sizeof(float) * boundary_floats(st->traj));
    get(&s, st->traj->logits, sizeof(float) * logit_floats(st->traj));
    uint64_t sum = 0, computed = s.hash;
    int ok = !s.failed && fread(&sum, sizeof sum, 1, f) == 1 && sum == computed && fgetc(f) == EOF;
    fclose(f);
    if (!ok) return 0;
    st->epoch = h.epoch;
    st->position = h.position;
    memcpy(st->batch_rng.s, h.batch_rng, sizeof h.batch_rng);
    memcpy(st->dropout_rng.s, h.dropout_rng, sizeof h.dropout_rng);
    return 1;
}

int iw_run_checkpoint_remove(const char *path, iw_error *err)
{
    if (!path) return 0;
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
        return iw_error_set(err, "cannot remove checkpoint %s: %s", path, strerror(errno));
    return 0;
}

static int folder_of(const char *store_path, char *buf, size_t size)
{
    return snprintf(buf, size, "%s.ckpt", store_path) < (int)size ? 0 : -1;
}

int iw_run_checkpoint_path(const char *store_path, int64_t run, char *buf, size_t size, iw_error *err)
{
    if (snprintf(buf, size, "%s.ckpt/run-%lld.ckpt", store_path, (long long)run) >= (int)size)
        return iw_error_set(err, "checkpoint path too long: %.200s...", store_path);
    return 0;
}

int iw_run_checkpoints_prepare(const char *store_path, const int8_t *status, int64_t runs, int make_folder,
                               iw_error *err)
{
    char dir[4096];
    if (folder_of(store_path, dir, sizeof dir) != 0) return iw_error_set(err, "store path too long: %.200s...", store_path);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        long long run;
        char tail[8];
        if (sscanf(e->d_name, "run-%lld.%7s", &run, tail) != 2 || strcmp(tail, "ckpt") != 0) continue;
        if (run < 0 || run >= runs || (status[run] != IW_STATUS_DONE && status[run] != IW_STATUS_DIVERGED)) continue;
        char path[4096 + sizeof e->d_name];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    if (make_folder && mkdir(dir, 0777) != 0 && errno != EEXIST)
        return iw_error_set(err, "cannot create the checkpoint folder %s: %s", dir, strerror(errno));
    return 0;
}

void iw_run_checkpoints_finish(const char *store_path)
{
    char dir[4096];
    if (folder_of(store_path, dir, sizeof dir) == 0) rmdir(dir); /* fails, as it should, when not empty */
}
