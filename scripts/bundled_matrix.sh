#!/usr/bin/env bash
# The provider matrix of every bundled recording, rendered offline: each recording in cassettes/ is replayed
# (network blocked) into its own report folder, then `oaic report --matrix` writes HTML and Markdown.
#
#   scripts/bundled_matrix.sh [OUTPUT_DIR]      (default: examples/, giving examples/matrix.html and matrix.md)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-examples}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
files=()
for dir in cassettes/*/; do
  name="$(basename "$dir")"
  [ -f "$dir/profile.toml" ] || continue
  code=0
  oaic run --replay "$dir" --report-dir "$work/$name" > "$work/$name.log" 2>&1 || code=$?
  if [ "$code" -gt 1 ]; then  # 0 and 1 are verdicts; anything else means the replay did not run
    cat "$work/$name.log" >&2
    exit "$code"
  fi
  files+=("$work/$name/results.json")
done
mkdir -p "$out"
oaic report --matrix "${files[@]}" -o "$out/matrix.html"
oaic report --matrix "${files[@]}" -o "$out/matrix.md"
echo "wrote $out/matrix.html and $out/matrix.md (${#files[@]} recordings)"
