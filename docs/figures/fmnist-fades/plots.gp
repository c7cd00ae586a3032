# every figure of results/small-fmnist-fades.h5 — drawn by iwreport plot; rerun with: gnuplot plots.gp
load 'docs/figures/fmnist-fades/train_loss.gp'
load 'docs/figures/fmnist-fades/train_acc.gp'
load 'docs/figures/fmnist-fades/train_frac_positive.gp'
load 'docs/figures/fmnist-fades/test_acc.gp'
load 'docs/figures/fmnist-fades/test_frac_positive.gp'
load 'docs/figures/fmnist-fades/other_frac_positive.gp'
load 'docs/figures/fmnist-fades/noise_frac_positive.gp'
load 'docs/figures/fmnist-fades/weight_norm.gp'
