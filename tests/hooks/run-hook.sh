#!/bin/bash
# run-hook.sh — install hooks on copies of examples/hosts/bios-host + tests/fixtures/hooks, then RUN the installed
# libvirt qemu hook with libvirt's arguments and the domain XML on stdin, with a fake vfiokit (at the absolute
# path the hook names, inside the root) and a fake systemctl (first in PATH) that log their argv. Checks the calls
# and their order, the sysfs writes, the chained original hook (same arguments and stdin, its exit status), and
# that install twice changes nothing and install → remove gives back the tree byte for byte.
# usage: run-hook.sh VFIOKIT SRCDIR
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# a root with the given fixture layers; the fakes live outside the tree under test
make_root() { # DIR LAYER...
        local dir=$1
        shift
        cp -a "$src/examples/hosts/bios-host" "$dir" || exit 1
        for l in "$@"; do cp -a "$src/tests/fixtures/hooks/$l/." "$dir/" || exit 1; done
        [ -f "$dir/etc/libvirt/hooks/qemu" ] && chmod 0750 "$dir/etc/libvirt/hooks/qemu"
        return 0
}

# every path with its type, mode, link target and content hash; the writers' lock (run/vfiokit) is runtime state
snapshot() { # DIR
        (cd "$1" && find . -path ./run/vfiokit -prune -o -path ./run -prune -o -printf '%y %m %p -> %l\n' | sort &&
                find . -path ./run -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}

# the fakes: each logs its argv; vfiokit also logs the console and framebuffer state it sees when called
mkdir -p "$tmp/bin"
cat >"$tmp/bin/systemctl" <<'EOF'
#!/bin/sh
echo "systemctl $*" >>"$HOOK_LOG"
[ "${FAIL_SYSTEMCTL-}" = "$1" ] && exit 1
exit 0
EOF
cat >"$tmp/fake-vfiokit" <<'EOF'
#!/bin/sh
r=$VFIOKIT_HOOK_ROOT
echo "vfiokit $* [vtcon1=$(cat "$r/sys/class/vtconsole/vtcon1/bind") fb-unbind=$(cat "$r/sys/bus/platform/drivers/simple-framebuffer/unbind")]" >>"$HOOK_LOG"
[ "${FAIL_VFIOKIT-}" = "$1" ] && exit 1
exit 0
EOF
chmod +x "$tmp/bin/systemctl" "$tmp/fake-vfiokit"
export HOOK_LOG=$tmp/log

# libvirt's call: qemu VM OPERATION SUB-OPERATION EXTRA, the domain XML on stdin
run_hook() { # ROOT VM OP SUB
        : >"$HOOK_LOG"
        PATH="$tmp/bin:$PATH" VFIOKIT_HOOK_ROOT=$1 "$1/etc/libvirt/hooks/qemu" "$2" "$3" "$4" - \
                <"$1/etc/libvirt/qemu/$2.xml" 2>"$tmp/stderr"
}
expect_log() { # WHAT EXPECTED
        if ! diff -u <([ -z "$2" ] || printf '%s\n' "$2") "$HOOK_LOG" >"$tmp/diff"; then
                fail "$1: the calls differ from what was expected:"
                cat "$tmp/diff" >&2
        fi
}
install() { # ROOT ARGS...
        local root=$1
        shift
        NO_COLOR=1 "$vfiokit" --root "$root" hooks "$@" >"$tmp/out" 2>&1
}

# ---- single GPU: win10 takes the RX 580 that drives the host's display ----
r=$tmp/single
make_root "$r" base
cp -a "$r" "$tmp/single.pristine"
install "$r" install win10 --single-gpu --dry-run || fail "install --dry-run"
diff -u <(snapshot "$tmp/single.pristine") <(snapshot "$r") >&2 || fail "install --dry-run wrote something"
install "$r" install win10 --single-gpu || { fail "install win10 --single-gpu"; cat "$tmp/out" >&2; }
snapshot "$r" >"$tmp/once"
install "$r" install win10 --single-gpu || fail "second install"
snapshot "$r" >"$tmp/twice"
diff -u "$tmp/once" "$tmp/twice" >&2 || fail "a second install changed the tree"
grep -q 'nothing to change' "$tmp/out" || fail "the second install does not say it changed nothing"
mkdir -p "$r/usr/bin" && cp "$tmp/fake-vfiokit" "$r/usr/bin/vfiokit"
dm='display-manager.service'

run_hook "$r" win10 prepare begin || fail "prepare/begin exited $?: $(cat "$tmp/stderr")"
expect_log "single-gpu prepare/begin" "systemctl stop $dm
vfiokit bind --force-host-device 0000:05:00.0 0000:05:00.0 0000:05:00.1 [vtcon1=0 fb-unbind=simple-framebuffer.0]"
[ "$(cat "$r/sys/class/vtconsole/vtcon0/bind")" = 1 ] || fail "the dummy console vtcon0 was unbound"
run_hook "$r" win10 prepare begin || fail "a second prepare/begin failed"
expect_log "a second prepare/begin does nothing" ""
run_hook "$r" win10 started begin || fail "started/begin failed"
expect_log "started/begin is not the hook's" ""
run_hook "$r" win10 release end || fail "release/end exited $?: $(cat "$tmp/stderr")"
expect_log "single-gpu release/end (reverse order)" "vfiokit unbind 0000:05:00.0 0000:05:00.1 [vtcon1=0 fb-unbind=simple-framebuffer.0]
systemctl start $dm"
[ "$(cat "$r/sys/class/vtconsole/vtcon1/bind")" = 1 ] || fail "vtcon1 was not bound again"
[ "$(cat "$r/sys/bus/platform/drivers/simple-framebuffer/bind")" = simple-framebuffer.0 ] ||
        fail "simple-framebuffer.0 was not bound again"
[ ! -e "$r/run/vfiokit/hook-win10.undo" ] || fail "the undo file outlives release/end"
run_hook "$r" win10 release end || fail "a second release/end failed"
expect_log "a release/end without a prepare does nothing" ""
run_hook "$r" gtx970 prepare begin || fail "another VM's prepare/begin failed"
expect_log "another VM is not win10's business" ""

# a failed bind gives the display back, in reverse, and the hook fails (libvirt does not start the VM)
echo 1 >"$r/sys/class/vtconsole/vtcon1/bind"
FAIL_VFIOKIT=bind run_hook "$r" win10 prepare begin && fail "prepare/begin succeeded although vfiokit bind failed"
expect_log "a failed bind is rolled back" "systemctl stop $dm
vfiokit bind --force-host-device 0000:05:00.0 0000:05:00.0 0000:05:00.1 [vtcon1=0 fb-unbind=simple-framebuffer.0]
systemctl start $dm"
[ "$(cat "$r/sys/class/vtconsole/vtcon1/bind")" = 1 ] || fail "vtcon1 stays unbound after a failed bind"
[ ! -e "$r/run/vfiokit/hook-win10.undo" ] || fail "the undo file outlives a failed prepare"
# a display manager that does not stop: nothing else is touched
FAIL_SYSTEMCTL=stop run_hook "$r" win10 prepare begin && fail "prepare/begin succeeded although systemctl stop failed"
expect_log "a display manager that will not stop" "systemctl stop $dm"

rm -rf "$r/usr/bin" "$r/run/vfiokit/hook-win10.undo" # bios-host has no usr/bin: the fake's
echo 1 >"$r/sys/class/vtconsole/vtcon1/bind"
: >"$r/sys/bus/platform/drivers/simple-framebuffer/bind"
: >"$r/sys/bus/platform/drivers/simple-framebuffer/unbind"
install "$r" remove win10 || { fail "remove win10"; cat "$tmp/out" >&2; }
diff -u <(snapshot "$tmp/single.pristine") <(snapshot "$r") >&2 || fail "install → remove is not the same tree"

# ---- chained: a third-party qemu hook was there; two VMs share the dispatcher ----
r=$tmp/chain
make_root "$r" base third-party
cp -a "$r" "$tmp/chain.pristine"
install "$r" install gtx970 || { fail "install gtx970 over a third-party hook"; cat "$tmp/out" >&2; }
cmp "$tmp/chain.pristine/etc/libvirt/hooks/qemu" "$r/etc/libvirt/hooks/qemu.vfiokit-orig" ||
        fail "qemu.vfiokit-orig is not the original byte for byte"
[ "$(stat -c %a "$r/etc/libvirt/hooks/qemu.vfiokit-orig")" = 750 ] || fail "qemu.vfiokit-orig lost its mode"
install "$r" install win10 --single-gpu || fail "install win10 next to gtx970"
mkdir -p "$r/usr/bin" && cp "$tmp/fake-vfiokit" "$r/usr/bin/vfiokit"
cp "$tmp/fake-vfiokit" "$tmp/bin/vfiokit" # a vfiokit in PATH must not be the one the hook runs

run_hook "$r" gtx970 prepare begin || fail "chained prepare/begin exited $?: $(cat "$tmp/stderr")"
expect_log "the original runs first with the same arguments and stdin" "orig gtx970 prepare begin - stdin=<domain type='kvm'>
vfiokit bind 0000:06:00.0 [vtcon1=1 fb-unbind=]"
ORIG_STATUS=7 run_hook "$r" gtx970 release end
rc=$?
[ "$rc" = 7 ] || fail "release/end: the original's exit status 7 became $rc"
expect_log "release/end still gives the devices back when the original fails" "orig gtx970 release end - stdin=<domain type='kvm'>
vfiokit unbind 0000:06:00.0 [vtcon1=1 fb-unbind=]"
ORIG_STATUS=5 run_hook "$r" gtx970 prepare begin
rc=$?
[ "$rc" = 5 ] || fail "prepare/begin: the original's exit status 5 became $rc"
expect_log "a failed original at prepare stops everything after it" "orig gtx970 prepare begin - stdin=<domain type='kvm'>"
run_hook "$r" win10 migrate begin || fail "migrate/begin failed"
expect_log "the original sees every operation" "orig win10 migrate begin - stdin=<!--"

rm -rf "$r/usr/bin" "$r/run/vfiokit"
install "$r" remove gtx970 || { fail "remove gtx970"; cat "$tmp/out" >&2; }
[ -f "$r/etc/libvirt/hooks/qemu.d/win10/prepare/begin/vfiokit.sh" ] || fail "removing gtx970 removed win10's hook"
grep -q 'vfiokit-hooks-dispatcher' "$r/etc/libvirt/hooks/qemu" || fail "the dispatcher went while win10 needs it"
install "$r" remove win10 || { fail "remove win10 (the last)"; cat "$tmp/out" >&2; }
diff -u <(snapshot "$tmp/chain.pristine") <(snapshot "$r") >&2 || fail "install ×2 → remove ×2 is not the same tree"

# ---- a hook file changed after install: remove refuses (exit 3), names it and changes nothing ----
r=$tmp/changed
make_root "$r" base
cp -a "$r" "$tmp/changed.pristine"
install "$r" install gtx970 || fail "install gtx970"
f=etc/libvirt/hooks/qemu.d/gtx970/release/end/vfiokit.sh
echo "# my own line" >>"$r/$f"
snapshot "$r" >"$tmp/edited"
install "$r" remove gtx970
rc=$?
[ "$rc" = 3 ] || fail "remove with a changed hook file exited $rc, not 3 (refused): $(cat "$tmp/out")"
grep -q "/$f changed since vfiokit wrote it (it is yours now: move it away)" "$tmp/out" ||
        fail "the refusal does not name the changed file and the fix: $(cat "$tmp/out")"
[ "$(wc -l <"$tmp/out")" = 1 ] || fail "the refusal is not one line: $(cat "$tmp/out")"
diff -u "$tmp/edited" <(snapshot "$r") >&2 || fail "a refused remove changed the tree"
mv "$r/$f" "$tmp/mine.sh"
install "$r" remove gtx970 || { fail "remove after moving the changed file away"; cat "$tmp/out" >&2; }
diff -u <(snapshot "$tmp/changed.pristine") <(snapshot "$r") >&2 || fail "install → edit → move away → remove left files"
install "$r" remove gtx970
rc=$?
[ "$rc" = 1 ] || fail "a second remove exited $rc"
grep -q "vfiokit installed no hook for 'gtx970'" "$tmp/out" || fail "a second remove does not say nothing is installed"

# ---- a directory remove may not write: found before the first step, one error, nothing changed ----
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        r=$tmp/readonly
        make_root "$r" base
        install "$r" install gtx970 || fail "install gtx970 (for the read-only remove)"
        chmod 0755 "$tmp" && chmod 0777 "$r/run/vfiokit" && chmod 0666 "$r/run/vfiokit/lock" # nobody takes the lock
        snapshot "$r" >"$tmp/readonly.before"
        setpriv --reuid=65534 --regid=65534 --clear-groups "$vfiokit" --root "$r" hooks remove gtx970 >"$tmp/out" 2>&1
        rc=$?
        chmod 0700 "$tmp"
        [ "$rc" = 1 ] || fail "remove as nobody exited $rc: $(cat "$tmp/out")"
        grep -q "^vfiokit: removing /etc/libvirt/hooks/qemu.d/gtx970/release/end/vfiokit.sh: /etc/libvirt/hooks/qemu.d/gtx970/release/end: Permission denied; nothing was changed; run vfiokit as root" "$tmp/out" ||
                fail "remove as nobody: not the error naming the file, the errno and the fix: $(cat "$tmp/out")"
        diff -u "$tmp/readonly.before" <(snapshot "$r") >&2 || fail "remove as nobody changed the tree"
        install "$r" remove gtx970 || fail "remove as root after the failed one"
else
        echo "not root or no setpriv: the remove-without-permission check is skipped"
fi

# ---- a malformed or missing domain: one clear error, nothing written ----
for vm in broken missing nogpu; do
        r=$tmp/bad-$vm
        make_root "$r" base
        cp -a "$r" "$r.pristine"
        install "$r" install "$vm" && fail "install $vm succeeded"
        [ "$(wc -l <"$tmp/out")" = 1 ] || fail "install $vm: not one error line: $(cat "$tmp/out")"
        grep -q "/etc/libvirt/qemu/$vm.xml" "$tmp/out" || fail "install $vm: the error does not name the file"
        diff -u <(snapshot "$r.pristine") <(snapshot "$r") >&2 || fail "install $vm wrote something"
done

[ "$fails" = 0 ] && echo "hooks run as libvirt runs them: all checks pass"
exit $((fails > 0))
