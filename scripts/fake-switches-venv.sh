#!/usr/bin/env bash
# Installs the fake-switches SSH CLI simulator (a test and benchmark peer) in its OWN venv.
# Its metadata pins Twisted < 17, which does not build on Python 3.11, so it cannot live in .venv:
# it is installed without its pinned dependencies, then with a current Twisted (conch) beside it.
#   scripts/fake-switches-venv.sh [DIR]     DIR defaults to var/peers/fake-switches
# Prints the venv's python path on the last line. Safe to run again (a stamp file skips the work).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-var/peers/fake-switches}
STAMP="$DIR/.eams-fake-switches-1.5.0"
# Two test workers (the SSH tests and the SSH benchmark's smoke test) may ask at once: the second
# waits for the first instead of installing into the same half-made venv.
mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock 9
if [[ ! -f "$STAMP" ]]; then
    echo "==> installing fake-switches 1.5.0 in $DIR" >&2
    [[ -f "$DIR/pyvenv.cfg" ]] && rm -rf "$DIR"   # a venv an interrupted install left half made
    python3 -m venv "$DIR"
    "$DIR/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$DIR/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "fake-switches==1.5.0"
    "$DIR/bin/python" -m pip install --quiet --disable-pip-version-check "twisted[conch]" tftpy netaddr lxml
    touch "$STAMP"
fi
echo "$(cd "$DIR" && pwd)/bin/python"
