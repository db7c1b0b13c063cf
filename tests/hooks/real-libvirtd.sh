#!/bin/bash
# real-libvirtd.sh — the installed hook under a real libvirtd (manual: needs root, libvirtd and virsh; not run by CI).
# It installs the hook for gtx970 into a fixture root, copies that root's /etc/libvirt/hooks to the real one, puts a
# stand-in /usr/bin/vfiokit that records its calls, defines a domain gtx970, restarts libvirtd and starts the domain
# (QEMU cannot take the PCI device here, so libvirt runs the release hooks right after). Checks: libvirtd runs the
# dispatcher, the chained original hook first with the same arguments and the domain XML on stdin, `vfiokit bind`
# at prepare and `vfiokit unbind` at release; a failing bind stops the start with the hook's message.
# It refuses to run when /etc/libvirt/hooks, /usr/bin/vfiokit or a domain gtx970 exists, and removes what it added.
# usage: sudo tests/hooks/real-libvirtd.sh VFIOKIT SRCDIR
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2")
[ "$(id -u)" = 0 ] || { echo "real-libvirtd.sh: needs root" >&2; exit 77; }
command -v libvirtd >/dev/null && command -v virsh >/dev/null || { echo "real-libvirtd.sh: no libvirtd/virsh" >&2; exit 77; }
virsh_() { timeout 60 virsh -q -c qemu:///system "$@"; }
for p in /etc/libvirt/hooks /usr/bin/vfiokit; do
        [ -e $p ] && { echo "real-libvirtd.sh: $p exists; this test only runs where it does not" >&2; exit 77; }
done
pgrep -x libvirtd >/dev/null || { virtlogd -d; libvirtd -d; sleep 3; }
virsh_ dominfo gtx970 >/dev/null 2>&1 && { echo "real-libvirtd.sh: a domain gtx970 exists" >&2; exit 77; }

tmp=$(mktemp -d)
cleanup() {
        virsh_ destroy gtx970 >/dev/null 2>&1
        virsh_ undefine gtx970 >/dev/null 2>&1
        rm -rf /etc/libvirt/hooks /usr/bin/vfiokit /run/vfiokit/hook-gtx970.undo "$tmp"
        pkill -x libvirtd && sleep 2 && libvirtd -d # forget the hook
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

root=$tmp/root
cp -a "$src/examples/hosts/bios-host" "$root" && cp -a "$src/tests/fixtures/hooks/base/." "$root/"
mkdir -p "$root/etc/libvirt/hooks"
printf '#!/bin/sh\necho "original $* stdin=$(grep -c "<name>gtx970</name>")" >>%s/calls\n' "$tmp" >"$root/etc/libvirt/hooks/qemu"
chmod 755 "$root/etc/libvirt/hooks/qemu"
"$vfiokit" --root "$root" hooks install gtx970 >/dev/null || fail "hooks install exited $?"
cp -a "$root/etc/libvirt/hooks" /etc/libvirt/hooks
printf '#!/bin/sh\necho "vfiokit $*" >>%s/calls\n[ -e %s/fail-$1 ] && { echo "stand-in: $1 fails" >&2; exit 1; }\nexit 0\n' \
        "$tmp" "$tmp" >/usr/bin/vfiokit
chmod 755 /usr/bin/vfiokit
cat >"$tmp/gtx970.xml" <<'EOF'
<domain type='qemu'>
  <name>gtx970</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x00' slot='0x1f' function='0x7'/></source>
    </hostdev>
  </devices>
</domain>
EOF
virsh_ define "$tmp/gtx970.xml" >/dev/null || fail "virsh define"
pkill -x libvirtd; sleep 2; libvirtd -d; sleep 3 # libvirtd looks for hooks when it starts

: >"$tmp/calls"
virsh_ start gtx970 >"$tmp/start1" 2>&1
want=$'original gtx970 prepare begin - stdin=1\nvfiokit bind 0000:06:00.0\noriginal gtx970 stopped end - stdin=1\noriginal gtx970 release end - stdin=1\nvfiokit unbind 0000:06:00.0'
diff -u <(printf '%s\n' "$want") "$tmp/calls" >&2 || fail "the calls libvirtd made differ (start said: $(tr '\n' ' ' <"$tmp/start1"))"

: >"$tmp/calls"
touch "$tmp/fail-bind"
virsh_ start gtx970 >"$tmp/start2" 2>&1 && fail "the domain started although bind failed"
grep -q 'vfiokit bind failed: the VM does not start' "$tmp/start2" || { fail "virsh start does not show the hook's message"; cat "$tmp/start2" >&2; }
grep -q '^vfiokit unbind' "$tmp/calls" && fail "unbind ran although nothing was bound"

[ $fails = 0 ] && echo "ok: libvirtd $(libvirtd --version | awk '{print $NF}'): chained original, bind at prepare, unbind at release; a failed bind stops the start"
exit $((fails > 0))
