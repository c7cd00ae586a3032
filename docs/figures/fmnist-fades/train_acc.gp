# train_acc — drawn by iwreport plot from results/small-fmnist-fades.h5
reset
set terminal pngcairo noenhanced size 640,380 font 'sans,9'
set output 'docs/figures/fmnist-fades/train_acc.png'
data = 'docs/figures/fmnist-fades/train_acc.dat'
set logscale x
set xrange [1:151]
set xtics (1, 2, 5, 10, 20, 50, 100)
set xlabel 'epoch + 1  (1 = before training)'
set ylabel 'train_acc'
set yrange [-0.02:1.02]
set style fill transparent solid 0.10 noborder
set key top right font ',8' samplen 2 opaque
set multiplot layout 1,1 title 'small-fmnist-fades: train_acc, mean over 2 seeds, band ± std over seeds'
set title 'all runs'
plot data index 0 using 1:3:4 with filledcurves lc rgb '#2166ac' notitle, \
     data index 0 using 1:2 with lines lw 2 lc rgb '#2166ac' title 'w = 1/64', \
     data index 1 using 1:3:4 with filledcurves lc rgb '#406e9d' notitle, \
     data index 1 using 1:2 with lines lw 2 lc rgb '#406e9d' title 'w = 1/16', \
     data index 2 using 1:3:4 with filledcurves lc rgb '#60778e' notitle, \
     data index 2 using 1:2 with lines lw 2 lc rgb '#60778e' title 'w = 1/4', \
     data index 3 using 1:3:4 with filledcurves lc rgb '#808080' notitle, \
     data index 3 using 1:2 with lines lw 2 lc rgb '#808080' title 'w = 1', \
     data index 4 using 1:3:4 with filledcurves lc rgb '#905d63' notitle, \
     data index 4 using 1:2 with lines lw 2 lc rgb '#905d63' title 'w = 4', \
     data index 5 using 1:3:4 with filledcurves lc rgb '#a13a47' notitle, \
     data index 5 using 1:2 with lines lw 2 lc rgb '#a13a47' title 'w = 16', \
     data index 6 using 1:3:4 with filledcurves lc rgb '#b2182b' notitle, \
     data index 6 using 1:2 with lines lw 2 lc rgb '#b2182b' title 'w = 64'
unset multiplot
