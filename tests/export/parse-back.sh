#!/bin/bash
# parse-back.sh — parse every export format back (PyYAML, json, a pci.cfg parser) and check it against the hosts.
# usage: parse-back.sh VFIOKIT SRCDIR
set -eu
here=$(dirname "$(realpath "$0")")
PYTHONPATH=$here exec python3 "$here/parse_back.py" "$(realpath "$1")" "$2"
