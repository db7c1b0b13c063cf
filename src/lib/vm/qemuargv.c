/* qemuargv.c — QEMU's argv for a planned VM, and the sh launcher that passes it as fixed, quoted words. */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The argv in parts: the script picks the accelerator and console part from the environment. */
typedef struct qargs {
        vk_strv kvm, tcg;         /* -accel and -cpu */
        vk_strv display, serial;  /* how the user sees the guest */
        vk_strv main;             /* everything else, after argv[0] */
        int r;                    /* first error */
} qargs;

static void qargs_clear(qargs *q) {
        vk_strv_clear(&q->kvm);
        vk_strv_clear(&q->tcg);
        vk_strv_clear(&q->display);
        vk_strv_clear(&q->serial);
        vk_strv_clear(&q->main);
}

static void add(qargs *q, vk_strv *s, const char *arg) {
        if (q->r >= 0 && (q->r = vk_strv_push(s, arg)) > 0)
                q->r = 0;
}

static void addf(qargs *q, vk_strv *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void addf(qargs *q, vk_strv *s, const char *fmt, ...) {
        va_list ap;
        char *a = NULL;

        va_start(ap, fmt);
        if (vasprintf(&a, fmt, ap) < 0)
                a = NULL;
        va_end(ap);
        if (!a) {
                q->r = -ENOMEM;
                return;
        }
        if (q->r >= 0 && (q->r = vk_strv_push_take(s, a)) > 0)
                q->r = 0;
        else if (q->r < 0)
                free(a);
}

/* QEMU's option syntax splits on ',': a comma inside a value is written twice. */
static char *qemu_escape(const char *s) {
        size_t n = strlen(s), commas = 0;
        char *out, *o;

        for (const char *p = s; *p; p++)
                commas += *p == ',';
        out = o = malloc(n + commas + 1);
        if (!out)
                return NULL;
        for (const char *p = s; *p; p++) {
                *o++ = *p;
                if (*p == ',')
                        *o++ = ',';
        }
        *o = 0;
        return out;
}

#define ESC(q, var, s)                                  \
        _cleanup_free_ char *var = qemu_escape(s);     \
        if (!var)                                       \
                (q)->r = -ENOMEM

static void cpu_args(qargs *q, const vk_vm *v) {
        char cpu[512];
        int n;

        add(q, &q->kvm, "-accel");
        add(q, &q->kvm, "kvm,kernel-irqchip=on"); /* libvirt's <ioapic driver='kvm'/> */
        n = snprintf(cpu, sizeof(cpu), "host,migratable=off");
        if (v->kvm_hidden)
                n += snprintf(cpu + n, sizeof(cpu) - (size_t)n, ",kvm=off");
        if (v->amd_cpu && v->threads > 1)
                n += snprintf(cpu + n, sizeof(cpu) - (size_t)n, ",topoext=on");
        if (v->hyperv)
                snprintf(cpu + n, sizeof(cpu) - (size_t)n,
                         ",hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff,hv-vpindex=on,hv-runtime=on,hv-synic=on"
                         ",hv-stimer=on,hv-reset=on,hv-vendor-id=vfiokit,hv-frequencies=on,hv-tlbflush=on,hv-ipi=on"
                         ",hv-time=on");
        add(q, &q->kvm, "-cpu");
        add(q, &q->kvm, cpu);
        add(q, &q->kvm, "-global");
        add(q, &q->kvm, "kvm-pit.lost_tick_policy=delay");
        /* TCG has no host CPU to pass and no Hyper-V enlightenments: the most it emulates */
        add(q, &q->tcg, "-accel");
        add(q, &q->tcg, "tcg");
        add(q, &q->tcg, "-cpu");
        add(q, &q->tcg, "max");
}

static void display_args(qargs *q, const vk_vm *v) {
        switch (v->graphics) {
        case VK_VM_GFX_NONE:
                add(q, &q->display, "-display");
                add(q, &q->display, "none");
                break;
        case VK_VM_GFX_SPICE:
                add(q, &q->display, "-device");
                add(q, &q->display, "VGA");
                add(q, &q->display, "-device");
                add(q, &q->display, "usb-tablet,bus=xhci.0");
                add(q, &q->display, "-spice");
                add(q, &q->display, "addr=127.0.0.1,port=5930,disable-ticketing=on");
                add(q, &q->display, "-device");
                add(q, &q->display, "virtio-serial-pci,id=vserial");
                add(q, &q->display, "-chardev");
                add(q, &q->display, "spicevmc,id=vdagent,name=vdagent");
                add(q, &q->display, "-device");
                add(q, &q->display, "virtserialport,bus=vserial.0,chardev=vdagent,name=com.redhat.spice.0");
                break;
        case VK_VM_GFX_DEFAULT:
        case VK_VM_GFX_VNC:
                add(q, &q->display, "-device");
                add(q, &q->display, "VGA");
                add(q, &q->display, "-device");
                add(q, &q->display, "usb-tablet,bus=xhci.0");
                add(q, &q->display, "-vnc");
                add(q, &q->display, "127.0.0.1:0");
                break;
        }
        add(q, &q->serial, "-display");
        add(q, &q->serial, "none");
        add(q, &q->serial, "-serial");
        add(q, &q->serial, "stdio");
        if (v->audio != VK_VM_AUDIO_NONE) {
                /* QEMU's spice audio backend refuses to start without -spice: the serial console gets none */
                add(q, &q->display, "-audiodev");
                add(q, &q->display, v->graphics == VK_VM_GFX_SPICE ? "spice,id=snd0" : "none,id=snd0");
                add(q, &q->serial, "-audiodev");
                add(q, &q->serial, "none,id=snd0");
        }
}

/* --audio ich9: Intel HD Audio where the ICH9 has it (00:1b.0), a codec on it playing to audiodev snd0. */
static void audio_args(qargs *q, const vk_vm *v) {
        if (v->audio != VK_VM_AUDIO_ICH9)
                return;
        add(q, &q->main, "-device");
        add(q, &q->main, "ich9-intel-hda,id=sound0,bus=pcie.0,addr=0x1b");
        add(q, &q->main, "-device");
        add(q, &q->main, "hda-duplex,bus=sound0.0,audiodev=snd0");
}

static void firmware_args(qargs *q, const vk_vm *v) {
        ESC(q, code, v->fw.code);
        ESC(q, nvram, v->nvram);
        if (!code || !nvram)
                return;
        if (v->fw.secure_boot && v->fw.requires_smm) {
                /* only SMM code may write the variable store: what makes Secure Boot mean something */
                add(q, &q->main, "-global");
                add(q, &q->main, "driver=cfi.pflash01,property=secure,value=on");
        }
        add(q, &q->main, "-drive");
        addf(q, &q->main, "if=pflash,unit=0,format=%s,readonly=on,file=%s", v->fw.code_format, code);
        add(q, &q->main, "-drive");
        addf(q, &q->main, "if=pflash,unit=1,format=%s,file=%s", v->fw.vars_format, nvram);
}

static void storage_args(qargs *q, const vk_vm *v) {
        if (v->disk) {
                ESC(q, disk, v->disk);
                if (!disk)
                        return;
                add(q, &q->main, "-drive");
                addf(q, &q->main, "file=%s,if=none,id=disk0,format=%s,cache=none,aio=native,discard=unmap", disk,
                     v->disk_format);
                if (v->disk_scsi) {
                        add(q, &q->main, "-device");
                        add(q, &q->main, "virtio-scsi-pci,id=scsi0");
                        add(q, &q->main, "-device");
                        add(q, &q->main, "scsi-hd,bus=scsi0.0,drive=disk0,bootindex=1");
                } else {
                        add(q, &q->main, "-device");
                        add(q, &q->main, "virtio-blk-pci,drive=disk0,bootindex=1");
                }
        }
        for (size_t i = 0; i < v->cdroms.n && i < 6; i++) {
                ESC(q, iso, v->cdroms.v[i]);
                if (!iso)
                        return;
                add(q, &q->main, "-drive");
                addf(q, &q->main, "file=%s,if=none,id=cd%zu,media=cdrom,readonly=on", iso, i);
                add(q, &q->main, "-device");
                /* q35's AHCI ports ide.0 … ide.5 */
                addf(q, &q->main, i == 0 && v->installer ? "ide-cd,bus=ide.%zu,drive=cd%zu,bootindex=2" : "ide-cd,bus=ide.%zu,drive=cd%zu",
                     i, i);
        }
}

static void net_args(qargs *q, const vk_vm *v) {
        add(q, &q->main, "-netdev");
        switch (v->net) {
        case VK_VM_NET_TAP: /* an existing tap (seed 000); QEMU must not run ifup scripts */
                addf(q, &q->main, "tap,id=net0,ifname=%s,script=no,downscript=no", v->net_name);
                break;
        case VK_VM_NET_BRIDGE: /* through qemu-bridge-helper, allowed in /etc/qemu/bridge.conf */
                addf(q, &q->main, "bridge,id=net0,br=%s", v->net_name);
                break;
        case VK_VM_NET_DEFAULT:
        case VK_VM_NET_NETWORK:
                add(q, &q->main, "user,id=net0");
                break;
        }
        add(q, &q->main, "-device");
        addf(q, &q->main, "virtio-net-pci,netdev=net0,mac=%s", v->mac);
}

static void tpm_paths(const vk_vm *v, char **ret_dir, char **ret_sock) {
        *ret_dir = vk_printf("%s/%s-tpm", v->state_dir, v->name);
        *ret_sock = vk_printf("%s/%s-tpm/swtpm.sock", v->state_dir, v->name);
}

static void hostdev_args(qargs *q, const vk_vm *v) {
        for (int i = 1; i <= v->n_root_ports; i++) {
                add(q, &q->main, "-device");
                addf(q, &q->main, "pcie-root-port,id=rp%d,chassis=%d", i, i);
        }
        for (size_t i = 0; i < v->n_hostdevs; i++) {
                const vk_vm_hostdev *d = &v->hostdevs[i];
                char dev[512];
                int n = snprintf(dev, sizeof(dev), "vfio-pci,host=%s,id=%s,bus=rp%d,addr=00.%d%s", d->host, d->alias,
                                 d->bus, d->function, d->multifunction ? ",multifunction=on" : "");
                if (d->sub_ids) /* decimal, as the property parser and <qemu:override> take them */
                        n += snprintf(dev + n, sizeof(dev) - (size_t)n, ",x-pci-sub-vendor-id=%u,x-pci-sub-device-id=%u",
                                      d->sub_vendor, d->sub_device);
                add(q, &q->main, "-device");
                if (d->rom) {
                        ESC(q, rom, d->rom);
                        if (rom)
                                addf(q, &q->main, "%s,romfile=%s", dev, rom);
                } else
                        add(q, &q->main, dev);
        }
        for (size_t i = 0; i < v->n_usb; i++) {
                add(q, &q->main, "-device");
                addf(q, &q->main, "usb-host,bus=xhci.0,vendorid=0x%04x,productid=0x%04x", v->usb[i].vendor,
                     v->usb[i].product);
        }
}

static int build(const vk_vm *v, qargs *q) {
        *q = (qargs){0};
        cpu_args(q, v);
        display_args(q, v);

        add(q, &q->main, "-name");
        addf(q, &q->main, "%s,debug-threads=on", v->name);
        add(q, &q->main, "-nodefaults"); /* every device below is one we chose */
        add(q, &q->main, "-no-user-config");
        add(q, &q->main, "-machine");
        addf(q, &q->main, "q35,smm=%s,vmport=off%s", v->fw.requires_smm ? "on" : "off",
             v->hugepages ? ",memory-backend=ram0" : "");
        add(q, &q->main, "-m");
        addf(q, &q->main, "%" PRIu64 "M", v->memory_mib);
        if (v->hugepages) {
                add(q, &q->main, "-object");
                addf(q, &q->main, "memory-backend-file,id=ram0,size=%" PRIu64 "M,mem-path=/dev/hugepages,prealloc=on",
                     v->memory_mib);
        }
        add(q, &q->main, "-smp");
        addf(q, &q->main, "%d,sockets=%d,cores=%d,threads=%d", v->vcpus, v->sockets, v->cores, v->threads);
        add(q, &q->main, "-rtc");
        add(q, &q->main, v->os == VK_VM_LINUX ? "base=utc,driftfix=slew" : "base=localtime,driftfix=slew");
        firmware_args(q, v);
        add(q, &q->main, "-device");
        add(q, &q->main, "qemu-xhci,id=xhci");
        storage_args(q, v);
        net_args(q, v);
        if (v->tpm) {
                _cleanup_free_ char *dir = NULL, *sock = NULL;
                tpm_paths(v, &dir, &sock);
                ESC(q, esock, sock ? sock : "");
                if (!dir || !sock || !esock) {
                        q->r = -ENOMEM;
                        return q->r;
                }
                add(q, &q->main, "-chardev");
                addf(q, &q->main, "socket,id=chrtpm,path=%s", esock);
                add(q, &q->main, "-tpmdev");
                add(q, &q->main, "emulator,id=tpm0,chardev=chrtpm");
                add(q, &q->main, "-device");
                add(q, &q->main, "tpm-crb,tpmdev=tpm0");
        }
        hostdev_args(q, v);
        audio_args(q, v);
        if (v->memballoon) {
                add(q, &q->main, "-device");
                add(q, &q->main, "virtio-balloon-pci");
        }
        if (q->r < 0)
                qargs_clear(q);
        return q->r;
}

int vk_vm_qemu_argv(const vk_vm *v, vk_strv *ret) {
        qargs q;
        vk_strv a = {0};
        int r = build(v, &q);

        if (r < 0)
                return r;
        r = vk_strv_push(&a, "qemu-system-x86_64");
        const vk_strv *parts[] = {&q.main, &q.kvm, &q.display};
        for (size_t p = 0; p < ELEMENTSOF(parts); p++)
                for (size_t i = 0; i < parts[p]->n && r >= 0; i++)
                        r = vk_strv_push(&a, parts[p]->v[i]);
        qargs_clear(&q);
        if (r < 0) {
                vk_strv_clear(&a);
                return r;
        }
        *ret = a;
        return 0;
}

char *vk_sh_quote(const char *s) {
        size_t n = 2;
        char *out, *o;

        for (const char *p = s; *p; p++)
                n += *p == '\'' ? 4 : 1;
        out = o = malloc(n + 1);
        if (!out)
                return NULL;
        *o++ = '\'';
        for (const char *p = s; *p; p++) {
                if (*p == '\'') {
                        memcpy(o, "'\\''", 4); /* close, an escaped quote, reopen */
                        o += 4;
                } else
                        *o++ = *p;
        }
        *o++ = '\'';
        *o = 0;
        return out;
}

/* Print words quoted, an option and its value on one line. */
static void put_words(FILE *f, const vk_strv *s, const char *indent, const char *sep, const char *last_sep, bool *ok) {
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_free_ char *a = vk_sh_quote(s->v[i]);
                bool pair = s->v[i][0] == '-' && i + 1 < s->n && s->v[i + 1][0] != '-';
                _cleanup_free_ char *b = pair ? vk_sh_quote(s->v[i + 1]) : NULL;
                if (!a || (pair && !b)) {
                        *ok = false;
                        return;
                }
                i += pair;
                fprintf(f, "%s%s%s%s%s", indent, a, pair ? " " : "", pair ? b : "", i + 1 < s->n ? sep : last_sep);
        }
}

/* One shell command from fixed words, then the redirections in suffix. */
static void put_cmd(FILE *f, bool *ok, const char *suffix, ...) {
        va_list ap;
        const char *w;
        bool first = true;

        va_start(ap, suffix);
        while ((w = va_arg(ap, const char *))) {
                _cleanup_free_ char *q = vk_sh_quote(w);
                if (!q) {
                        *ok = false;
                        break;
                }
                fprintf(f, "%s%s", first ? "" : " ", q);
                first = false;
        }
        va_end(ap);
        fprintf(f, "%s\n", suffix);
}

static void put_set(FILE *f, const char *pattern, const vk_strv *s, bool append, bool *ok) {
        fprintf(f, "%s)\n        set --%s \\\n", pattern, append ? " \"$@\"" : "");
        put_words(f, s, "                ", " \\\n", "\n", ok);
        fprintf(f, "        ;;\n");
}

int vk_vm_qemu_script(const vk_vm *v, char **ret) {
        qargs q;
        char *text = NULL;
        size_t len = 0;
        bool ok = true;
        FILE *f;
        int r = build(v, &q);

        if (r < 0)
                return r;
        f = open_memstream(&text, &len);
        if (!f) {
                qargs_clear(&q);
                return -ENOMEM;
        }
        fprintf(f,
                "#!/bin/sh\n"
                "# Starts the VM '%s' with QEMU. Written by 'vfiokit vm new --format=qemu'; run it as root.\n"
                "# Every QEMU argument is a fixed single-quoted word: nothing here is expanded but these two\n"
                "# settings, which pick one of the fixed argument lists below:\n"
                "#   VFIOKIT_ACCEL=tcg       no KVM: QEMU emulates the CPU (slow; for tests)\n"
                "#   VFIOKIT_CONSOLE=serial  the guest's serial console on this terminal instead of a display\n"
                "set -eu\n\n",
                v->name);
        fprintf(f, "case ${VFIOKIT_ACCEL:-kvm} in\n");
        put_set(f, "kvm", &q.kvm, false, &ok);
        put_set(f, "tcg", &q.tcg, false, &ok);
        fprintf(f, "*)\n        echo \"$0: VFIOKIT_ACCEL is kvm or tcg\" >&2\n        exit 2\n        ;;\nesac\n");
        fprintf(f, "case ${VFIOKIT_CONSOLE:-display} in\n");
        put_set(f, "display", &q.display, true, &ok);
        put_set(f, "serial", &q.serial, true, &ok);
        fprintf(f, "*)\n        echo \"$0: VFIOKIT_CONSOLE is display or serial\" >&2\n        exit 2\n        ;;\n"
                   "esac\n\n");

        put_cmd(f, &ok, "", "mkdir", "-p", v->state_dir, NULL);
        /* the lock stays with QEMU through exec: a second start would share the variable store and disk */
        fprintf(f, "# One QEMU per VM: QEMU inherits the lock on fd 9 and holds it while it runs.\n");
        _cleanup_free_ char *lock = vk_printf("%s/%s.lock", v->state_dir, v->name), *qlock = NULL;
        qlock = lock ? vk_sh_quote(lock) : NULL;
        if (!qlock)
                ok = false;
        else
                fprintf(f, "exec 9>>%s\nif ! flock -n 9; then\n        echo \"$0: this VM is already running\" >&2\n"
                           "        exit 1\nfi\n",
                        qlock);
        fprintf(f, "# The VM's own UEFI variable store, copied once from the firmware's template\n# (%s).\n",
                v->fw.descriptor);
        {
                _cleanup_free_ char *nv = vk_sh_quote(v->nvram);
                if (!nv)
                        ok = false;
                else
                        fprintf(f, "[ -e %s ] ||\n        ", nv);
                put_cmd(f, &ok, "", "cp", v->fw.vars, v->nvram, NULL);
        }
        if (v->tpm) {
                _cleanup_free_ char *dir = NULL, *sock = NULL, *state = NULL, *ctrl = NULL, *pid = NULL, *qpid = NULL;
                tpm_paths(v, &dir, &sock);
                state = dir ? vk_printf("dir=%s", dir) : NULL;
                ctrl = sock ? vk_printf("type=unixio,path=%s", sock) : NULL;
                pid = dir ? vk_printf("%s/swtpm.pid", dir) : NULL;
                qpid = pid ? vk_sh_quote(pid) : NULL;
                if (!state || !ctrl || !qpid)
                        ok = false;
                else {
                        _cleanup_free_ char *pidarg = vk_printf("file=%s", pid);
                        fprintf(f, "# TPM 2.0 for Windows 11 (swtpm); it ends when QEMU closes the socket. One left by a "
                                   "QEMU that\n# never started is stopped first (the lock says no QEMU of this VM "
                                   "runs); it must not hold the lock.\n");
                        put_cmd(f, &ok, "", "mkdir", "-p", dir, NULL);
                        /* swtpm writes its pid without a newline: read(1) would fail on it */
                        fprintf(f, "pid=$(cat %s 2>/dev/null || :)\n"
                                   "if [ -n \"$pid\" ] && [ \"$(cat \"/proc/$pid/comm\" 2>/dev/null)\" = swtpm ]; then\n"
                                   "        kill \"$pid\"\nfi\n",
                                qpid);
                        if (!pidarg)
                                ok = false;
                        else
                                put_cmd(f, &ok, " 9>&-", "swtpm", "socket", "--tpm2", "--tpmstate", state, "--ctrl", ctrl,
                                        "--pid", pidarg, "--terminate", "--daemon", NULL);
                }
        }
        for (size_t i = 0; i < v->bind.n; i++) {
                fprintf(f, "# %s's IOMMU group to vfio-pci, whole (journaled: 'vfiokit restore' gives it back).\n",
                        v->bind.v[i]);
                fprintf(f, "'vfiokit' 'bind'");
                for (size_t k = 0; k < v->bind_forced.n; k++) {
                        _cleanup_free_ char *a = vk_sh_quote(v->bind_forced.v[k]);
                        fprintf(f, " '--force-host-device' %s", a ? a : "''");
                        ok &= a != NULL;
                }
                _cleanup_free_ char *a = vk_sh_quote(v->bind.v[i]);
                fprintf(f, " %s\n", a ? a : "''");
                ok &= a != NULL;
        }
        /* "$@" last: the display's devices go on the USB controller made above */
        fprintf(f, "\nexec 'qemu-system-x86_64' \\\n");
        put_words(f, &q.main, "        ", " \\\n", " \\\n", &ok);
        fprintf(f, "        \"$@\"\n");
        qargs_clear(&q);
        if (fclose(f) != 0 || !ok) {
                free(text);
                return -ENOMEM;
        }
        *ret = text;
        return 0;
}
