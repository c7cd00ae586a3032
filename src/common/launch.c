/* launch.c — the launcher this sweep runs under, from the environment (launch.h). */
#include "iw/launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int iw_launch_singleton_under_srun(int world_size, char *message, size_t n)
{
    /* Slurm sets SLURM_STEP_NUM_TASKS for the tasks of a step (not in a batch script, nor for ranks
     * that mpirun starts); SLURM_NTASKS is the allocation's, meaningful here only inside a step. */
    const char *step_tasks = getenv("SLURM_STEP_NUM_TASKS"), *step = getenv("SLURM_STEP_ID");
    const char *tasks = getenv("SLURM_NTASKS"), *mpi = getenv("SLURM_MPI_TYPE");
    long count = step_tasks ? strtol(step_tasks, NULL, 10) : step && tasks ? strtol(tasks, NULL, 10) : 0;
    if (world_size != 1 || count <= 1) return 0;
    snprintf(message, n,
             "srun started %ld tasks, but this one is rank 0 of an MPI world of 1: Open MPI did not take part in "
             "srun's start-up (srun --mpi=%s), so every task would run the whole sweep alone. Launch with "
             "srun --mpi=pmix (see `srun --mpi=list`; some sites call it pmix_v3 or pmix_v4), or with mpirun inside "
             "the allocation (IW_LAUNCHER=mpirun for run_sweep.sh and the batch scripts)",
             count, mpi && *mpi ? mpi : "none, the default of this cluster");
    return 1;
}

int iw_launch_first_task(void)
{
    const char *task = getenv("SLURM_PROCID");
    return !task || strcmp(task, "0") == 0;
}

/* Appends to out[*k..n): s as is when plain, else single-quoted for a POSIX shell. */
static void append_word(char *out, size_t n, size_t *k, const char *s, int space)
{
    const char *plain_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+,:@";
    if (*k >= n) return;
    *k += (size_t)snprintf(out + *k, n - *k, "%s", space ? " " : "");
    if (s[0] != '\0' && strspn(s, plain_chars) == strlen(s)) {
        if (*k < n) *k += (size_t)snprintf(out + *k, n - *k, "%s", s);
        return;
    }
    if (*k < n) *k += (size_t)snprintf(out + *k, n - *k, "'");
    for (const char *p = s; *p && *k < n; p++)
        *k += (size_t)(*p == '\'' ? snprintf(out + *k, n - *k, "'\\''") : snprintf(out + *k, n - *k, "%c", *p));
    if (*k < n) *k += (size_t)snprintf(out + *k, n - *k, "'");
}

void iw_launch_resume_command(int argc, char **argv, int world_size, int add_retry, char *out, size_t n)
{
    const char *given = getenv("IW_RESUME_COMMAND");
    if (n == 0) return;
    out[0] = '\0';
    if (given && *given) { /* run_sweep.sh's own command line; --retry-failed after its first word */
        if (!add_retry || strstr(given, " --retry-failed")) {
            snprintf(out, n, "%s", given);
        } else {
            size_t first = strcspn(given, " ");
            snprintf(out, n, "%.*s --retry-failed%s", (int)first, given, given + first);
        }
        return;
    }
    size_t k = 0;
    if (world_size > 1) {
        const char *mpi = getenv("SLURM_MPI_TYPE");
        long cores = sysconf(_SC_NPROCESSORS_ONLN); /* more ranks than cores: Open MPI needs --oversubscribe */
        k += getenv("SLURM_JOB_ID") ? (size_t)snprintf(out, n, "srun --mpi=%s ", mpi && *mpi ? mpi : "pmix")
             : cores > 0 && world_size > cores ? (size_t)snprintf(out, n, "mpirun -np %d --oversubscribe ", world_size)
                                               : (size_t)snprintf(out, n, "mpirun -np %d ", world_size);
    }
    for (int i = 0; i < argc && k < n; i++) {
        append_word(out, n, &k, argv[i], i > 0);
        if (i == 0 && add_retry) append_word(out, n, &k, "--retry-failed", 1);
    }
    out[n - 1] = '\0';
}
