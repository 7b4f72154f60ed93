#!/usr/bin/env bash
# A software WebGPU adapter for the tests: Mesa 25's lavapipe (a Vulkan driver on the CPU) from
# bookworm-backports, unpacked into the project's own .cache/lavapipe (the system's packages are
# untouched). Debian 12's own lavapipe (Mesa 22.3) is refused by Dawn ("Vulkan
# shaderUniform*ArrayDynamicIndexing required"). Writes .cache/lavapipe/lvp_icd.json, which
# gatebook reads through GATEBOOK_LAVAPIPE_ICD or finds there by itself (lib/backend/webgpu.ts).
# Used by scripts/install-test-deps.sh; safe to run again (does nothing when the ICD file exists).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:-$ROOT/.cache/lavapipe}"
ICD="$DEST/lvp_icd.json"
[ -f "$ICD" ] && [ -f "$(sed -n 's/.*"library_path":"\([^"]*\)".*/\1/p' "$ICD")" ] && exit 0
if ! command -v apt-get >/dev/null || ! grep -q '^12' /etc/debian_version 2>/dev/null; then
  echo "install-lavapipe: needs Debian 12 (bookworm) and apt-get; skipped — the webgpu tests need a Vulkan adapter: set GATEBOOK_LAVAPIPE_ICD to a lavapipe ICD json" >&2
  exit 1
fi
# runtime pieces from bookworm itself: the Vulkan loader and LLVM 15 (lavapipe 25.0 links libLLVM-15)
need=()
ldconfig -p | grep -q 'libvulkan.so.1 ' || need+=(libvulkan1)
ldconfig -p | grep -q 'libLLVM-15.so.1 ' || need+=(libllvm15)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install-lavapipe: need root to install ${need[*]} (sudo apt-get install -y ${need[*]})" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
mkdir -p "$DEST/apt/lists/partial" "$DEST/apt/cache/archives/partial" "$DEST/apt/sources.list.d"
echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main' > "$DEST/apt/sources.list"
cat > "$DEST/apt/apt.conf" <<CONF
Dir::Etc::SourceList "$DEST/apt/sources.list";
Dir::Etc::SourceParts "$DEST/apt/sources.list.d";
Dir::State::Lists "$DEST/apt/lists";
Dir::Cache "$DEST/apt/cache";
CONF
echo "install-lavapipe: fetching mesa-vulkan-drivers from bookworm-backports into $DEST" >&2
APT_CONFIG="$DEST/apt/apt.conf" apt-get update -qq >/dev/null
rm -f "$DEST"/mesa-vulkan-drivers_*.deb
( cd "$DEST" && APT_CONFIG="$DEST/apt/apt.conf" apt-get download -qq mesa-vulkan-drivers/bookworm-backports >/dev/null )
rm -rf "$DEST/root" && dpkg -x "$DEST"/mesa-vulkan-drivers_*.deb "$DEST/root"
LIB="$DEST/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
[ -f "$LIB" ] || { echo "install-lavapipe: $LIB missing from the package" >&2; exit 1; }
printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.4.305"}}\n' "$LIB" > "$ICD"
rm -rf "$DEST/apt/lists" "$DEST/apt/cache" "$DEST"/mesa-vulkan-drivers_*.deb
echo "install-lavapipe: done ($ICD)" >&2
