# boot-common.sh — sourced by the boot test scripts: tree snapshots, failures, and vfiokit run on a copied root.
# The sourcing script sets vfiokit, src, host, tmp and root (and may set what, shown after the host in failures).
# Trees are compared with treesnap.py (path, type, mode, sha256 of every entry). run/vfiokit is left out: it holds
# the writers' lock file, runtime state that lives on a tmpfs on a real host (and run/ itself, which the fake
# hosts lack and the lock creates).
snap() { python3 "$src/tests/cli/treesnap.py" "$1" --exclude run/vfiokit --skip-entry run; }
fails=0
fail() { echo "FAIL [$host${what:+ $what}]: $*" >&2; fails=$((fails + 1)); }
vk() { NO_COLOR=1 "$vfiokit" --root "$root" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"; }
show() { sed 's/^/    | /' "$tmp/out" "$tmp/err" >&2; }
# how many times does the whitespace-separated list $1 hold the token $2?
count_token() { (set -f; printf '%s\n' $1) | grep -cxF -- "$2"; }
