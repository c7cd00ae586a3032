# every figure of results/small-synthetic2d-linear.h5 — drawn by iwreport plot; rerun with: gnuplot plots.gp
load 'docs/figures/synthetic2d-linear/train_loss.gp'
load 'docs/figures/synthetic2d-linear/train_acc.gp'
load 'docs/figures/synthetic2d-linear/train_frac_positive.gp'
load 'docs/figures/synthetic2d-linear/test_acc.gp'
load 'docs/figures/synthetic2d-linear/test_frac_positive.gp'
load 'docs/figures/synthetic2d-linear/noise_frac_positive.gp'
load 'docs/figures/synthetic2d-linear/weight_norm.gp'
load 'docs/figures/synthetic2d-linear/boundary.gp'
