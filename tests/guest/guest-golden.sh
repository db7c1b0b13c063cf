#!/bin/bash
# guest-golden.sh — `guest media` on a copy of an example host (with tests/fixtures/guest/OVERLAY laid over it),
# compared with tests/golden/NAME.out: stdout, stderr, exit status, then the files written (mode, name, content;
# the UTF-16LE .reg as its first bytes in hex and its text through iconv).
# usage: guest-golden.sh VFIOKIT SRCDIR NAME HOST OVERLAY|- MODE ARGS...   (VFIOKIT_REGEN=1 rewrites the golden file)
# MODE: once; twice (a second identical run must change nothing); conflict (--out already holds another
# autounattend.xml); unwritable (--out is a path below a regular file); stale (a first run without a password
# left rdp-blank-password.reg, and the password file is readable by others).
# In ARGS @OUT@ is the output directory, @PW@ a password file (0600) holding "pa&ss<wörd>", @TMP@ the scratch dir.
set -u
vfiokit=$(realpath "$1") src=$2 name=$3 host=$4 overlay=$5 mode=$6
shift 6
golden=$src/tests/golden/$name.out
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp -a "$src/examples/hosts/$host" "$tmp/root" || exit 1
if [ "$overlay" != - ]; then
        cp -a "$src/tests/fixtures/guest/$overlay/." "$tmp/root/" || exit 1
fi
printf 'pa&ss<wörd>\n' >"$tmp/pw" && chmod 600 "$tmp/pw"
out=$tmp/out
case $mode in
conflict) mkdir -m 700 "$out" && echo 'not ours' >"$out/autounattend.xml" ;;
unwritable) touch "$tmp/file"; out=$tmp/file/out ;;
esac
args=()
for a in "$@"; do
        a=${a//@OUT@/$out}
        a=${a//@PW@/$tmp/pw}
        args+=("${a//@TMP@/$tmp}")
done

run() {
        printf '$ vfiokit --root @ROOT@ %s\n' "$*"
        (cd "$tmp" && NO_COLOR=1 "$vfiokit" --root "$tmp/root" "${args[@]}" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null)
        rc=$?
        cat "$tmp/stdout"
        if [ -s "$tmp/stderr" ]; then
                echo "--- stderr"
                cat "$tmp/stderr"
        fi
        echo "--- exit $rc"
}

if [ "$mode" = stale ]; then
        NO_COLOR=1 "$vfiokit" --root "$tmp/root" guest media stale --out "$out" >/dev/null 2>&1 || exit 1
        chmod 644 "$tmp/pw"
fi
{
        run "$@"
        if [ "$mode" = twice ]; then
                before=$(cd "$tmp" && find out -type f -printf '%P %T@\n' | sort)
                run "$@"
                after=$(cd "$tmp" && find out -type f -printf '%P %T@\n' | sort)
                [ "$before" = "$after" ] && echo "--- second run: no file touched" || echo "--- second run CHANGED files"
        fi
        if [ -d "$tmp/out" ]; then
                echo "--- files"
                (cd "$tmp" && find out -printf '%M %P\n' | sort -k2)
                for f in $(cd "$tmp/out" && ls); do
                        echo "--- $f"
                        case $f in
                        *.reg)
                                head -c 16 "$tmp/out/$f" | od -An -tx1
                                echo "(as UTF-8, CR shown as ^M:)"
                                tail -c +3 "$tmp/out/$f" | iconv -f UTF-16LE -t UTF-8 | sed 's/\r$/^M/'
                                ;;
                        *) cat "$tmp/out/$f" ;;
                        esac
                done
        fi
} | sed "s|$tmp|@TMP@|g" >"$tmp/actual"

if [ "${VFIOKIT_REGEN:-}" = 1 ]; then
        cp "$tmp/actual" "$golden"
        echo "regenerated $golden"
        exit 0
fi
if [ ! -f "$golden" ]; then
        echo "missing $golden; run with VFIOKIT_REGEN=1 to create it" >&2
        exit 1
fi
if ! diff -u "$golden" "$tmp/actual"; then
        echo "output differs from $golden (VFIOKIT_REGEN=1 rewrites it after review)" >&2
        exit 1
fi
