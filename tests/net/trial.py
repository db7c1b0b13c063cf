#!/usr/bin/env python3
# trial.py — net bridge --trial on a fixture root, on a real pseudo-terminal: "keep" keeps the bridge; silence
# until the deadline, and a hung-up terminal (an SSH session cut off), both undo it to the byte.
# usage: trial.py VFIOKIT SRCDIR
import os, pty, select, signal, subprocess, sys, tempfile, time

vfiokit, src = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
os.environ.pop("SSH_CONNECTION", None)
failed = False


def snapshot(root):
    # the watchdog may be restoring the tree while it is read: a file gone between walk and read means "not yet"
    while True:
        try:
            return snapshot_once(root)
        except FileNotFoundError:
            time.sleep(0.05)


def snapshot_once(root):
    out = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel.startswith("run/vfiokit") or rel.startswith("var/lib/vfiokit"):
            continue
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = os.readlink(p) if os.path.islink(p) else open(p, "rb").read()
    return out


def spawn(root, seconds):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(vfiokit, [vfiokit, "--root", root, "net", "bridge", "br0", "--uplink", "enp1s0",
                           "--trial", str(seconds)])
    return pid, fd


def read_until(fd, text, timeout):
    buf, end = b"", time.time() + timeout
    while text.encode() not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf.decode(errors="replace")


def drain(fd, pid, timeout):
    out, end = "", time.time() + timeout
    while time.time() < end:
        out += read_until(fd, "\0never\0", 0.5)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return out + read_until(fd, "\0never\0", 0.5), os.waitstatus_to_exitcode(status)
    return out, None


def case(name, action, seconds=6):
    global failed
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "root")
        subprocess.run([os.path.join(src, "tests/net/mkroot.sh"), src, "n100-sriov", "networkd", root], check=True)
        before = snapshot(root)
        pid, fd = spawn(root, seconds)
        out = read_until(fd, "> ", 30)
        applied = "etc/systemd/network/10-vfiokit-br0.netdev" in snapshot(root)
        if "Type 'keep'" not in out or not applied:
            print(f"FAIL {name}: no prompt or nothing applied:\n{out}")
            failed = True
            return
        if action == "keep":
            os.write(fd, b"keep\n")
        elif action == "hangup":
            os.close(fd)  # the terminal goes away: the kernel hangs up vfiokit, as when sshd's session dies
        rest, code = drain(fd, pid, seconds + 20) if action != "hangup" else ("", None)
        if action == "hangup":
            os.waitpid(pid, 0)
            # the watchdog is in its own session now: give it the time to undo
            end = time.time() + 20
            while time.time() < end and snapshot(root) != before:
                time.sleep(0.2)
        after = snapshot(root)
        if action == "keep":
            ok = code == 0 and "kept" in rest and after != before and "10-vfiokit-br0.netdev" in str(after.keys())
        else:
            ok = after == before and (action == "hangup" or (code == 1 and "rolled back" in rest))
        print(("ok " if ok else "FAIL ") + name)
        if not ok:
            print(out + rest, "exit", code)
            failed = True
        if action != "hangup":
            try:
                os.close(fd)
            except OSError:
                pass


case("trial-keep", "keep")
case("trial-timeout", "wait")
case("trial-hangup", "hangup")
sys.exit(1 if failed else 0)
