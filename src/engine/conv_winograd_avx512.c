/* conv_winograd_avx512.c — AVX-512 versions of the Winograd F(2x2,3x3) tile transforms
 * (conv_winograd.c has the plain C ones and the maths). Up to sixteen tiles of one tile row go
 * through a transform at once: a patch column jj of 16 neighbouring tiles is every other input
 * column, so two masked row loads and one two-source permute give it (the masks supply the zero
 * padding and the ragged ends; gathers measured no faster than scalar code here). Outputs are
 * interleaved back into contiguous row stores the same way. The output-gradient transform works
 * across 16 output channels instead, with small gathers. Compiled for avx512f through a
 * function attribute, so the build needs no -march flag; conv_winograd.c calls these only when
 * iw_engine_isa() is IW_ISA_AVX512.
 */
#include "conv.h"
#include "conv_winograd.h"

#include <stdint.h>

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define PREFETCH_AHEAD 4 /* channels: the input rows of one run are planes apart, out of the prefetchers' sight */

/* Lanes l with 0 <= s + l < n: the part of a 16-float load starting at column s inside a row of n. */
static __mmask16 span_mask(int s, int n)
{
    int lo = s < 0 ? -s : 0, hi = n - s < 16 ? n - s : 16;
    if (hi <= lo) return 0;
    return (__mmask16)((((uint32_t)1 << hi) - 1) & ~(((uint32_t)1 << lo) - 1));
}

/* 16 floats of row[s .. s+16) under mask m (zeros outside the row); s may be negative: the
 * masked-off lanes are never accessed. */
AVX512 static inline __m512 load_span(const float *row, int s, __mmask16 m)
{
    const float *p = (const float *)((uintptr_t)row + (intptr_t)s * (intptr_t)sizeof(float));
    return _mm512_maskz_loadu_ps(m, p);
}

AVX512 void iw_wino_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x,
                                           float *V, size_t vs, size_t ld)
{
    const size_t plane = (size_t)g->H * g->W;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 zero = _mm512_setzero_ps();
    iw_wino_run runs[IW_WINO_TB];
    int n_runs = iw_wino_block_runs(g, tl, nt, runs);
    /* block positions nt .. TB-1 are zero columns of V */
    if (nt < IW_WINO_TB)
        for (int ci = 0; ci < g->Cin; ci++)
            for (int p = 0; p < 16; p++)
                for (int k = nt; k < IW_WINO_TB; k++) V[p * vs + (size_t)ci * ld + k] = 0.0f;
    for (int r = 0; r < n_runs; r++) {
        const iw_wino_run *u = &runs[r];
        const __mmask16 store = (__mmask16)((1u << u->n) - 1);
        const int s = 2 * u->c0 - g->pad; /* input column of the run's first patch */
        const __mmask16 ma0 = span_mask(s, g->W), ma1 = span_mask(s + 16, g->W);
        const __mmask16 mb0 = span_mask(s + 2, g->W), mb1 = span_mask(s + 18, g->W);
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *src = x + (size_t)u->j * g->in_size + ci * plane;
            if (ci + PREFETCH_AHEAD < g->Cin) /* the rows this run needs, a few channels ahead */
                for (int i = 0; i < 4; i++) {
                    int yy = 2 * u->ty + i - g->pad;
                    if (yy < 0 || yy >= g->H) continue;
                    const char *row = (const char *)(src + PREFETCH_AHEAD * plane + (size_t)yy * g->W + (s > 0 ? s : 0));
                    _mm_prefetch(row, _MM_HINT_T0);
                    _mm_prefetch(row + 64, _MM_HINT_T0);
                    _mm_prefetch(row + 127, _MM_HINT_T0);
                }
            __m512 d[16]; /* d[i*4 + jj]: patch row i, column jj, for 16 tiles */
            for (int i = 0; i < 4; i++) {
                int yy = 2 * u->ty + i - g->pad;
                if (yy < 0 || yy >= g->H) {
                    d[i * 4 + 0] = d[i * 4 + 1] = d[i * 4 + 2] = d[i * 4 + 3] = zero;
                    continue;
                }
                const float *row = src + (size_t)yy * g->W;
                __m512 a0 = load_span(row, s, ma0), a1 = load_span(row, s + 16, ma1);
                __m512 b0 = load_span(row, s + 2, mb0), b1 = load_span(row, s + 18, mb1);
                d[i * 4 + 0] = _mm512_permutex2var_ps(a0, even, a1);
                d[i * 4 + 1] = _mm512_permutex2var_ps(a0, odd, a1);
                d[i * 4 + 2] = _mm512_permutex2var_ps(b0, even, b1);
                d[i * 4 + 3] = _mm512_permutex2var_ps(b0, odd, b1);
            }
            __m512 c[16]; /* B^T d */
            for (int jj = 0; jj < 4; jj++) {
                c[0 + jj] = _mm512_sub_ps(d[0 + jj], d[8 + jj]);
                c[4 + jj] = _mm512_add_ps(d[4 + jj], d[8 + jj]);
                c[8 + jj] = _mm512_sub_ps(d[8 + jj], d[4 + jj]);
                c[12 + jj] = _mm512_sub_ps(d[4 + jj], d[12 + jj]);
            }
            float *v = V + (size_t)ci * ld + u->kpos;
            for (int i = 0; i < 4; i++) {
                const __m512 *q = &c[4 * i];
                _mm512_mask_storeu_ps(v + (i * 4 + 0) * vs, store, _mm512_sub_ps(q[0], q[2]));
                _mm512_mask_storeu_ps(v + (i * 4 + 1) * vs, store, _mm512_add_ps(q[1], q[2]));
                _mm512_mask_storeu_ps(v + (i * 4 + 2) * vs, store, _mm512_sub_ps(q[2], q[1]));
                _mm512_mask_storeu_ps(v + (i * 4 + 3) * vs, store, _mm512_sub_ps(q[1], q[3]));
            }
        }
    }
}

AVX512 void iw_wino_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M,
                                            size_t ms, size_t ld, const float *bias, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    /* interleave two 16-lane vectors a, b into a0 b0 a1 b1 ... (low and high halves) */
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    iw_wino_run runs[IW_WINO_TB];
    int n_runs = iw_wino_block_runs(g, tl, nt, runs);
    for (int r = 0; r < n_runs; r++) {
        const iw_wino_run *u = &runs[r];
        const __mmask16 load = (__mmask16)((1u << u->n) - 1);
        const int x0 = 2 * u->c0, y0 = 2 * u->ty, cols = 2 * u->n < g->Wo - x0 ? 2 * u->n : g->Wo - x0;
        const __mmask16 s_lo = span_mask(0, cols), s_hi = span_mask(16, cols);
        const int has_y = y0 + 1 < g->Ho;
        for (int co = 0; co < g->Cout; co++) {
            const float *m = M + (size_t)co * ld + u->kpos;
            __m512 t0[4], t1[4], b = _mm512_set1_ps(bias[co]);
            for (int i = 0; i < 4; i++) {
                __m512 a0 = _mm512_maskz_loadu_ps(load, m + (0 + i) * ms), a1 = _mm512_maskz_loadu_ps(load, m + (4 + i) * ms);
                __m512 a2 = _mm512_maskz_loadu_ps(load, m + (8 + i) * ms), a3 = _mm512_maskz_loadu_ps(load, m + (12 + i) * ms);
                t0[i] = _mm512_add_ps(_mm512_add_ps(a0, a1), a2);
                t1[i] = _mm512_sub_ps(_mm512_sub_ps(a1, a2), a3);
            }
            float *dst = y + (size_t)u->j * g->out_size + co * plane + (size_t)y0 * g->Wo + x0;
            __m512 e = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(t0[0], t0[1]), t0[2]), b);
            __m512 o = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(t0[1], t0[2]), t0[3]), b);
            _mm512_mask_storeu_ps(dst, s_lo, _mm512_permutex2var_ps(e, lo, o));
            _mm512_mask_storeu_ps(dst + 16, s_hi, _mm512_permutex2var_ps(e, hi, o));
            if (has_y) {
                e = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(t1[0], t1[1]), t1[2]), b);
                o = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(t1[1], t1[2]), t1[3]), b);
                _mm512_mask_storeu_ps(dst + g->Wo, s_lo, _mm512_permutex2var_ps(e, lo, o));
                _mm512_mask_storeu_ps(dst + g->Wo + 16, s_hi, _mm512_permutex2var_ps(e, hi, o));
            }
        }
    }
}

AVX512 void iw_wino_grad_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt,
                                                 const float *dy, float *dMT, size_t ms, float *db)
{
    const int Cout = g->Cout;
    const int32_t plane = (int32_t)((size_t)g->Ho * g->Wo);
    const __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(plane));
    const __m512 zero = _mm512_setzero_ps();
    for (int k = 0; k < IW_WINO_TB; k++) {
        float *row = dMT + (size_t)k * Cout;
        if (k >= nt) {
            for (int p = 0; p < 16; p++)
                for (int co = 0; co < Cout; co++) row[p * ms + co] = 0.0f;
            continue;
        }
        const iw_wino_tile *q = &tl[k];
        const int32_t off = (int32_t)((size_t)q->j * g->out_size) + q->oy * g->Wo + q->ox;
        const int hx = q->ox + 1 < g->Wo, hy = q->oy + 1 < g->Ho;
        for (int co0 = 0; co0 < Cout; co0 += 16) {
            __mmask16 mc = Cout - co0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (Cout - co0)) - 1);
            __m512i i00 = _mm512_add_epi32(lanes, _mm512_set1_epi32(co0 * plane + off));
            __m512 g00 = _mm512_mask_i32gather_ps(zero, mc, i00, dy, 4);
            __m512 g01 = _mm512_mask_i32gather_ps(zero, hx ? mc : 0, _mm512_add_epi32(i00, _mm512_set1_epi32(1)), dy, 4);
            __m512 g10 = _mm512_mask_i32gather_ps(zero, hy ? mc : 0, _mm512_add_epi32(i00, _mm512_set1_epi32(g->Wo)), dy, 4);
            __m512 g11 = _mm512_mask_i32gather_ps(zero, hx && hy ? mc : 0,
                                                  _mm512_add_epi32(i00, _mm512_set1_epi32(g->Wo + 1)), dy, 4);
            __m512 s = _mm512_add_ps(_mm512_add_ps(g00, g01), _mm512_add_ps(g10, g11));
            _mm512_mask_storeu_ps(db + co0, mc, _mm512_add_ps(_mm512_maskz_loadu_ps(mc, db + co0), s));
            /* rows of A g with A = [1 0; 1 1; 1 -1; 0 -1], then the same on columns */
            __m512 r[4][2] = {{g00, g01},
                              {_mm512_add_ps(g00, g10), _mm512_add_ps(g01, g11)},
                              {_mm512_sub_ps(g00, g10), _mm512_sub_ps(g01, g11)},
                              {_mm512_sub_ps(zero, g10), _mm512_sub_ps(zero, g11)}};
            float *dst = row + co0;
            for (int i = 0; i < 4; i++) {
                _mm512_mask_storeu_ps(dst + (i * 4 + 0) * ms, mc, r[i][0]);
                _mm512_mask_storeu_ps(dst + (i * 4 + 1) * ms, mc, _mm512_add_ps(r[i][0], r[i][1]));
                _mm512_mask_storeu_ps(dst + (i * 4 + 2) * ms, mc, _mm512_sub_ps(r[i][0], r[i][1]));
                _mm512_mask_storeu_ps(dst + (i * 4 + 3) * ms, mc, _mm512_sub_ps(zero, r[i][1]));
            }
        }
    }
}

AVX512 void iw_wino_grad_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                               size_t vs, size_t ld, float *dx)
{
    const size_t plane = (size_t)g->H * g->W;
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    iw_wino_run runs[IW_WINO_TB];
    int n_runs = iw_wino_block_runs(g, tl, nt, runs);
    for (int r = 0; r < n_runs; r++) {
        const iw_wino_run *u = &runs[r];
        const __mmask16 load = (__mmask16)((1u << u->n) - 1);
        /* patch columns jj = 0,1 of the run interleave into input columns s .. s+2n, jj = 2,3 into
         * s+2 .. s+2+2n: both are summed in registers (one shifted by two lanes), then added to the
         * row in one read-modify-write of 2n+2 columns (two overlapping ones would stall on store
         * forwarding); the masks keep it inside the row */
        const int s = 2 * u->c0 - g->pad, span = 2 * u->n + 2;
        const __mmask16 z0 = span_mask(s, g->W) & span_mask(0, span), z1 = span_mask(s + 16, g->W) & span_mask(16, span);
        const __mmask16 z2 = span_mask(s + 32, g->W) & span_mask(32, span);
        const __m512 zero = _mm512_setzero_ps();
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *v = dV + (size_t)ci * ld + u->kpos;
            float *dplane = dx + (size_t)u->j * g->in_size + ci * plane;
            if (ci + PREFETCH_AHEAD < g->Cin)
                for (int i = 0; i < 4; i++) {
                    int yy = 2 * u->ty + i - g->pad;
                    if (yy < 0 || yy >= g->H) continue;
                    const char *row = (const char *)(dplane + PREFETCH_AHEAD * plane + (size_t)yy * g->W + (s > 0 ? s : 0));
                    _mm_prefetch(row, _MM_HINT_T0);
                    _mm_prefetch(row + 64, _MM_HINT_T0);
                    _mm_prefetch(row + 127, _MM_HINT_T0);
                }
            __m512 q[16];
            for (int i = 0; i < 4; i++) { /* dV B^T, row by row */
                __m512 a = _mm512_maskz_loadu_ps(load, v + (i * 4 + 0) * vs), b = _mm512_maskz_loadu_ps(load, v + (i * 4 + 1) * vs);
                __m512 c = _mm512_maskz_loadu_ps(load, v + (i * 4 + 2) * vs), d = _mm512_maskz_loadu_ps(load, v + (i * 4 + 3) * vs);
                q[i * 4 + 0] = a;
                q[i * 4 + 1] = _mm512_add_ps(_mm512_sub_ps(b, c), d);
                q[i * 4 + 2] = _mm512_sub_ps(_mm512_add_ps(b, c), a);
                q[i * 4 + 3] = _mm512_sub_ps(zero, d);
            }
            for (int i = 0; i < 4; i++) {
                int yy = 2 * u->ty + i - g->pad;
                if (yy < 0 || yy >= g->H) continue;
                __m512 e[4]; /* row i of B (dV B^T), columns jj = 0..3 */
                for (int jj = 0; jj < 4; jj++) {
                    __m512 r0 = q[jj], r1 = q[4 + jj], r2 = q[8 + jj], r3 = q[12 + jj];
                    e[jj] = i == 0 ? r0
                          : i == 1 ? _mm512_add_ps(_mm512_sub_ps(r1, r2), r3)
                          : i == 2 ? _mm512_sub_ps(_mm512_add_ps(r1, r2), r0)
                                   : _mm512_sub_ps(zero, r3);
                }
                __m512 x0 = _mm512_permutex2var_ps(e[0], lo, e[1]), x1 = _mm512_permutex2var_ps(e[0], hi, e[1]);
                __m512 y0 = _mm512_permutex2var_ps(e[2], lo, e[3]), y1 = _mm512_permutex2var_ps(e[2], hi, e[3]);
                /* y shifted right by two lanes across x0 | x1 | tail */
                __m512 s0 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(y0), _mm512_castps_si512(zero), 14));
                __m512 s1 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(y1), _mm512_castps_si512(y0), 14));
                __m512 s2 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(zero), _mm512_castps_si512(y1), 14));
                float *row = dplane + (size_t)yy * g->W;
                float *p0 = (float *)((uintptr_t)row + (intptr_t)s * (intptr_t)sizeof(float));
                _mm512_mask_storeu_ps(p0, z0, _mm512_add_ps(_mm512_maskz_loadu_ps(z0, p0), _mm512_add_ps(x0, s0)));
                _mm512_mask_storeu_ps(p0 + 16, z1, _mm512_add_ps(_mm512_maskz_loadu_ps(z1, p0 + 16), _mm512_add_ps(x1, s1)));
                if (z2) _mm512_mask_storeu_ps(p0 + 32, z2, _mm512_add_ps(_mm512_maskz_loadu_ps(z2, p0 + 32), s2));
            }
        }
    }
}

#else /* no x86-64 GCC: never called (iw_engine_isa() is portable), defined for the linker */

void iw_wino_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x,
                                    float *V, size_t vs, size_t ld)
{
    (void)g; (void)tl; (void)nt; (void)x; (void)V; (void)vs; (void)ld;
}
void iw_wino_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M,
                                     size_t ms, size_t ld, const float *bias, float *y)
{
    (void)g; (void)tl; (void)nt; (void)M; (void)ms; (void)ld; (void)bias; (void)y;
}
void iw_wino_grad_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt,
                                          const float *dy, float *dMT, size_t ms, float *db)
{
    (void)g; (void)tl; (void)nt; (void)dy; (void)dMT; (void)ms; (void)db;
}
void iw_wino_grad_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                        size_t vs, size_t ld, float *dx)
{
    (void)g; (void)tl; (void)nt; (void)dV; (void)vs; (void)ld; (void)dx;
}
#endif
