#!/bin/bash
# check-docs.sh — the man page and the bash completion cover every command and option of the command table.
# usage: check-docs.sh VFIOKIT MANPAGE.scd
set -u
vfiokit=$1 man=$2
fail=0
commands=$("$vfiokit" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p')
[ -n "$commands" ] || { echo "no commands in --help" >&2; exit 1; }
completion=$("$vfiokit" completion bash)
if ! bash -n <<<"$completion"; then
        echo "the generated completion script is not valid bash" >&2
        fail=1
fi
cmds_line=$(grep -m1 'local cmds=' <<<"$completion")
for c in $commands; do
        grep -q "^\*$c\*" "$man" || { echo "man page has no section for command '$c'" >&2; fail=1; }
        grep -qw "$c" <<<"$cmds_line" || { echo "completion does not offer '$c'" >&2; fail=1; }
        "$vfiokit" "$c" --help >/dev/null || { echo "'$c --help' fails" >&2; fail=1; }
done
for opt in $("$vfiokit" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "\*$opt\*" "$man" || { echo "man page does not document $opt" >&2; fail=1; }
done
[ $fail = 0 ] && echo "man page and completion cover: $(echo $commands)"
exit $fail
