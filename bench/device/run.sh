#!/usr/bin/env bash
# On a GPU box without Node (the device tool's machines): `npm run bench:train` from the payload
# bench/device/make-payload.sh built (.device/payload.tar.xz, carried there), with 1, 4 and every
# core as workers, the webgpu column, and PyTorch on the CPU and on CUDA side by side.
# After it: where a webgpu training step's time goes (npm run bench:step -- <model> --backend webgpu
# --profile --kernels: the main thread's functions and the GPU's kernels), with A/B runs of Dawn's own polling, of one output a dispatch and of reading the loss
# after every step.
# Before the bench: what WebGPU finds on the bare box (the doctor's checks), then the fix the
# doctor names (Debian's Vulkan loader and glvnd, from the carried .debs; an ICD file where the
# image has none), then the checks again. Writes $OUT/device.log. Every step has a timeout.
# Sections: `run.sh [bench] [gles] [step] [gpubench] [reuse] [pipeline]` runs those only (the first three by
# default); on the H200 on 2026-11-29 `run.sh bench gles` took 105 s and `run.sh step` 33 s; on 2026-11-30
# `run.sh gpubench reuse` took 44 s and `run.sh bench gles step` 95 s.
# gpubench: the bench's webgpu and PyTorch CUDA columns alone; reuse: A/B of the bind-group and
# uniform-buffer caches (GATEBOOK_WEBGPU_BIND_CACHE=0) and of one submit a step; pipeline: `gatebook pipeline`
# on the embedded default with the backend chosen as for a user, then past the baseline's utilization check, then on wasm;
# pipeline-more: the baseline at batch 2048, and the gated workflow on webgpu and on wasm.
# STEP_ROWS and STEP_STEPS (256, 30) size the step section (a smoke run on lavapipe: 8 and 3), STEP_MODELS its models.
set -u
SECTIONS="${*:-bench gles step}"; want() { [[ " $SECTIONS " == *" $1 "* ]]; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-$ROOT/.device/out}"; mkdir -p "$OUT"
exec > >(tee "$OUT/device.log") 2>&1
T0=$(date +%s); say() { echo "== [$(( $(date +%s) - T0 ))s] $*"; }
NOISE='artificially reduced|^Warning: |CheckVkSuccessImpl|While trying to discover|CheckEGL|UtilsEGL|^ *at .*dawn'
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
say "unpack"
if command -v xz >/dev/null; then tar -C "$WORK" -xJf "$ROOT/.device/payload.tar.xz"
else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$ROOT/.device/payload.tar.xz" "$WORK"; fi
NODE="$WORK/bin/node"; "$NODE" --version || exit 1
say "machine"
nproc; timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
[ -d /usr/local/nvidia/lib64 ] && export LD_LIBRARY_PATH="/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
say "WebGPU on the bare box (gatebook's doctor, then the adapter search)"
( cd "$WORK" && timeout 60 "$NODE" check.js ) 2>&1 | grep -Ev "$NOISE"
say "the doctor's fix: apt-get install libvulkan1 libglvnd0 libegl1 (carried .debs, unpacked into /)"
if [ "$(id -u)" = 0 ] && command -v nvidia-smi >/dev/null; then
  for f in "$WORK"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
  GLX="$(ldconfig -p | awk '/libGLX_nvidia\.so\.0/ {print $NF; exit}')"
  [ -z "$GLX" ] && [ -e /usr/local/nvidia/lib64/libGLX_nvidia.so.0 ] && GLX=/usr/local/nvidia/lib64/libGLX_nvidia.so.0
  icd=""; for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json; do [ -f "$f" ] && icd="$f"; done
  if [ -n "$GLX" ] && [ -z "$icd" ]; then
    mkdir -p /usr/share/vulkan/icd.d
    printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$GLX" > /usr/share/vulkan/icd.d/nvidia_icd.json \
      && echo "wrote /usr/share/vulkan/icd.d/nvidia_icd.json for $GLX"
  fi
  # Dawn's OpenGL ES backend opens libEGL.so (unversioned: Debian's libegl-dev has the link)
  egl="$(ldconfig -p | awk '/libEGL\.so\.1 / {print $NF; exit}')"
  if [ -n "$egl" ] && ! ldconfig -p | grep -q 'libEGL\.so '; then
    mkdir -p "$WORK/fallback" && ln -sf "$egl" "$WORK/fallback/libEGL.so" && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$WORK/fallback"
    echo "libEGL.so → $egl (for OpenGL ES)"
  fi
else echo "not root, or no NVIDIA GPU: the libraries are left alone"; fi
( cd "$WORK" && timeout 60 "$NODE" check.js ) 2>&1 | grep -Ev "$NOISE"
if want bench; then
say "bench:train (BENCH_STEPS=${BENCH_STEPS:-4}), workers 1,4,$(nproc)"
( cd "$WORK" && BENCH_STEPS="${BENCH_STEPS:-4}" BENCH_WORKER_SCRIPT="$WORK/trainingWorker.js" BENCH_PYTHON=python3 \
    timeout -k 5 "${BENCH_TIMEOUT:-400}" "$NODE" train.bench.js --workers "1,4,$(nproc)" ) 2>&1 | grep -Ev "$NOISE"
fi
if want gpubench; then
say "bench:train, the webgpu column alone (BENCH_CPU=0) on Vulkan, with PyTorch CUDA"
( cd "$WORK" && BENCH_CPU=0 BENCH_STEPS="${BENCH_STEPS:-4}" BENCH_PYTHON=python3 \
    timeout -k 5 "${BENCH_GPU_TIMEOUT:-200}" "$NODE" train.bench.js --workers 1 ) 2>&1 | grep -Ev "$NOISE"
fi
if want reuse; then
say "A/B, alternating, 3 rounds: bind groups and uniform buffers reused with a submit at each step's end (as it is), GATEBOOK_WEBGPU_BIND_CACHE=0 (a new bind group and uniform buffer each dispatch, tfjs's submits only), and one submit a step (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=1000)"
for model in lstm transformer; do
  for round in 1 2 3; do
    ( cd "$WORK" && timeout -k 5 60 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed "s/^/reuse, round $round: /"
    ( cd "$WORK" && GATEBOOK_WEBGPU_BIND_CACHE=0 timeout -k 5 60 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed "s/^/GATEBOOK_WEBGPU_BIND_CACHE=0, round $round: /"
    ( cd "$WORK" && GATEBOOK_TFJS_FLAGS=WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=1000 timeout -k 5 60 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed "s/^/reuse + one submit a step, round $round: /"
  done
done
( cd "$WORK" && timeout -k 5 60 "$NODE" step.js transformer --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" --profile ) 2>&1 | grep -Ev "$NOISE" | head -30 | sed "s/^/reuse --profile: /"
fi
if want gles; then
say "webgpu on Dawn's OpenGL ES backend (GPU.md: lower per-dispatch cost than Vulkan there)"
( cd "$WORK" && BENCH_CPU=0 GATEBOOK_DAWN_BACKEND=opengles BENCH_STEPS="${BENCH_STEPS:-4}" BENCH_PYTHON=python3 \
    timeout -k 5 "${BENCH_GLES_TIMEOUT:-120}" "$NODE" train.bench.js --workers 1 ) 2>&1 | grep -Ev "$NOISE"
fi
if want step; then
say "where a webgpu step's time goes (bench:step --backend webgpu, 256 rows): the main thread's recording against the wait for the GPU"
for model in ${STEP_MODELS:-lstm tcn transformer}; do  # the TCN since 2026-11-30: never profiled on a GPU
  # --kernels: the GPU's time by kernel (each dispatch timed alone), after the timed steps
  ( cd "$WORK" && timeout -k 5 150 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" --profile --kernels ) 2>&1 | grep -Ev "$NOISE"
  ( cd "$WORK" && timeout -k 5 90 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed 's/^/as it is: /'
  # A/B: Dawn's own polling (a spin while a read waits), one output a dispatch (tfjs's programs only), and the loss read after every step
  ( cd "$WORK" && GATEBOOK_DAWN_POLL=spin timeout -k 5 90 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed 's/^/GATEBOOK_DAWN_POLL=spin: /'
  ( cd "$WORK" && GATEBOOK_WEBGPU_IN_PLACE=0 timeout -k 5 90 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed 's/^/GATEBOOK_WEBGPU_IN_PLACE=0: /'
  ( cd "$WORK" && GATEBOOK_READ_EVERY=1 timeout -k 5 90 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed 's/^/GATEBOOK_READ_EVERY=1: /'
  # the GPU's time by kernel with tfjs's one-output programs: its split-K products (and their fills) and column sums
  # where gatebook's weight-gradient kernel runs, layer norm's five where one runs — which kernels are faster on this GPU
  ( cd "$WORK" && GATEBOOK_WEBGPU_IN_PLACE=0 timeout -k 5 150 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps 3 --kernels ) 2>&1 | grep -Ev "$NOISE" | sed 's/^/GATEBOOK_WEBGPU_IN_PLACE=0 --kernels: /'
  # tfjs's tuning: a submit every 15 dispatches (its default) against every 50 (fewer submits, ~125 µs each on lavapipe; the GPU starts later)
  for flags in WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=50; do
    ( cd "$WORK" && GATEBOOK_TFJS_FLAGS=$flags timeout -k 5 90 "$NODE" step.js "$model" --backend webgpu --rows "${STEP_ROWS:-256}" --steps "${STEP_STEPS:-30}" ) 2>&1 | grep -Ev "$NOISE" | sed "s/^/GATEBOOK_TFJS_FLAGS=$flags: /"
  done
done
fi
if want pipeline; then
say "gatebook pipeline on the embedded default, the backend chosen as a user gets it (webgpu on the GPU): the baseline gate samples nvidia-smi"
GB="$WORK/gb"; A="$WORK/artifacts"
( cd "$GB" && time timeout -k 5 "${PIPELINE_TIMEOUT:-150}" "$NODE" dist/cli/gatebook.js pipeline --artifacts "$A/as-is" ) 2>&1 | grep -Ev "$NOISE"
( cd "$GB" && "$NODE" dist/cli/gatebook.js gates show baseline --ledger "$A/as-is/gates.jsonl" ) 2>&1 | grep -Ev "$NOISE" | grep -Ei 'gate baseline|gpu|provenance'
say "the same with the utilization check at 0 (gates.baseline.min_gpu_utilization), so the later gates run on the GPU too"
printf 'gates:\n  baseline:\n    min_gpu_utilization: 0\n' > "$WORK/gpu0.yaml"
( cd "$GB" && time timeout -k 5 "${PIPELINE_TIMEOUT:-150}" "$NODE" dist/cli/gatebook.js pipeline --config "$WORK/gpu0.yaml" --artifacts "$A/gpu0" ) 2>&1 | grep -Ev "$NOISE" | tail -30
say "the same config on the CPU (GATEBOOK_BACKEND=wasm, $(nproc) cores) for the time"
( cd "$GB" && export GATEBOOK_BACKEND=wasm && time timeout -k 5 "${PIPELINE_TIMEOUT:-150}" "$NODE" dist/cli/gatebook.js pipeline --config "$WORK/gpu0.yaml" --artifacts "$A/wasm" ) 2>&1 | grep -Ev "$NOISE" | grep -E "^[a-z]+ +(pass|fail|error) |real"
fi
if want pipeline-more; then
GB="$WORK/gb"; A="$WORK/artifacts"
say "the baseline with batch 2048 (train.batchSize), the utilization check as it is: does a bigger batch fill the GPU?"
printf 'train:\n  batchSize: 2048\n' > "$WORK/b2048.yaml"
( cd "$GB" && time timeout -k 5 150 "$NODE" dist/cli/gatebook.js pipeline --config "$WORK/b2048.yaml" --to baseline --artifacts "$A/b2048" ) 2>&1 | grep -Ev "$NOISE" | grep -E '^[✓✗] |gpu|real'
( cd "$GB" && "$NODE" dist/cli/gatebook.js gates show baseline --ledger "$A/b2048/gates.jsonl" ) 2>&1 | grep -Ei 'gate baseline|gpu_util'
printf 'gates:\n  baseline:\n    min_gpu_utilization: 0\n' > "$WORK/gpu0.yaml"
for backend in webgpu wasm; do
  say "the gated workflow (MiniRocket, pretraining, fine-tuning, augmentation, LSTM, ensemble) on $backend"
  ( cd "$GB" && export GATEBOOK_BACKEND=$backend && time timeout -k 5 "${GATED_TIMEOUT:-200}" "$NODE" dist/cli/gatebook.js pipeline --workflow gated --config "$WORK/gpu0.yaml" --artifacts "$A/gated-$backend" ) 2>&1 | grep -Ev "$NOISE" | grep -E '^[✓✗] |^    [a-z].*(accuracy|samples/s|error)|real|stopped|^gatebook' | grep -v '^    epoch' | cut -c1-300
done
fi
say "done"
