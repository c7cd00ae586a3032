/* conv_winograd_weights_avx2.c — the weight transform of Winograd F(2x2, 3x3) and its adjoint
 * (conv_winograd.c has the maths and the plain C versions) in AVX2: 8 filters per vector, each value
 * computed with the plain C versions' operations in their order (no fused multiply-adds), so the
 * AVX2 and AVX-512 paths, which both take these, keep the engine's results bit for bit.
 *
 * Filters are W[co][ci] (9 floats each, row-major taps); the transformed weights are the 16
 * matrices UT[p] (Cin, Cout) and their gradients dU[p] (Cout, Cin), `us` floats apart. Compiled for
 * avx2 + fma through function attributes.
 */
#include "conv.h"
#include "conv_winograd.h"

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#include "simd_avx2.h"

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

/* UT[p][ci][co] = (G g G^T)[p], 8 output channels per vector (filters Cin*9 floats apart: the
 * first 8 taps of each by a transpose, the ninth by a gather); the last Cout % 8 channels as the
 * plain C transform_weights, value for value. */
AVX2 void iw_wino_transform_weights_avx2(int Cout, int Cin, const float *Wt, float *UT, size_t us)
{
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256i ninth = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(Cin * 9));
    const int full = Cout / 8 * 8;
    for (int ci = 0; ci < Cin; ci++) {
        for (int co = 0; co < full; co += 8) {
            const float *w = Wt + ((size_t)co * Cin + ci) * 9;
            __m256 gv[9];
#pragma GCC unroll 8
            for (int l = 0; l < 8; l++) gv[l] = _mm256_loadu_ps(w + (size_t)l * Cin * 9);
            transpose8x8(gv);
            gv[8] = _mm256_i32gather_ps(w + 8, ninth, 4);
            __m256 t[4][3]; /* G g */
#pragma GCC unroll 3
            for (int c = 0; c < 3; c++) {
                t[0][c] = gv[c];
                t[1][c] = _mm256_mul_ps(half, _mm256_add_ps(_mm256_add_ps(gv[c], gv[3 + c]), gv[6 + c]));
                t[2][c] = _mm256_mul_ps(half, _mm256_add_ps(_mm256_sub_ps(gv[c], gv[3 + c]), gv[6 + c]));
                t[3][c] = gv[6 + c];
            }
            float *u = UT + (size_t)ci * Cout + co;
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                _mm256_storeu_ps(u + (size_t)(r * 4 + 0) * us, t[r][0]);
                _mm256_storeu_ps(u + (size_t)(r * 4 + 1) * us,
                                 _mm256_mul_ps(half, _mm256_add_ps(_mm256_add_ps(t[r][0], t[r][1]), t[r][2])));
                _mm256_storeu_ps(u + (size_t)(r * 4 + 2) * us,
                                 _mm256_mul_ps(half, _mm256_add_ps(_mm256_sub_ps(t[r][0], t[r][1]), t[r][2])));
                _mm256_storeu_ps(u + (size_t)(r * 4 + 3) * us, t[r][2]);
            }
        }
        for (int co = full; co < Cout; co++) {
            const float *w = Wt + ((size_t)co * Cin + ci) * 9;
            float t[4][3];
            for (int c = 0; c < 3; c++) {
                t[0][c] = w[c];
                t[1][c] = 0.5f * (w[c] + w[3 + c] + w[6 + c]);
                t[2][c] = 0.5f * (w[c] - w[3 + c] + w[6 + c]);
                t[3][c] = w[6 + c];
            }
            float *u = UT + (size_t)ci * Cout + co;
            for (int r = 0; r < 4; r++) {
                u[(size_t)(r * 4 + 0) * us] = t[r][0];
                u[(size_t)(r * 4 + 1) * us] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                u[(size_t)(r * 4 + 2) * us] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                u[(size_t)(r * 4 + 3) * us] = t[r][2];
            }
        }
    }
}

/* dW[co][ci] += G^T dU G from dU[p][co][ci], 8 input channels per vector; each filter's nine
 * values are added to dW as the plain C adjoint adds them (taps 0..7 through a transpose, the
 * ninth one by one). */
AVX2 void iw_wino_transform_weights_adjoint_avx2(int Cout, int Cin, const float *dU, size_t us, float *dW)
{
    const __m256 half = _mm256_set1_ps(0.5f);
    const int full = Cin / 8 * 8;
    for (int co = 0; co < Cout; co++) {
        for (int ci = 0; ci < full; ci += 8) {
            const float *u = dU + (size_t)co * Cin + ci;
            __m256 t[4][3]; /* dU G */
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                __m256 a = _mm256_loadu_ps(u + (size_t)(r * 4 + 0) * us), b = _mm256_loadu_ps(u + (size_t)(r * 4 + 1) * us);
                __m256 c = _mm256_loadu_ps(u + (size_t)(r * 4 + 2) * us), d = _mm256_loadu_ps(u + (size_t)(r * 4 + 3) * us);
                t[r][0] = _mm256_add_ps(a, _mm256_mul_ps(half, _mm256_add_ps(b, c)));
                t[r][1] = _mm256_mul_ps(half, _mm256_sub_ps(b, c));
                t[r][2] = _mm256_add_ps(_mm256_mul_ps(half, _mm256_add_ps(b, c)), d);
            }
            __m256 o[9]; /* tap 3r + c of the 8 filters */
#pragma GCC unroll 3
            for (int c = 0; c < 3; c++) {
                o[c] = _mm256_add_ps(t[0][c], _mm256_mul_ps(half, _mm256_add_ps(t[1][c], t[2][c])));
                o[3 + c] = _mm256_mul_ps(half, _mm256_sub_ps(t[1][c], t[2][c]));
                o[6 + c] = _mm256_add_ps(_mm256_mul_ps(half, _mm256_add_ps(t[1][c], t[2][c])), t[3][c]);
            }
            float ninth[8];
            _mm256_storeu_ps(ninth, o[8]);
            transpose8x8(o); /* o[l]: taps 0..7 of filter l */
            float *w = dW + ((size_t)co * Cin + ci) * 9;
#pragma GCC unroll 8
            for (int l = 0; l < 8; l++) {
                float *wl = w + (size_t)l * 9;
                _mm256_storeu_ps(wl, _mm256_add_ps(_mm256_loadu_ps(wl), o[l]));
                wl[8] += ninth[l];
            }
        }
        for (int ci = full; ci < Cin; ci++) {
            const float *u = dU + (size_t)co * Cin + ci;
            float t[4][3];
            for (int r = 0; r < 4; r++) {
                float a = u[(size_t)(r * 4 + 0) * us], b = u[(size_t)(r * 4 + 1) * us];
                float c = u[(size_t)(r * 4 + 2) * us], d = u[(size_t)(r * 4 + 3) * us];
                t[r][0] = a + 0.5f * (b + c);
                t[r][1] = 0.5f * (b - c);
                t[r][2] = 0.5f * (b + c) + d;
            }
            float *w = dW + ((size_t)co * Cin + ci) * 9;
            for (int c = 0; c < 3; c++) {
                w[c] += t[0][c] + 0.5f * (t[1][c] + t[2][c]);
                w[3 + c] += 0.5f * (t[1][c] - t[2][c]);
                w[6 + c] += 0.5f * (t[1][c] + t[2][c]) + t[3][c];
            }
        }
    }
}

#else /* no x86-64 GCC: never called (iw_engine_isa() is portable), defined for the linker */

void iw_wino_transform_weights_avx2(int Cout, int Cin, const float *Wt, float *UT, size_t us)
{
    (void)Cout; (void)Cin; (void)Wt; (void)UT; (void)us;
}
void iw_wino_transform_weights_adjoint_avx2(int Cout, int Cin, const float *dU, size_t us, float *dW)
{
    (void)Cout; (void)Cin; (void)dU; (void)us; (void)dW;
}
#endif
