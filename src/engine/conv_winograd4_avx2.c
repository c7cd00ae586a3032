/* conv_winograd4_avx2.c — the vector transforms of the F(4x4, 3x3) forward (conv_winograd4.c has
 * the maths, the layouts and the plain C versions): AVX2 + FMA, used on the AVX2 and the AVX-512
 * paths alike, so the two give the same bits.
 *
 * Lanes are 8 tiles: block positions k0 .. k0+7, whatever their place in the images, so small
 * outputs (a 10x10 output has 3 tiles per row) fill the lanes as well as large ones. The input
 * transform loads each tile's patch rows (8 floats, of which 6 are used; a masked load gives the
 * zeros outside the image and never reads outside it), turns 8 of them into 6 vectors of one
 * column each with an 8x8 transpose in registers, applies B^T along the rows, parks the 36
 * vectors in a small buffer (16 ymm registers cannot hold them) and applies B^T along the
 * columns. The output transform reads 36 vectors of M, applies A^T both ways, adds the bias (and
 * the ReLU) and writes each tile's rows back with a 4x4 transpose per 128-bit half. Positions past
 * the block's last tile are computed from zeros and never stored to y.
 */
#include "conv.h"
#include "conv_winograd4.h"

#include <stdint.h>

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#include "simd_avx2.h"

/* t = B^T d for the points 0, 1, -1, 1/2, -2 (the plain C bt6's sequence, with fused multiply-adds). */
AVX2 static inline void bt6_v(const __m256 d[6], __m256 t[6])
{
    const __m256 two = _mm256_set1_ps(2.0f), m2 = _mm256_set1_ps(-2.0f), h = _mm256_set1_ps(0.5f);
    const __m256 mh = _mm256_set1_ps(-0.5f), h3 = _mm256_set1_ps(1.5f), h5 = _mm256_set1_ps(2.5f);
    const __m256 m5 = _mm256_set1_ps(-2.5f);
    __m256 a = _mm256_sub_ps(d[4], d[2]), b = _mm256_sub_ps(d[3], d[1]);
    t[0] = _mm256_fmadd_ps(h3, b, _mm256_fmadd_ps(m2, d[2], _mm256_add_ps(d[0], d[4])));
    t[1] = _mm256_fmadd_ps(h5, d[3], _mm256_fmadd_ps(h, d[2], _mm256_sub_ps(d[4], d[1])));
    t[2] = _mm256_fmadd_ps(h, d[3], _mm256_fmadd_ps(m5, d[2], _mm256_add_ps(d[4], d[1])));
    t[3] = _mm256_fmadd_ps(two, b, a);
    t[4] = _mm256_fmadd_ps(mh, b, a);
    t[5] = _mm256_fmadd_ps(h3, a, _mm256_fmadd_ps(m2, d[3], _mm256_add_ps(d[1], d[5])));
}

/* o = A^T m (the plain C at6's sequence, with fused multiply-adds). */
AVX2 static inline void at6_v(__m256 m0, __m256 m1, __m256 m2, __m256 m3, __m256 m4, __m256 m5, __m256 o[4])
{
    __m256 s = _mm256_add_ps(m1, m2), d = _mm256_sub_ps(m1, m2);
    o[0] = _mm256_add_ps(_mm256_add_ps(m0, s), _mm256_add_ps(m3, m4));
    o[1] = _mm256_fmadd_ps(_mm256_set1_ps(-2.0f), m4, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), m3, d));
    o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), m4, _mm256_fmadd_ps(_mm256_set1_ps(0.25f), m3, s));
    o[3] = _mm256_fmadd_ps(_mm256_set1_ps(-8.0f), m4, _mm256_fmadd_ps(_mm256_set1_ps(0.125f), m3, _mm256_add_ps(d, m5)));
}

/* Columns 0..5 of the 8 rows r[0..7] (lanes = columns): c[jj] lane l = r[l] lane jj. */
AVX2 static inline void transpose8x6(const __m256 r[8], __m256 c[6])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    c[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    c[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    c[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    c[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    c[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    c[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
}

/* Where the 8 tiles of a group read their patches, and the masks that keep the loads inside the
 * image: offset of the patch's corner from the batch's channel plane (may be negative), and per
 * patch row the load mask (zero for a row outside the image, else the columns inside it among the
 * first 6). `inside`: every patch lies inside the image, so one mask (6 lanes) serves all. */
typedef struct group {
    ptrdiff_t offset[8];
    int inside;
    __m256i mask[6][8];
} group;

AVX2 static void group_of(const iw_wino4_geom *g, const iw_wino4_tile *tl, int n, group *gr)
{
    gr->inside = n == 8;
    for (int l = 0; l < 8; l++) {
        const iw_wino4_tile *q = &tl[l < n ? l : 0]; /* a lane past the block's end repeats tile 0 */
        gr->offset[l] = (ptrdiff_t)q->j * (ptrdiff_t)g->in_size + (ptrdiff_t)q->iy * g->W + q->ix;
        gr->inside = gr->inside && q->iy >= 0 && q->iy + 6 <= g->H && q->ix >= 0 && q->ix + 6 <= g->W;
        /* columns ix + jj inside [0, W), jj < 6 */
        int lo = q->ix < 0 ? -q->ix : 0, hi = g->W - q->ix < 6 ? g->W - q->ix : 6;
        __m256i cols = lanes_between(lo, hi);
        for (int i = 0; i < 6; i++) {
            int yy = q->iy + i;
            gr->mask[i][l] = yy >= 0 && yy < g->H && l < n ? cols : _mm256_setzero_si256();
        }
    }
}

/* 8 floats from p under mask m (masked lanes are not read: p may point outside the array). */
AVX2 static inline __m256 load_masked(const float *base, ptrdiff_t offset, __m256i m)
{
    const float *p = (const float *)((uintptr_t)base + (intptr_t)offset * (intptr_t)sizeof(float));
    return _mm256_maskload_ps(p, m);
}

/* Rows of (B^T d) B for one channel of the group into v[(6i + jj) * ld] (lanes = tiles); `inside`
 * is a constant in each instantiation below, so its masks come from one register. */
__attribute__((always_inline)) AVX2 static inline void input_channel(const int inside, const group *gr,
                                                                    const float *src, int W, float *v, size_t ld)
{
    const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    __m256 t[6][6]; /* rows of d B, parked (16 ymm registers cannot hold them) */
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
        const float *row = src + (ptrdiff_t)i * W;
        __m256 r[8], c[6];
#pragma GCC unroll 8
        for (int l = 0; l < 8; l++) r[l] = load_masked(row, gr->offset[l], inside ? six : gr->mask[i][l]);
        transpose8x6(r, c);
        bt6_v(c, t[i]);
    }
#pragma GCC unroll 6
    for (int jj = 0; jj < 6; jj++) {
        __m256 col[6] = {t[0][jj], t[1][jj], t[2][jj], t[3][jj], t[4][jj], t[5][jj]}, o[6];
        bt6_v(col, o);
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) _mm256_storeu_ps(v + (size_t)(6 * i + jj) * ld, o[i]);
    }
}

#define PREFETCH_AHEAD 8 /* channels */

/* Channel by channel, the block's groups of 8 tiles side by side: one plane of x at a time. The
 * planes are 2-3 KB apart, too far for the hardware prefetchers, so the rows the block reads in the
 * plane PREFETCH_AHEAD channels on (one stretch per example the block touches) are prefetched. */
AVX2 void iw_wino4_input_transform_avx2(const iw_wino4_geom *g, const iw_wino4_tile *tl, int nt, const float *x,
                                        float *V, size_t cs, size_t ld)
{
    const size_t plane = (size_t)g->H * g->W;
    group gr[IW_WINO4_TB / 8];
    const int groups = (nt + 7) / 8;
    for (int q = 0; q < groups; q++) group_of(g, tl + 8 * q, nt - 8 * q < 8 ? nt - 8 * q : 8, &gr[q]);
    size_t seg_start[IW_WINO4_TB], seg_len[IW_WINO4_TB]; /* floats from a channel plane's start */
    int segs = 0;
    for (int k = 0; k < nt;) {
        int j = tl[k].j, r0 = tl[k].iy, r1 = tl[k].iy + 6;
        for (; k < nt && tl[k].j == j; k++) {
            if (tl[k].iy < r0) r0 = tl[k].iy;
            if (tl[k].iy + 6 > r1) r1 = tl[k].iy + 6;
        }
        r0 = r0 < 0 ? 0 : r0;
        r1 = r1 > g->H ? g->H : r1;
        seg_start[segs] = (size_t)j * g->in_size + (size_t)r0 * g->W;
        seg_len[segs++] = (size_t)(r1 - r0) * g->W;
    }
    for (int ci = 0; ci < g->Cin; ci++) {
        if (ci + PREFETCH_AHEAD < g->Cin)
            for (int s = 0; s < segs; s++) {
                const char *p = (const char *)(x + (ci + PREFETCH_AHEAD) * plane + seg_start[s]);
                for (size_t b = 0; b < seg_len[s] * sizeof(float); b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
            }
        for (int q = 0; q < groups; q++) {
            if (gr[q].inside)
                input_channel(1, &gr[q], x + ci * plane, g->W, V + ci * cs + 8 * q, ld);
            else
                input_channel(0, &gr[q], x + ci * plane, g->W, V + ci * cs + 8 * q, ld);
        }
    }
}

/* p[0 .. n) = lanes 0 .. n of x (1 <= n <= 4). */
AVX2 static inline void store4(float *p, __m128 x, int n)
{
    if (n == 4) {
        _mm_storeu_ps(p, x);
        return;
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)p, x);
        if (n == 3) _mm_store_ss(p + 2, _mm_movehl_ps(x, x));
        return;
    }
    _mm_store_ss(p, x);
}

AVX2 void iw_wino4_output_transform_avx2(const iw_wino4_geom *g, const iw_wino4_tile *tl, int nt, const float *M,
                                         size_t cs, size_t ld, const float *bias, int relu, int pool, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    const int Wp = g->Wo / 2;
    const size_t pplane = (size_t)(g->Ho / 2) * Wp, psize = (size_t)g->Cout * pplane;
    for (int k0 = 0; k0 < nt; k0 += 8) {
        const int n = nt - k0 < 8 ? nt - k0 : 8;
        const iw_wino4_tile *q = tl + k0;
        size_t base[8];
        for (int l = 0; l < n; l++)
            base[l] = pool ? q[l].j * psize + (size_t)(q[l].oy / 2) * Wp + q[l].ox / 2
                           : q[l].j * g->out_size + (size_t)q[l].oy * g->Wo + q[l].ox;
        for (int co = 0; co < g->Cout; co++) {
            const float *m = M + co * cs + k0;
            const __m256 b = _mm256_set1_ps(bias[co]), zero = _mm256_setzero_ps();
            __m256 s[6][4]; /* A^T along each row of m */
#pragma GCC unroll 6
            for (int i = 0; i < 6; i++) {
                const float *mi = m + (size_t)6 * i * ld;
                at6_v(_mm256_loadu_ps(mi), _mm256_loadu_ps(mi + ld), _mm256_loadu_ps(mi + 2 * ld),
                      _mm256_loadu_ps(mi + 3 * ld), _mm256_loadu_ps(mi + 4 * ld), _mm256_loadu_ps(mi + 5 * ld), s[i]);
            }
            float *dst = y + co * (pool ? pplane : plane);
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++) { /* A^T along each column: o[r] = output (r, c) of the 8 tiles */
                __m256 o[4];
                at6_v(s[0][c], s[1][c], s[2][c], s[3][c], s[4][c], s[5][c], o);
#pragma GCC unroll 4
                for (int r = 0; r < 4; r++) {
                    o[r] = _mm256_add_ps(o[r], b);
                    if (relu || pool) o[r] = _mm256_and_ps(o[r], _mm256_cmp_ps(o[r], zero, _CMP_GT_OQ));
                }
                /* keep column c of every output row: s[r][c] is free again */
                s[0][c] = o[0];
                s[1][c] = o[1];
                s[2][c] = o[2];
                s[3][c] = o[3];
            }
            if (pool) { /* 2x2 windows of each tile (ReLU outputs: no NaN, so any order of max) */
#pragma GCC unroll 2
                for (int pr = 0; pr < 2; pr++) {
                    __m256 p0 = _mm256_max_ps(_mm256_max_ps(s[2 * pr][0], s[2 * pr][1]), _mm256_max_ps(s[2 * pr + 1][0], s[2 * pr + 1][1]));
                    __m256 p1 = _mm256_max_ps(_mm256_max_ps(s[2 * pr][2], s[2 * pr][3]), _mm256_max_ps(s[2 * pr + 1][2], s[2 * pr + 1][3]));
                    __m256 lo = _mm256_unpacklo_ps(p0, p1), hi = _mm256_unpackhi_ps(p0, p1);
                    /* pairs: tiles 0,1 | 4,5 in lo, 2,3 | 6,7 in hi */
                    __m128 pr4[4] = {_mm256_castps256_ps128(lo), _mm256_castps256_ps128(hi), _mm256_extractf128_ps(lo, 1),
                                     _mm256_extractf128_ps(hi, 1)};
#pragma GCC unroll 8
                    for (int l = 0; l < 8; l++) {
                        if (l >= n || 2 * pr >= q[l].rows) continue;
                        float *d = dst + base[l] + (size_t)pr * Wp;
                        __m128 v = pr4[(l % 4) / 2 + 2 * (l / 4)]; /* tile l's pair, in half l % 2 */
                        if (l % 2) v = _mm_movehl_ps(v, v);
                        if (q[l].cols >= 4)
                            _mm_storel_pi((__m64 *)d, v);
                        else /* a tile overhanging by 2 columns: one pooled column */
                            _mm_store_ss(d, v);
                    }
                }
                continue;
            }
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) { /* row r of each tile: a 4x4 transpose per 128-bit half */
                __m256 a0 = _mm256_unpacklo_ps(s[r][0], s[r][1]), a1 = _mm256_unpackhi_ps(s[r][0], s[r][1]);
                __m256 a2 = _mm256_unpacklo_ps(s[r][2], s[r][3]), a3 = _mm256_unpackhi_ps(s[r][2], s[r][3]);
                __m256 w[4] = {_mm256_shuffle_ps(a0, a2, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(a0, a2, _MM_SHUFFLE(3, 2, 3, 2)),
                               _mm256_shuffle_ps(a1, a3, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(a1, a3, _MM_SHUFFLE(3, 2, 3, 2))};
                /* w[l] = tile l's row r (low half) | tile l+4's (high half) */
#pragma GCC unroll 4
                for (int l = 0; l < 4; l++) {
                    if (l < n && r < q[l].rows)
                        store4(dst + base[l] + (size_t)r * g->Wo, _mm256_castps256_ps128(w[l]), q[l].cols);
                    if (l + 4 < n && r < q[l + 4].rows)
                        store4(dst + base[l + 4] + (size_t)r * g->Wo, _mm256_extractf128_ps(w[l], 1), q[l + 4].cols);
                }
            }
        }
    }
}

/* U[p][co][ci] = (G g G^T)[p] in double, rounded once, 4 filters per vector: the plain C
 * transform_weights' products and sums in its order (no fused multiply-adds), so both give the same
 * bits. The filters' taps go through a small transposed copy, 64 filters at a time. */
AVX2 void iw_wino4_transform_weights_avx2(const iw_wino4_geom *g, const double G[6][3], const float *Wt, float *U,
                                          size_t us)
{
    const size_t F = (size_t)g->Cout * g->Cin;
    float taps[9][64];
    for (size_t f0 = 0; f0 < F; f0 += 64) {
        const size_t n = F - f0 < 64 ? F - f0 : 64;
        for (size_t f = 0; f < n; f++)
            for (int t = 0; t < 9; t++) taps[t][f] = Wt[(f0 + f) * 9 + t];
        size_t f = 0;
        for (; f + 4 <= n; f += 4) {
            __m256d w[9];
#pragma GCC unroll 9
            for (int t = 0; t < 9; t++) w[t] = _mm256_cvtps_pd(_mm_loadu_ps(&taps[t][f]));
            __m256d tt[6][3]; /* G g */
#pragma GCC unroll 6
            for (int i = 0; i < 6; i++)
#pragma GCC unroll 3
                for (int c = 0; c < 3; c++)
                    tt[i][c] = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(G[i][0]), w[c]),
                                                           _mm256_mul_pd(_mm256_set1_pd(G[i][1]), w[3 + c])),
                                             _mm256_mul_pd(_mm256_set1_pd(G[i][2]), w[6 + c]));
            float *u = U + f0 + f;
#pragma GCC unroll 6
            for (int i = 0; i < 6; i++)
#pragma GCC unroll 6
                for (int jj = 0; jj < 6; jj++) {
                    __m256d v = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(tt[i][0], _mm256_set1_pd(G[jj][0])),
                                                            _mm256_mul_pd(tt[i][1], _mm256_set1_pd(G[jj][1]))),
                                              _mm256_mul_pd(tt[i][2], _mm256_set1_pd(G[jj][2])));
                    _mm_storeu_ps(u + (size_t)(6 * i + jj) * us, _mm256_cvtpd_ps(v));
                }
        }
        for (; f < n; f++) { /* the last F % 4 filters, one by one */
            double tt[6][3];
            for (int i = 0; i < 6; i++)
                for (int c = 0; c < 3; c++)
                    tt[i][c] = G[i][0] * taps[c][f] + G[i][1] * taps[3 + c][f] + G[i][2] * taps[6 + c][f];
            float *u = U + f0 + f;
            for (int i = 0; i < 6; i++)
                for (int jj = 0; jj < 6; jj++)
                    u[(size_t)(6 * i + jj) * us] = (float)(tt[i][0] * G[jj][0] + tt[i][1] * G[jj][1] + tt[i][2] * G[jj][2]);
        }
    }
}

#else /* no x86-64 GCC: never called (the portable path takes the plain C transforms) */

void iw_wino4_input_transform_avx2(const iw_wino4_geom *g, const iw_wino4_tile *tl, int nt, const float *x,
                                   float *V, size_t cs, size_t ld)
{
    (void)g; (void)tl; (void)nt; (void)x; (void)V; (void)cs; (void)ld;
}
void iw_wino4_output_transform_avx2(const iw_wino4_geom *g, const iw_wino4_tile *tl, int nt, const float *M,
                                    size_t cs, size_t ld, const float *bias, int relu, int pool, float *y)
{
    (void)g; (void)tl; (void)nt; (void)M; (void)cs; (void)ld; (void)bias; (void)relu; (void)pool; (void)y;
}
void iw_wino4_transform_weights_avx2(const iw_wino4_geom *g, const double G[6][3], const float *Wt, float *U,
                                     size_t us)
{
    (void)g; (void)G; (void)Wt; (void)U; (void)us;
}
#endif
