/* conv_gemm.c — the small matrix products of the Winograd convolution:
 *   C (M x N) = A (M x K) B (K x N)   or   C += A B,   all row-major with leading dimensions.
 * Winograd calls it on blocks that stay in L2 (N = 32 tiles, K = channels), where OpenBLAS's
 * per-call packing costs more than the product. On CPUs with AVX-512 it runs an 8 x 32 register
 * tile (16 zmm accumulators, A broadcast, B two vector loads per k); elsewhere, or when a test
 * asks for it, it calls cblas_sgemm. iw_conv_use_avx512 also selects the Winograd transforms. The choice depends only on the CPU, never on timing; within a
 * machine the results are bit-for-bit repeatable (no threads, fixed summation order over k).
 */
#include "conv.h"
#include "conv_winograd.h"

#include <cblas.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define IW_HAVE_AVX512_KERNEL 1
#endif

static int force_portable_;

void iw_conv_gemm_force_portable(int on) { force_portable_ = on; }

static void gemm_portable(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
                          int ldc, int accumulate)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                accumulate ? 1.0f : 0.0f, C, ldc);
}

#ifdef IW_HAVE_AVX512_KERNEL
/* Rows m0 .. m0+8 (exactly 8), columns n0 .. n0+32 with masks for a ragged end. The 16
 * accumulators are named variables: GCC keeps an array of vectors on the stack. */
__attribute__((target("avx512f,fma"))) static void
tile_8x32(int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc, __mmask16 m0,
          __mmask16 m1, int accumulate)
{
#define ROW_LOAD(i)                                                                             \
    __m512 c##i##0 = accumulate ? _mm512_maskz_loadu_ps(m0, C + (size_t)(i) * ldc) : _mm512_setzero_ps(); \
    __m512 c##i##1 = accumulate ? _mm512_maskz_loadu_ps(m1, C + (size_t)(i) * ldc + 16) : _mm512_setzero_ps();
    ROW_LOAD(0) ROW_LOAD(1) ROW_LOAD(2) ROW_LOAD(3) ROW_LOAD(4) ROW_LOAD(5) ROW_LOAD(6) ROW_LOAD(7)
#undef ROW_LOAD
    const float *a0 = A, *a1 = A + lda, *a2 = A + 2 * (size_t)lda, *a3 = A + 3 * (size_t)lda;
    const float *a4 = A + 4 * (size_t)lda, *a5 = A + 5 * (size_t)lda, *a6 = A + 6 * (size_t)lda;
    const float *a7 = A + 7 * (size_t)lda;
    for (int k = 0; k < K; k++) {
        const float *b = B + (size_t)k * ldb;
        __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16), a;
#define ROW_FMA(i)                                  \
        a = _mm512_set1_ps(a##i[k]);                \
        c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0);  \
        c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1);
        ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3) ROW_FMA(4) ROW_FMA(5) ROW_FMA(6) ROW_FMA(7)
#undef ROW_FMA
    }
#define ROW_STORE(i)                                                   \
    _mm512_mask_storeu_ps(C + (size_t)(i) * ldc, m0, c##i##0);         \
    _mm512_mask_storeu_ps(C + (size_t)(i) * ldc + 16, m1, c##i##1);
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
#undef ROW_STORE
}

/* Fewer than 8 rows (Cout or Cin not a multiple of 8): one row at a time. */
__attribute__((target("avx512f,fma"))) static void
tile_rows_x32(int rows, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
              __mmask16 m0, __mmask16 m1, int accumulate)
{
    for (int i = 0; i < rows; i++) {
        __m512 c0 = accumulate ? _mm512_maskz_loadu_ps(m0, C + (size_t)i * ldc) : _mm512_setzero_ps();
        __m512 c1 = accumulate ? _mm512_maskz_loadu_ps(m1, C + (size_t)i * ldc + 16) : _mm512_setzero_ps();
        for (int k = 0; k < K; k++) {
            __m512 a = _mm512_set1_ps(A[(size_t)i * lda + k]);
            const float *b = B + (size_t)k * ldb;
            c0 = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m0, b), c0);
            c1 = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m1, b + 16), c1);
        }
        _mm512_mask_storeu_ps(C + (size_t)i * ldc, m0, c0);
        _mm512_mask_storeu_ps(C + (size_t)i * ldc + 16, m1, c1);
    }
}

__attribute__((target("avx512f,fma"))) static void
gemm_avx512(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
            int accumulate)
{
    /* columns outer: the K x 32 panel of B stays in L1 while every row block of A passes */
    for (int n0 = 0; n0 < N; n0 += 32) {
        int nr = N - n0 < 32 ? N - n0 : 32;
        __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
        __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
        int m = 0;
        for (; m + 8 <= M; m += 8)
            tile_8x32(K, A + (size_t)m * lda, lda, B + n0, ldb, C + (size_t)m * ldc + n0, ldc, m0, m1, accumulate);
        if (m < M)
            tile_rows_x32(M - m, K, A + (size_t)m * lda, lda, B + n0, ldb, C + (size_t)m * ldc + n0, ldc, m0,
                          m1, accumulate);
    }
}
#endif

int iw_conv_use_avx512(void)
{
#ifdef IW_HAVE_AVX512_KERNEL
    static int have_avx512 = -1;
    if (have_avx512 < 0) {
        __builtin_cpu_init();
        have_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    }
    return have_avx512 && !force_portable_;
#else
    return 0;
#endif
}

void iw_conv_gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                  int accumulate)
{
#ifdef IW_HAVE_AVX512_KERNEL
    if (iw_conv_use_avx512()) {
        gemm_avx512(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_portable(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

const char *iw_conv_gemm_kernel(void)
{
    return iw_conv_use_avx512() ? "avx512 8x32 + avx512 transforms" : "cblas_sgemm + scalar transforms";
}
