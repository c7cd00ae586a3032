# noise_frac_positive — drawn by iwreport plot from results/small-synthetic2d-linear.h5
reset
set terminal pngcairo noenhanced size 640,380 font 'sans,9'
set output 'docs/figures/synthetic2d-linear/noise_frac_positive.png'
data = 'docs/figures/synthetic2d-linear/noise_frac_positive.dat'
set logscale x
set xrange [1:10001]
set xtics (1, 2, 5, 10, 20, 50, 100, 1000, 10000)
set xlabel 'epoch + 1  (1 = before training)'
set ylabel 'noise_frac_positive'
set yrange [-0.02:1.02]
set style fill transparent solid 0.10 noborder
set key top right font ',8' samplen 2 opaque
set multiplot layout 1,1 title 'small-synthetic2d-linear: noise_frac_positive, mean over 2 seeds, band ± std over seeds'
set title 'all runs'
plot data index 0 using 1:3:4 with filledcurves lc rgb '#2166ac' notitle, \
     data index 0 using 1:2 with lines lw 2 lc rgb '#2166ac' title 'w = 1/64', \
     data index 1 using 1:3:4 with filledcurves lc rgb '#507396' notitle, \
     data index 1 using 1:2 with lines lw 2 lc rgb '#507396' title 'w = 1/8', \
     data index 2 using 1:3:4 with filledcurves lc rgb '#808080' notitle, \
     data index 2 using 1:2 with lines lw 2 lc rgb '#808080' title 'w = 1', \
     data index 3 using 1:3:4 with filledcurves lc rgb '#994c55' notitle, \
     data index 3 using 1:2 with lines lw 2 lc rgb '#994c55' title 'w = 8', \
     data index 4 using 1:3:4 with filledcurves lc rgb '#b2182b' notitle, \
     data index 4 using 1:2 with lines lw 2 lc rgb '#b2182b' title 'w = 64'
unset multiplot
