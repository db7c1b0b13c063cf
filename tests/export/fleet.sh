#!/bin/bash
# fleet.sh — export --fleet over captures made at test time, parsed back and checked.
# usage: fleet.sh VFIOKIT SRCDIR
set -eu
here=$(dirname "$(realpath "$0")")
PYTHONPATH=$here exec python3 "$here/fleet.py" "$(realpath "$1")" "$2"
