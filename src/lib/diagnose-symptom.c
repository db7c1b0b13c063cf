/* diagnose-symptom.c — what to do about a symptom seen inside the guest (Code 43, VIDEO_TDR_FAILURE, a black
 * screen), chosen from this host's GPUs: laptop MUXless dGPU, boot GPU, NVIDIA or AMD. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose-internal.h"

typedef enum symptom { CODE43, TDR, BLACK_SCREEN } symptom;

/* A dGPU whose outputs are not its own: a 3D controller, or a non-boot GPU in a machine with a battery. */
static bool is_muxless(const vk_func *f, const char *battery) {
        return (f->class_code >> 8) == VK_CLASS_3D || (battery && f->boot_vga != 1);
}

static const char *gpu_name(const vk_func *f) {
        return f->device_name ? f->device_name : "GPU";
}

static int advise_gpu(vk_diag *d, const vk_func *f, symptom s, const char *battery, int kmajor,
                      const char *kernel) {
        int r = 0;

        if (is_muxless(f, battery)) {
                if (s != BLACK_SCREEN)
                        r = vk_diag_advice_add(d, f->addr, vk_printf(
                                "%s (%s) is a laptop's MUXless dGPU%s%s%s: its driver checks the subsystem ids, so "
                                "give the guest the card's own: x-pci-sub-vendor-id=%u x-pci-sub-device-id=%u "
                                "(0x%04x:0x%04x, decimal in libvirt's <qemu:override>, as seed 001 did; vfiokit vm "
                                "new writes them for a 3D controller); NVIDIA's mobile driver also wants a battery: "
                                "give the VM a fake ACPI battery (an SSDT table); and the vBIOS is in the system "
                                "firmware, not on the card: extract it (VBiosFinder) and pass it with <rom "
                                "file='…'/>",
                                f->addr, gpu_name(f), battery ? " (this host has a battery, " : "",
                                battery ? battery : "", battery ? ")" : "", f->subsys_vendor, f->subsys_device,
                                f->subsys_vendor, f->subsys_device));
                else
                        r = vk_diag_advice_add(d, f->addr, vk_printf(
                                "%s (%s) is a MUXless dGPU: no display output is wired to it (the panel hangs on the "
                                "iGPU), so there is no picture to see; use an external port if the laptop wires one "
                                "to the dGPU, or Looking Glass, Sunshine/Moonlight or RDP",
                                f->addr, gpu_name(f)));
                if (r < 0)
                        return r;
        }
        if (f->boot_vga == 1) {
                r = vk_diag_advice_add(d, f->addr, vk_printf(
                        "%s (%s) is this host's boot GPU (boot_vga=1): the firmware shadows and modifies its vBIOS "
                        "at boot and the guest driver may reject that copy; give the VM a clean ROM dump with <rom "
                        "file='…'/> (vfiokit vm new --rom FILE), or make the other GPU the boot GPU in the firmware "
                        "setup. Seed 004's host (a GTX 1060 as the boot GPU) had VIDEO_TDR_FAILURE (nvlddmkm.sys) whenever a monitor "
                        "was connected to it while the host booted, and 'vfio_region_write … Device or resource "
                        "busy' in the libvirt log; unplugging the monitor until the host was up, or echo 1 > "
                        "/sys/bus/pci/devices/%s/remove && echo 1 > /sys/bus/pci/rescan before starting the VM, "
                        "fixed it",
                        f->addr, gpu_name(f), f->addr));
                if (r < 0)
                        return r;
                if (s == BLACK_SCREEN && kmajor >= 0 && kmajor < 6)
                        r = vk_diag_advice_add(d, f->addr, vk_printf(
                                "on %s (older than 6.0) the host's firmware framebuffer stays on the boot GPU %s: "
                                "video=efifb:off (or initcall_blacklist=sysfb_init) on the kernel command line "
                                "releases it",
                                kernel, f->addr));
                if (r < 0)
                        return r;
        }
        if (s == CODE43 && f->vendor == 0x10de)
                r = vk_diag_advice_add(d, f->addr, vk_printf(
                        "%s is NVIDIA: drivers before R465 stop with Code 43 when they see a hypervisor; hide KVM "
                        "(<kvm><hidden state='on'/></kvm>) and set a Hyper-V vendor id (<hyperv><vendor_id "
                        "state='on' value='0123456789ab'/></hyperv>, at most 12 characters); with R465 and newer "
                        "updating the guest driver is the fix (seed 004)",
                        f->addr));
        else if (s == CODE43 && f->vendor == 0x1002)
                r = vk_diag_advice_add(d, f->addr, vk_printf(
                        "%s is AMD: set a Hyper-V vendor id (<hyperv><vendor_id state='on' value='…'/>); seed 004's "
                        "RX 5600 XT kept Code 43 until the boot-GPU problem above was solved; Polaris/Vega/Navi cards "
                        "with the reset bug need vendor-reset after the first guest boot",
                        f->addr));
        if (r < 0)
                return r;
        if (s == TDR)
                r = vk_diag_advice_add(d, f->addr, vk_printf(
                        "a TDR also follows a GPU that was not reset between guest boots: vfiokit show %s lists its "
                        "reset_method; a full host reboot before the next try tells the two apart",
                        f->addr));
        else if (s == BLACK_SCREEN && !is_muxless(f, battery))
                r = vk_diag_advice_add(d, f->addr, vk_printf(
                        "the guest's picture appears only on %s's own outputs: connect the monitor there (not to the "
                        "host's GPU) and select that input; with OVMF the card needs a ROM with a UEFI GOP to show "
                        "anything before Windows loads its driver (rombar on, or <rom file='…'/>)",
                        f->addr));
        return r;
}

int vk_diag_symptom(vk_diag *d, vk_host *h, const vk_model *m, const char *word) {
        _cleanup_free_ char *battery = NULL, *kernel = NULL;
        symptom s;
        size_t before;
        int kmajor, r = 0;

        if (vk_streq(word, "code43"))
                s = CODE43;
        else if (vk_streq(word, "tdr"))
                s = TDR;
        else if (vk_streq(word, "black-screen"))
                s = BLACK_SCREEN;
        else
                return -EINVAL;
        vk_diag_advice(d, &before);
        vk_diag_facts_battery(h, &battery);
        vk_diag_facts_kernel(h, m, &kmajor, &kernel);

        /* the GPUs on vfio-pci are the ones passed; without any, every GPU the host does not display on */
        for (int pass = 0; pass < 2 && m; pass++) {
                size_t n_adv;
                for (size_t i = 0; i < m->n_funcs && r >= 0; i++) {
                        const vk_func *f = &m->funcs[i];
                        const vk_critical *c = vk_model_critical(m, f->addr);
                        if (!vk_func_is_gpu(f))
                                continue;
                        if (pass == 0 ? !(f->driver && vk_streq(f->driver, "vfio-pci"))
                                      : (c && c->kind == VK_CRITICAL_DISPLAY))
                                continue;
                        r = advise_gpu(d, f, s, battery, kmajor, kernel);
                }
                if (r < 0)
                        return r;
                vk_diag_advice(d, &n_adv);
                if (n_adv > before)
                        break;
        }
        size_t after;
        vk_diag_advice(d, &after);
        if (after > before)
                return 0;
        /* nothing host-specific known: the general list */
        switch (s) {
        case CODE43:
                return vk_diag_advice_add(d, NULL, vk_strdup(
                        "no passed-through GPU is known on this host; the usual causes of Code 43: an NVIDIA driver "
                        "before R465 (hide KVM, <hyperv><vendor_id>), a laptop dGPU without its subsystem ids "
                        "(x-pci-sub-vendor-id/x-pci-sub-device-id) and battery, or the boot GPU's modified vBIOS "
                        "(a ROM file)"));
        case TDR:
                return vk_diag_advice_add(d, NULL, vk_strdup(
                        "no passed-through GPU is known on this host; the usual causes of VIDEO_TDR_FAILURE: the boot "
                        "GPU passed with its firmware framebuffer still on it (seed 004: remove + rescan before "
                        "starting the VM), or a GPU that was not reset between guest boots"));
        case BLACK_SCREEN:
                return vk_diag_advice_add(d, NULL, vk_strdup(
                        "no passed-through GPU is known on this host; for a black screen check: the monitor on the "
                        "passed GPU's outputs, a ROM with a UEFI GOP (<rom file='…'/>), and the host's firmware "
                        "framebuffer on that GPU (video=efifb:off before Linux 6.0)"));
        }
        return 0;
}
