/* test_format.c — how numbers are printed for people (iw_format_number, the labels of iwreport's
 * tables and plots and of the sweep-comparison messages): plain decimals where they are short
 * (10, not 1e+01; 0.001), exponent form only far from 1, and always the fewest digits that read
 * back as the same double, so two distinct values never print alike. The expected strings are
 * written out by hand from that rule; the round trip is checked on values from a generator.
 */
#include "iw/common.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static void expect_text(double v, const char *want)
{
    char got[64];
    iw_format_number(v, got, sizeof got);
    EXPECT(strcmp(got, want) == 0, "%.17g printed '%s', expected '%s'", v, got, want);
}

static void test_round_numbers_are_plain(void)
{
    expect_text(10, "10");
    expect_text(20, "20");
    expect_text(100, "100");
    expect_text(256, "256");
    expect_text(1000000, "1000000");
    expect_text(1, "1");
    expect_text(0, "0");
    expect_text(-4, "-4");
    expect_text(2.5, "2.5");
    expect_text(0.001, "0.001");
    expect_text(0.0001, "0.0001");
    expect_text(0.0625, "0.0625");
    expect_text(0.1, "0.1");
    expect_text(0.3333333333, "0.3333333333");
    expect_text(1.0 / 3.0, "0.3333333333333333");
}

static void test_far_from_one_uses_exponents(void)
{
    expect_text(1e-5, "1e-05");
    expect_text(1e-300, "1e-300");
    expect_text(2.5e-7, "2.5e-07");
    expect_text(1e15, "1e+15");
    expect_text(1e20, "1e+20");
    expect_text(NAN, "nan");
    expect_text(INFINITY, "inf");
    expect_text(-INFINITY, "-inf");
}

/* Every value reads back as itself, and no label is longer than the %.17g form plus a few
 * characters of plain notation. */
static void test_round_trip(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ull; /* splitmix64 */
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        double mant = (double)(z >> 11) / 9007199254740992.0;     /* [0, 1) */
        double v = ldexp(mant + 0.5, (int)(z % 120) - 60) * (z & 1 ? -1 : 1); /* about 1e-18 .. 1e18 */
        char out[64];
        iw_format_number(v, out, sizeof out);
        if (strtod(out, NULL) != v || strlen(out) > 26) {
            if (bad++ < 5) EXPECT(0, "%.17g printed '%s'", v, out);
        }
    }
    EXPECT(bad == 0, "%d of 20000 values did not read back or were too long", bad);
}

int main(void)
{
    RUN_TEST(test_round_numbers_are_plain);
    RUN_TEST(test_far_from_one_uses_exponents);
    RUN_TEST(test_round_trip);
    return test_exit_code();
}
