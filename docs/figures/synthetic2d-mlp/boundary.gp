# decision boundaries — drawn by iwreport plot from results/small-synthetic2d-mlp.h5
reset
set terminal pngcairo noenhanced size 1260,840 font 'sans,9'
set output 'docs/figures/synthetic2d-mlp/boundary.png'
data = 'docs/figures/synthetic2d-mlp/boundary.dat'
set size ratio -1
set xrange [-4:6]
set yrange [-4:6]
set key bottom right font ',8' samplen 2 opaque
set multiplot layout 2,3 title 'small-synthetic2d-mlp: p(positive) = 0.5 by importance weight (first seed); all runs'
set title 'epoch 0'
plot data index 0 using 1:2 with points pt 7 ps 0.3 lc rgb '#9ecae1' title 'class 0', \
     data index 1 using 1:2 with points pt 7 ps 0.3 lc rgb '#fcbba1' title 'class 1 (weighted)', \
     data index 2 using 1:2 with lines lw 2 lc rgb '#2166ac' title 'w = 1/64', \
     data index 7 using 1:2 with lines lw 2 lc rgb '#507396' title 'w = 1/8', \
     data index 12 using 1:2 with lines lw 2 lc rgb '#808080' title 'w = 1', \
     data index 17 using 1:2 with lines lw 2 lc rgb '#994c55' title 'w = 8', \
     data index 22 using 1:2 with lines lw 2 lc rgb '#b2182b' title 'w = 64'
set title 'epoch 1'
unset key
plot data index 0 using 1:2 with points pt 7 ps 0.3 lc rgb '#9ecae1' title 'class 0', \
     data index 1 using 1:2 with points pt 7 ps 0.3 lc rgb '#fcbba1' title 'class 1 (weighted)', \
     data index 3 using 1:2 with lines lw 2 lc rgb '#2166ac' title 'w = 1/64', \
     data index 8 using 1:2 with lines lw 2 lc rgb '#507396' title 'w = 1/8', \
     data index 13 using 1:2 with lines lw 2 lc rgb '#808080' title 'w = 1', \
     data index 18 using 1:2 with lines lw 2 lc rgb '#994c55' title 'w = 8', \
     data index 23 using 1:2 with lines lw 2 lc rgb '#b2182b' title 'w = 64'
set title 'epoch 10'
unset key
plot data index 0 using 1:2 with points pt 7 ps 0.3 lc rgb '#9ecae1' title 'class 0', \
     data index 1 using 1:2 with points pt 7 ps 0.3 lc rgb '#fcbba1' title 'class 1 (weighted)', \
     data index 4 using 1:2 with lines lw 2 lc rgb '#2166ac' title 'w = 1/64', \
     data index 9 using 1:2 with lines lw 2 lc rgb '#507396' title 'w = 1/8', \
     data index 14 using 1:2 with lines lw 2 lc rgb '#808080' title 'w = 1', \
     data index 19 using 1:2 with lines lw 2 lc rgb '#994c55' title 'w = 8', \
     data index 24 using 1:2 with lines lw 2 lc rgb '#b2182b' title 'w = 64'
set title 'epoch 100'
unset key
plot data index 0 using 1:2 with points pt 7 ps 0.3 lc rgb '#9ecae1' title 'class 0', \
     data index 1 using 1:2 with points pt 7 ps 0.3 lc rgb '#fcbba1' title 'class 1 (weighted)', \
     data index 5 using 1:2 with lines lw 2 lc rgb '#2166ac' title 'w = 1/64', \
     data index 10 using 1:2 with lines lw 2 lc rgb '#507396' title 'w = 1/8', \
     data index 15 using 1:2 with lines lw 2 lc rgb '#808080' title 'w = 1', \
     data index 20 using 1:2 with lines lw 2 lc rgb '#994c55' title 'w = 8', \
     data index 25 using 1:2 with lines lw 2 lc rgb '#b2182b' title 'w = 64'
set title 'epoch 1000'
unset key
plot data index 0 using 1:2 with points pt 7 ps 0.3 lc rgb '#9ecae1' title 'class 0', \
     data index 1 using 1:2 with points pt 7 ps 0.3 lc rgb '#fcbba1' title 'class 1 (weighted)', \
     data index 6 using 1:2 with lines lw 2 lc rgb '#2166ac' title 'w = 1/64', \
     data index 11 using 1:2 with lines lw 2 lc rgb '#507396' title 'w = 1/8', \
     data index 16 using 1:2 with lines lw 2 lc rgb '#808080' title 'w = 1', \
     data index 21 using 1:2 with lines lw 2 lc rgb '#994c55' title 'w = 8', \
     data index 26 using 1:2 with lines lw 2 lc rgb '#b2182b' title 'w = 64'
unset multiplot
