#!/usr/bin/env bash
# Installs everything the product needs on Debian 12 with Python 3.11:
# system packages (when root or sudo is available), the virtual environment at .venv,
# and the project with its Python dependencies. Safe to run again.
# Usage: scripts/install.sh [--test]   (--test also installs the test tools and browser)
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

APT_PACKAGES="portaudio19-dev espeak-ng xvfb xauth libgl1 libgl1-mesa-dri libegl1 libegl-mesa0 libgbm1 libmtdev1 xclip fonts-wqy-microhei ffmpeg"
APT_TEST_PACKAGES="chromium"

need_apt=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || need_apt="$need_apt $p"; done
if [ "$WITH_TEST" = 1 ]; then
  for p in $APT_TEST_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || need_apt="$need_apt $p"; done
fi
if [ -n "$need_apt" ]; then
  echo "[install] system packages:$need_apt"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need_apt
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "[install] creating .venv with $PY"
  "$PY" -m venv .venv
fi
export PIP_CONSTRAINT="$PWD/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# pip's output without the noise of index locations this machine does not have.
pip_quiet() { .venv/bin/python -m pip "$@" 2>&1 | { grep -v "^WARNING: Location '" || true; }; }
PIP="pip_quiet"
stamp=".venv/.installed-$(cat setup.cfg constraints.txt scripts/install.sh | sha1sum | cut -c1-12)-$WITH_TEST"
if [ ! -f "$stamp" ]; then
  $PIP install -q "setuptools>=77.0.3,<81" wheel
  # dlib from its binary wheel; face-recognition declares the dlib sdist, which takes ~8 min to build.
  $PIP install -q "dlib-bin==20.0.1.post1"
  $PIP install -q --no-deps "face-recognition==1.3.0" "face_recognition_models==0.3.0"
  if [ "$WITH_TEST" = 1 ]; then
    $PIP install -q -e ".[test]"
  else
    $PIP install -q -e .
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "[install] done: .venv ready"
