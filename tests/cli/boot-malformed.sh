#!/bin/bash
# boot-malformed.sh — boot plan/apply on a copy of a distro host whose config file was damaged the way real files are:
# the file must be parsed correctly (the edit lands, every other byte stays) or refused with FILE:LINE and a
# non-zero exit, and then nothing at all may be written.
# usage: boot-malformed.sh VFIOKIT SRCDIR CASE
#   grub-unterminated-quote grub-crlf grub-no-final-newline grub-1mib-line grub-single-quotes grub-escaped-quote
#   grub-append-assignment grub-override-assignment                              (ubuntu-grub, /etc/default/grub)
#   mkinitcpio-binary  mkinitcpio-multiline-modules                 (arch-grub-mkinitcpio, /etc/mkinitcpio.conf)
set -u
export LC_ALL=C
vfiokit=$(realpath "$1") src=$(realpath "$2") case=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
fails=0
fail() { echo "FAIL [$case]: $*" >&2; fails=$((fails + 1)); }
snap() { python3 "$src/tests/cli/treesnap.py" "$root" --exclude run/vfiokit --skip-entry run; }
show() { sed 's/^/    | /' "$tmp/out" "$tmp/err" >&2; }
# edit a file of the copy with a python expression over its bytes b
mutate() { python3 -c 'import sys; p=sys.argv[1]; b=open(p,"rb").read(); b=eval(sys.argv[2]); open(p,"wb").write(b)' "$root/$1" "$2"; }

case $case in
grub-*) host=ubuntu-grub dev=03:00.0 file=etc/default/grub ids=10de:13c2,10de:0fbb ;;
mkinitcpio-*) host=arch-grub-mkinitcpio dev=03:00.0 file=etc/mkinitcpio.conf ;;
*) echo "unknown case $case" >&2; exit 2 ;;
esac
cp -a "$src/examples/hosts/$host" "$root"
key='GRUB_CMDLINE_LINUX_DEFAULT='
case $case in
grub-unterminated-quote) mutate $file 'b.replace(b"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash iommu=pt\"\n", b"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash iommu=pt\n")' ;;
grub-crlf) mutate $file 'b.replace(b"\n", b"\r\n")' ;;
grub-no-final-newline) # the line to edit is the last one, without its newline
        mutate $file 'b"".join(l for l in b.splitlines(True) if not l.startswith(b"GRUB_CMDLINE_LINUX_DEFAULT=")) + b"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash iommu=pt\""' ;;
grub-1mib-line) mutate $file 'b.replace(b"\nGRUB_CMDLINE_LINUX_DEFAULT=", b"\n#" + b"x" * (1 << 20) + b"\nGRUB_CMDLINE_LINUX_DEFAULT=", 1)' ;;
grub-single-quotes) mutate $file 'b.replace(b"=\"quiet splash iommu=pt\"", b"=\x27quiet splash iommu=pt\x27")' ;;
grub-escaped-quote) # a value with a quoted space inside, as laptops need for acpi_osi
        mutate $file 'b.replace(b"=\"quiet splash iommu=pt\"", b"=\"quiet splash iommu=pt acpi_osi=\\\"Windows 2015\\\"\"")' ;;
grub-append-assignment) # a second line that extends the first, as guides tell people to add
        mutate $file 'b + b"GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT nvidia-drm.modeset=1\"\n"' ;;
grub-override-assignment) # a later line replaces the first: only the last assignment reaches the kernel
        mutate $file 'b + b"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"' ;;
mkinitcpio-binary) mutate $file 'b.replace(b"\nMODULES=()\n", b"\n\x00\x01\xfe\xff\x80garbage\x1b[0m\nMODULES=()\n")' ;;
mkinitcpio-multiline-modules) mutate $file 'b.replace(b"\nMODULES=()\n", b"\nMODULES=(\n    amdgpu\n    # early KMS for the card\n)\n")' ;;
*) echo "unknown case $case" >&2; exit 2 ;;
esac
cp "$root/$file" "$tmp/before"
snap >"$tmp/snap.before"
# the line a refusal must name: the damaged one
case $case in
grub-unterminated-quote) bad_line=$(grep -n "^$key" "$tmp/before" | cut -d: -f1) ;;
mkinitcpio-binary) bad_line=$(grep -an 'garbage' "$tmp/before" | cut -d: -f1) ;;
*) bad_line='[0-9]\+' ;;
esac

NO_COLOR=1 "$vfiokit" --root "$root" boot plan $dev </dev/null >"$tmp/out" 2>"$tmp/err"
plan_rc=$?
NO_COLOR=1 "$vfiokit" --root "$root" boot apply $dev --yes </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -lt 128 ] || { fail "apply died of a signal ($rc)"; show; }
[ $plan_rc = $rc ] || fail "plan exited $plan_rc but apply $rc"

refused() {
        grep -q "/$file:$bad_line\b" "$tmp/err" || { fail "the error does not name /$file:$bad_line"; show; }
        [ "$(wc -l <"$tmp/err")" -le 2 ] || { fail "more than a clear error line or two"; show; }
        snap | diff -u "$tmp/snap.before" - >&2 || fail "a refused apply changed the tree"
}
# what the shell sees (grub-mkconfig sources /etc/default/grub; CRs are dropped as a shell on a CRLF file would not)
grub_value() { tr -d '\r' <"$root/$file" >"$tmp/lf"; env -i bash -c '. "$1" >/dev/null 2>&1; printf "%s" "$GRUB_CMDLINE_LINUX_DEFAULT"' _ "$tmp/lf"; }
# every line but the edited one is byte-identical to before
others_kept() { diff <(grep -av "^$key" "$tmp/before") <(grep -av "^$key" "$root/$file") >/dev/null ||
        fail "lines other than $key changed"; }

case $case in
grub-unterminated-quote)
        [ $rc != 0 ] || fail "an unterminated quote was accepted (exit 0); the shell would read the rest of the file into it"
        refused ;;
mkinitcpio-binary)
        if [ $rc != 0 ]; then
                refused
        else
                mutate_ok=$(grep -ac $'\x01\xfe\xff\x80garbage' "$root/$file")
                [ "$mutate_ok" = 1 ] || fail "the binary line was not kept byte for byte"
                grep -qx 'MODULES=(vfio_pci vfio vfio_iommu_type1)' "$root/$file" || fail "MODULES not edited"
        fi ;;
grub-*)
        if [ $rc != 0 ]; then
                refused
        else
                v=$(grub_value)
                want="quiet splash iommu=pt vfio-pci.ids=$ids"
                case $case in
                grub-escaped-quote) want="$want acpi_osi=\"Windows" ;;
                grub-append-assignment) want="$want nvidia-drm.modeset=1" ;;
                grub-override-assignment) want="quiet vfio-pci.ids=$ids" ;;
                esac
                for t in $want; do
                        [ "$( (set -f; printf '%s\n' $v) | grep -cxF -- "$t")" = 1 ] || fail "$key does not hold $t once: $v"
                done
                others_kept
                case $case in
                grub-crlf)
                        [ "$(grep -c $'\r$' "$root/$file")" = "$(wc -l <"$root/$file")" ] ||
                                fail "the edit broke the CRLF line endings"
                        grep -a "^$key" "$root/$file" | grep -q $'\r.*\r' && fail "a CR ended up inside the value" ;;
                grub-no-final-newline)
                        [ "$(tail -c1 "$root/$file" | od -An -c | tr -d ' ')" = '"' ] ||
                                fail "the missing final newline was not kept" ;;
                grub-1mib-line)
                        [ "$(grep -ac '^#xxxxxxxxxx' "$root/$file")" = 1 ] || fail "the 1 MiB line was not kept" ;;
                esac
        fi ;;
mkinitcpio-multiline-modules)
        if [ $rc != 0 ]; then
                fail "a MODULES array over several lines (valid bash) was refused"
                refused
        else
                bash -n "$root/$file" || fail "mkinitcpio.conf is no longer valid bash"
                m=$(env -i bash -c '. "$1" >/dev/null 2>&1; printf "%s " "${MODULES[@]}"' _ "$root/$file")
                # vfio first: modules load in this order, and vfio-pci must claim the card before amdgpu can
                [ "$m" = 'vfio_pci vfio vfio_iommu_type1 amdgpu ' ] ||
                        fail "MODULES is '$m', wanted vfio_pci vfio vfio_iommu_type1 then the user's amdgpu"
                [ "$(grep -c '^MODULES=' "$root/$file")" = 1 ] || fail "more than one MODULES= assignment"
                grep -q '# early KMS for the card' "$root/$file" || fail "the comment inside MODULES was lost"
        fi ;;
esac
[ $fails = 0 ] && echo "ok: $case (exit $rc: $([ $rc = 0 ] && echo parsed and edited || echo refused, nothing written))"
exit $((fails > 0))
