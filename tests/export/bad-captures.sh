#!/bin/bash
# bad-captures.sh — damaged and hostile capture tars given to export --fleet: clear errors, nothing escapes.
# usage: bad-captures.sh VFIOKIT SRCDIR
set -eu
here=$(dirname "$(realpath "$0")")
PYTHONPATH=$here exec python3 "$here/bad_captures.py" "$(realpath "$1")" "$2"
