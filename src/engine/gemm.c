/* gemm.c — the dispatch of iw_gemm and iw_transpose (gemm.h has the contract) and their portable
 * paths: cblas_sgemm, and a plain transpose in cache-sized blocks. */
#include "gemm.h"
#include "layer.h"

#include <cblas.h>

void iw_gemm(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    switch (iw_engine_isa()) {
    case IW_ISA_AVX512: iw_gemm_avx512(M, N, K, A, a_row, a_col, B, ldb, C, ldc, accumulate); return;
    case IW_ISA_AVX2: iw_gemm_avx2(M, N, K, A, a_row, a_col, B, ldb, C, ldc, accumulate); return;
    default: break;
    }
    if (M < 1 || N < 1) return;
    const float beta = accumulate ? 1.0f : 0.0f;
    if (a_col == 1)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, (int)a_row, B, ldb, beta, C, ldc);
    else
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, A, (int)a_col, B, ldb, beta, C, ldc);
}

void iw_transpose(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd)
{
    switch (iw_engine_isa()) {
    case IW_ISA_AVX512: iw_transpose_avx512(src, rows, cols, lds, dst, ldd); return;
    case IW_ISA_AVX2: iw_transpose_avx2(src, rows, cols, lds, dst, ldd); return;
    default: break;
    }
    enum { BLOCK = 16 };
    for (int r0 = 0; r0 < rows; r0 += BLOCK)
        for (int c0 = 0; c0 < cols; c0 += BLOCK)
            for (int r = r0; r < rows && r < r0 + BLOCK; r++)
                for (int c = c0; c < cols && c < c0 + BLOCK; c++) dst[(size_t)c * ldd + r] = src[(size_t)r * lds + c];
}
