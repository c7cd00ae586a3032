/* blas.c — OpenBLAS set-up: one thread per process (docs/DESIGN.md: one thread per rank) and a check that
 * the kernel OpenBLAS picked suits the CPU. OpenBLAS 0.3.21 does not recognise recent CPUs and
 * falls back to a generic kernel ("Prescott"), about 7x slower for sgemm than SkylakeX on a CPU
 * with AVX-512 (docs/MACHINE-NOTES.md); OPENBLAS_CORETYPE overrides its choice. It matters for every
 * product of the engine's portable path, and on the AVX2 and AVX-512 paths for the dense layers at
 * more than 64 examples per batch (the MLP's evaluation). */
#include "layer.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *iw_engine_init_threads(void)
{
    openblas_set_num_threads(1);
    return openblas_get_corename();
}

/* Kernels that use neither AVX2 nor AVX-512. */
static int is_generic_kernel(const char *core)
{
    static const char *const generic[] = {"prescott", "core2", "nehalem", "generic", "katmai",
                                          "coppermine", "northwood", "penryn", "dunnington",
                                          "atom", "opteron", "barcelona", "bobcat", "unknown"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (strcasecmp(core, generic[i]) == 0) return 1;
    return 0;
}

/* The OpenBLAS part of iw_engine_kernel_warning: NULL when its kernel suits the CPU. */
static const char *openblas_warning(void)
{
    static char message[512];
    const char *core = openblas_get_corename();
    if (!core || !is_generic_kernel(core)) return NULL;
    __builtin_cpu_init();
    const char *suggest = NULL;
    if (__builtin_cpu_supports("avx512f"))
        suggest = "SkylakeX";
    else if (__builtin_cpu_supports("avx2"))
        suggest = "Haswell";
    if (!suggest) return NULL;
    snprintf(message, sizeof message,
             "OpenBLAS runs its generic '%s' kernel on a CPU with %s; matrix products run several "
             "times slower than they could. Set OPENBLAS_CORETYPE=%s in the environment (e.g. "
             "export OPENBLAS_CORETYPE=%s) before starting.",
             core, strcmp(suggest, "SkylakeX") == 0 ? "AVX-512" : "AVX2", suggest, suggest);
    return message;
}

const char *iw_engine_kernel_warning(void)
{
    static char both[1024];
    const char *blas = openblas_warning(), *isa = iw_engine_isa_warning();
    if (!blas || !isa) return blas ? blas : isa;
    snprintf(both, sizeof both, "%s; %s", blas, isa);
    return both;
}
