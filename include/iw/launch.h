/* launch.h — how this process was started, and how to start the same sweep again.
 *
 * iwsweep runs under mpirun, under srun, or alone. Two things depend on which:
 *   - a start under srun whose PMI flavour Open MPI does not speak makes each task a world of its
 *     own ("rank 0 of 1", a known Open MPI report): every task would then run the whole sweep
 *     alone. iw_launch_singleton_under_srun notices it from Slurm's variables;
 *   - the command printed to resume an interrupted sweep (or rerun failed runs) uses the same
 *     launcher: "srun --mpi=<SLURM_MPI_TYPE or pmix> ..." inside Slurm, "mpirun -np N ..." outside,
 *     or IW_RESUME_COMMAND as given by run_sweep.sh.
 * Environment only; no MPI calls (the world size is passed in).
 */
#ifndef IW_LAUNCH_H
#define IW_LAUNCH_H

#include <stddef.h>

/* 1 when this process is a one-rank MPI world although srun started several tasks of this step
 * (SLURM_STEP_NUM_TASKS, or SLURM_NTASKS inside a step, above 1); message (n bytes) then says
 * which --mpi to use instead. 0 otherwise (message untouched). */
int iw_launch_singleton_under_srun(int world_size, char *message, size_t n);

/* 1 when this task should print a message that every task of a broken launch would repeat:
 * SLURM_PROCID unset or 0. */
int iw_launch_first_task(void);

/* The shell-quoted command line that resumes this sweep (argv as given, " --retry-failed" after
 * argv[0] when add_retry), prefixed by the launcher as above ("mpirun -np N", with
 * --oversubscribe when N is more than this node's online CPUs; "srun --mpi=..." in a Slurm job);
 * IW_RESUME_COMMAND (set by run_sweep.sh to its own command line) replaces it, with
 * " --retry-failed" after its first word when add_retry. out is always NUL-terminated. */
void iw_launch_resume_command(int argc, char **argv, int world_size, int add_retry, char *out, size_t n);

#endif
