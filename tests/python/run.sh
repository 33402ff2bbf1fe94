#!/usr/bin/env bash
# Runs tests/python (the fhirpy client, from PyPI) against a freshly started custodian on a
# temp SQLite database, then stops the server and removes its files.
#
#   tests/python/run.sh [pytest args]
#
# CUSTODIAN_BIN     the binary (default: target/debug/custodian; build it first)
# CUSTODIAN_PY_VENV where the venv lives (default: target/python-venv, reused between runs)
# PYTHON            the interpreter that creates the venv (default: python3; Debian needs
#                   the python3-venv package)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${CUSTODIAN_BIN:-$repo/target/debug/custodian}"
venv="${CUSTODIAN_PY_VENV:-$repo/target/python-venv}"
python="${PYTHON:-python3}"

if [ ! -x "$bin" ]; then
  echo "run.sh: no custodian binary at $bin; run 'cargo build -p custodian-server' first" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv"; then
    echo "run.sh: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --listen 127.0.0.1:0 --database-url "sqlite://$work/custodian.db" \
  --sqlite-synchronous normal >"$work/stdout" 2>"$work/server.log" &
pid=$!

url=""
for _ in $(seq 1 600); do
  url="$(grep -o 'http://[^ ]*/fhir' "$work/stdout" 2>/dev/null | head -n1 || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: custodian exited before listening:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "run.sh: custodian printed no 'listening on' line within 60 s" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "run.sh: custodian at $url"

status=0
export PYTHONDONTWRITEBYTECODE=1
CUSTODIAN_FHIR_URL="$url" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: pytest failed ($status); the server log's end:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
