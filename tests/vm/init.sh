#!/bin/sh
# /init of the real-kernel test's initramfs (busybox sh): mount, load the modules,
# wait for the devices, run /guest-tests.sh, print the result marker and power off.
# The last line the host looks for is "VFIOKIT-VM-RESULT: PASS" or "VFIOKIT-VM-RESULT: FAIL n";
# the same verdict goes to QEMU's isa-debug-exit port (0xf4): QEMU exits 1 on PASS, 3 on FAIL.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
ln -sf /proc/self/fd /dev/fd 2>/dev/null

finish() { # finish FAILED-COUNT
        n=$1
        if [ "$n" = 0 ]; then
                echo "VFIOKIT-VM-RESULT: PASS"
                code='\000'
        else
                echo "VFIOKIT-VM-RESULT: FAIL $n"
                code='\001'
        fi
        sync
        printf "$code" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
        poweroff -f
        sleep 5
        echo o >/proc/sysrq-trigger
}

read -r up _ </proc/uptime
echo "VFIOKIT-VM: init started, uptime ${up} s, kernel $(uname -r)"

kver=$(cat /etc/vfiokit-vm/kernel-version)
modfail=0
while read -r m; do
        name=${m##*/}
        name=${name%.ko}
        # a module may already be in (built in, or pulled in by a request)
        [ -d "/sys/module/$(echo "$name" | tr - _)" ] && continue
        # a failure is fine when a concurrent request (kernel → /sbin/modprobe) loaded it meanwhile
        if ! insmod "/lib/modules/$kver/$m" && ! [ -d "/sys/module/$(echo "$name" | tr - _)" ]; then
                echo "VFIOKIT-VM: insmod $m failed"
                modfail=$((modfail + 1))
        fi
done </etc/vfiokit-vm/modules

# wait (at most 30 s) until every expected driver has a device and the NVMe controller is live
waited=0
while [ $waited -lt 300 ]; do
        missing=
        for d in bochs-drm snd_hda_intel e1000e nvme; do
                ls /sys/bus/pci/drivers/$d 2>/dev/null | grep -q '^0000:' || missing="$missing $d"
        done
        st=$(cat /sys/class/nvme/nvme0/state 2>/dev/null)
        [ "$st" = live ] || missing="$missing nvme0($st)"
        [ -z "$missing" ] && break
        sleep 0.1
        waited=$((waited + 1))
done
read -r up _ </proc/uptime
if [ -n "$missing" ]; then
        echo "VFIOKIT-VM: still waiting for:$missing (uptime ${up} s)"
else
        echo "VFIOKIT-VM: modules loaded, devices ready, uptime ${up} s"
fi

# from here on the console carries the test output only: kernel messages go to dmesg
dmesg -n 1

echo "VFIOKIT-VM: running /guest-tests.sh"
sh /guest-tests.sh
rc=$?
read -r up _ </proc/uptime
echo "VFIOKIT-VM: guest tests done, uptime ${up} s"
if [ "$rc" != 0 ] || [ "$modfail" != 0 ]; then
        echo "----- BEGIN dmesg -----"
        dmesg
        echo "----- END dmesg -----"
fi
[ "$modfail" != 0 ] && [ "$rc" = 0 ] && rc=$modfail
finish "$rc"
