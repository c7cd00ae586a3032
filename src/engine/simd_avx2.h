/* simd_avx2.h — what every AVX2 kernel file of the engine shares: the function attribute that
 * compiles one function for avx2 + fma (the file itself is built for the baseline x86-64, so one
 * binary runs on every node; isa.c decides at run time whether these functions are called) and the
 * lane masks of _mm256_maskload_ps (lanes that are off are not read, so the pointer may point past
 * an array's end there), partial stores and the 8x8 transpose.
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

/* p[0 .. n) = lanes 0 .. n-1 of v (0 <= n <= 8), by 4-, 2- and 1-lane stores from registers: AVX2
 * has no cheap masked store on AMD CPUs (vmaskmovps to memory is microcoded there, ~20 ns per store
 * measured on Zen 4), and a spill read back as scalars stalls store forwarding. */
AVX2 static inline void store_first(float *p, __m256 v, int n)
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

/* In-register transpose of 8 rows of 8 floats: on return r[n] holds column n. */
AVX2 static inline void transpose8x8(__m256 r[8])
{
    __m256 t[8], u[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) {
        u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
}

#endif
