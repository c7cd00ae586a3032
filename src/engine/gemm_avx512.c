/* gemm_avx512.c — the AVX-512 kernel of iw_gemm (gemm.h has the contract).
 *
 * Register tile of 8 rows x 32 columns: 16 zmm accumulators; per k two vector loads of B, eight
 * broadcasts of A and sixteen FMAs. The last M % 8 rows take a tile of fewer rows, a ragged
 * column end masked loads and stores; a product of at most 16 columns goes to the AVX2 kernel's
 * 6 x 16 tile instead (the same chains). Every output is one chain of fused multiply-adds over
 * k = 0 .. K-1 in order, starting from 0 (or from C when accumulating), exactly as in the AVX2
 * kernel (gemm_avx2.c): the two give the same bits. Compiled for avx512f through function
 * attributes; iw_gemm calls it only when iw_engine_isa() is IW_ISA_AVX512. Also the vector transpose
 * (iw_transpose_avx512, 16x16 blocks in registers).
 */
#include "gemm.h"
#include "layer.h"

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,fma")))
#define AVX512_T __attribute__((target("avx512f")))
#define ROWS 8

/* R rows (1..ROWS) x 32 columns under masks m0 (columns 0..15) and m1 (16..31); R and `unit`
 * (a_col == 1) are constants in each instantiation below. */
#define ALL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
__attribute__((always_inline)) AVX512 static inline void
tile(const int R, const int unit, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb,
     float *C, int ldc, __mmask16 m0, __mmask16 m1, int accumulate)
{
#define DECLARE(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
    ALL_ROWS(DECLARE)
#undef DECLARE
#define LOAD_C(i)                                                                                  \
    if (R > i && accumulate) {                                                                     \
        c##i##0 = _mm512_maskz_loadu_ps(m0, C + (size_t)(i) * ldc);                                \
        c##i##1 = _mm512_maskz_loadu_ps(m1, C + (size_t)(i) * ldc + 16);                           \
    }
    ALL_ROWS(LOAD_C)
#undef LOAD_C
    const ptrdiff_t step = unit ? 1 : a_col;
    const float *a = A;
    for (int k = 0; k < K; k++, a += step) {
        const float *b = B + (size_t)k * ldb;
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#define STEP(i)                                                                                    \
        if (R > i) {                                                                               \
            const __m512 ai = _mm512_set1_ps(a[(i) * a_row]);                                      \
            c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                                            \
            c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                                            \
        }
        ALL_ROWS(STEP)
#undef STEP
    }
#define STORE_C(i)                                                                                 \
    if (R > i) {                                                                                   \
        _mm512_mask_storeu_ps(C + (size_t)(i) * ldc, m0, c##i##0);                                 \
        _mm512_mask_storeu_ps(C + (size_t)(i) * ldc + 16, m1, c##i##1);                            \
    }
    ALL_ROWS(STORE_C)
#undef STORE_C
}

typedef void (*tile_fn)(int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb, float *C,
                        int ldc, __mmask16 m0, __mmask16 m1, int accumulate);

#define INSTANCE(R, unit, name)                                                                    \
    AVX512 static void name(int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb, \
                            float *C, int ldc, __mmask16 m0, __mmask16 m1, int accumulate)         \
    {                                                                                              \
        tile(R, unit, K, A, a_row, a_col, B, ldb, C, ldc, m0, m1, accumulate);                     \
    }
#define INSTANCES(unit, s)                                                                         \
    INSTANCE(1, unit, t1##s) INSTANCE(2, unit, t2##s) INSTANCE(3, unit, t3##s) INSTANCE(4, unit, t4##s) \
    INSTANCE(5, unit, t5##s) INSTANCE(6, unit, t6##s) INSTANCE(7, unit, t7##s) INSTANCE(8, unit, t8##s)
INSTANCES(1, _u) INSTANCES(0, _s)
#undef INSTANCES
#undef INSTANCE

/* [unit][rows] */
static const tile_fn tiles[2][ROWS + 1] = {
    {NULL, t1_s, t2_s, t3_s, t4_s, t5_s, t6_s, t7_s, t8_s},
    {NULL, t1_u, t2_u, t3_u, t4_u, t5_u, t6_u, t7_u, t8_u},
};

static void strip_masks(int N, int n0, __mmask16 *m0, __mmask16 *m1)
{
    int nr = N - n0 < 32 ? N - n0 : 32;
    *m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    *m1 = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
}

AVX512 void iw_gemm_avx512(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B,
                           int ldb, float *C, int ldc, int accumulate)
{
    if (N <= 16) { /* half of a 32-column tile would idle: the AVX2 kernel's 16 columns, same bits */
        iw_gemm_avx2(M, N, K, A, a_row, a_col, B, ldb, C, ldc, accumulate);
        return;
    }
    const tile_fn *fn = tiles[a_col == 1];
    __mmask16 m0, m1;
    if (N > 64) { /* row blocks outermost, K in blocks (gemm.h) */
        const int kc = iw_gemm_k_block(N, K);
        int k0 = 0;
        do {
            const int kb = K - k0 < kc ? K - k0 : kc, acc = accumulate || k0 > 0;
            const float *Ak = A + (ptrdiff_t)k0 * a_col, *Bk = B + (size_t)k0 * ldb;
            for (int m = 0; m < M; m += ROWS) {
                const int rows = M - m < ROWS ? M - m : ROWS;
                for (int n0 = 0; n0 < N; n0 += 32) {
                    strip_masks(N, n0, &m0, &m1);
                    fn[rows](kb, Ak + (ptrdiff_t)m * a_row, a_row, a_col, Bk + n0, ldb, C + (size_t)m * ldc + n0, ldc,
                             m0, m1, acc);
                }
            }
            k0 += kb;
        } while (k0 < K);
        return;
    }
    for (int n0 = 0; n0 < N; n0 += 32) {
        strip_masks(N, n0, &m0, &m1);
        for (int m = 0; m < M; m += ROWS) {
            const int rows = M - m < ROWS ? M - m : ROWS;
            fn[rows](K, A + (ptrdiff_t)m * a_row, a_row, a_col, B + n0, ldb, C + (size_t)m * ldc + n0, ldc, m0, m1,
                     accumulate);
        }
    }
}

/* In-register transpose of 16 rows of 16 floats (unpack, in-lane shuffle, two 128-bit shuffles):
 * on return r[n] holds column n. */
AVX512_T static inline void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) { /* r[4i + c], 128-bit lane L: column 4L + c of rows 4i .. 4i+3 */
        r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int c = 0; c < 4; c++) {
        __m512 x0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88), x1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
        __m512 y0 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88), y1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
        t[c] = _mm512_shuffle_f32x4(x0, y0, 0x88);
        t[8 + c] = _mm512_shuffle_f32x4(x0, y0, 0xdd);
        t[4 + c] = _mm512_shuffle_f32x4(x1, y1, 0x88);
        t[12 + c] = _mm512_shuffle_f32x4(x1, y1, 0xdd);
    }
    for (int n = 0; n < 16; n++) r[n] = t[n];
}

AVX512_T void iw_transpose_avx512(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd)
{
    for (int r0 = 0; r0 < rows; r0 += 16) {
        int nr = rows - r0 < 16 ? rows - r0 : 16;
        for (int c0 = 0; c0 < cols; c0 += 16) {
            int nc = cols - c0 < 16 ? cols - c0 : 16;
            __mmask16 lm = (__mmask16)((1u << nc) - 1), sm = (__mmask16)((1u << nr) - 1);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = i < nr ? _mm512_maskz_loadu_ps(lm, src + (size_t)(r0 + i) * lds + c0) : _mm512_setzero_ps();
            transpose16(r);
            for (int n = 0; n < nc; n++) _mm512_mask_storeu_ps(dst + (size_t)(c0 + n) * ldd + r0, sm, r[n]);
        }
    }
}

#else
void iw_transpose_avx512(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd)
{
    (void)src; (void)rows; (void)cols; (void)lds; (void)dst; (void)ldd;
}
void iw_gemm_avx512(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb,
                    float *C, int ldc, int accumulate)
{
    (void)M; (void)N; (void)K; (void)A; (void)a_row; (void)a_col; (void)B; (void)ldb; (void)C; (void)ldc;
    (void)accumulate;
}
#endif
