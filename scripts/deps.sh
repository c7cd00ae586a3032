#!/usr/bin/env bash
# deps.sh — makes sure the Debian packages iwsweep needs are present, for the Makefile and
# run_sweep.sh. As root on Debian/Ubuntu it installs what is missing (apt-get); elsewhere it says
# exactly what is missing and, on a cluster, which modules to load instead.
#
#   scripts/deps.sh build   compiler, MPI, parallel HDF5, OpenBLAS, libyaml   (default)
#   scripts/deps.sh run     build + the default sweep's data (Fashion-MNIST) and gnuplot
#   scripts/deps.sh check   run + what the tests use: h5py, xarray, Slurm + munge, valgrind, and for
#                           the multi-node cluster (scripts/cluster-local.sh) openssh, iproute2
#   scripts/deps.sh bench   run + PyTorch (peer figures)
#   scripts/deps.sh fuzz    build + clang/libFuzzer
set -u
what=${1:-build}

build_pkgs="gcc make pkg-config libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools libopenblas-dev zlib1g-dev libyaml-dev"
run_pkgs="$build_pkgs dataset-fashion-mnist gnuplot-nox fonts-liberation"
case "$what" in
  build) pkgs=$build_pkgs ;;
  run)   pkgs=$run_pkgs ;;
  check) pkgs="$run_pkgs python3-h5py python3-numpy python3-xarray python3-netcdf4 python3-h5netcdf python3-yaml slurm-wlm munge valgrind procps bc clang libclang-rt-14-dev openssh-server openssh-client iproute2 util-linux" ;;
  bench) pkgs="$run_pkgs python3-torch python3-numpy" ;;
  fuzz)  pkgs="$build_pkgs clang libclang-rt-14-dev" ;;
  *) echo "deps.sh: unknown set '$what' (build, run, check, bench, fuzz)" >&2; exit 2 ;;
esac

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for p in $pkgs; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
    [ "$st" = "installed" ] || missing="$missing $p"
  done
else
  # Not Debian: check for the tools and libraries themselves.
  for t in mpicc mpirun h5pcc pkg-config; do command -v $t >/dev/null 2>&1 || missing="$missing $t"; done
  pkg-config --exists hdf5-openmpi 2>/dev/null || pkg-config --exists hdf5 2>/dev/null || missing="$missing parallel-hdf5"
  pkg-config --exists yaml-0.1 2>/dev/null || missing="$missing libyaml"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package lists are absent or older than a day
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get update -qq >&2 || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
  fi
  if ! apt-get install -y -qq --no-install-recommends $missing >/tmp/iwsweep-apt.log 2>&1; then
    echo "deps.sh: apt-get install failed; last lines of /tmp/iwsweep-apt.log:" >&2
    tail -20 /tmp/iwsweep-apt.log >&2
    exit 1
  fi
  exit 0
fi

cat >&2 <<MSG
iwsweep: missing:$missing
  On Debian/Ubuntu, as root:  apt-get install$missing
  On a cluster with environment modules, load an MPI, a parallel HDF5 built against that MPI,
  OpenBLAS and libyaml, e.g.:  module load openmpi hdf5/parallel openblas libyaml
  (then build with: make BLAS_DIR=<openblas lib dir> BLAS_INC=<openblas include dir>)
MSG
exit 1
