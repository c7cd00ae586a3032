/* store_check.c — is the file at a store's path a store of this sweep? Rank 0, serial, read-only.
 * Used by iw_store_check (iwsweep's check step, real and dry runs alike) and by iw_store_open
 * before it opens or creates, so that every path gives the same verdict with the same message.
 *
 * "Of this sweep" means made from the same parsed sweep (iw_spec_compare): the store's /spec text
 * is parsed again and compared key by key with the sweep file, so a file that differs only in
 * line endings, comments, key order or style resumes the store (whose /spec keeps its own text),
 * and a refusal lists the keys that differ, stored vs file. The advice never says to remove a store
 * that holds finished runs.
 */
#include "store_internal.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LISTED_CHANGES 12
#define MAX_LISTED_MISSING 12

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs of each status in an open store (count[] zeroed first); total runs into *runs. */
static void count_statuses(hid_t file, int64_t *runs, int64_t count[IW_STATUS_COUNT])
{
    memset(count, 0, sizeof(int64_t) * IW_STATUS_COUNT);
    *runs = 0;
    hsize_t dims[1];
    if (h5_dataset_dims(file, "/runs/status", dims, 1) != 1) return;
    int8_t *status = malloc(dims[0] ? (size_t)dims[0] : 1);
    hid_t d = H5Dopen2(file, "/runs/status", H5P_DEFAULT);
    if (status && d >= 0 && H5Dread(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) >= 0) {
        *runs = (int64_t)dims[0];
        for (hsize_t r = 0; r < dims[0]; r++)
            if (status[r] >= 0 && status[r] < IW_STATUS_COUNT) count[status[r]]++;
    }
    if (d >= 0) H5Dclose(d);
    free(status);
}

/* What to do with a store that is not this sweep's: never "remove it" when it holds results. */
static void advice(const iw_store_state *c, char *out, size_t size)
{
    int64_t finished = c->count[IW_STATUS_DONE] + c->count[IW_STATUS_DIVERGED];
    if (finished > 0)
        snprintf(out, size, "use another -o path (this store holds %lld finished run%s: keep it)", (long long)finished,
                 finished == 1 ? "" : "s");
    else
        snprintf(out, size, "use another -o path; this store holds no finished run, so it may also be removed");
}

/* The refusal of a store made from another sweep: the keys that differ, one per line. */
static int refuse_other_sweep(const char *shown, const iw_spec *stored, const iw_spec *spec, const iw_store_state *c,
                              iw_error *err)
{
    iw_spec_change changes[MAX_LISTED_CHANGES];
    int n = iw_spec_compare(stored, spec, changes, MAX_LISTED_CHANGES, err);
    if (n < 0) return -1;
    char tail[256], list[1800] = "";
    advice(c, tail, sizeof tail);
    size_t len = 0;
    int shown_changes = 0;
    for (int i = 0; i < n && i < MAX_LISTED_CHANGES; i++) {
        char line[512];
        int k = snprintf(line, sizeof line, "\n  %s: stored %s, file %s", changes[i].key, changes[i].a, changes[i].b);
        if (len + (size_t)k + 40 >= sizeof list) break;
        memcpy(list + len, line, (size_t)k + 1);
        len += (size_t)k;
        shown_changes++;
    }
    if (shown_changes < n) snprintf(list + len, sizeof list - len, "\n  ... and %d more", n - shown_changes);
    return iw_error_set(err, "%s was made from a different sweep: %d key%s differ%s (stored vs %s):%s\n%s", shown, n,
                        n == 1 ? "" : "s", n == 1 ? "s" : "", spec->file, list, tail);
}

/* The store's /spec against the sweep: 0 the same sweep (c->same_text says whether byte for
 * byte), -1 refused. */
static int same_sweep(hid_t file, const char *shown, const iw_spec *spec, iw_store_state *c, iw_error *err)
{
    char sha[128];
    if (h5_read_string_attr(file, "spec_sha256", sha, sizeof sha) == 0 && strcmp(sha, spec->sha256) == 0) {
        c->same_text = 1;
        return 0;
    }
    char tail[256];
    advice(c, tail, sizeof tail);
    char *text = NULL;
    if (h5_link_exists(file, "/spec")) {
        hid_t d = H5Dopen2(file, "/spec", H5P_DEFAULT);
        if (d >= 0) {
            text = h5_read_string(d, 0);
            H5Dclose(d);
        }
    }
    if (!text)
        return iw_error_set(err, "%s has no readable /spec to compare with %s (sha %.12s vs %.12s); %s", shown, spec->file,
                            sha[0] ? sha : "missing", spec->sha256, tail);
    char name[IW_STORE_PATH_MAX + 8];
    snprintf(name, sizeof name, "%s:/spec", shown);
    iw_spec stored;
    iw_error perr = {{0}};
    int rc = iw_spec_parse(text, strlen(text), name, &stored, &perr);
    free(text);
    if (rc != 0)
        return iw_error_set(err, "%s was made from a different sweep file (sha %.12s vs %.12s for %s), and its own /spec "
                            "does not parse with this iwsweep (%.600s), so the two cannot be compared key by key; %s",
                            shown, sha[0] ? sha : "missing", spec->sha256, spec->file, perr.message, tail);
    iw_spec_change change;
    int n = iw_spec_compare(&stored, spec, &change, 1, err);
    if (n > 0) rc = refuse_other_sweep(shown, &stored, spec, c, err);
    else rc = n < 0 ? -1 : 0;
    iw_spec_free(&stored);
    return rc;
}

/* One dataset the writer needs: absent (1, its name appended to `missing`), present with the
 * wrong rank or sizes (2), or as expected (0). want[d] = 0 leaves dimension d unchecked. */
static int check_dataset(hid_t file, const char *name, int rank, const hsize_t *want, char *missing, size_t size,
                         int *n_missing)
{
    if (!h5_link_exists(file, name)) {
        size_t len = strlen(missing);
        if (*n_missing < MAX_LISTED_MISSING)
            snprintf(missing + len, size - len, "%s%s", *n_missing ? ", " : "", name);
        else if (*n_missing == MAX_LISTED_MISSING)
            snprintf(missing + len, size - len, ", ...");
        (*n_missing)++;
        return 1;
    }
    hsize_t dims[4];
    if (h5_dataset_dims(file, name, dims, rank) != rank) return 2;
    for (int d = 0; d < rank; d++)
        if (want[d] && dims[d] != want[d]) return 2;
    return 0;
}

/* Every dataset a run writes must exist with the sweep's shape (except the provenance marked
 * optional in schema.c, /runs/host: a store made before it is resumed and records no hosts). A
 * store without some of them was made by an older iwsweep (the datasets a run writes are made with the store, never later:
 * docs/DESIGN.md, durability contract), so it cannot be resumed; the message names what it lacks.
 * A dataset of the wrong shape: damaged, or another version's layout. */
static int check_datasets(hid_t file, const char *shown, const store_shape *shape, const iw_store_state *c,
                          iw_error *err)
{
    char missing[1024] = "", name[160];
    int n_missing = 0, wrong = 0;
    const hsize_t R = (hsize_t)shape->runs, E1 = (hsize_t)shape->epochs + 1;
    wrong |= check_dataset(file, "/runs/status", 1, &R, missing, sizeof missing, &n_missing) == 2;
    for (int m = 0; m < IW_METRIC_COUNT; m++) {
        snprintf(name, sizeof name, "/metrics/%s", iw_metric_names[m]);
        wrong |= check_dataset(file, name, 2, (const hsize_t[]){R, E1}, missing, sizeof missing, &n_missing) == 2;
    }
    for (int p = 0; p < STORE_PROV_COUNT; p++) {
        snprintf(name, sizeof name, "/runs/%s", store_prov_defs[p].name);
        if (store_prov_defs[p].optional && !h5_link_exists(file, name)) continue; /* a store made before it */
        if (store_prov_defs[p].type == STORE_TEXT)
            wrong |= check_dataset(file, name, 2, (const hsize_t[]){R, STORE_TEXT_LEN}, missing, sizeof missing,
                                   &n_missing) == 2;
        else
            wrong |= check_dataset(file, name, 1, &R, missing, sizeof missing, &n_missing) == 2;
    }
    if (shape->n_boundary > 0) {
        const hsize_t want[4] = {R, (hsize_t)shape->n_boundary, (hsize_t)shape->grid, (hsize_t)shape->grid};
        wrong |= check_dataset(file, "/boundary", 4, want, missing, sizeof missing, &n_missing) == 2;
    }
    wrong |= check_dataset(file, "/runs/train_class_count", 2, (const hsize_t[]){R, 2}, missing, sizeof missing,
                           &n_missing) == 2;
    if (shape->n_logit > 0) {
        const hsize_t want[4] = {R, (hsize_t)shape->n_logit, (hsize_t)shape->n_test, 2};
        wrong |= check_dataset(file, "/logits", 4, want, missing, sizeof missing, &n_missing) == 2;
        wrong |= check_dataset(file, "/test_labels", 1, (const hsize_t[]){(hsize_t)shape->n_test}, missing,
                               sizeof missing, &n_missing) == 2;
    }
    if (!n_missing && !wrong) return 0;
    char tail[256];
    advice(c, tail, sizeof tail);
    if (n_missing)
        return iw_error_set(err, "%s was made by an older iwsweep, without %d dataset%s that this version writes for every "
                            "run (%s), so it cannot be resumed; its finished runs stay readable by iwreport, h5py and "
                            "xarray; %s",
                            shown, n_missing, n_missing == 1 ? "" : "s", missing, tail);
    return iw_error_set(err, "%s was made from this sweep but does not have its shape (%lld runs x %d epochs%s%s "
                        "expected): damaged, or made by another iwsweep version; %s",
                        shown, (long long)shape->runs, shape->epochs,
                        shape->n_boundary ? " with a decision-boundary grid" : "",
                        shape->n_logit ? " with test logits" : "", tail);
}

static int validate_quietly(const char *path, const char *shown, const iw_spec *spec, const store_shape *shape,
                            iw_store_state *c, iw_error *err)
{
    static const char *never = "iwsweep never overwrites a file: move it away or use another -o path";
    htri_t is_hdf5 = H5Fis_hdf5(path);
    H5Eclear2(H5E_DEFAULT);
    if (is_hdf5 <= 0)
        return iw_error_set(err, "%s exists but is not an HDF5 file (or is damaged); %s", shown, never);
    hid_t fapl = store_serial_fapl();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (file < 0) {
        h5_fail(err, "%s exists but cannot be opened as HDF5", shown);
        size_t n = strlen(err ? err->message : "");
        if (err) snprintf(err->message + n, sizeof err->message - n, "; it may be damaged; %s", never);
        return -1;
    }
    char value[256];
    int rc = 0;
    if (h5_read_string_attr(file, "schema", value, sizeof value) < 0 || strcmp(value, IW_STORE_SCHEMA) != 0) {
        rc = iw_error_set(err, "%s is an HDF5 file but not an %s store (its schema attribute is %s%s%s); %s",
                          shown, IW_STORE_SCHEMA, value[0] ? "'" : "missing", value, value[0] ? "'" : "", never);
    } else {
        count_statuses(file, &c->runs, c->count);
        rc = same_sweep(file, shown, spec, c, err);
    }
    if (rc == 0) rc = check_datasets(file, shown, shape, c, err);
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(file);
    return rc;
}

int store_probe(const char *path, const iw_spec *spec, const store_shape *shape, int dry, iw_store_state *c,
                iw_error *err)
{
    memset(c, 0, sizeof *c);
    char creating[IW_STORE_PATH_MAX + 16];
    snprintf(creating, sizeof creating, "%s.creating", path);
    if (file_exists(creating)) {
        if (dry)
            snprintf(c->notice, sizeof c->notice, "a real run removes %.800s, left by a sweep stopped while creating "
                     "a store (it holds no results)", creating);
        else if (unlink(creating) == 0)
            snprintf(c->notice, sizeof c->notice, "removed %.800s, left by a sweep stopped while creating a store (it "
                     "held no results)", creating);
        else if (!file_exists(path))
            return iw_error_set(err, "%s was left by a sweep stopped while creating the store and cannot be removed: %s",
                                creating, strerror(errno));
    }
    if (file_exists(path)) {
        c->exists = 1;
        h5_quiet q; /* the file may be anything: HDF5's own error printing off meanwhile */
        h5_quiet_begin(&q);
        int rc = validate_quietly(path, path, spec, shape, c, err);
        h5_quiet_end(&q);
        return rc < 0 ? -1 : STORE_ACTION_OPEN;
    }
    char dir[IW_STORE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    const char *parent = dirname(dir);
    struct stat st;
    if (!dry && (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)))
        return iw_error_set(err, "cannot create the store %s: folder %s does not exist", path, parent);
    if (!dry && access(parent, W_OK | X_OK) != 0)
        return iw_error_set(err, "cannot create the store %s: folder %s is not writable", path, parent);
    return STORE_ACTION_CREATE;
}

int iw_store_check(const char *path, const iw_spec *spec, int dry, iw_store_state *check, iw_error *err)
{
    store_shape shape;
    if (strlen(path) >= IW_STORE_PATH_MAX - 16) return iw_error_set(err, "store path too long: %.200s...", path);
    if (store_shape_from_spec(spec, &shape, err) != 0) return -1;
    return store_probe(path, spec, &shape, dry, check, err) < 0 ? -1 : 0;
}
