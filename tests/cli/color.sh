#!/bin/bash
# color.sh — colour on a terminal only, and never with NO_COLOR (runs vfiokit under script(1) for a tty).
# usage: color.sh VFIOKIT SRCDIR
set -u
vfiokit=$(realpath "$1") src=$2
command -v script >/dev/null || { echo "no script(1): skipped"; exit 77; }
cd "$src" || exit 1
cmd="$vfiokit --root examples/hosts/amd-b550 status"
esc=$'\033['
tty_out=$(env -u NO_COLOR script -qec "$cmd" /dev/null)
nocolor_out=$(NO_COLOR=1 script -qec "$cmd" /dev/null)
pipe_out=$(env -u NO_COLOR $cmd)
fail=0
[[ $tty_out == *"$esc"* ]] || { echo "no colour on a terminal" >&2; fail=1; }
[[ $nocolor_out != *"$esc"* ]] || { echo "colour despite NO_COLOR" >&2; fail=1; }
[[ $pipe_out != *"$esc"* ]] || { echo "colour into a pipe" >&2; fail=1; }
json_out=$(env -u NO_COLOR script -qec "$cmd --json" /dev/null)
[[ $json_out != *"$esc"* ]] || { echo "colour in JSON" >&2; fail=1; }
[ $fail = 0 ] && echo "colour: terminal yes; NO_COLOR, pipe and --json no"
exit $fail
