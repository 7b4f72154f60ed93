#!/usr/bin/env bash
# Builds .device/payload.tar.xz: what `npm run bench:train` needs on a GPU box without Node
# (the device tool's machines): this node binary, the bench and the training worker bundled by
# esbuild, tfjs 4.22 with its wasm and webgpu backends and Dawn's bindings (`webgpu`, linux-x64),
# torch_bench.py, Debian's Vulkan loader and glvnd as .debs (for images without them), and the gatebook
# CLI bundled with nodejs-polars (run.sh's `pipeline` section).
# Then: the device tool runs `bash bench/device/run.sh` with carry [".device"].
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="$ROOT/.device"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
mkdir -p "$W/p/bin" "$W/p/debs" "$W/npm" "$DEST"
cp "$(command -v node)" "$W/p/bin/node"
cd "$ROOT"
for entry in bench/train.bench.ts:train.bench.js bench/step.bench.ts:step.js lib/models/trainingWorker.ts:trainingWorker.js bench/device/check.ts:check.js; do
  npx esbuild "${entry%%:*}" --bundle --platform=node --target=node20 --outfile="$W/p/${entry##*:}" \
    --external:@tensorflow/* --external:webgpu --external:nodejs-polars --log-level=warning
done
cp bench/torch_bench.py "$W/p/"
# the CLI itself, for run.sh's `pipeline` section: gatebook bundled into gb/dist/cli (its package root is
# gb/, with the embedded data, the runbooks and package.json), with the training worker beside it;
# the modules a pipeline run does not load (ssh, S3, the kernel's zeromq and tslab, exchanges) are stubs
mkdir -p "$W/p/gb/dist/cli" "$W/p/gb/data"
node bench/device/bundle-cli.js "$W/p/gb/dist/cli/gatebook.js" >/dev/null
npx esbuild lib/models/trainingWorker.ts --bundle --platform=node --target=node20 --outfile="$W/p/gb/dist/cli/trainingWorker.js" \
  --external:@tensorflow/* --external:webgpu --external:nodejs-polars --log-level=warning
cp package.json "$W/p/gb/" && cp -r runbooks "$W/p/gb/" && cp data/embedded.json data/embedded-three-symbol.json "$W/p/gb/data/"
if [ ! -d "$DEST/node_modules" ]; then  # kept between builds: the npm install is most of the time
  ( cd "$W/npm" && npm init -y >/dev/null && npm install --no-audit --no-fund --omit=optional \
      @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-webgpu@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 webgpu@0.6.2 >/dev/null )
  find "$W/npm/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 -type d ! -name linux-x64 -exec rm -rf {} +
  # each tfjs package needs only its Node bundle (package.json "main") and the wasm binaries: the
  # browser bundles, ES modules, sources and maps are 90 % of the size (the carry limit is 64 MiB)
  for pkg in "$W"/npm/node_modules/@tensorflow/*; do
    main="$(node -p "require('$pkg/package.json').main")"
    find "$pkg" -type f ! -path "$pkg/$main" ! -name package.json ! -name '*.wasm' ! -name '*wasm*.worker.js' -delete
  done
  rm -rf "$W/npm/node_modules/@types" "$W/npm/node_modules/core-js"
  mv "$W/npm/node_modules" "$DEST/node_modules"
fi
cp -r "$DEST/node_modules" "$W/p/node_modules"
cp -r node_modules/nodejs-polars node_modules/nodejs-polars-linux-x64-gnu "$W/p/node_modules/"  # data (19 MB of the payload)
( cd "$W/p/debs" && apt-get download libvulkan1 libglvnd0 libgl1 libglx0 libegl1 libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 >/dev/null 2>&1 )
tar -C "$W/p" -cJf "$DEST/payload.tar.xz.new" . && mv "$DEST/payload.tar.xz.new" "$DEST/payload.tar.xz"
du -h "$DEST/payload.tar.xz"
