/* test_report_contour.c — the marching-squares contour that `iwreport plot` draws decision
 * boundaries with (iw_report_contour), checked on fields whose level sets are known exactly:
 * a plane (a straight line), a cone (a circle), a saddle, and NaN cells (skipped).
 */
#include <math.h>
#include <string.h>

#include "iw/report.h"
#include "test.h"

#define G 41
static float field[G * G];
static double xs[G], ys[G], seg[4 * 8 * G * G];

static void make_grid(double lo, double hi)
{
    for (int i = 0; i < G; i++) xs[i] = ys[i] = lo + (hi - lo) * i / (G - 1);
}

/* f = x - 0.3: the 0 level is the vertical line x = 0.3, crossed once per row of cells */
static void test_contour_plane_gives_the_line(void)
{
    make_grid(-1, 1);
    for (int iy = 0; iy < G; iy++)
        for (int ix = 0; ix < G; ix++) field[iy * G + ix] = (float)(xs[ix] - 0.3);
    int n = iw_report_contour(field, G, xs, ys, 0.0, seg, 8 * G * G);
    EXPECT(n == G - 1, "n = %d segments, one per row of cells (%d)", n, G - 1);
    for (int k = 0; k < n && k < 8 * G * G; k++) {
        EXPECT_CLOSE(seg[4 * k], 0.3, 1e-6);
        EXPECT_CLOSE(seg[4 * k + 2], 0.3, 1e-6);
    }
}

/* f = r: the 0.5 level is a circle; linear interpolation keeps endpoints within a cell's error */
static void test_contour_cone_gives_the_circle(void)
{
    make_grid(-1, 1);
    for (int iy = 0; iy < G; iy++)
        for (int ix = 0; ix < G; ix++) field[iy * G + ix] = (float)hypot(xs[ix], ys[iy]);
    int n = iw_report_contour(field, G, xs, ys, 0.5, seg, 8 * G * G);
    double h = xs[1] - xs[0], length = 0;
    EXPECT(n > 20, "n = %d", n);
    for (int k = 0; k < n && k < 8 * G * G; k++) {
        double *s = seg + 4 * k;
        EXPECT(fabs(hypot(s[0], s[1]) - 0.5) < h * h, "endpoint radius %g", hypot(s[0], s[1]));
        length += hypot(s[2] - s[0], s[3] - s[1]);
    }
    EXPECT(fabs(length - M_PI) < 0.02, "perimeter %g, want pi", length);
}

/* f = x*y: the 0 level is the two axes; the grid is chosen so the axes run between grid lines */
static void test_contour_saddle_and_counting(void)
{
    make_grid(-1.025, 0.975);
    for (int iy = 0; iy < G; iy++)
        for (int ix = 0; ix < G; ix++) field[iy * G + ix] = (float)(xs[ix] * ys[iy]);
    int n = iw_report_contour(field, G, xs, ys, 0.0, seg, 8 * G * G);
    int on_axis = 0;
    for (int k = 0; k < n; k++) {
        double *s = seg + 4 * k;
        on_axis += (fabs(s[0]) < 1e-6 && fabs(s[2]) < 1e-6) || (fabs(s[1]) < 1e-6 && fabs(s[3]) < 1e-6);
    }
    /* 2 (G-1) segments along the axes, plus 2 in the saddle cell at the origin */
    EXPECT(on_axis >= 2 * (G - 2), "%d of %d segments lie on an axis", on_axis, n);
    EXPECT(n <= 2 * (G - 1) + 2, "n = %d", n);
    /* more segments than room: the count is still returned, nothing written past max */
    double small[4 * 3 + 4];
    small[12] = 12345.0;
    int m = iw_report_contour(field, G, xs, ys, 0.0, small, 3);
    EXPECT(m == n, "count %d with a short buffer, %d with a long one", m, n);
    EXPECT(small[12] == 12345.0, "wrote past the 3 segments allowed");
}

static void test_contour_skips_nan_cells(void)
{
    make_grid(-1, 1);
    for (int iy = 0; iy < G; iy++)
        for (int ix = 0; ix < G; ix++) field[iy * G + ix] = iy < G / 2 ? NAN : (float)(xs[ix] - 0.3);
    int n = iw_report_contour(field, G, xs, ys, 0.0, seg, 8 * G * G);
    EXPECT(n == G - 1 - G / 2, "n = %d (only rows without NaN corners)", n);
}

int main(void)
{
    RUN_TEST(test_contour_plane_gives_the_line);
    RUN_TEST(test_contour_cone_gives_the_circle);
    RUN_TEST(test_contour_saddle_and_counting);
    RUN_TEST(test_contour_skips_nan_cells);
    return test_exit_code();
}
