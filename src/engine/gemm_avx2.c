/* gemm_avx2.c — the AVX2 + FMA kernel of iw_gemm (gemm.h has the contract).
 *
 * Register tile of 6 rows x 16 columns: 12 ymm accumulators; per k two loads of B, six broadcasts
 * of A and twelve FMAs, which leaves two of the 16 ymm registers to spare and gives the two FMA
 * pipes twelve independent chains to cover their four-cycle latency. Measured on Zen 4 against the
 * 8 x 32 AVX-512 tile on the Winograd shapes (M, N, K = 64..256, 32..128, 32..128): 95-115 GFLOP/s,
 * as fast or faster. The last M % 6 rows take a tile of fewer rows; a ragged column end takes
 * masked loads (cheap) and 4/2/1-lane stores (AVX2's masked store is microcoded on AMD CPUs).
 *
 * Every output is one chain of fused multiply-adds over k = 0 .. K-1 in order, starting from 0
 * (or from C when accumulating), exactly as in the AVX-512 kernel: the two give the same bits, and
 * the AVX-512 kernel hands its products of at most 16 columns to this one. Compiled for avx2 + fma
 * through function attributes; called only on the AVX2 and AVX-512 paths. Also the vector
 * transpose (iw_transpose_avx2).
 */
#include "gemm.h"
#include "layer.h"

#ifdef IW_X86_KERNELS
#include <immintrin.h>
#include <stdint.h>

#include "simd_avx2.h"
#define ROWS 6

/* The first n lanes (0 <= n <= 8) of a maskload mask. */
AVX2 static inline __m256i first_lanes(int n)
{
    static const int32_t ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    n = n < 0 ? 0 : n > 8 ? 8 : n;
    return _mm256_loadu_si256((const __m256i *)(ramp + 8 - n));
}

/* p[0 .. n) = lanes 0 .. n of v, from registers. */
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

typedef struct strip_cols {
    __m256i m0, m1; /* maskload masks of columns 0..7 and 8..15 */
    int n0, n1;     /* columns in each half (8, 8 for a full strip) */
} strip_cols;

/* R rows (1..ROWS) x 16 columns. R, `masked` (a ragged strip) and `unit` (a_col == 1) are constants
 * in each instantiation below, so the unused accumulators and branches vanish. Named variables
 * rather than an array: GCC keeps an array of vectors on the stack. */
#define ALL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
__attribute__((always_inline)) AVX2 static inline void
tile(const int R, const int masked, const int unit, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col,
     const float *B, int ldb, float *C, int ldc, const strip_cols *cl, int accumulate)
{
#define DECLARE(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
    ALL_ROWS(DECLARE)
#undef DECLARE
#define LOAD_C(i)                                                                                  \
    if (R > i && accumulate) {                                                                     \
        const float *p = C + (size_t)(i) * ldc;                                                    \
        c##i##0 = masked ? _mm256_maskload_ps(p, cl->m0) : _mm256_loadu_ps(p);                     \
        c##i##1 = masked ? _mm256_maskload_ps(p + 8, cl->m1) : _mm256_loadu_ps(p + 8);             \
    }
    ALL_ROWS(LOAD_C)
#undef LOAD_C
    const ptrdiff_t step = unit ? 1 : a_col;
    const float *a = A;
    for (int k = 0; k < K; k++, a += step) {
        const float *b = B + (size_t)k * ldb;
        const __m256 b0 = masked ? _mm256_maskload_ps(b, cl->m0) : _mm256_loadu_ps(b);
        const __m256 b1 = masked ? _mm256_maskload_ps(b + 8, cl->m1) : _mm256_loadu_ps(b + 8);
#define STEP(i)                                                                                    \
        if (R > i) {                                                                               \
            const __m256 ai = _mm256_broadcast_ss(a + (i) * a_row);                                \
            c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                                            \
            c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                                            \
        }
        ALL_ROWS(STEP)
#undef STEP
    }
#define STORE_C(i)                                                                                 \
    if (R > i) {                                                                                   \
        float *p = C + (size_t)(i) * ldc;                                                          \
        if (masked) {                                                                              \
            store_first(p, c##i##0, cl->n0);                                                       \
            if (cl->n1 > 0) store_first(p + 8, c##i##1, cl->n1);                                   \
        } else {                                                                                   \
            _mm256_storeu_ps(p, c##i##0);                                                          \
            _mm256_storeu_ps(p + 8, c##i##1);                                                      \
        }                                                                                          \
    }
    ALL_ROWS(STORE_C)
#undef STORE_C
}

typedef void (*tile_fn)(int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb, float *C,
                        int ldc, const strip_cols *cl, int accumulate);

#define INSTANCE(R, masked, unit, name)                                                            \
    AVX2 static void name(int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb, \
                          float *C, int ldc, const strip_cols *cl, int accumulate)                      \
    {                                                                                              \
        tile(R, masked, unit, K, A, a_row, a_col, B, ldb, C, ldc, cl, accumulate);                 \
    }
#define INSTANCES(masked, unit, s)                                                                 \
    INSTANCE(1, masked, unit, t1##s) INSTANCE(2, masked, unit, t2##s) INSTANCE(3, masked, unit, t3##s) \
    INSTANCE(4, masked, unit, t4##s) INSTANCE(5, masked, unit, t5##s) INSTANCE(6, masked, unit, t6##s)
INSTANCES(0, 1, _fu) INSTANCES(1, 1, _mu) INSTANCES(0, 0, _fs) INSTANCES(1, 0, _ms)
#undef INSTANCES
#undef INSTANCE

/* [masked][unit][rows] */
static const tile_fn tiles[2][2][ROWS + 1] = {
    {{NULL, t1_fs, t2_fs, t3_fs, t4_fs, t5_fs, t6_fs}, {NULL, t1_fu, t2_fu, t3_fu, t4_fu, t5_fu, t6_fu}},
    {{NULL, t1_ms, t2_ms, t3_ms, t4_ms, t5_ms, t6_ms}, {NULL, t1_mu, t2_mu, t3_mu, t4_mu, t5_mu, t6_mu}},
};

AVX2 static inline strip_cols strip(int N, int n0)
{
    int nr = N - n0 < 16 ? N - n0 : 16;
    strip_cols cl = {first_lanes(nr), first_lanes(nr - 8), nr < 8 ? nr : 8, nr - 8};
    return cl;
}

AVX2 void iw_gemm_avx2(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb,
                       float *C, int ldc, int accumulate)
{
    const int unit = a_col == 1;
    if (N > 64) { /* row blocks outermost, K in blocks (gemm.h) */
        const int kc = iw_gemm_k_block(N, K);
        int k0 = 0;
        do {
            const int kb = K - k0 < kc ? K - k0 : kc, acc = accumulate || k0 > 0;
            const float *Ak = A + (ptrdiff_t)k0 * a_col, *Bk = B + (size_t)k0 * ldb;
            for (int m = 0; m < M; m += ROWS) {
                const int rows = M - m < ROWS ? M - m : ROWS;
                for (int n0 = 0; n0 < N; n0 += 16) {
                    const strip_cols cl = strip(N, n0);
                    tiles[N - n0 < 16][unit][rows](kb, Ak + (ptrdiff_t)m * a_row, a_row, a_col, Bk + n0, ldb,
                                                   C + (size_t)m * ldc + n0, ldc, &cl, acc);
                }
            }
            k0 += kb;
        } while (k0 < K);
        return;
    }
    for (int n0 = 0; n0 < N; n0 += 16) {
        const strip_cols cl = strip(N, n0);
        const tile_fn *fn = tiles[N - n0 < 16][unit];
        for (int m = 0; m < M; m += ROWS) {
            const int rows = M - m < ROWS ? M - m : ROWS;
            fn[rows](K, A + (ptrdiff_t)m * a_row, a_row, a_col, B + n0, ldb, C + (size_t)m * ldc + n0, ldc, &cl,
                     accumulate);
        }
    }
}

/* In-register transpose of 8 rows of 8 floats: on return r[n] holds column n. */
AVX2 static inline void transpose8(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) { /* u[4i + c], 128-bit lane L: column 4L + c of rows 4i .. 4i+3 */
        u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
}

AVX2 void iw_transpose_avx2(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd)
{
    for (int r0 = 0; r0 < rows; r0 += 8) {
        const int nr = rows - r0 < 8 ? rows - r0 : 8;
        for (int c0 = 0; c0 < cols; c0 += 8) {
            const int nc = cols - c0 < 8 ? cols - c0 : 8;
            const __m256i lm = first_lanes(nc);
            __m256 r[8];
            for (int i = 0; i < 8; i++)
                r[i] = i >= nr ? _mm256_setzero_ps()
                       : nc == 8 ? _mm256_loadu_ps(src + (size_t)(r0 + i) * lds + c0)
                                 : _mm256_maskload_ps(src + (size_t)(r0 + i) * lds + c0, lm);
            transpose8(r);
            for (int n = 0; n < nc; n++) store_first(dst + (size_t)(c0 + n) * ldd + r0, r[n], nr);
        }
    }
}

#else
void iw_transpose_avx2(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd)
{
    (void)src; (void)rows; (void)cols; (void)lds; (void)dst; (void)ldd;
}
void iw_gemm_avx2(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb,
                  float *C, int ldc, int accumulate)
{
    (void)M; (void)N; (void)K; (void)A; (void)a_row; (void)a_col; (void)B; (void)ldb; (void)C; (void)ldc;
    (void)accumulate;
}
#endif
