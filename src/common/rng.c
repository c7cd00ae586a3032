/* rng.c — xoshiro256** (Blackman & Vigna) seeded by splitmix64.
 * A stream (seed, stream id) seeds splitmix64 with seed ^ (stream * golden-ratio constant) mixed
 * once more, so nearby seeds and stream ids give unrelated states; the four state words are the
 * next four splitmix64 outputs (never all zero in practice; guarded anyway). */
#include "iw/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void iw_rng_seed(iw_rng *rng, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    uint64_t mixed = splitmix64(&x);            /* decorrelate consecutive seeds */
    x = mixed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) rng->s[0] = 1;
}

uint64_t iw_rng_next(iw_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float iw_rng_uniform(iw_rng *rng) { return (float)(iw_rng_next(rng) >> 40) * 0x1.0p-24f; }

double iw_rng_normal(iw_rng *rng)
{
    /* Box-Muller on u1 in (0, 1] (53 bits) so log never sees 0; one draw per call (the second
     * value is dropped to keep the state a plain struct with no cached normal). */
    double u1 = ((double)(iw_rng_next(rng) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(iw_rng_next(rng) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t iw_rng_below(iw_rng *rng, uint64_t n)
{
    /* Lemire's nearly divisionless method: reject the low part that would bias the result. */
    uint64_t x = iw_rng_next(rng);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            x = iw_rng_next(rng);
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void iw_rng_shuffle(iw_rng *rng, int32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)iw_rng_below(rng, i);
        int32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
