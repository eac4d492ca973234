#!/usr/bin/env bash
# Build the wheel and prove it installs and runs on its own, outside the source tree.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip wheel --no-deps -q -w "$root/dist" "$root"
wheel="$(ls -t "$root"/dist/noskhe-*.whl | head -n1)"
echo "built $wheel"

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
cd "$work"   # nothing from the source tree on the path
"$work/venv/bin/noskhe" --version
test "$("$work/venv/bin/noskhe" validate-id national-code '۰۰۱-۲۳۴۵۶۷-۹')" = 0012345679
export NOSKHE_PASSPHRASE="smoke test passphrase"
"$work/venv/bin/noskhe" --data-dir "$work/data" init --role pharmacy --facility 12345678
"$work/venv/bin/noskhe" --data-dir "$work/data" catalog search amoxi | head -n 3
"$work/venv/bin/noskhe" --data-dir "$work/data" audit verify
echo "smoke test passed: $wheel"
