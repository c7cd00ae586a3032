/* gemm.h — the engine's own single-precision matrix product, for the products where OpenBLAS's
 * per-call packing costs more than the product (the Winograd blocks, the dense layers at the
 * batch sizes of training):
 *
 *   C (M x N) = A (M x K) B (K x N),   or   C += A B when accumulate,
 *
 * B and C row-major with leading dimensions ldb, ldc (floats); element (i, k) of A at
 * A[i * a_row + k * a_col]: a_col = 1 is a row-major A with leading dimension a_row, a_row = 1 an A
 * stored transposed (A^T row-major with leading dimension a_col). One of the two must be 1.
 *
 * Paths, by iw_engine_isa(): an AVX-512 kernel (8 x 32 register tile, gemm_avx512.c), an AVX2 + FMA
 * one (6 x 16, gemm_avx2.c), or cblas_sgemm (portable, gemm.c). On the two vector paths every
 * output is one chain of fused multiply-adds over k = 0 .. K-1 in order, starting from 0 (or from
 * C when accumulating), whatever the tiling or the loop order: they give the same bits, and so do
 * two machines of either kind, whatever OpenBLAS kernel they run. cblas_sgemm rounds differently
 * (and by its own kernel). No allocation, no threads.
 */
#ifndef IW_ENGINE_GEMM_H
#define IW_ENGINE_GEMM_H

#include <stddef.h>

void iw_gemm(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb,
             float *C, int ldc, int accumulate);
/* The vector kernels, for iw_gemm and for tests that compare them; call only when the CPU has the ISA. */
void iw_gemm_avx512(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B,
                    int ldb, float *C, int ldc, int accumulate);
void iw_gemm_avx2(int M, int N, int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_col, const float *B, int ldb,
                  float *C, int ldc, int accumulate);

/* dst (cols x rows, leading dimension ldd) = src (rows x cols, leading dimension lds) transposed:
 * AVX-512 16x16 or AVX2 8x8 blocks in registers, or plain C (data movement only: every path gives
 * the same values). */
void iw_transpose(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd);
void iw_transpose_avx512(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd);
void iw_transpose_avx2(const float *src, int rows, int cols, size_t lds, float *dst, size_t ldd);

/* Blocking of the vector kernels (results do not depend on it: a K block continues each output's
 * chain from the value stored in C). Up to 64 columns, column strips go outermost: a K x strip
 * panel of B stays in L1 while all of A passes. Wider products go row block by row block, each
 * block of A staying in L1 while it passes all of B, with K cut into blocks whose K x N slice of
 * B stays in L2 (IW_GEMM_L2_PANEL bytes). iw_gemm_k_block gives that block's length. */
#define IW_GEMM_L2_PANEL ((size_t)256 << 10)
static inline int iw_gemm_k_block(int N, int K)
{
    size_t kc = IW_GEMM_L2_PANEL / ((size_t)(N > 0 ? N : 1) * sizeof(float));
    if (kc < 16) kc = 16;
    return kc >= (size_t)K ? (K > 0 ? K : 1) : (int)kc;
}

#endif
