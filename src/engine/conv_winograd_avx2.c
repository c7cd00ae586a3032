/* conv_winograd_avx2.c — the vector kernels of Winograd F(2x2, 3x3) (conv_winograd.c has the maths,
 * the layouts and the plain C versions): the four tile transforms, in AVX2 + FMA (the weight
 * transforms are in conv_winograd_weights_avx2.c). The AVX2 and the AVX-512 paths both take them, so the two give the same
 * bits; each value is computed with the plain C versions' operations in their order (additions
 * only, no fused multiply-adds), and the sums into memory (db, dx) keep the order and grouping of
 * the kernels they replace, so the engine's training trajectories are unchanged bit for bit.
 *
 * Lanes: the input transform and the output transform take 8 channels per
 * vector (a tile's 4x4 patch of 8 channels comes in as 8 rows of 4 floats and is transposed in
 * registers), which fills the lanes whatever the image size (a 6x6 output has only 3 tiles per
 * row); the output-gradient transform takes 8 tiles per vector (its db sums are transposed to 8
 * channels before they are added, in tile order); the input-gradient transform takes runs of up
 * to 16 consecutive tiles of a tile row (iw_wino_block_runs), the contributions of neighbouring
 * tiles summed in registers before they are added into dx. AVX2 has no cheap masked store on AMD
 * CPUs (vmaskmovps to memory is microcoded there), so ragged ends are stored with 4-, 2- and
 * 1-lane stores from registers (store_first); masked loads (cheap everywhere) give the zero
 * padding. Compiled for avx2 + fma through function attributes. Small fixed loops carry
 * `#pragma GCC unroll`: -O2 does not unroll them, and an array of vectors indexed by a loop
 * counter then lives on the stack; unrolled, GCC keeps the vectors in registers.
 */
#include "conv.h"
#include "conv_winograd.h"

#include <stdint.h>

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#include "simd_avx2.h"
#define PREFETCH_AHEAD 4 /* channels */

typedef struct v16 {
    __m256 h[2]; /* lanes 0..7, 8..15 */
} v16;

/* Lanes l with 0 <= s + l < n, as [lo, hi) clamped to 0..8. */
static inline void span(int s, int n, int *lo, int *hi)
{
    int a = s < 0 ? -s : 0, b = n - s < 8 ? n - s : 8;
    if (a > 8) a = 8;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

/* p[lo .. hi) = lanes lo .. hi of v (p + lo .. p + hi inside the array; p itself may not be). A
 * range that does not start at lane 0 (the left border of a padded image) goes lane by lane. */
AVX2 static inline void store_span(float *p, __m256 v, int lo, int hi)
{
    if (lo == 0) {
        store_first(p, v, hi);
        return;
    }
    for (int l = lo; l < hi; l++) {
        float *q = (float *)((uintptr_t)p + (intptr_t)l * (intptr_t)sizeof(float));
        _mm_store_ss(q, _mm256_castps256_ps128(_mm256_permutevar8x32_ps(v, _mm256_set1_epi32(l))));
    }
}

/* Interleave e and o into e0 o0 e1 o1 ... : lanes 0..3 of each into *lo, lanes 4..7 into *hi. */
AVX2 static inline void interleave8(__m256 e, __m256 o, __m256 *lo, __m256 *hi)
{
    __m256 u0 = _mm256_unpacklo_ps(e, o), u1 = _mm256_unpackhi_ps(e, o); /* e0 o0 e1 o1 | e4 o4 e5 o5 ; e2 o2 e3 o3 | e6 .. */
    *lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    *hi = _mm256_permute2f128_ps(u0, u1, 0x31);
}

/* Rows r[0..7] of 4 floats (lanes 0..3 of each) -> c[jj] lane l = r[l][jj], jj = 0..3: a 4x4
 * transpose in each 128-bit half, r[l] in the low half and r[l + 4] in the high one. */
AVX2 static inline void transpose8x4(const __m128 r[8], __m256 c[4])
{
    __m256 a0 = _mm256_set_m128(r[4], r[0]), a1 = _mm256_set_m128(r[5], r[1]);
    __m256 a2 = _mm256_set_m128(r[6], r[2]), a3 = _mm256_set_m128(r[7], r[3]);
    __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
    __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
    c[0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    c[1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    c[2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    c[3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
}

/* Where a tile's patch rows lie in a channel plane, and which of them and of its columns are
 * inside the image (the rest reads as zeros). */
typedef struct patch {
    ptrdiff_t row[4];  /* offset of the patch row's first column in a plane (may be < 0) */
    int valid[4];      /* the row lies inside the image */
    int full;          /* all four columns inside */
    __m128i cols;      /* else: the columns inside, as a maskload mask */
} patch;

AVX2 static inline void patch_of(const iw_wino_geom *g, const iw_wino_tile *q, patch *pa)
{
    for (int i = 0; i < 4; i++) {
        int yy = q->iy + i;
        pa->valid[i] = yy >= 0 && yy < g->H;
        pa->row[i] = (ptrdiff_t)yy * g->W + q->ix;
    }
    pa->full = q->ix >= 0 && q->ix + 4 <= g->W;
    const __m128i l = _mm_setr_epi32(0, 1, 2, 3), x = _mm_add_epi32(l, _mm_set1_epi32(q->ix));
    pa->cols = _mm_and_si128(_mm_cmpgt_epi32(x, _mm_set1_epi32(-1)), _mm_cmpgt_epi32(_mm_set1_epi32(g->W), x));
}

/* 4 floats of row i of a patch in the plane at `plane` (zeros outside the image). */
AVX2 static inline __m128 patch_row4(const float *plane, const patch *pa, int i)
{
    if (!pa->valid[i]) return _mm_setzero_ps();
    const float *p = (const float *)((uintptr_t)plane + (intptr_t)pa->row[i] * (intptr_t)sizeof(float));
    return pa->full ? _mm_loadu_ps(p) : _mm_maskload_ps(p, pa->cols);
}

/* The stretches of a channel plane that a block's tiles read (rows row0 .. row0+rows-1 of each tile,
 * clipped to 0..height-1): one per example the block touches, as offsets from the batch's plane of
 * channel 0 (example j's plane starts at j * example floats). The planes of the channels after the
 * current ones lie 1-3 KB apart, too far for the hardware prefetchers: the kernels prefetch these
 * stretches of them. */
typedef struct stretches {
    size_t start[IW_WINO_TB_FWD], len[IW_WINO_TB_FWD];
    int n;
} stretches;

static void block_stretches(const iw_wino_tile *tl, int nt, int output, int rows, int height, int width,
                            size_t example, stretches *st)
{
    st->n = 0;
    for (int k = 0; k < nt;) {
        const int j = tl[k].j;
        int r0 = output ? tl[k].oy : tl[k].iy, r1 = r0 + rows;
        for (; k < nt && tl[k].j == j; k++) {
            int r = output ? tl[k].oy : tl[k].iy;
            if (r < r0) r0 = r;
            if (r + rows > r1) r1 = r + rows;
        }
        r0 = r0 < 0 ? 0 : r0;
        r1 = r1 > height ? height : r1;
        st->start[st->n] = (size_t)j * example + (size_t)r0 * width;
        st->len[st->n++] = r1 > r0 ? (size_t)(r1 - r0) * width : 0;
    }
}

/* Prefetches the stretches of the planes of channels c .. c+n-1 (those below `channels`). */
static inline void prefetch_planes(const float *base, size_t plane, int c, int n, int channels, const stretches *st)
{
    for (int ch = c; ch < c + n && ch < channels; ch++)
        for (int s = 0; s < st->n; s++) {
            const char *p = (const char *)(base + (size_t)ch * plane + st->start[s]);
            for (size_t b = 0; b < st->len[s] * sizeof(float); b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
        }
}

/* VT[p][k][ci] = (B^T d B)[p], 8 channels per vector: rows of B^T d first, then its columns, as
 * the plain C input_transform. Channels go outermost (8 at a time, the next 8 planes prefetched),
 * then the block's tiles. */
AVX2 void iw_wino_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x, float *VT,
                                       size_t vs)
{
    const size_t plane = (size_t)g->H * g->W;
    const int Cin = g->Cin;
    patch pa[IW_WINO_TB_FWD];
    stretches st;
    for (int k = 0; k < nt; k++) patch_of(g, &tl[k], &pa[k]);
    block_stretches(tl, nt, 0, 4, g->H, g->W, g->in_size, &st);
    for (int c0 = 0; c0 < Cin; c0 += 8) {
        const int nc = Cin - c0 < 8 ? Cin - c0 : 8;
        prefetch_planes(x, plane, c0 + 8, 8, Cin, &st);
        for (int k = 0; k < nt; k++) {
            const float *src = x + (size_t)tl[k].j * g->in_size + (size_t)c0 * plane;
            __m256 d[4][4];
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                __m128 r[8];
#pragma GCC unroll 8
                for (int l = 0; l < 8; l++) r[l] = l < nc ? patch_row4(src + (size_t)l * plane, &pa[k], i) : _mm_setzero_ps();
                transpose8x4(r, d[i]);
            }
            __m256 c[4][4]; /* B^T d */
#pragma GCC unroll 4
            for (int jj = 0; jj < 4; jj++) {
                c[0][jj] = _mm256_sub_ps(d[0][jj], d[2][jj]);
                c[1][jj] = _mm256_add_ps(d[1][jj], d[2][jj]);
                c[2][jj] = _mm256_sub_ps(d[2][jj], d[1][jj]);
                c[3][jj] = _mm256_sub_ps(d[1][jj], d[3][jj]);
            }
            float *v = VT + (size_t)k * Cin + c0;
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                store_first(v + (size_t)(i * 4 + 0) * vs, _mm256_sub_ps(c[i][0], c[i][2]), nc);
                store_first(v + (size_t)(i * 4 + 1) * vs, _mm256_add_ps(c[i][1], c[i][2]), nc);
                store_first(v + (size_t)(i * 4 + 2) * vs, _mm256_sub_ps(c[i][2], c[i][1]), nc);
                store_first(v + (size_t)(i * 4 + 3) * vs, _mm256_sub_ps(c[i][1], c[i][3]), nc);
            }
        }
    }
}

/* One tile's 2x2 outputs for 8 output channels: A^T m A + b, m the tile's 4x4 products at
 * m[(4 i + j) ms] (lanes = channels, masked to the channels that exist); o[r][c] is output (r, c).
 * Shared by the plain and the pooling output transforms (the same operations, so the same bits). */
__attribute__((always_inline)) AVX2 static inline void inverse_tile(const float *mk, size_t ms, __m256i mask, __m256 b,
                                                                    __m256 o[2][2])
{
    __m256 t0[4], t1[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        const float *m = mk + i * ms;
        __m256 a0 = _mm256_maskload_ps(m, mask), a1 = _mm256_maskload_ps(m + 4 * ms, mask);
        __m256 a2 = _mm256_maskload_ps(m + 8 * ms, mask), a3 = _mm256_maskload_ps(m + 12 * ms, mask);
        t0[i] = _mm256_add_ps(_mm256_add_ps(a0, a1), a2);
        t1[i] = _mm256_sub_ps(_mm256_sub_ps(a1, a2), a3);
    }
    o[0][0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(t0[0], t0[1]), t0[2]), b);
    o[0][1] = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(t0[1], t0[2]), t0[3]), b);
    o[1][0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(t1[0], t1[1]), t1[2]), b);
    o[1][1] = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(t1[1], t1[2]), t1[3]), b);
}

/* y = A^T m A + bias (max(., 0) when relu) from MT[p][k][co], 8 output channels per vector; each
 * channel's output pair of a row is one 8-byte store. */
AVX2 void iw_wino_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *MT,
                                        size_t ms, const float *bias, int relu, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    const int Cout = g->Cout;
    const __m256 zero = _mm256_setzero_ps();
    for (int k = 0; k < nt; k++) {
        const iw_wino_tile *q = &tl[k];
        const int hx = q->ox + 1 < g->Wo, hy = q->oy + 1 < g->Ho;
        float *dst = y + (size_t)q->j * g->out_size + (size_t)q->oy * g->Wo + q->ox;
        const float *mk = MT + (size_t)k * Cout;
        for (int c0 = 0; c0 < Cout; c0 += 8) {
            const int nc = Cout - c0 < 8 ? Cout - c0 : 8;
            const __m256i mask = lanes_between(0, nc);
            const __m256 b = _mm256_maskload_ps(bias + c0, mask);
            __m256 o[2][2];
            inverse_tile(mk + c0, ms, mask, b, o);
            if (relu)
#pragma GCC unroll 2
                for (int r = 0; r < 2; r++)
#pragma GCC unroll 2
                    for (int c = 0; c < 2; c++) o[r][c] = _mm256_and_ps(o[r][c], _mm256_cmp_ps(o[r][c], zero, _CMP_GT_OQ));
            float *d0 = dst + (size_t)c0 * plane;
#pragma GCC unroll 2
            for (int r = 0; r < 2; r++) {
                if (r && !hy) break;
                float *d = d0 + (size_t)r * g->Wo;
                if (!hx) { /* the last column of an odd width: one value per channel */
                    float v[8];
                    _mm256_storeu_ps(v, o[r][0]);
                    for (int c = 0; c < nc; c++) d[(size_t)c * plane] = v[c];
                    continue;
                }
                __m256 p0 = _mm256_unpacklo_ps(o[r][0], o[r][1]), p1 = _mm256_unpackhi_ps(o[r][0], o[r][1]);
                __m128 pr[4] = {_mm256_castps256_ps128(p0), _mm256_castps256_ps128(p1), _mm256_extractf128_ps(p0, 1),
                                _mm256_extractf128_ps(p1, 1)}; /* channels 0,1 | 2,3 | 4,5 | 6,7 */
#pragma GCC unroll 8
                for (int c = 0; c < 8; c++) {
                    if (c >= nc) break;
                    float *dc = d + (size_t)c * plane;
                    if (c % 2 == 0)
                        _mm_storel_pi((__m64 *)dc, pr[c / 2]);
                    else
                        _mm_storeh_pi((__m64 *)dc, pr[c / 2]);
                }
            }
        }
    }
}

/* The same with the 2x2 max pooling that follows the ReLU (Ho, Wo even: each tile is one pooling
 * window): y (B, Cout, Ho/2, Wo/2) gets the window's maximum, arg (when non-NULL) its index in the
 * convolution's output plane (the first maximum in row-major order, as the maxpool layer). */
AVX2 void iw_wino_output_transform_pool_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *MT,
                                             size_t ms, const float *bias, float *y, int32_t *arg)
{
    const int Cout = g->Cout, Hp = g->Ho / 2, Wp = g->Wo / 2;
    const size_t pplane = (size_t)Hp * Wp, psize = (size_t)Cout * pplane;
    const __m256 zero = _mm256_setzero_ps();
    for (int k = 0; k < nt; k++) {
        const iw_wino_tile *q = &tl[k];
        const size_t pos = (size_t)q->j * psize + (size_t)(q->oy / 2) * Wp + q->ox / 2;
        const int base = q->oy * g->Wo + q->ox;
        const __m256i i00 = _mm256_set1_epi32(base), i01 = _mm256_set1_epi32(base + 1);
        const __m256i i10 = _mm256_set1_epi32(base + g->Wo), i11 = _mm256_set1_epi32(base + g->Wo + 1);
        const float *mk = MT + (size_t)k * Cout;
        for (int c0 = 0; c0 < Cout; c0 += 8) {
            const int nc = Cout - c0 < 8 ? Cout - c0 : 8;
            const __m256i mask = lanes_between(0, nc);
            const __m256 b = _mm256_maskload_ps(bias + c0, mask);
            __m256 o2[2][2], o[4];
            inverse_tile(mk + c0, ms, mask, b, o2);
            o[0] = o2[0][0], o[1] = o2[0][1], o[2] = o2[1][0], o[3] = o2[1][1];
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) o[r] = _mm256_and_ps(o[r], _mm256_cmp_ps(o[r], zero, _CMP_GT_OQ));
            __m256 m = o[0];
            __m256i idx = i00;
            const __m256i cand[4] = {i00, i01, i10, i11};
#pragma GCC unroll 3
            for (int r = 1; r < 4; r++) { /* ReLU outputs are never NaN: a strict > keeps the first maximum */
                __m256 take = _mm256_cmp_ps(o[r], m, _CMP_GT_OQ);
                m = _mm256_blendv_ps(m, o[r], take);
                idx = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(idx), _mm256_castsi256_ps(cand[r]), take));
            }
            float mv[8];
            int32_t iv[8];
            _mm256_storeu_ps(mv, m);
            _mm256_storeu_si256((__m256i *)iv, idx);
            float *yc = y + pos + (size_t)c0 * pplane;
            int32_t *ac = arg ? arg + pos + (size_t)c0 * pplane : NULL;
            for (int c = 0; c < nc; c++) {
                yc[(size_t)c * pplane] = mv[c];
                if (ac) ac[(size_t)c * pplane] = iv[c];
            }
        }
    }
}

/* Where the 8 tiles of a group sit in an output plane, and whether each has its second column and
 * row (the last tile of an odd width or height has not). `regular`: 8 tiles that all have both. */
typedef struct out_group {
    size_t offset[8];
    int hx[8], hy[8];
    int regular;
} out_group;

AVX2 static void out_group_of(const iw_wino_geom *g, const iw_wino_tile *tl, int n, out_group *og)
{
    og->regular = n == 8;
    for (int l = 0; l < 8; l++) {
        const iw_wino_tile *q = &tl[l < n ? l : 0];
        og->offset[l] = (size_t)q->j * g->out_size + (size_t)q->oy * g->Wo + q->ox;
        og->hx[l] = l < n && q->ox + 1 < g->Wo;
        og->hy[l] = l < n && q->oy + 1 < g->Ho;
        og->regular = og->regular && og->hx[l] && og->hy[l];
    }
}

/* Two floats from p into the low half (movq; p need not be 8-byte aligned: _mm_loadl_epi64 reads
 * through an unaligned type, where _mm_load_sd would dereference a double). */
AVX2 static inline __m128 load2(const float *p) { return _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)p)); }

/* Elements (r, c) of 8 tiles' 2x2 blocks of one output plane, lanes = tiles: v[2r + c]; a pair per
 * tile and row, two tiles per 128 bits (a regular group). */
__attribute__((always_inline)) AVX2 static inline void tile_values(const float *plane, const out_group *og, int Wo,
                                                                   __m256 v[4])
{
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++) {
        const float *p = plane + (size_t)r * Wo;
        __m128 u01 = _mm_loadh_pi(load2(p + og->offset[0]), (const __m64 *)(p + og->offset[1]));
        __m128 u23 = _mm_loadh_pi(load2(p + og->offset[2]), (const __m64 *)(p + og->offset[3]));
        __m128 u45 = _mm_loadh_pi(load2(p + og->offset[4]), (const __m64 *)(p + og->offset[5]));
        __m128 u67 = _mm_loadh_pi(load2(p + og->offset[6]), (const __m64 *)(p + og->offset[7]));
        __m256 X = _mm256_set_m128(u45, u01), Y = _mm256_set_m128(u67, u23);
        v[2 * r] = _mm256_shuffle_ps(X, Y, _MM_SHUFFLE(2, 0, 2, 0));
        v[2 * r + 1] = _mm256_shuffle_ps(X, Y, _MM_SHUFFLE(3, 1, 3, 1));
    }
}

/* The same for any group (fewer than 8 tiles, or tiles without their second column or row): zeros
 * where a tile or an element is missing. */
AVX2 static void tile_values_any(const float *plane, const out_group *og, int n, int Wo, __m256 v[4])
{
    float e[4][8];
    for (int l = 0; l < 8; l++) {
        const float *p = plane + og->offset[l];
        e[0][l] = l < n ? p[0] : 0.0f;
        e[1][l] = og->hx[l] ? p[1] : 0.0f;
        e[2][l] = og->hy[l] ? p[Wo] : 0.0f;
        e[3][l] = og->hx[l] && og->hy[l] ? p[Wo + 1] : 0.0f;
    }
    for (int i = 0; i < 4; i++) v[i] = _mm256_loadu_ps(e[i]);
}

/* dM[p][k0 .. k0+8) at dst (matrices ms apart) = (A g A^T)[p] of 8 tiles' gradients g00 .. g11
 * (lanes = tiles); returns each tile's (g00 + g01) + (g10 + g11). */
__attribute__((always_inline)) AVX2 static inline __m256 grad_output_tile(__m256 g00, __m256 g01, __m256 g10,
                                                                         __m256 g11, float *dst, size_t ms)
{
    const __m256 zero = _mm256_setzero_ps();
    /* rows of A g with A = [1 0; 1 1; 1 -1; 0 -1], then the same on columns */
    __m256 r[4][2] = {{g00, g01},
                      {_mm256_add_ps(g00, g10), _mm256_add_ps(g01, g11)},
                      {_mm256_sub_ps(g00, g10), _mm256_sub_ps(g01, g11)},
                      {_mm256_sub_ps(zero, g10), _mm256_sub_ps(zero, g11)}};
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(dst + (size_t)(i * 4 + 0) * ms, r[i][0]);
        _mm256_storeu_ps(dst + (size_t)(i * 4 + 1) * ms, _mm256_add_ps(r[i][0], r[i][1]));
        _mm256_storeu_ps(dst + (size_t)(i * 4 + 2) * ms, _mm256_sub_ps(r[i][0], r[i][1]));
        _mm256_storeu_ps(dst + (size_t)(i * 4 + 3) * ms, _mm256_sub_ps(zero, r[i][1]));
    }
    return _mm256_add_ps(_mm256_add_ps(g00, g01), _mm256_add_ps(g10, g11));
}

/* One channel of a group: dM[p][k0 .. k0+8) at dst (matrices ms apart) from the tiles' dY (times
 * [y > 0] when y is given); returns each tile's (g00 + g01) + (g10 + g11). */
__attribute__((always_inline)) AVX2 static inline __m256 grad_output_channel(const int regular, const float *dy,
                                                                            const float *y, const out_group *og,
                                                                            int n, int Wo, float *dst, size_t ms)
{
    const __m256 zero = _mm256_setzero_ps();
    __m256 gv[4], yv[4];
    if (regular)
        tile_values(dy, og, Wo, gv);
    else
        tile_values_any(dy, og, n, Wo, gv);
    if (y) { /* the fused ReLU: no gradient where the layer's output is not > 0 */
        if (regular)
            tile_values(y, og, Wo, yv);
        else
            tile_values_any(y, og, n, Wo, yv);
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) gv[i] = _mm256_and_ps(gv[i], _mm256_cmp_ps(yv[i], zero, _CMP_GT_OQ));
    }
    return grad_output_tile(gv[0], gv[1], gv[2], gv[3], dst, ms);
}

/* dM[p][co][k] = (A g A^T)[p], 8 tiles per vector, g = dY (times [y > 0] when y is given); db[co] +=
 * each tile's (g00 + g01) + (g10 + g11), tile after tile, as the kernel this one replaces: the sums
 * of 8 channels are transposed to one vector per tile before they are added. */
AVX2 void iw_wino_grad_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dy,
                                             const float *y, float *dM, size_t ms, size_t ld, float *db)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    const int Cout = g->Cout, groups = (nt + 7) / 8;
    out_group og[IW_WINO_TB / 8];
    for (int q = 0; q < groups; q++) out_group_of(g, tl + 8 * q, nt - 8 * q < 8 ? nt - 8 * q : 8, &og[q]);
    for (int c0 = 0; c0 < Cout; c0 += 8) {
        const int nc = Cout - c0 < 8 ? Cout - c0 : 8;
        const __m256i cmask = lanes_between(0, nc);
        __m256 dbv = _mm256_maskload_ps(db + c0, cmask);
        for (int q = 0; q < groups; q++) {
            const int n = nt - 8 * q < 8 ? nt - 8 * q : 8;
            __m256 s[8];
            for (int c = 0; c < 8; c++) {
                const size_t co = (size_t)(c0 + c);
                const float *yc = y ? y + co * plane : NULL;
                float *dst = dM + co * ld + 8 * q;
                if (c >= nc)
                    s[c] = _mm256_setzero_ps();
                else if (og[q].regular)
                    s[c] = grad_output_channel(1, dy + co * plane, yc, &og[q], n, g->Wo, dst, ms);
                else
                    s[c] = grad_output_channel(0, dy + co * plane, yc, &og[q], n, g->Wo, dst, ms);
            }
            transpose8x8(s); /* s[l]: tile l's sums of the 8 channels */
            for (int l = 0; l < n; l++) dbv = _mm256_add_ps(dbv, s[l]);
        }
        store_first(db + c0, dbv, nc);
    }
}

/* The output-gradient transform of a layer whose 2x2 max pooling is fused (Ho, Wo even, each tile
 * one window): the tile's gradient is dy of the pooled output at the window's argmax, where the
 * pooled y > 0 (the ReLU), zero elsewhere: value for value what the maxpool layer's backward (0 +
 * dy scattered into zeros) and the ReLU's mask gave the kernel above. dy, y (B, Cout, Ho/2, Wo/2);
 * arg the forward's argmax indices. */
AVX2 void iw_wino_grad_output_transform_pool_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt,
                                                  const float *dy, const float *y, const int32_t *arg, float *dM,
                                                  size_t ms, size_t ld, float *db)
{
    const int Cout = g->Cout, Hp = g->Ho / 2, Wp = g->Wo / 2, groups = (nt + 7) / 8;
    const size_t pplane = (size_t)Hp * Wp, psize = (size_t)Cout * pplane;
    const __m256 zero = _mm256_setzero_ps();
    size_t pos[IW_WINO_TB];
    int32_t base[IW_WINO_TB + 8];
    for (int k = 0; k < nt; k++) {
        pos[k] = (size_t)tl[k].j * psize + (size_t)(tl[k].oy / 2) * Wp + tl[k].ox / 2;
        base[k] = tl[k].oy * g->Wo + tl[k].ox;
    }
    for (int k = nt; k < IW_WINO_TB + 8; k++) base[k] = -1; /* never an index */
    for (int c0 = 0; c0 < Cout; c0 += 8) {
        const int nc = Cout - c0 < 8 ? Cout - c0 : 8;
        __m256 dbv = _mm256_maskload_ps(db + c0, lanes_between(0, nc));
        for (int q = 0; q < groups; q++) {
            const int n = nt - 8 * q < 8 ? nt - 8 * q : 8;
            const __m256i b0 = _mm256_loadu_si256((const __m256i *)(base + 8 * q));
            const __m256i b1 = _mm256_add_epi32(b0, _mm256_set1_epi32(1));
            const __m256i b2 = _mm256_add_epi32(b0, _mm256_set1_epi32(g->Wo));
            const __m256i b3 = _mm256_add_epi32(b2, _mm256_set1_epi32(1));
            __m256 s[8];
            for (int c = 0; c < 8; c++) {
                if (c >= nc) {
                    s[c] = zero;
                    continue;
                }
                const size_t off = (size_t)(c0 + c) * pplane;
                float dv[8] = {0}, yv[8] = {0};
                int32_t av[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
                for (int l = 0; l < n; l++) {
                    const size_t i = pos[8 * q + l] + off;
                    dv[l] = dy[i];
                    yv[l] = y[i];
                    av[l] = arg[i];
                }
                const __m256 d = _mm256_add_ps(zero, _mm256_loadu_ps(dv)); /* 0 + dy, as the scatter into zeros */
                const __m256 gp = _mm256_and_ps(d, _mm256_cmp_ps(_mm256_loadu_ps(yv), zero, _CMP_GT_OQ));
                const __m256i a = _mm256_loadu_si256((const __m256i *)av);
                const __m256 g00 = _mm256_and_ps(gp, _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b0)));
                const __m256 g01 = _mm256_and_ps(gp, _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b1)));
                const __m256 g10 = _mm256_and_ps(gp, _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b2)));
                const __m256 g11 = _mm256_and_ps(gp, _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b3)));
                s[c] = grad_output_tile(g00, g01, g10, g11, dM + (size_t)(c0 + c) * ld + 8 * q, ms);
            }
            transpose8x8(s);
            for (int l = 0; l < n; l++) dbv = _mm256_add_ps(dbv, s[l]);
        }
        store_first(db + c0, dbv, nc);
    }
}

/* The 8 lanes m-2 .. m+5 of the 32 (plus leading zeros) y[0] | y[1] | y[2] | y[3], for the segment
 * q (m = 8q): prev is y[q-1] (zero for q = 0), cur is y[q]. */
AVX2 static inline __m256 shift2(__m256 prev, __m256 cur)
{
    __m256 t = _mm256_permute2f128_ps(prev, cur, 0x21); /* prev4..7 | cur0..3 */
    return _mm256_castsi256_ps(_mm256_alignr_epi8(_mm256_castps_si256(cur), _mm256_castps_si256(t), 8));
}

AVX2 void iw_wino_grad_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                            size_t vs, size_t ld, float *dx)
{
    const size_t plane = (size_t)g->H * g->W;
    const __m256 zero = _mm256_setzero_ps();
    iw_wino_run runs[IW_WINO_TB];
    int n_runs = iw_wino_block_runs(g, tl, nt, runs);
    for (int r = 0; r < n_runs; r++) {
        const iw_wino_run *u = &runs[r];
        __m256i load[2];
        load[0] = lanes_between(0, u->n);
        load[1] = lanes_between(0, u->n - 8);
        /* As in the AVX-512 version: patch columns jj = 0,1 of the run interleave into input
         * columns s .. s+2n (x), jj = 2,3 into s+2 .. s+2+2n (y); per column m of the run's span
         * (2n+2 columns) the row gets += x[m] + y[m-2] for m < 32 and += y[m-2] for m = 32, 33
         * (what the AVX-512 vector of 16 lanes leaves to its third, masked store). Segments q of
         * 8 columns; [lo, hi) of each lies inside the image and the span. */
        const int s = 2 * u->c0 - g->pad, span_cols = 2 * u->n + 2;
        int lo[5], hi[5];
        __m256i mask[5];
        #pragma GCC unroll 16
        for (int q = 0; q < 5; q++) {
            span(s + 8 * q, g->W, &lo[q], &hi[q]);
            int lim = span_cols - 8 * q; /* columns of the span in this segment */
            if (hi[q] > lim) hi[q] = lim < lo[q] ? lo[q] : lim;
            mask[q] = lanes_between(lo[q], hi[q]);
        }
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *v = dV + (size_t)ci * ld + u->kpos;
            float *dplane = dx + (size_t)u->j * g->in_size + ci * plane;
            if (ci + PREFETCH_AHEAD < g->Cin)
                #pragma GCC unroll 16
                for (int i = 0; i < 4; i++) {
                    int yy = 2 * u->ty + i - g->pad;
                    if (yy < 0 || yy >= g->H) continue;
                    const char *row = (const char *)(dplane + PREFETCH_AHEAD * plane + (size_t)yy * g->W + (s > 0 ? s : 0));
                    _mm_prefetch(row, _MM_HINT_T0);
                    _mm_prefetch(row + 64, _MM_HINT_T0);
                    _mm_prefetch(row + 127, _MM_HINT_T0);
                }
            v16 q[16];
            #pragma GCC unroll 16
            for (int i = 0; i < 4; i++) /* dV B^T, row by row */
                #pragma GCC unroll 16
                for (int h = 0; h < 2; h++) {
                    const float *vh = v + 8 * h;
                    __m256 a = _mm256_maskload_ps(vh + (i * 4 + 0) * vs, load[h]);
                    __m256 b = _mm256_maskload_ps(vh + (i * 4 + 1) * vs, load[h]);
                    __m256 c = _mm256_maskload_ps(vh + (i * 4 + 2) * vs, load[h]);
                    __m256 d = _mm256_maskload_ps(vh + (i * 4 + 3) * vs, load[h]);
                    q[i * 4 + 0].h[h] = a;
                    q[i * 4 + 1].h[h] = _mm256_add_ps(_mm256_sub_ps(b, c), d);
                    q[i * 4 + 2].h[h] = _mm256_sub_ps(_mm256_add_ps(b, c), a);
                    q[i * 4 + 3].h[h] = _mm256_sub_ps(zero, d);
                }
            #pragma GCC unroll 16
            for (int i = 0; i < 4; i++) {
                int yy = 2 * u->ty + i - g->pad;
                if (yy < 0 || yy >= g->H) continue;
                __m256 xs[4], ys[4]; /* x and y columns 8q .. 8q+8 of the run */
                #pragma GCC unroll 16
                for (int h = 0; h < 2; h++) {
                    __m256 e[4]; /* row i of B (dV B^T), columns jj = 0..3, tiles 8h .. 8h+8 */
                    #pragma GCC unroll 16
                    for (int jj = 0; jj < 4; jj++) {
                        __m256 r0 = q[jj].h[h], r1 = q[4 + jj].h[h], r2 = q[8 + jj].h[h], r3 = q[12 + jj].h[h];
                        e[jj] = i == 0 ? r0
                              : i == 1 ? _mm256_add_ps(_mm256_sub_ps(r1, r2), r3)
                              : i == 2 ? _mm256_sub_ps(_mm256_add_ps(r1, r2), r0)
                                       : _mm256_sub_ps(zero, r3);
                    }
                    interleave8(e[0], e[1], &xs[2 * h], &xs[2 * h + 1]);
                    interleave8(e[2], e[3], &ys[2 * h], &ys[2 * h + 1]);
                }
                float *row = dplane + (size_t)yy * g->W;
                float *p0 = (float *)((uintptr_t)row + (intptr_t)s * (intptr_t)sizeof(float));
                #pragma GCC unroll 16
                for (int qq = 0; qq < 5; qq++) {
                    if (hi[qq] <= lo[qq]) continue;
                    __m256 add = qq < 4 ? _mm256_add_ps(xs[qq], shift2(qq ? ys[qq - 1] : zero, ys[qq]))
                                        : shift2(ys[3], zero);
                    float *p = p0 + 8 * qq;
                    __m256 old = _mm256_maskload_ps(p, mask[qq]);
                    store_span(p, _mm256_add_ps(old, add), lo[qq], hi[qq]);
                }
            }
        }
    }
}


#else /* no x86-64 GCC: never called (iw_engine_isa() is portable), defined for the linker */

void iw_wino_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x, float *VT,
                                  size_t vs)
{
    (void)g; (void)tl; (void)nt; (void)x; (void)VT; (void)vs;
}
void iw_wino_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *MT, size_t ms,
                                   const float *bias, int relu, float *y)
{
    (void)g; (void)tl; (void)nt; (void)MT; (void)ms; (void)bias; (void)relu; (void)y;
}
void iw_wino_grad_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dy,
                                        const float *y, float *dM, size_t ms, size_t ld, float *db)
{
    (void)g; (void)tl; (void)nt; (void)dy; (void)y; (void)dM; (void)ms; (void)ld; (void)db;
}
void iw_wino_grad_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                       size_t vs, size_t ld, float *dx)
{
    (void)g; (void)tl; (void)nt; (void)dV; (void)vs; (void)ld; (void)dx;
}
void iw_wino_output_transform_pool_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *MT,
                                        size_t ms, const float *bias, float *y, int32_t *arg)
{
    (void)g; (void)tl; (void)nt; (void)MT; (void)ms; (void)bias; (void)y; (void)arg;
}
void iw_wino_grad_output_transform_pool_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dy,
                                             const float *y, const int32_t *arg, float *dM, size_t ms, size_t ld,
                                             float *db)
{
    (void)g; (void)tl; (void)nt; (void)dy; (void)y; (void)arg; (void)dM; (void)ms; (void)ld; (void)db;
}
#endif
