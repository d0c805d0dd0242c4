#!/usr/bin/env bash
# Re-record the bundled recordings in cassettes/ against the real servers they come from, then refresh the
# verdicts each replay is expected to give (cassettes/<name>/expected.json). Run it whenever scenarios change.
#
#   scripts/record_bundled.sh [NAME...]      NAME: a folder below cassettes/ (default: all of them)
#
# Needs the servers' start script: OAIC_SERVERS (default ../shared/servers next to this repository) must hold
# start.sh, and each server must be installed (see that folder's README). Every server is started on a free
# port of 127.0.0.1 and stopped afterwards. docs/recordings.md describes each recording.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVERS="${OAIC_SERVERS:-$ROOT/../shared/servers}"
PYTHON="${PYTHON:-python3}"
OAIC="${OAIC:-oaic}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# folder | server | oaic run flags besides the base URL: the plain form, so discovery decides what is tested (a
# model is named only where the server does not list its models; the Gemma servers are slow on 2 cores)
RECORDINGS=(
  "llamacpp-0.3.36|llamacpp|--timeout 120 --total-timeout 300"
  "litellm-1.106.2|litellm|--api-key-env LITELLM_MASTER_KEY"
  "transformers-5.23.0|transformers|--model gemma-3-270m-hf --timeout 120 --total-timeout 300"
  "infinity-0.0.78|infinity|"
)

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_listening() {  # port, pid: up to 3 minutes (infinity and transformers load a model first)
  for _ in $(seq 1 360); do
    kill -0 "$2" 2>/dev/null || return 1
    "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}

record() {  # folder, server, flags
  local folder="$1" server="$2" flags="$3" port pid status=0
  port="$(free_port)"
  export LITELLM_MASTER_KEY="sk-$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"  # never stored
  echo "== $folder: starting $server on port $port"
  "$SERVERS/start.sh" "$server" "$port" > "$WORK/$server.log" 2>&1 &
  pid=$!
  if ! wait_listening "$port" "$pid"; then
    echo "$folder: $server did not start; its log:" >&2
    tail -20 "$WORK/$server.log" >&2
    kill "$pid" 2>/dev/null || true
    return 1
  fi
  # shellcheck disable=SC2086  # the flags are words
  OAIC_NAME="$folder" "$OAIC" run --base-url "http://127.0.0.1:$port/v1" $flags \
    --record "$ROOT/cassettes/$folder" --overwrite --report-dir "$WORK/reports-$folder" || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$status" -gt 1 ]; then  # 0 conformant, 1 not conformant: both are recordings; 2 is a usage error
    echo "$folder: oaic run failed with exit code $status" >&2
    return 1
  fi
  # The recording must replay to the verdicts of the live run; a difference means a request that is not a
  # function of the target and the options (a random or clock value), or a response the cassette lost.
  "$OAIC" run --replay "$ROOT/cassettes/$folder" --report-dir "$WORK/replay-$folder" > /dev/null || true
  "$PYTHON" - "$WORK/reports-$folder/results.json" "$WORK/replay-$folder/results.json" <<'CHECK'
import json, sys
live, replay = ({r["requirement"]: r["verdict"] for r in json.load(open(p))["requirements"]} for p in sys.argv[1:])
changed = sorted(k for k in live if live[k] != replay.get(k))
for k in changed:
    print(f"  {k}: live {live[k]}, replayed {replay.get(k)}", file=sys.stderr)
print(f"replay matches the live run on {len(live) - len(changed)} of {len(live)} requirements")
sys.exit(1 if changed else 0)
CHECK
}

chosen=("$@")
failed=()
for entry in "${RECORDINGS[@]}"; do
  IFS='|' read -r folder server flags <<< "$entry"
  if [ "${#chosen[@]}" -eq 0 ] || [[ " ${chosen[*]} " == *" $folder "* ]]; then
    record "$folder" "$server" "$flags" || failed+=("$folder")
  fi
done

echo "== refreshing the expected verdicts of every bundled recording"
cd "$ROOT"
OAIC_UPDATE_EXPECTED=1 "$PYTHON" -m pytest tests/test_bundled_recordings.py -q -p no:cacheprovider
if [ "${#failed[@]}" -gt 0 ]; then
  echo "not recorded cleanly: ${failed[*]}" >&2
  exit 1
fi
