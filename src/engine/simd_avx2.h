/* simd_avx2.h — what every AVX2 kernel file of the engine shares: the function attribute that
 * compiles one function for avx2 + fma (the file itself is built for the baseline x86-64, so one
 * binary runs on every node; isa.c decides at run time whether these functions are called) and the
 * lane masks of _mm256_maskload_ps / _mm256_maskstore_ps (lanes that are off are neither read nor
 * written, so the pointer may point past an array's end there).
 * Include only inside `#ifdef IW_X86_KERNELS`, after <immintrin.h>.
 */
#ifndef IW_ENGINE_SIMD_AVX2_H
#define IW_ENGINE_SIMD_AVX2_H

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* Mask of the lanes l (0..7) with lo <= l < hi (all bits set in those lanes, zero elsewhere);
 * lo and hi may lie outside 0..8. */
AVX2 static inline __m256i lanes_between(int lo, int hi)
{
    const __m256i l = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(l, _mm256_set1_epi32(lo - 1)), _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), l));
}

/* Mask of the lanes l with 0 <= s + l < n: the columns s .. s+7 of a row of n that exist. */
AVX2 static inline __m256i span_mask8(int s, int n) { return lanes_between(-s, n - s); }

/* p[0 .. n) = lanes 0 .. n-1 of v (0 < n <= 8), by 4-, 2- and 1-lane stores from registers
 * (AVX2's masked store is microcoded on AMD CPUs: slower than these). */
AVX2 static inline void store_first8(float *p, __m256 v, int n)
{
    if (n >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 x = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(p, x);
        x = _mm256_extractf128_ps(v, 1);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)p, x);
        x = _mm_movehl_ps(x, x);
        p += 2;
        n -= 2;
    }
    if (n > 0) _mm_store_ss(p, x);
}

#endif
