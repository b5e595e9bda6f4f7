#!/usr/bin/env bash
# Installs what the tests need (system packages, .venv, Chromium) and runs the whole suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k leave
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest -ra "$@"
