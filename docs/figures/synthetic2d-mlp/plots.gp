# every figure of results/small-synthetic2d-mlp.h5 — drawn by iwreport plot; rerun with: gnuplot plots.gp
load 'docs/figures/synthetic2d-mlp/train_loss.gp'
load 'docs/figures/synthetic2d-mlp/train_acc.gp'
load 'docs/figures/synthetic2d-mlp/train_frac_positive.gp'
load 'docs/figures/synthetic2d-mlp/test_acc.gp'
load 'docs/figures/synthetic2d-mlp/test_frac_positive.gp'
load 'docs/figures/synthetic2d-mlp/noise_frac_positive.gp'
load 'docs/figures/synthetic2d-mlp/weight_norm.gp'
load 'docs/figures/synthetic2d-mlp/boundary.gp'
