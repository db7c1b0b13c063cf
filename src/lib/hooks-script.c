/* hooks-script.c — the text of vfiokit's libvirt qemu hook dispatcher and of the per-VM hook script. */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Static text: it names no VM and no device, so every VM shares it and reinstalling one VM never changes it.
 * The original hook gets the same arguments and the same stdin (libvirt's domain XML), and its stdout stays
 * libvirt's (the migrate and restore operations read a changed XML from it). */
static const char dispatcher[] =
        "#!/bin/sh\n" VK_HOOKS_DISPATCHER_MARK "\n"
        "# libvirt's qemu hook, written by `vfiokit hooks install`; `vfiokit hooks remove VM` puts back what was\n"
        "# here when the last VM's hook goes. libvirt runs it as: qemu VM OPERATION SUB-OPERATION EXTRA, with the\n"
        "# domain XML on stdin.\n"
        "# 1. The hook that was here before, kept as qemu.vfiokit-orig, runs first with the same arguments and\n"
        "#    stdin. When it fails at prepare, this hook fails with its status before anything else runs (libvirt\n"
        "#    then does not start the VM); at the other operations the scripts below still run, and its status\n"
        "#    is the hook's.\n"
        "# 2. Every executable file in qemu.d/VM/OPERATION/SUB-OPERATION/ runs in name order (the per-VM layout\n"
        "#    of the VFIO guides; vfiokit's own scripts are there). The first failure is the hook's status.\n"
        "# libvirt >= 6.5 also runs the executable files directly in qemu.d/ itself, after this script; it\n"
        "# skips directories, so the per-VM tree is only run from here.\n"
        "set -u\n"
        "LC_ALL=C\n"
        "export LC_ALL\n"
        "dir=${0%/*}\n"
        "[ \"$dir\" = \"$0\" ] && dir=.\n"
        "input=\n"
        "# the XML, trailing newlines and all (the '.' keeps them from $(...))\n"
        "[ -t 0 ] || input=$(cat; echo .)\n"
        "input=${input%.}\n"
        "status=0\n"
        "if [ -x \"$0.vfiokit-orig\" ]; then\n"
        "        printf '%s' \"$input\" | \"$0.vfiokit-orig\" \"$@\"\n"
        "        status=$?\n"
        "        if [ \"$status\" -ne 0 ] && [ \"${2-}\" = prepare ]; then\n"
        "                echo \"vfiokit hook: $0.vfiokit-orig failed (exit $status) at ${2-} ${3-}\" >&2\n"
        "                exit \"$status\"\n"
        "        fi\n"
        "fi\n"
        "# libvirt never passes these, but they must not turn the path below into another directory\n"
        "safe() { case $1 in ''|.|..|*/*) return 1 ;; esac; }\n"
        "if safe \"${1-}\" && safe \"${2-}\" && safe \"${3-}\"; then\n"
        "        for f in \"$dir/qemu.d/$1/$2/$3\"/*; do\n"
        "                [ -f \"$f\" ] && [ -x \"$f\" ] || continue\n"
        "                printf '%s' \"$input\" | \"$f\" \"$@\"\n"
        "                rc=$?\n"
        "                if [ \"$rc\" -ne 0 ]; then\n"
        "                        echo \"vfiokit hook: $f failed (exit $rc)\" >&2\n"
        "                        exit \"$rc\"\n"
        "                fi\n"
        "        done\n"
        "fi\n"
        "exit \"$status\"\n";

const char *vk_hooks_dispatcher_text(void) { return dispatcher; }

bool vk_hooks_exe_path_is_valid(const char *s) {
        if (!s || s[0] != '/' || strlen(s) > 4096)
                return false;
        for (; *s; s++)
                if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
                    !strchr("/._+-", *s))
                        return false;
        return true;
}

/* The body after the variables: the same for every VM. prepare/begin records each step in the undo file
 * before the next one, so a failure anywhere puts back exactly what was done, last first, and release/end
 * runs the same undo. A second prepare (the file exists) or a release without one does nothing: running the
 * script twice for one phase (two dispatchers) is harmless. */
static const char body[] =
        "root=${VFIOKIT_HOOK_ROOT-}\n"
        "undo=\"$root/run/vfiokit/hook-$vm.undo\"\n"
        "\n"
        "[ \"${1-}\" = \"$vm\" ] || exit 0\n"
        "\n"
        "say() { printf 'vfiokit hook %s: %s\\n' \"$vm\" \"$*\" >&2; }\n"
        "record() { printf '%s\\n' \"$1\" >>\"$undo\"; }\n"
        "\n"
        "# single GPU: the host lets go of its display before the GPU can move\n"
        "stop_display() {\n"
        "        say 'stopping display-manager.service'\n"
        "        systemctl stop display-manager.service </dev/null >&2 || return 1\n"
        "        record display-manager\n"
        "        for c in \"$root\"/sys/class/vtconsole/vtcon*; do\n"
        "                [ -r \"$c/name\" ] && [ -r \"$c/bind\" ] || continue\n"
        "                case $(cat \"$c/name\") in *'frame buffer'*) ;; *) continue ;; esac\n"
        "                [ \"$(cat \"$c/bind\")\" = 1 ] || continue\n"
        "                say \"unbinding ${c##*/} (framebuffer console)\"\n"
        "                echo 0 >\"$c/bind\" || return 1\n"
        "                record \"vtcon ${c##*/}\"\n"
        "        done\n"
        "        for fb in efi-framebuffer simple-framebuffer; do\n"
        "                d=\"$root/sys/bus/platform/drivers/$fb\"\n"
        "                [ -e \"$d/$fb.0\" ] || continue\n"
        "                say \"unbinding $fb.0\"\n"
        "                echo \"$fb.0\" >\"$d/unbind\" || return 1\n"
        "                record \"fb $fb\"\n"
        "        done\n"
        "}\n"
        "\n"
        "# every recorded step undone, last first; each is tried even when one fails\n"
        "undo_all() {\n"
        "        [ -f \"$undo\" ] || return 0\n"
        "        steps=\n"
        "        while IFS= read -r step; do steps=\"$step\n$steps\"; done <\"$undo\"\n"
        "        failed=0\n"
        "        while IFS= read -r step; do\n"
        "                case $step in\n"
        "                bound)\n"
        "                        say \"giving back $devices\"\n"
        "                        \"$root$vfiokit\" unbind $devices </dev/null >&2 || failed=1 ;;\n"
        "                'fb efi-framebuffer' | 'fb simple-framebuffer')\n"
        "                        fb=${step#fb }\n"
        "                        say \"binding $fb.0\"\n"
        "                        echo \"$fb.0\" >\"$root/sys/bus/platform/drivers/$fb/bind\" || failed=1 ;;\n"
        "                'vtcon vtcon'[0-9]*)\n"
        "                        c=${step#vtcon }\n"
        "                        say \"binding $c\"\n"
        "                        echo 1 >\"$root/sys/class/vtconsole/$c/bind\" || failed=1 ;;\n"
        "                display-manager)\n"
        "                        say 'starting display-manager.service'\n"
        "                        systemctl start display-manager.service </dev/null >&2 || failed=1 ;;\n"
        "                esac\n"
        "        done <<EOF\n"
        "$steps\n"
        "EOF\n"
        "        rm -f \"$undo\"\n"
        "        return \"$failed\"\n"
        "}\n"
        "\n"
        "case ${2-}/${3-} in\n"
        "prepare/begin)\n"
        "        if [ -f \"$undo\" ]; then\n"
        "                say \"already prepared ($undo exists)\"\n"
        "                exit 0\n"
        "        fi\n"
        "        mkdir -p \"$root/run/vfiokit\" && : >\"$undo\" || exit 1\n"
        "        if [ \"$single_gpu\" = yes ] && ! stop_display; then\n"
        "                say 'could not take the display from the host; putting it back'\n"
        "                undo_all\n"
        "                exit 1\n"
        "        fi\n"
        "        say \"binding $devices to vfio-pci\"\n"
        "        if ! \"$root$vfiokit\" bind $force $devices </dev/null >&2; then\n"
        "                say 'vfiokit bind failed: the VM does not start'\n"
        "                undo_all\n"
        "                exit 1\n"
        "        fi\n"
        "        record bound\n"
        "        ;;\n"
        "release/end)\n"
        "        [ -f \"$undo\" ] || exit 0\n"
        "        if ! undo_all; then\n"
        "                say 'some steps could not be undone (see above)'\n"
        "                exit 1\n"
        "        fi\n"
        "        ;;\n"
        "esac\n"
        "exit 0\n";

static int join_words(FILE *f, const char *prefix, const vk_strv *s) {
        for (size_t i = 0; i < s->n; i++)
                if (!vk_is_pci_addr(s->v[i]) || fprintf(f, "%s%s%s", i ? " " : "", prefix, s->v[i]) < 0)
                        return -EINVAL;
        return 0;
}

/* Quote s for a POSIX shell: 'it'\''s'. */
static void put_quoted(FILE *f, const char *s) {
        fputc('\'', f);
        for (; *s; s++) {
                if (*s == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*s, f);
        }
        fputc('\'', f);
}

char *vk_hooks_vm_script(const char *vm, const char *vfiokit, const vk_strv *devices, const vk_strv *forced,
                         bool single_gpu) {
        char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r = 0;

        if (!vk_hooks_vm_name_is_valid(vm) || !vk_hooks_exe_path_is_valid(vfiokit) || devices->n == 0)
                return NULL;
        f = open_memstream(&text, &len);
        if (!f)
                return NULL;
        fputs("#!/bin/sh\n# vfiokit hook for the libvirt domain ", f);
        put_quoted(f, vm);
        fputs(", written by `vfiokit hooks install`; `vfiokit hooks remove`\n"
              "# takes it away. vfiokit's qemu hook runs it as: SCRIPT VM OPERATION SUB-OPERATION EXTRA.\n"
              "# prepare/begin: ",
              f);
        fputs(single_gpu ? "stop the display manager, unbind the framebuffer consoles and the firmware\n"
                           "# framebuffer, then " : "",
              f);
        fputs("hand the VM's PCI devices to vfio-pci (vfiokit bind: whole IOMMU groups,\n"
              "# journaled). release/end: give them back to their drivers",
              f);
        fputs(single_gpu ? ", then the framebuffer, the consoles\n# and the display manager.\n" : ".\n", f);
        fputs("# Messages go to stderr (libvirt logs them). VFIOKIT_HOOK_ROOT is a fixture root for tests; libvirt\n"
              "# never sets it.\n"
              "set -u\nLC_ALL=C\nexport LC_ALL\nvm=",
              f);
        put_quoted(f, vm);
        fputs("\nvfiokit=", f);
        put_quoted(f, vfiokit);
        fputs("\ndevices='", f);
        r |= join_words(f, "", devices);
        fputs("'\nforce='", f);
        r |= join_words(f, "--force-host-device ", forced);
        fprintf(f, "'\nsingle_gpu=%s\n", single_gpu ? "yes" : "no");
        fputs(body, f);
        if (fclose(f) != 0 || r < 0) {
                free(text);
                return NULL;
        }
        return text;
}
