/* conv_winograd_avx512.c — AVX-512 versions of the Winograd F(2x2,3x3) tile transforms
 * (conv_winograd.c has the plain C ones and the maths). Sixteen tiles of a block, or sixteen
 * output channels, go through the transform at once: the 4x4 patches are fetched with masked
 * gathers (masks give the zero padding and the ragged last tiles), the results are stored as
 * contiguous vectors of the block layouts in conv_winograd.h. Compiled for avx512f through a
 * function attribute, so the build needs no -march flag; callers check iw_conv_use_avx512().
 */
#include "conv.h"
#include "conv_winograd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/* For lanes k = 16h .. 16h+15 of the block: the offset of each tile's patch corner in x (or y) and,
 * per patch position, the lanes whose value lies inside the image. */
AVX512 static void patch_lanes(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, int h, int32_t *off,
                               __mmask16 *inside)
{
    for (int pos = 0; pos < 16; pos++) inside[pos] = 0;
    for (int lane = 0; lane < 16; lane++) {
        int k = 16 * h + lane;
        off[lane] = 0;
        if (k >= nt) continue;
        const iw_wino_tile *q = &tl[k];
        off[lane] = (int32_t)((size_t)q->j * g->in_size) + q->iy * g->W + q->ix;
        for (int i = 0; i < 4; i++)
            for (int jj = 0; jj < 4; jj++) {
                int yy = q->iy + i, xx = q->ix + jj;
                if (q->inside || (yy >= 0 && yy < g->H && xx >= 0 && xx < g->W))
                    inside[i * 4 + jj] |= (__mmask16)(1u << lane);
            }
    }
}

AVX512 void iw_wino_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x,
                                           float *V, size_t vs)
{
    const size_t plane = (size_t)g->H * g->W;
    for (int h = 0; h < 2; h++) {
        int32_t off[16];
        __mmask16 in[16];
        __m512i idx[16];
        patch_lanes(g, tl, nt, h, off, in);
        __m512i base = _mm512_loadu_si512(off);
        for (int i = 0; i < 4; i++)
            for (int jj = 0; jj < 4; jj++) idx[i * 4 + jj] = _mm512_add_epi32(base, _mm512_set1_epi32(i * g->W + jj));
        const __m512 zero = _mm512_setzero_ps();
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *src = x + ci * plane;
            __m512 d[16];
            for (int pos = 0; pos < 16; pos++) d[pos] = _mm512_mask_i32gather_ps(zero, in[pos], idx[pos], src, 4);
            __m512 c[16]; /* B^T d, row-wise */
            for (int jj = 0; jj < 4; jj++) {
                c[0 + jj] = _mm512_sub_ps(d[0 + jj], d[8 + jj]);
                c[4 + jj] = _mm512_add_ps(d[4 + jj], d[8 + jj]);
                c[8 + jj] = _mm512_sub_ps(d[8 + jj], d[4 + jj]);
                c[12 + jj] = _mm512_sub_ps(d[4 + jj], d[12 + jj]);
            }
            float *v = V + (size_t)ci * IW_WINO_TB + 16 * h;
            for (int i = 0; i < 4; i++) {
                const __m512 *r = &c[4 * i];
                _mm512_storeu_ps(v + (i * 4 + 0) * vs, _mm512_sub_ps(r[0], r[2]));
                _mm512_storeu_ps(v + (i * 4 + 1) * vs, _mm512_add_ps(r[1], r[2]));
                _mm512_storeu_ps(v + (i * 4 + 2) * vs, _mm512_sub_ps(r[2], r[1]));
                _mm512_storeu_ps(v + (i * 4 + 3) * vs, _mm512_sub_ps(r[1], r[3]));
            }
        }
    }
}

AVX512 void iw_wino_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M,
                                            size_t ms, const float *bias, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    for (int h = 0; h < 2 && 16 * h < nt; h++) {
        int32_t off[16];
        __mmask16 m00 = 0, m01 = 0, m10 = 0, m11 = 0;
        for (int lane = 0; lane < 16; lane++) {
            int k = 16 * h + lane;
            off[lane] = 0;
            if (k >= nt) continue;
            const iw_wino_tile *q = &tl[k];
            off[lane] = (int32_t)((size_t)q->j * g->out_size) + q->oy * g->Wo + q->ox;
            int hx = q->ox + 1 < g->Wo, hy = q->oy + 1 < g->Ho;
            __mmask16 bit = (__mmask16)(1u << lane);
            m00 |= bit;
            if (hx) m01 |= bit;
            if (hy) m10 |= bit;
            if (hx && hy) m11 |= bit;
        }
        __m512i i00 = _mm512_loadu_si512(off), i01 = _mm512_add_epi32(i00, _mm512_set1_epi32(1));
        __m512i i10 = _mm512_add_epi32(i00, _mm512_set1_epi32(g->Wo)), i11 = _mm512_add_epi32(i10, _mm512_set1_epi32(1));
        for (int co = 0; co < g->Cout; co++) {
            const float *m = M + (size_t)co * IW_WINO_TB + 16 * h;
            __m512 t0[4], t1[4], b = _mm512_set1_ps(bias[co]);
            for (int i = 0; i < 4; i++) {
                __m512 a0 = _mm512_loadu_ps(m + (0 + i) * ms), a1 = _mm512_loadu_ps(m + (4 + i) * ms);
                __m512 a2 = _mm512_loadu_ps(m + (8 + i) * ms), a3 = _mm512_loadu_ps(m + (12 + i) * ms);
                t0[i] = _mm512_add_ps(_mm512_add_ps(a0, a1), a2);
                t1[i] = _mm512_sub_ps(_mm512_sub_ps(a1, a2), a3);
            }
            float *dst = y + co * plane;
            _mm512_mask_i32scatter_ps(dst, m00, i00, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(t0[0], t0[1]), t0[2]), b), 4);
            _mm512_mask_i32scatter_ps(dst, m01, i01, _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(t0[1], t0[2]), t0[3]), b), 4);
            _mm512_mask_i32scatter_ps(dst, m10, i10, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(t1[0], t1[1]), t1[2]), b), 4);
            _mm512_mask_i32scatter_ps(dst, m11, i11, _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(t1[1], t1[2]), t1[3]), b), 4);
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

#else /* no x86-64 GCC: never called (iw_conv_use_avx512() is 0), defined for the linker */

void iw_wino_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x,
                                    float *V, size_t vs)
{
    (void)g; (void)tl; (void)nt; (void)x; (void)V; (void)vs;
}
void iw_wino_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M,
                                     size_t ms, const float *bias, float *y)
{
    (void)g; (void)tl; (void)nt; (void)M; (void)ms; (void)bias; (void)y;
}
void iw_wino_grad_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt,
                                          const float *dy, float *dMT, size_t ms, float *db)
{
    (void)g; (void)tl; (void)nt; (void)dy; (void)dMT; (void)ms; (void)db;
}
#endif
