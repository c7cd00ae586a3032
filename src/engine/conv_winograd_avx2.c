/* conv_winograd_avx2.c — AVX2 versions of the Winograd F(2x2,3x3) tile transforms (conv_winograd.c
 * has the maths and the plain C ones; conv_winograd_avx512.c the AVX-512 ones).
 *
 * Bit for bit the AVX-512 transforms: the same runs of up to 16 tiles (iw_wino_block_runs), the
 * same additions in the same order per value, and where values are summed into memory (dx, db)
 * the same grouping and order; a 16-lane AVX-512 vector becomes a pair of ymm registers (v16).
 * AVX2 has no cheap masked store on AMD CPUs (vmaskmovps to memory is microcoded there), so ragged
 * ends are stored with 4-, 2- and 1-lane stores from registers (store_first); masked loads
 * (vmaskmovps from memory, cheap everywhere) give the zero padding. Compiled for avx2 + fma through
 * function attributes; conv_winograd.c calls these only when iw_engine_isa() is IW_ISA_AVX2.
 * The small fixed loops carry `#pragma GCC unroll`: -O2 does not unroll them, and an array of
 * vectors indexed by a loop counter then lives on the stack (a load and a store per use); unrolled,
 * GCC keeps the vectors in registers (the CNN's training step 9% faster on Zen 4, same bits).
 */
#include "conv.h"
#include "conv_winograd.h"

#include <stdint.h>

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define PREFETCH_AHEAD 4 /* channels, as in the AVX-512 transforms */

typedef struct v16 {
    __m256 h[2]; /* lanes 0..7, 8..15 */
} v16;

AVX2 static inline v16 v_add(v16 a, v16 b) { return (v16){{_mm256_add_ps(a.h[0], b.h[0]), _mm256_add_ps(a.h[1], b.h[1])}}; }
AVX2 static inline v16 v_sub(v16 a, v16 b) { return (v16){{_mm256_sub_ps(a.h[0], b.h[0]), _mm256_sub_ps(a.h[1], b.h[1])}}; }
AVX2 static inline v16 v_zero(void) { return (v16){{_mm256_setzero_ps(), _mm256_setzero_ps()}}; }

/* maskload mask of the lanes l (0..7) with lo <= l < hi. */
AVX2 static inline __m256i lanes_between(int lo, int hi)
{
    const __m256i l = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(l, _mm256_set1_epi32(lo - 1)), _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), l));
}

/* Lanes l with 0 <= s + l < n, as [lo, hi) clamped to 0..8. */
static inline void span(int s, int n, int *lo, int *hi)
{
    int a = s < 0 ? -s : 0, b = n - s < 8 ? n - s : 8;
    if (a > 8) a = 8;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

/* 8 floats of row[s .. s+8) under mask m (zeros elsewhere; masked lanes are never read, so s may be
 * negative or past the row). */
AVX2 static inline __m256 load_span(const float *row, int s, __m256i m)
{
    const float *p = (const float *)((uintptr_t)row + (intptr_t)s * (intptr_t)sizeof(float));
    return _mm256_maskload_ps(p, m);
}

/* p[0 .. n) = lanes 0 .. n of v (0 <= n <= 8), from registers: AVX2 has no cheap masked store on
 * AMD CPUs (vmaskmovps to memory is microcoded there, ~20 ns per store measured on Zen 4), and a
 * spill read back as scalars stalls store forwarding. */
AVX2 static inline void store_first(float *p, __m256 v, int n)
{
    if (n == 8) {
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
    if (n) _mm_store_ss(p, x);
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

/* Even and odd lanes of the 16 floats x | y. */
AVX2 static inline __m256 even8(__m256 x, __m256 y)
{
    __m256 t = _mm256_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)); /* x0 x2 y0 y2 | x4 x6 y4 y6 */
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
AVX2 static inline __m256 odd8(__m256 x, __m256 y)
{
    __m256 t = _mm256_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* Interleave e and o into e0 o0 e1 o1 ... : lanes 0..3 of each into *lo, lanes 4..7 into *hi. */
AVX2 static inline void interleave8(__m256 e, __m256 o, __m256 *lo, __m256 *hi)
{
    __m256 u0 = _mm256_unpacklo_ps(e, o), u1 = _mm256_unpackhi_ps(e, o); /* e0 o0 e1 o1 | e4 o4 e5 o5 ; e2 o2 e3 o3 | e6 .. */
    *lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    *hi = _mm256_permute2f128_ps(u0, u1, 0x31);
}

/* Patch row i of 8 tiles (one half of a run) at input row `row` (NULL: outside the image):
 * d[jj] = row[s + 2l + jj] for lanes l = 0..7, columns jj = 0..3; m[0..1] mask row[s ..), m[2..3]
 * row[s + 2 ..), 8 floats each. */
AVX2 static inline void patch_row(const float *row, int s, const __m256i m[4], __m256 d[4])
{
    if (!row) {
        d[0] = d[1] = d[2] = d[3] = _mm256_setzero_ps();
        return;
    }
    __m256 a0 = load_span(row, s, m[0]), a1 = load_span(row, s + 8, m[1]);
    __m256 b0 = load_span(row, s + 2, m[2]), b1 = load_span(row, s + 10, m[3]);
    d[0] = even8(a0, a1);
    d[1] = odd8(a0, a1);
    d[2] = even8(b0, b1);
    d[3] = odd8(b0, b1);
}

/* Row i of (B^T d) B from row i of B^T d, stored to p = 4i .. 4i+3 for the first n lanes. */
AVX2 static inline void store_patch_row(float *v, size_t vs, int i, const __m256 q[4], int n)
{
    store_first(v + (i * 4 + 0) * vs, _mm256_sub_ps(q[0], q[2]), n);
    store_first(v + (i * 4 + 1) * vs, _mm256_add_ps(q[1], q[2]), n);
    store_first(v + (i * 4 + 2) * vs, _mm256_sub_ps(q[2], q[1]), n);
    store_first(v + (i * 4 + 3) * vs, _mm256_sub_ps(q[1], q[3]), n);
}

/* Each half of a run (8 tiles) goes through on its own, rows taken in the order 0, 2, 1, 3 so
 * that each row of B^T d is finished and stored as early as possible: at most 12 vectors live,
 * no spills. Per value the arithmetic is the AVX-512 kernel's. */
AVX2 void iw_wino_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x,
                                       float *V, size_t vs, size_t ld)
{
    const size_t plane = (size_t)g->H * g->W;
    iw_wino_run runs[IW_WINO_TB];
    int n_runs = iw_wino_block_runs(g, tl, nt, runs);
    if (nt < IW_WINO_TB) /* block positions nt .. TB-1 are zero columns of V */
        for (int ci = 0; ci < g->Cin; ci++)
            for (int p = 0; p < 16; p++)
                for (int k = nt; k < IW_WINO_TB; k++) V[p * vs + (size_t)ci * ld + k] = 0.0f;
    for (int r = 0; r < n_runs; r++) {
        const iw_wino_run *u = &runs[r];
        const int s = 2 * u->c0 - g->pad; /* input column of the run's first patch */
        const int halves = u->n > 8 ? 2 : 1;
        __m256i m[2][4]; /* per half: row[s + 16h ..], row[s + 16h + 8 ..], and the same + 2 */
        #pragma GCC unroll 16
        for (int h = 0; h < 2; h++)
            #pragma GCC unroll 16
            for (int q = 0; q < 4; q++) {
                int lo, hi;
                span(s + 16 * h + 8 * (q & 1) + 2 * (q >> 1), g->W, &lo, &hi);
                m[h][q] = lanes_between(lo, hi);
            }
        const float *rows[4]; /* input rows of the patch rows in one plane (offsets), NULL outside */
        ptrdiff_t row_off[4];
        #pragma GCC unroll 16
        for (int i = 0; i < 4; i++) {
            int yy = 2 * u->ty + i - g->pad;
            row_off[i] = yy >= 0 && yy < g->H ? (ptrdiff_t)yy * g->W : -1;
        }
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *src = x + (size_t)u->j * g->in_size + ci * plane;
            if (ci + PREFETCH_AHEAD < g->Cin)
                #pragma GCC unroll 16
                for (int i = 0; i < 4; i++) {
                    if (row_off[i] < 0) continue;
                    const char *row = (const char *)(src + PREFETCH_AHEAD * plane + row_off[i] + (s > 0 ? s : 0));
                    _mm_prefetch(row, _MM_HINT_T0);
                    _mm_prefetch(row + 64, _MM_HINT_T0);
                    _mm_prefetch(row + 127, _MM_HINT_T0);
                }
            #pragma GCC unroll 16
            for (int i = 0; i < 4; i++) rows[i] = row_off[i] >= 0 ? src + row_off[i] : NULL;
            for (int h = 0; h < halves; h++) {
                const int n = h ? u->n - 8 : (u->n < 8 ? u->n : 8), sh = s + 16 * h;
                float *v = V + (size_t)ci * ld + u->kpos + 8 * h;
                __m256 d0[4], d1[4], d2[4], c[4];
                patch_row(rows[0], sh, m[h], d0);
                patch_row(rows[2], sh, m[h], d2);
                #pragma GCC unroll 16
                for (int jj = 0; jj < 4; jj++) c[jj] = _mm256_sub_ps(d0[jj], d2[jj]); /* B^T row 0 */
                store_patch_row(v, vs, 0, c, n);
                patch_row(rows[1], sh, m[h], d1);
                #pragma GCC unroll 16
                for (int jj = 0; jj < 4; jj++) c[jj] = _mm256_add_ps(d1[jj], d2[jj]); /* row 1 */
                store_patch_row(v, vs, 1, c, n);
                #pragma GCC unroll 16
                for (int jj = 0; jj < 4; jj++) c[jj] = _mm256_sub_ps(d2[jj], d1[jj]); /* row 2 */
                store_patch_row(v, vs, 2, c, n);
                patch_row(rows[3], sh, m[h], d0);                                     /* d0 := row 3 */
                #pragma GCC unroll 16
                for (int jj = 0; jj < 4; jj++) c[jj] = _mm256_sub_ps(d1[jj], d0[jj]); /* row 3 */
                store_patch_row(v, vs, 3, c, n);
            }
        }
    }
}

AVX2 void iw_wino_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M,
                                        size_t ms, size_t ld, const float *bias, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    iw_wino_run runs[IW_WINO_TB];
    int n_runs = iw_wino_block_runs(g, tl, nt, runs);
    for (int r = 0; r < n_runs; r++) {
        const iw_wino_run *u = &runs[r];
        const int x0 = 2 * u->c0, y0 = 2 * u->ty, cols = 2 * u->n < g->Wo - x0 ? 2 * u->n : g->Wo - x0;
        const int has_y = y0 + 1 < g->Ho, halves = u->n > 8 ? 2 : 1;
        __m256i load[2];
        load[0] = lanes_between(0, u->n);
        load[1] = lanes_between(0, u->n - 8);
        for (int co = 0; co < g->Cout; co++) {
            const float *m = M + (size_t)co * ld + u->kpos;
            const __m256 b = _mm256_set1_ps(bias[co]);
            float *dst = y + (size_t)u->j * g->out_size + co * plane + (size_t)y0 * g->Wo + x0;
            for (int h = 0; h < halves; h++) {
                const float *mh = m + 8 * h;
                __m256 t0[4], t1[4];
                #pragma GCC unroll 16
                for (int i = 0; i < 4; i++) {
                    __m256 a0 = _mm256_maskload_ps(mh + (0 + i) * ms, load[h]), a1 = _mm256_maskload_ps(mh + (4 + i) * ms, load[h]);
                    __m256 a2 = _mm256_maskload_ps(mh + (8 + i) * ms, load[h]), a3 = _mm256_maskload_ps(mh + (12 + i) * ms, load[h]);
                    t0[i] = _mm256_add_ps(_mm256_add_ps(a0, a1), a2);
                    t1[i] = _mm256_sub_ps(_mm256_sub_ps(a1, a2), a3);
                }
                /* output columns 16h .. 16h+16 of the run, limited to cols */
                int c_lo = cols - 16 * h, c_hi = cols - 16 * h - 8;
                c_lo = c_lo < 0 ? 0 : c_lo > 8 ? 8 : c_lo;
                c_hi = c_hi < 0 ? 0 : c_hi > 8 ? 8 : c_hi;
                __m256 lo, hi;
                __m256 e = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(t0[0], t0[1]), t0[2]), b);
                __m256 o = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(t0[1], t0[2]), t0[3]), b);
                interleave8(e, o, &lo, &hi);
                store_first(dst + 16 * h, lo, c_lo);
                if (c_hi > 0) store_first(dst + 16 * h + 8, hi, c_hi);
                if (has_y) {
                    e = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(t1[0], t1[1]), t1[2]), b);
                    o = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(t1[1], t1[2]), t1[3]), b);
                    interleave8(e, o, &lo, &hi);
                    store_first(dst + g->Wo + 16 * h, lo, c_lo);
                    if (c_hi > 0) store_first(dst + g->Wo + 16 * h + 8, hi, c_hi);
                }
            }
        }
    }
}

/* Eight values p[0], p[stride], ... p[7 * stride] for the lanes below `count` (zeros above),
 * built in registers (a spilled array read back as a vector would stall store forwarding). */
AVX2 static inline __m256 strided8(const float *p, size_t stride, int count)
{
    if (count == 8)
        return _mm256_setr_ps(p[0], p[stride], p[2 * stride], p[3 * stride], p[4 * stride], p[5 * stride],
                              p[6 * stride], p[7 * stride]);
    __m256 v = _mm256_setzero_ps();
    for (int l = count - 1; l >= 0; l--) { /* shift in from the top: lane l gets p[l * stride] */
        v = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6));
        v = _mm256_blend_ps(v, _mm256_set1_ps(p[(size_t)l * stride]), 1);
    }
    /* after count steps lane 0 holds p[0] ... lane count-1 holds p[(count-1) * stride] */
    return v;
}

AVX2 void iw_wino_grad_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt,
                                             const float *dy, float *dMT, size_t ms, float *db)
{
    const int Cout = g->Cout;
    const size_t plane = (size_t)g->Ho * g->Wo;
    const __m256 zero = _mm256_setzero_ps();
    for (int k = 0; k < IW_WINO_TB; k++) {
        float *row = dMT + (size_t)k * Cout;
        if (k >= nt) {
            for (int p = 0; p < 16; p++)
                for (int co = 0; co < Cout; co++) row[p * ms + co] = 0.0f;
            continue;
        }
        const iw_wino_tile *q = &tl[k];
        const float *o = dy + (size_t)q->j * g->out_size + (size_t)q->oy * g->Wo + q->ox;
        const int hx = q->ox + 1 < g->Wo, hy = q->oy + 1 < g->Ho;
        for (int co0 = 0; co0 < Cout; co0 += 8) {
            const int nc = Cout - co0 < 8 ? Cout - co0 : 8;
            const float *oc = o + (size_t)co0 * plane;
            __m256 g00 = strided8(oc, plane, nc);
            __m256 g01 = hx ? strided8(oc + 1, plane, nc) : zero;
            __m256 g10 = hy ? strided8(oc + g->Wo, plane, nc) : zero;
            __m256 g11 = hx && hy ? strided8(oc + g->Wo + 1, plane, nc) : zero;
            __m256 s = _mm256_add_ps(_mm256_add_ps(g00, g01), _mm256_add_ps(g10, g11));
            const __m256i mc = lanes_between(0, nc);
            store_first(db + co0, _mm256_add_ps(_mm256_maskload_ps(db + co0, mc), s), nc);
            /* rows of A g with A = [1 0; 1 1; 1 -1; 0 -1], then the same on columns */
            __m256 r[4][2] = {{g00, g01},
                              {_mm256_add_ps(g00, g10), _mm256_add_ps(g01, g11)},
                              {_mm256_sub_ps(g00, g10), _mm256_sub_ps(g01, g11)},
                              {_mm256_sub_ps(zero, g10), _mm256_sub_ps(zero, g11)}};
            float *dst = row + co0;
            #pragma GCC unroll 16
            for (int i = 0; i < 4; i++) {
                store_first(dst + (i * 4 + 0) * ms, r[i][0], nc);
                store_first(dst + (i * 4 + 1) * ms, _mm256_add_ps(r[i][0], r[i][1]), nc);
                store_first(dst + (i * 4 + 2) * ms, _mm256_sub_ps(r[i][0], r[i][1]), nc);
                store_first(dst + (i * 4 + 3) * ms, _mm256_sub_ps(zero, r[i][1]), nc);
            }
        }
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

void iw_wino_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x, float *V,
                                  size_t vs, size_t ld)
{
    (void)g; (void)tl; (void)nt; (void)x; (void)V; (void)vs; (void)ld;
}
void iw_wino_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M, size_t ms,
                                   size_t ld,
                                   const float *bias, float *y)
{
    (void)g; (void)tl; (void)nt; (void)M; (void)ms; (void)ld; (void)bias; (void)y;
}
void iw_wino_grad_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dy,
                                        float *dMT, size_t ms, float *db)
{
    (void)g; (void)tl; (void)nt; (void)dy; (void)dMT; (void)ms; (void)db;
}
void iw_wino_grad_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                       size_t vs, size_t ld, float *dx)
{
    (void)g; (void)tl; (void)nt; (void)dV; (void)vs; (void)ld; (void)dx;
}
#endif
