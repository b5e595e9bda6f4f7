#!/usr/bin/env bash
# Installs everything, starts the central server (SQLite in data/central) and the kiosk
# window beside it. On first run the kiosk is provisioned automatically with a one-time
# token for a demo centre. Arguments go to the kiosk, e.g. scripts/run.sh --simulate DIR
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PATH="$PWD/.venv/bin:$PATH"
PORT=${KIOSK_CENTRAL_PORT:-8800}
URL="http://127.0.0.1:$PORT"
mkdir -p data/central data/kiosk

kiosk-central --host 127.0.0.1 --port "$PORT" --data-dir data/central &
CENTRAL_PID=$!
trap 'kill $CENTRAL_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fs "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 $CENTRAL_PID 2>/dev/null || { echo "central server failed to start" >&2; exit 1; }
  sleep 0.5
done
echo "[run] staff console: $URL/console/  (first sign-in: admin, password in data/central/initial-admin-password.txt)"

# Provision on first run, and again over credentials from before signed requests.
if ! grep -qs private_key_file data/kiosk/terminal.json; then
  TOKEN=$(kiosk-central issue-token --data-dir data/central --centre "示范社区矫正中心")
  kiosk-provision --central "$URL" --token "$TOKEN" --data-dir data/kiosk --name "demo-kiosk"
fi

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "[run] no display: the kiosk window runs on a virtual screen (xvfb-run); the console still works." >&2
  KIOSK_DATA_DIR=data/kiosk xvfb-run -a -s "-screen 0 1280x800x24" kiosk "$@"
else
  KIOSK_DATA_DIR=data/kiosk kiosk "$@"
fi
