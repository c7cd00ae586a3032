/* isa.c — which instruction-set path the engine's own kernels take (engine.h: iw_isa).
 *
 * Detected once, on first use, from the CPU (__builtin_cpu_supports also checks that the OS saves
 * the wide registers); IW_ENGINE_ISA may then ask for a lower path. Kernels call iw_engine_isa()
 * per call (a load of a static), so tests and benchmarks can switch paths between calls with
 * iw_engine_set_isa. The choice never depends on timing, so a run's results depend only on the
 * path and the inputs.
 */
#include "layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static int best_ = -1;    /* iw_isa, or -1 before detection */
static int current_ = -1; /* iw_isa in use */
static char message_[256];

static const char *const names_[3] = {"portable", "avx2", "avx512"};

static void detect(void)
{
    if (best_ >= 0) return;
    int best = IW_ISA_PORTABLE;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        best = IW_ISA_AVX2;
        if (__builtin_cpu_supports("avx512f")) best = IW_ISA_AVX512;
    }
#endif
    best_ = best;
    current_ = best;
    const char *env = getenv("IW_ENGINE_ISA");
    if (env && *env) {
        iw_isa want;
        if (iw_engine_isa_parse(env, &want) != 0) {
            snprintf(message_, sizeof message_,
                     "IW_ENGINE_ISA='%.40s' is not one of portable, avx2, avx512; the engine uses %s", env,
                     names_[best]);
        } else if ((int)want > best) {
            snprintf(message_, sizeof message_,
                     "IW_ENGINE_ISA=%s asks for a path this CPU cannot run; the engine uses %s", names_[want],
                     names_[best]);
        } else {
            current_ = (int)want;
        }
    }
}

iw_isa iw_engine_isa(void)
{
    if (current_ < 0) detect();
    return (iw_isa)current_;
}

iw_isa iw_engine_isa_best(void)
{
    detect();
    return (iw_isa)best_;
}

iw_isa iw_engine_set_isa(iw_isa isa)
{
    detect();
    int want = (int)isa;
    if (want < IW_ISA_PORTABLE) want = IW_ISA_PORTABLE;
    current_ = want > best_ ? best_ : want;
    return (iw_isa)current_;
}

const char *iw_engine_isa_name(iw_isa isa)
{
    return (int)isa >= 0 && (int)isa < 3 ? names_[isa] : "unknown";
}

int iw_engine_isa_parse(const char *name, iw_isa *isa)
{
    for (int i = 0; i < 3; i++)
        if (name && strcasecmp(name, names_[i]) == 0) {
            *isa = (iw_isa)i;
            return 0;
        }
    if (name && strcasecmp(name, "avx-512") == 0) {
        *isa = IW_ISA_AVX512;
        return 0;
    }
    return -1;
}

const char *iw_engine_isa_warning(void)
{
    detect();
    return message_[0] ? message_ : NULL;
}
