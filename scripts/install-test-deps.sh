#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when they are missing.
# Used by `npm test`; safe to run again (it installs nothing when all are present).
#   jupyter-nbconvert, python3-nbclient, jupyter-client, python3-ipykernel:
#     run notebooks headlessly against the kernel (the notebook-import test)
#   python3-jupyter-kernel-test: the jupyter_kernel_test conformance suite for the gatebook kernel
#   chromium: static PNG export of plotly figures (playwright-core drives it headless), and
#     the browser the frontend tests drive
#   jupyter-notebook, jupyter-nbextension-jupyter-js-widgets, python3-ipywidgets: the real
#     frontend (classic Notebook 6) with the widget JavaScript, for the browser tests
#   lavapipe (Mesa 25 from bookworm-backports, unpacked into .cache/lavapipe by
#     scripts/install-lavapipe.sh): the software WebGPU adapter the webgpu tests run on
#   openssh-server, openssh-client: the loopback sshd (and ssh-keygen) the `gatebook remote` tests
#     start and stop themselves
#   slurmctld, slurmd, slurm-client, munge: the single-node SLURM the sweep tests start and stop
set -euo pipefail
bash "$(dirname "${BASH_SOURCE[0]}")/install-lavapipe.sh"

packages=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel python3-jupyter-kernel-test chromium
  jupyter-notebook jupyter-nbextension-jupyter-js-widgets python3-ipywidgets openssh-server openssh-client
  slurmctld slurmd slurm-client munge)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-test-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-test-deps: need root and apt-get to install: ${missing[*]}" >&2
  echo "  run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-deps: done" >&2
