#!/usr/bin/env bash
# The GPU machine's half of the prepared GPU check (copied into .gpu-check/ by
# `pnpm gpu-check:prepare`). Run from the repository root there: `bash .gpu-check/run.sh`.
#
# Needs on that machine: bash, coreutils' timeout, dpkg, ldconfig, nvidia-smi, python3 with torch
# (the device image has them); xz, or python3's lzma module as the fallback, to unpack the .xz files.
# Writes one results folder, $OUT when set (the device tool brings it back), else
# ./gpu-check-results: summary.txt and one log per step (8 files, the tool's limit).
# For trying it on a machine without a GPU (docs/gpu-check.md; the loader debs never go over /
# there): GPU_CHECK_UNPACK_TO=<dir> (where they go), GPU_CHECK_WEBGPU_ADAPTER (default vulkan), GPU_CHECK_BENCH_ARGS
# (e.g. "--smoke --torch-device cpu"), GPU_CHECK_PYTHON (a python3 with torch), GPU_CHECK_CUDA_ADDON
# (another build of the addon, e.g. backend-cuda's CPU emulator build), GPU_CHECK_SANITIZER (the
# compute-sanitizer to run; default the one on PATH or in /usr/local/cuda/bin).
# Steps, each under its own timeout so that the whole stays under 5 minutes; a failing step does
# not stop the others:
#   setup.log               nvidia-smi, unpacking node, Dawn and the Vulkan loader, the environment
#   conformance-cuda.log    the whole conformance suite on cuda          } in parallel:
#   engine-cuda.log         the CUDA engine's own tests (engine.test.ts) } correctness
#   conformance-webgpu.log  the whole suite on WebGPU over Vulkan        } only
#   train.log               myelin info; myelin train --backend cuda     }
#                           --preset fashion-mnist --epochs 1 (on 12,000 of its samples)
#   sanitize.log            compute-sanitizer's memcheck, racecheck,     }
#                           initcheck and synccheck over the cuda suite  }
#   bench.log               Myelin vs PyTorch (cuda), Myelin vs tfjs-layers (webgpu): alone on the GPU
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
RESULTS="${OUT:-$PWD/gpu-check-results}"
WORK="${TMPDIR:-/tmp}/myelin-gpu-check"
mkdir -p "$RESULTS" "$WORK"
SUMMARY="$RESULTS/summary.txt"
rm -f "$RESULTS"/setup.log "$RESULTS"/conformance-cuda.log "$RESULTS"/engine-cuda.log "$RESULTS"/conformance-webgpu.log \
  "$RESULTS"/train.log "$RESULTS"/sanitize.log "$RESULTS"/bench.log
# The bundles, the addon and Dawn travel as <file>.xz and are unpacked in place (they find each
# other by their places): removed again at the end, so that the folder stays as it was carried.
packed() { find "$HERE" -name '*.xz' ! -path "$HERE/node.xz"; }
trap 'packed | while read -r f; do rm -f "${f%.xz}"; done' EXIT
BEGAN=$(date +%s)
: >"$SUMMARY"

say() { echo "$*" | tee -a "$SUMMARY"; }

# step NAME SECONDS COMMAND...: runs COMMAND with a timeout, its output in NAME.log, and appends
# its status and the log's RESULT lines to the summary.
step() {
  local name=$1 limit=$2 log="$RESULTS/$1.log" t0 rc status
  shift 2
  t0=$(date +%s)
  timeout -k 5 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  case $rc in
    0) status=PASS ;;
    124 | 137) status="TIMEOUT after ${limit} s" ;;
    *) status="FAIL (exit $rc)" ;;
  esac
  {
    echo "$name: $status, $(($(date +%s) - t0)) s (log: $name.log)"
    grep -a '^RESULT\|^      Tests' "$log" | sed 's/^ */    /'
  } >"$WORK/$name.summary"
}

unpack_xz() { # unpack_xz FILE.xz TARGET
  if command -v xz >/dev/null; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

setup() {
  echo "== nvidia-smi"
  nvidia-smi || echo "(nvidia-smi failed)"
  echo
  echo "== $(uname -a)"
  grep PRETTY_NAME /etc/os-release 2>/dev/null
  echo "python3: $(command -v python3) $(python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1)"
  echo
  echo "== unpacking node, and in place the bundles, the addon and Dawn"
  unpack_xz "$HERE/node.xz" "$WORK/node" && chmod +x "$WORK/node" && "$WORK/node" --version || return 1
  packed | while read -r f; do unpack_xz "$f" "${f%.xz}" || exit 1; done || return 1
  echo "$(packed | wc -l) files unpacked"
  echo
  echo "== Vulkan loader"
  if ldconfig -p | grep -q 'libvulkan\.so\.1'; then
    echo "libvulkan.so.1 is installed: the carried debs are not unpacked"
  elif ls "$ROOT"/.gl/*.deb >/dev/null 2>&1; then
    local f
    for f in "$ROOT"/.gl/*.deb; do dpkg -x "$f" "$LOADER_ROOT" && echo "unpacked $(basename "$f") into $LOADER_ROOT"; done
    if [ "$LOADER_ROOT" = / ]; then ldconfig; fi
  else
    echo "no libvulkan.so.1 and no .gl/*.deb: carry .gl (pnpm gpu-check:prepare downloads it)"
  fi
  ldconfig -p | grep 'libvulkan\|libGLdispatch' || true
  ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null || true
}

# Where the loader debs go. Over / (then ldconfig) is the device README's recipe, done only on a
# machine whose nvidia-smi works, as root: the GPU machine, which is given back after the run. Anywhere
# else (a developer's machine, run by mistake or to try the script) they go to a folder of their
# own on LD_LIBRARY_PATH, and / is left alone; GPU_CHECK_UNPACK_TO=<dir> chooses that folder.
if [ -n "${GPU_CHECK_UNPACK_TO:-}" ]; then
  LOADER_ROOT=$GPU_CHECK_UNPACK_TO
elif nvidia-smi >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  LOADER_ROOT=/
else
  LOADER_ROOT=$WORK/loader
fi
mkdir -p "$LOADER_ROOT"

say "Myelin prepared GPU check, $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n)"
sed -n '2,4p' "$HERE/MANIFEST.txt" 2>/dev/null | tee -a "$SUMMARY"
export HERE ROOT WORK LOADER_ROOT
export -f setup unpack_xz packed # `timeout` runs programs: the function runs in a child bash
step setup 40 bash -c setup
cat "$WORK/setup.summary" >>"$SUMMARY"
grep -a -m2 'NVIDIA' "$RESULTS/setup.log" >>"$SUMMARY" # nvidia-smi's driver line and first GPU

NODE="$WORK/node"
if [ "$LOADER_ROOT" != / ]; then
  export LD_LIBRARY_PATH="$LOADER_ROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# python3 on PATH may be a virtual environment that is not activated: say so to the CUDA engine's
# cuBLAS search (pip's nvidia/cu13/lib under $VIRTUAL_ENV), as activating it would.
if [ -z "${VIRTUAL_ENV:-}" ]; then
  venv=$(python3 -c 'import sys; print(sys.prefix if sys.prefix != sys.base_prefix else "")' 2>/dev/null)
  if [ -n "$venv" ]; then export VIRTUAL_ENV="$venv"; fi
fi
export MYELIN_CUDA_ADDON="${GPU_CHECK_CUDA_ADDON:-$HERE/dist/native/myelin_cuda.node}"
export MYELIN_WEBGPU_ADAPTER="${GPU_CHECK_WEBGPU_ADAPTER:-vulkan}"
# The driver's Vulkan ICD where the device README found it, unless one is in the loader's usual places.
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$NVIDIA_ICD" ] && ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES="$NVIDIA_ICD" VK_ICD_FILENAMES="$NVIDIA_ICD"
fi
{
  echo "environment: MYELIN_CUDA_ADDON=$MYELIN_CUDA_ADDON MYELIN_WEBGPU_ADAPTER=$MYELIN_WEBGPU_ADAPTER"
  echo "  VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VIRTUAL_ENV=${VIRTUAL_ENV:-} LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  echo "  pip's cuBLAS: $(ls -d "${VIRTUAL_ENV:-/nonexistent}"/lib/python3*/site-packages/nvidia/cu13/lib/libcublas.so* 2>/dev/null | head -1)"
} >>"$RESULTS/setup.log"

# Why the cuda steps cannot run, if they cannot.
if [ -f "$MYELIN_CUDA_ADDON" ]; then
  no_cuda=
elif [ -f "$MYELIN_CUDA_ADDON.xz" ]; then
  no_cuda="the CUDA addon was not unpacked (see setup.log)"
else
  no_cuda="the CUDA addon was not carried (prepared with --without-cuda)"
fi
if [ -z "$no_cuda" ]; then
  step conformance-cuda 120 "$NODE" "$HERE/dist/conformance.mjs" --backend cuda &
  step engine-cuda 60 "$NODE" "$HERE/dist/conformance.mjs" --backend cuda-engine &
else
  echo "conformance-cuda: NOT RUN: $no_cuda" >"$WORK/conformance-cuda.summary"
  echo "engine-cuda: NOT RUN: $no_cuda" >"$WORK/engine-cuda.summary"
fi
# The Vulkan loader says why a driver did not load (a missing library, say) into this log.
VK_LOADER_DEBUG="${VK_LOADER_DEBUG:-error,warn}" step conformance-webgpu 120 "$NODE" "$HERE/dist/conformance.mjs" --backend webgpu &
# `myelin info`, then `myelin train --backend cuda --preset fashion-mnist --epochs 1` on the carried
# subset of Fashion-MNIST's training set (prepare names its size in the log), as a user runs them.
train_cli() {
  "$NODE" "$HERE/cli/dist/bin.mjs" info &&
    "$NODE" "$HERE/cli/dist/bin.mjs" train --backend cuda --preset fashion-mnist --epochs 1 \
      --data-path "$HERE/fashion-mnist" --output "$WORK/runs" --no-progress
}
# compute-sanitizer over the cuda conformance suite: memcheck (out-of-bounds and misaligned
# accesses), racecheck (shared-memory hazards between a block's threads), initcheck (device
# memory read before anything wrote it), synccheck (barriers misused), each in its own time box. On our own kernels: the built-in GEMM instead of cuBLAS,
# and each tensor its own exact allocation (MYELIN_CUDA_NO_CACHING=1), so that an access one
# element past a tensor's end is outside its allocation. A machine where the tool cannot run
# (gVisor: "Device not supported") is UNAVAILABLE, not a failure; a time box that ends the run
# early is PARTIAL (the tests checked before it are in the log); errors reported FAIL the step.
sanitize() {
  local cs=${GPU_CHECK_SANITIZER:-} spec tool limit rc out tested failed=0
  if [ -z "$cs" ]; then cs=$(command -v compute-sanitizer || true); fi
  if [ -z "$cs" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ]; then cs=/usr/local/cuda/bin/compute-sanitizer; fi
  if [ -z "$cs" ]; then
    echo "RESULT sanitize: UNAVAILABLE no compute-sanitizer on PATH or in /usr/local/cuda/bin"
    return 0
  fi
  for spec in memcheck:45 racecheck:35 initcheck:20 synccheck:15; do
    tool=${spec%%:*} limit=${spec#*:} out="$WORK/sanitize-$tool.out"
    echo "== $cs --tool $tool (time box $limit s; MYELIN_CUDA_NO_CACHING=1 MYELIN_CUDA_GEMM=builtin)"
    MYELIN_CUDA_NO_CACHING=1 MYELIN_CUDA_GEMM=builtin timeout -k 5 "$limit" "$cs" --tool "$tool" --launch-timeout 0 --error-exitcode 86 \
      --report-api-errors no --print-limit 20 "$NODE" "$HERE/dist/conformance.mjs" --backend cuda >"$out" 2>&1
    rc=$?
    # The runner's own RESULT and totals lines indented, so that the summary quotes only the tools'.
    sed 's/^\(RESULT\|      Tests\)/  &/' "$out"
    tested=$(grep -c -E '^(✓|✗|↓) ' "$out")
    if grep -q 'Device not supported\|LibraryNotLoaded' "$out"; then
      echo "RESULT sanitize $tool: UNAVAILABLE compute-sanitizer cannot check this machine's GPU (above)"
    elif [ "$rc" = 86 ] || grep -q '^========= \(ERROR\|RACECHECK\) SUMMARY: [1-9]' "$out"; then
      echo "RESULT sanitize $tool: FAIL errors reported (above), in $tested tests"
      failed=1
    elif [ "$rc" = 0 ]; then
      echo "RESULT sanitize $tool: PASS no error over the whole cuda conformance suite ($tested tests)"
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      echo "RESULT sanitize $tool: PARTIAL no error in the $tested tests run before its $limit s time box"
    else
      echo "RESULT sanitize $tool: FAIL exit $rc after $tested tests (the suite failed under the tool, or the tool failed)"
      failed=1
    fi
  done
  return $failed
}
export NODE
export -f train_cli sanitize
if [ -n "$no_cuda" ]; then
  echo "train: NOT RUN: $no_cuda" >"$WORK/train.summary"
  echo "sanitize: NOT RUN: $no_cuda" >"$WORK/sanitize.summary"
elif [ ! -f "$HERE/fashion-mnist/train-images-idx3-ubyte.gz" ]; then
  echo "train: NOT RUN: no Fashion-MNIST subset was carried (prepare found no dataset)" >"$WORK/train.summary"
else
  step train 100 bash -c train_cli &
fi
# The time boxes above (115 s) and up to 5 s each to stop a tool, inside the step's limit.
if [ -z "$no_cuda" ]; then step sanitize 140 bash -c sanitize & fi
wait
# The count against the one prepare recorded here (expected-counts.txt): nothing left out.
check_count() { # check_count SUITE LOG
  local expected got
  expected=$(awk -v b="$1" '$1 == b { print $2 }' "$HERE/expected-counts.txt" 2>/dev/null)
  got=$(sed -n "s/^RESULT conformance $1: .* \([0-9][0-9]*\) tests.*/\1/p" "$RESULTS/$2.log" 2>/dev/null)
  if [ -z "$expected" ] || [ -z "$got" ]; then
    echo "    count: ${got:-none} tests; none recorded at prepare to compare with"
  elif [ "$expected" = "$got" ]; then
    echo "    count: $got tests, the number registered at prepare"
  else
    echo "    FAIL count: $got tests here, $expected registered at prepare"
  fi
}
if [ -z "$no_cuda" ]; then
  check_count cuda conformance-cuda >>"$WORK/conformance-cuda.summary"
  check_count cuda-engine engine-cuda >>"$WORK/engine-cuda.summary"
fi
check_count webgpu conformance-webgpu >>"$WORK/conformance-webgpu.summary"
cat "$WORK/conformance-cuda.summary" "$WORK/engine-cuda.summary" "$WORK/conformance-webgpu.summary" \
  "$WORK/train.summary" >>"$SUMMARY"
grep -a '^  backend\|^epoch 1/1  loss\|^  last' "$RESULTS/train.log" 2>/dev/null | sed 's/^ */    /' >>"$SUMMARY"
cat "$WORK/sanitize.summary" >>"$SUMMARY"
# Nothing of the correctness steps may run on beside the benchmark (a sanitizer's target
# outliving its tool, say).
if command -v pkill >/dev/null; then pkill -f "$HERE/dist/conformance.mjs" 2>/dev/null; fi

# shellcheck disable=SC2046,SC2086 # the flags are words on purpose
step bench 110 "$NODE" "$HERE/dist/bench.mjs" --budget 90 $([ -z "$no_cuda" ] || echo --only webgpu) ${GPU_CHECK_BENCH_ARGS:-}
cat "$WORK/bench.summary" >>"$SUMMARY"
grep -a '^\(cuda\|webgpu\) ' "$RESULTS/bench.log" | sed 's/^/    /' >>"$SUMMARY"

say "total: $(($(date +%s) - BEGAN)) s; logs in $RESULTS"
if grep -q 'FAIL\|TIMEOUT\|NOT RUN' "$SUMMARY"; then exit 1; fi
