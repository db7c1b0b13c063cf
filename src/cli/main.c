/* main.c — the command table, option parsing and dispatch of vfiokit; --help is generated from the table. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef VFIOKIT_VERSION
#define VFIOKIT_VERSION "0"
#endif

const vk_command vk_commands[] = {
        {"status", "", 0, 0, false, 0, "check whether this host can pass a GPU to a VM, with the fix for each problem",
         cmd_status, NULL},
        {"list", "", 0, 0, false, OPT_ALL | OPT_FORMAT,
         "list GPUs with their IOMMU groups (--all: every group; --format=dot: a Graphviz drawing)", cmd_list, NULL},
        {"show", "DEVICE", 1, 1, false, 0, "everything about one PCI function (0000:01:00.0, 01:00.0 or 10de:2484)",
         cmd_show, NULL},
        {"capture", "", 0, 0, false, OPT_OUTPUT,
         "write the files vfiokit reads into a tar (-o FILE) that works as --root elsewhere", cmd_capture, NULL},
        {"bind", "DEVICE...", 1, 64, true, OPT_FORCE_HOST,
         "move every non-bridge function of the device's IOMMU group to vfio-pci, now (journaled)", cmd_bind, NULL},
        {"unbind", "DEVICE...", 1, 64, true, 0, "give the group's functions back to the drivers the journal recorded",
         cmd_unbind, NULL},
        {"restore", "", 0, 0, true, 0, "give back everything the journal holds", cmd_restore, NULL},
        {"boot", "plan|apply|verify|revert [DEVICE]", 1, 2, false, OPT_FORCE | OPT_FORCE_HOST,
         "a GPU's group to vfio-pci at every boot: kernel line, modprobe.d, initramfs (diffed, journaled)",
         cmd_boot, boot_opts},
        {"sriov", "DEVICE", 1, 1, true, OPT_VFS | OPT_BIND | OPT_PERSIST | OPT_FORCE,
         "create (--vfs N) or remove (--vfs 0) SR-IOV VFs and bind chosen ones (--bind 1,2|all)", cmd_sriov, NULL},
        {"vm", "new NAME | lint FILE", 1, 2, false, OPT_VM | OPT_FORMAT | OPT_OUTPUT | OPT_FORCE_HOST,
         "write a VM for a GPU: libvirt domain XML or a QEMU script (new); check a domain XML (lint)", cmd_vm, NULL},
        {"hooks", "install|remove VM", 2, 2, true, 0,
         "libvirt qemu hook: bind the VM's devices before it starts, give them back after it stops", cmd_hooks,
         hooks_opts},
        {"diagnose", "[FILE...]", 0, 64, false, 0,
         "match logs (files, --dmesg, --journal, --libvirt VM) against known failure signatures: cause and fix",
         cmd_diagnose, diagnose_opts},
        {"guest", "media VM", 2, 2, false, OPT_FORCE,
         "write what the Windows guest needs: autounattend.xml, the RDP .reg, the after-install steps (--out DIR)",
         cmd_guest, guest_opts},
        {"export", "[DEVICE...]", 0, 256, false, OPT_FORMAT | OPT_FORCE,
         "device selectors for KubeVirt, Nova or Proxmox (--format): this host's, or many captures' (--fleet)",
         cmd_export, export_opts},
        {"net", "bridge|tap|remove NAME", 2, 2, true, 0,
         "a bridge over a wired NIC (--uplink IF) or a user's tap for VMs, in the host's network stack",
         cmd_net, net_opts},
        {"completion", "bash", 1, 1, false, 0, "print the shell completion script", cmd_completion, NULL},
};
const size_t vk_n_commands = ELEMENTSOF(vk_commands);

static const struct option base_options[] = {
        {"root", required_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'j'},
        {"dry-run", no_argument, NULL, 'n'},
        {"yes", no_argument, NULL, 'y'},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"all", no_argument, NULL, 'a'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"force-host-device", required_argument, NULL, 'F'},
        {"vfs", required_argument, NULL, 'N'},
        {"bind", required_argument, NULL, 'B'},
        {"persist", no_argument, NULL, 'P'},
        {"force", no_argument, NULL, 'X'},
        /* vm options: handed to cmd-vm.c by name */
#define VM_OPTION 0x100
        {"gpu", required_argument, NULL, VM_OPTION},
        {"os", required_argument, NULL, VM_OPTION},
        {"cpus", required_argument, NULL, VM_OPTION},
        {"memory", required_argument, NULL, VM_OPTION},
        {"disk", required_argument, NULL, VM_OPTION},
        {"disk-path", required_argument, NULL, VM_OPTION},
        {"disk-bus", required_argument, NULL, VM_OPTION},
        {"iso", required_argument, NULL, VM_OPTION},
        {"bridge", required_argument, NULL, VM_OPTION},
        {"network", required_argument, NULL, VM_OPTION},
        {"tap", required_argument, NULL, VM_OPTION},
        {"usb", required_argument, NULL, VM_OPTION},
        {"usb-controller", required_argument, NULL, VM_OPTION},
        {"rom", required_argument, NULL, VM_OPTION},
        {"memballoon", required_argument, NULL, VM_OPTION},
        {"graphics", required_argument, NULL, VM_OPTION},
        {"no-graphics", no_argument, NULL, VM_OPTION},
        {"smbios-host", no_argument, NULL, VM_OPTION},
        {"no-hostdev", no_argument, NULL, VM_OPTION},
        {"libvirt", required_argument, NULL, VM_OPTION},
        {"audio", required_argument, NULL, VM_OPTION},
        {"define", no_argument, NULL, VM_OPTION},
        {"connect", required_argument, NULL, VM_OPTION},
        {0},
};

/* getopt's table: the options above, then every command's own (vk_cmdopt), each name once. */
#define CMD_OPTION 0x200
static struct option *long_options;

static const struct option *find_base_option(const char *name) {
        for (const struct option *o = base_options; o->name; o++)
                if (vk_streq(o->name, name))
                        return o;
        return NULL;
}

static int build_long_options(void) {
        size_t n = ELEMENTSOF(base_options), k = n - 1;

        for (size_t i = 0; i < vk_n_commands; i++)
                for (const vk_cmdopt *o = vk_commands[i].opts; o && o->name; o++)
                        n++;
        long_options = calloc(n, sizeof(*long_options));
        if (!long_options)
                return -ENOMEM;
        memcpy(long_options, base_options, sizeof(base_options));
        for (size_t i = 0; i < vk_n_commands; i++)
                for (const vk_cmdopt *o = vk_commands[i].opts; o && o->name; o++) {
                        const struct option *b = find_base_option(o->name);
                        bool seen = false;

                        /* two commands (or a command and a global option) may share a name, never its meaning
                         * of taking a value: getopt would parse one of them wrongly */
                        if (b && (b->has_arg == required_argument) != !!o->arg) {
                                fprintf(stderr, "vfiokit: internal error: --%s takes a value for one command only\n",
                                        o->name);
                                abort();
                        }
                        for (size_t j = ELEMENTSOF(base_options) - 1; j < k; j++)
                                if (vk_streq(long_options[j].name, o->name)) {
                                        if ((long_options[j].has_arg == required_argument) != !!o->arg) {
                                                fprintf(stderr, "vfiokit: internal error: --%s takes a value for "
                                                                "one command only\n", o->name);
                                                abort();
                                        }
                                        seen = true;
                                }
                        if (b || seen)
                                continue;
                        long_options[k++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                                            CMD_OPTION};
                }
        long_options[k] = (struct option){0};
        return 0;
}

static const vk_cmdopt *find_cmdopt(const vk_command *c, const char *name) {
        for (const vk_cmdopt *o = c->opts; o && o->name; o++)
                if (vk_streq(o->name, name))
                        return o;
        return NULL;
}

const char *vk_cli_opt(const vk_cli *cli, const char *name) {
        for (size_t i = cli->opt_names.n; i > 0; i--)
                if (vk_streq(cli->opt_names.v[i - 1], name))
                        return cli->opt_values.v[i - 1];
        return NULL;
}

size_t vk_cli_opt_all(const vk_cli *cli, const char *name, const char **ret, size_t max) {
        size_t n = 0;

        for (size_t i = 0; i < cli->opt_names.n; i++)
                if (vk_streq(cli->opt_names.v[i], name)) {
                        if (n < max)
                                ret[n] = cli->opt_values.v[i];
                        n++;
                }
        return n;
}

static const struct {
        unsigned flag;
        const char *text;
} option_help[] = {
        {OPT_ALL, "  -a, --all          every IOMMU group and device"},
        {OPT_FORMAT, "      --format=FMT   text (default), json or dot"},
        {OPT_OUTPUT, "  -o, --output=FILE  where to write"},
        {OPT_FORCE_HOST, "      --force-host-device=ADDR  bind even though ADDR is host-critical (repeatable)"},
        {OPT_VFS, "      --vfs=N        how many VFs (0 removes them)"},
        {OPT_BIND, "      --bind=LIST    VFs to hand to vfio-pci: 1,2 (virtfn numbers from 1) or all"},
        {OPT_PERSIST, "      --persist      also write a systemd unit that recreates them at boot"},
        {OPT_FORCE, "      --force        remove VFs even while one is on vfio-pci"},
        {OPT_VM, "  vm new (--format=libvirt, the default, or qemu for a launcher script):\n"
                 "      --gpu=DEVICE   the GPU; every non-bridge function of its IOMMU group goes with it\n"
                 "      --os=OS        win11 (default: Secure Boot, TPM 2.0), win10 or linux\n"
                 "      --cpus=N       virtual CPUs (default: the host's, less one core)\n"
                 "      --memory=SIZE  default: half the host's RAM, at most 16G\n"
                 "      --disk=SIZE    create a qcow2 disk of SIZE with qemu-img\n"
                 "      --disk-path=PATH  the disk image or block device (existing, or created by --disk)\n"
                 "      --disk-bus=BUS virtio (default) or scsi\n"
                 "      --iso=FILE     the installer; Windows also gets the virtio-win ISO when installed\n"
                 "      --bridge=BR, --network=NAME, --tap=IFNAME  networking (default: libvirt network 'default',\n"
                 "                     QEMU user networking)\n"
                 "      --usb=VID:PID  pass a USB device (repeatable)\n"
                 "      --usb-controller=DEVICE  pass a whole USB controller and its IOMMU group\n"
                 "      --rom=FILE     a vBIOS for the GPU\n"
                 "      --memballoon=MODEL  none (default with passthrough) or virtio\n"
                 "      --graphics=KIND, --no-graphics  spice (libvirt default), vnc (QEMU default) or none\n"
                 "      --audio=KIND   none (default: the GPU's HDMI audio is the guest's sound) or ich9 (an\n"
                 "                     emulated Intel HD Audio; its sound goes to the SPICE client)\n"
                 "      --smbios-host  show the host's SMBIOS tables to the guest (libvirt)\n"
                 "      --no-hostdev   leave the passthrough devices out (to test the firmware boot)\n"
                 "      --force-host-device=ADDR  pass ADDR although it is host-critical, as bind\n"
                 "      --define       define the domain in libvirt (its API) instead of writing the XML\n"
                 "      --connect=URI  the libvirt to define it in (default: qemu:///system)\n"
                 "  vm lint:\n"
                 "      --libvirt=NAME lint the domain NAME of this host's libvirt (virsh dumpxml)"},
};

static void usage_command(FILE *out, const vk_command *c) {
        fprintf(out, "usage: vfiokit [OPTIONS] %s%s%s\n  %s\n", c->name, *c->args ? " " : "", c->args, c->help);
        for (size_t i = 0; i < ELEMENTSOF(option_help); i++)
                if (c->options & option_help[i].flag &&
                    !(c->options & OPT_VM && option_help[i].flag & (OPT_FORMAT | OPT_FORCE_HOST)) && /* vm says its own */
                    !(option_help[i].flag == OPT_FORMAT && find_cmdopt(c, "format")) &&
                    !(option_help[i].flag == OPT_FORCE && find_cmdopt(c, "force"))) /* its own meaning */
                        fprintf(out, "%s\n", option_help[i].text);
        for (const vk_cmdopt *o = c->opts; o && o->name; o++) {
                char left[64];
                snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? "=" : "", o->arg ? o->arg : "");
                fprintf(out, "      %-16s %s\n", left, o->help);
        }
}

static void usage(FILE *out) {
        fprintf(out, "usage: vfiokit [OPTIONS] COMMAND [ARGS]\n\n"
                     "Take a Linux host to a VM with a passed-through GPU, safely.\n\nCommands:\n");
        for (size_t i = 0; i < vk_n_commands; i++) {
                char left[64];
                snprintf(left, sizeof(left), "%s%s%s", vk_commands[i].name, *vk_commands[i].args ? " " : "",
                         vk_commands[i].args);
                fprintf(out, "  %-20s %s\n", left, vk_commands[i].help);
        }
        fprintf(out, "\nOptions:\n"
                     "      --root=DIR     read and write every path inside DIR instead of / (a fixture or capture)\n"
                     "      --json         machine-readable output\n"
                     "  -n, --dry-run      show what would change, change nothing\n"
                     "  -y, --yes          do not ask for confirmation\n"
                     "  -v, --verbose      say more\n"
                     "  -a, --all          (list) every IOMMU group and device\n"
                     "      --format=FMT   (list) text, json or dot\n"
                     "  -o, --output=FILE  (capture) where to write the tar\n"
                     "      --force-host-device=ADDR  (bind) allow this host-critical device\n"
                     "      --vfs=N, --bind=LIST, --persist, --force  (sriov)\n"
                     "      --gpu, --os, --cpus, --memory, --disk, --disk-path, --disk-bus, --iso, --bridge,\n"
                     "      --network, --tap, --usb, --usb-controller, --rom, --memballoon, --graphics,\n"
                     "      --no-graphics, --audio, --smbios-host, --no-hostdev, --define, --connect, --libvirt\n"
                     "                     (vm; see vfiokit vm --help)\n");
        for (size_t i = 0; i < vk_n_commands; i++) {
                const vk_command *c = &vk_commands[i];
                size_t col = 6;

                if (!c->opts || !c->opts->name)
                        continue;
                fprintf(out, "     ");
                for (const vk_cmdopt *o = c->opts; o->name; o++) {
                        if (col + strlen(o->name) + 4 > 100) {
                                fprintf(out, "\n     ");
                                col = 6;
                        }
                        col += fprintf(out, " --%s%s", o->name, o[1].name ? "," : "");
                }
                fprintf(out, "  (%s; see vfiokit %s --help)\n", c->name, c->name);
        }
        fprintf(out, "  -h, --help         this help, or COMMAND --help\n"
                     "      --version      print the version\n"
                     "\nExit status: 0 done or all checks pass, 1 failure or a failed check, 2 usage error, "
                     "3 refused for safety.\n");
}

static const vk_command *find_command(const char *name) {
        for (size_t i = 0; i < vk_n_commands; i++)
                if (vk_streq(vk_commands[i].name, name))
                        return &vk_commands[i];
        return NULL;
}

int cmd_completion(vk_cli *cli, int argc, char **argv) {
        (void)cli;
        if (argc != 1 || !vk_streq(argv[0], "bash")) {
                vk_err("completion: only 'bash' is supported");
                return VK_EXIT_USAGE;
        }
        printf("# bash completion for vfiokit, generated from its command table by 'vfiokit completion bash'\n"
               "_vfiokit() {\n"
               "    local cur prev words cword\n"
               "    _init_completion || return\n"
               "    local cmds=\"");
        for (size_t i = 0; i < vk_n_commands; i++)
                printf("%s%s", i ? " " : "", vk_commands[i].name);
        printf("\"\n    local global=\"--root --json --dry-run --yes --verbose --help --version\"\n"
               "    case $prev in\n"
               "        --root|--output|-o|--iso|--disk-path|--rom) _filedir; return ;;\n"
               "        --gpu|--usb-controller) COMPREPLY=($(compgen -W \"$(ls /sys/bus/pci/devices 2>/dev/null)\" -- \"$cur\")); return ;;\n"
               "        --os) COMPREPLY=($(compgen -W 'win11 win10 linux' -- \"$cur\")); return ;;\n"
               "        --audio) COMPREPLY=($(compgen -W 'none ich9' -- \"$cur\")); return ;;\n"
               "        --symptom) COMPREPLY=($(compgen -W 'code43 tdr black-screen' -- \"$cur\")); return ;;\n"
               "        --connect) COMPREPLY=($(compgen -W 'qemu:///system qemu:///session' -- \"$cur\")); return ;;\n"
               "        --force-host-device) COMPREPLY=($(compgen -W \"$(ls /sys/bus/pci/devices 2>/dev/null)\" -- \"$cur\")); return ;;\n"
               "        --format) COMPREPLY=($(compgen -W 'text json dot libvirt qemu kubevirt nova proxmox' -- \"$cur\")); return ;;\n"
               "    esac\n"
               "    local cmd= i\n"
               "    for ((i = 1; i < cword; i++)); do\n"
               "        case ${words[i]} in --root|--format|--output|-o|--force-host-device|--vfs|--bind|--gpu|--os|--cpus|--memory|--disk|--disk-path|--disk-bus|--iso|--bridge|--network|--tap|--usb|--usb-controller|--rom|--memballoon|--graphics|--audio|--connect|--libvirt");
        for (const struct option *o = long_options; o->name; o++)
                if (o->val == CMD_OPTION && o->has_arg == required_argument)
                        printf("|--%s", o->name);
        printf(") ((i++)) ;; -*) ;; *) cmd=${words[i]}; break ;; esac\n"
               "    done\n"
               "    case $cmd in\n"
               "        '') COMPREPLY=($(compgen -W \"$cmds $global\" -- \"$cur\")) ;;\n");
        for (size_t i = 0; i < vk_n_commands; i++) {
                const vk_command *c = &vk_commands[i];
                printf("        %s) COMPREPLY=($(compgen -W \"$global%s%s%s%s%s%s%s%s%s\" -- \"$cur\"))", c->name,
                       c->options & OPT_ALL ? " --all" : "", c->options & OPT_FORMAT ? " --format" : "",
                       c->options & OPT_OUTPUT ? " --output" : "",
                       c->options & OPT_FORCE_HOST ? " --force-host-device" : "",
                       c->options & OPT_VFS ? " --vfs --bind" : "", c->options & OPT_PERSIST ? " --persist" : "",
                       c->options & OPT_FORCE ? " --force" : "", vk_streq(c->name, "completion") ? " bash" : "",
                       c->options & OPT_VM ? " new lint --gpu --os --cpus --memory --disk --disk-path --disk-bus --iso"
                                             " --bridge --network --tap --usb --usb-controller --rom --memballoon"
                                             " --graphics --no-graphics --audio --smbios-host --no-hostdev --define --connect"
                                             " --libvirt"
                                           : "");
                for (const vk_cmdopt *o = c->opts; o && o->name; o++)
                        printf("%s--%s", o == c->opts ? "\n            COMPREPLY+=($(compgen -W \"" : " ", o->name);
                if (c->opts && c->opts->name)
                        printf("\" -- \"$cur\"))");
                if (vk_startswith(c->args, "[FILE"))
                        printf("\n            [[ $cur != -* ]] && _filedir");
                if (vk_startswith(c->args, "DEVICE"))
                        printf("\n            [[ $cur != -* ]] && COMPREPLY+=($(compgen -W \"$(ls /sys/bus/pci/devices "
                               "2>/dev/null)\" -- \"$cur\"))");
                printf(" ;;\n");
        }
        printf("    esac\n}\ncomplete -F _vfiokit vfiokit\n");
        return VK_EXIT_OK;
}

static void cli_clear(vk_cli *cli) {
        vk_strv_clear(&cli->force_host);
        vk_strv_clear(&cli->opt_names);
        vk_strv_clear(&cli->opt_values);
        free(long_options);
        long_options = NULL;
}

int main(int argc, char **argv) {
        _cleanup_(cli_clear) vk_cli cli = {.root = "/", .format = NULL, .vfs = -1, .exe = argv[0]};
        const vk_command *cmd;
        bool help = false;
        unsigned used = 0;
        int c, r, li = -1;

        if (build_long_options() < 0) {
                vk_err("out of memory");
                return VK_EXIT_FAIL;
        }
        opterr = 0; /* our own messages: getopt's would name argv[0] as it was typed */
        while ((c = getopt_long(argc, argv, ":nyvhao:", long_options, &li)) >= 0) {
                switch (c) {
                case 'R':
                        cli.root = optarg;
                        break;
                case 'j':
                        cli.json = true;
                        break;
                case 'n':
                        cli.dry_run = true;
                        break;
                case 'y':
                        cli.yes = true;
                        break;
                case 'v':
                        cli.verbose++;
                        break;
                case 'V':
                        /* the build's optional features, as systemd lists them: +libvirt means vm new --define works */
                        printf("vfiokit %s %slibvirt\n", VFIOKIT_VERSION, vk_cli_have_libvirt ? "+" : "-");
                        return VK_EXIT_OK;
                case 'h':
                        help = true;
                        break;
                case 'a':
                        cli.all = true;
                        used |= OPT_ALL;
                        break;
                case 'f':
                        cli.format = optarg;
                        used |= OPT_FORMAT;
                        break;
                case 'o':
                        cli.output = optarg;
                        used |= OPT_OUTPUT;
                        break;
                case 'F':
                        if (vk_strv_push(&cli.force_host, optarg) < 0)
                                return VK_EXIT_FAIL;
                        used |= OPT_FORCE_HOST;
                        break;
                case 'N':
                        if (vk_parse_uint(optarg, &cli.vfs) < 0) {
                                vk_err("--vfs=%s: expected a number of VFs (0 removes them)", optarg);
                                return VK_EXIT_USAGE;
                        }
                        used |= OPT_VFS;
                        break;
                case 'B':
                        cli.bind = optarg;
                        used |= OPT_BIND;
                        break;
                case 'P':
                        cli.persist = true;
                        used |= OPT_PERSIST;
                        break;
                case 'X':
                        cli.force = true;
                        used |= OPT_FORCE;
                        break;
                case VM_OPTION:
                        /* a vm option's name may also be another command's own (diagnose --libvirt) */
                        if (vk_strv_push(&cli.opt_names, long_options[li].name) < 0 ||
                            vk_strv_push(&cli.opt_values, optarg ? optarg : "") < 0)
                                return VK_EXIT_FAIL;
                        r = vk_cli_vm_option(&cli, long_options[li].name, optarg);
                        if (r)
                                return r;
                        used |= OPT_VM;
                        break;
                case CMD_OPTION:
                        if (vk_strv_push(&cli.opt_names, long_options[li].name) < 0 ||
                            vk_strv_push(&cli.opt_values, optarg ? optarg : "") < 0)
                                return VK_EXIT_FAIL;
                        break;
                case ':':
                        vk_err("option %s needs a value; see 'vfiokit --help'", argv[optind - 1]);
                        return VK_EXIT_USAGE;
                default:
                        if (optopt)
                                vk_err("unknown option -%c; see 'vfiokit --help'", optopt);
                        else
                                vk_err("unknown option %s; see 'vfiokit --help'", argv[optind - 1]);
                        return VK_EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(help ? stdout : stderr);
                return help ? VK_EXIT_OK : VK_EXIT_USAGE;
        }
        if (vk_streq(argv[optind], "help")) {
                const vk_command *hc = optind + 1 < argc ? find_command(argv[optind + 1]) : NULL;
                if (hc)
                        usage_command(stdout, hc);
                else
                        usage(stdout);
                return VK_EXIT_OK;
        }
        cmd = find_command(argv[optind]);
        if (!cmd) {
                vk_err("'%s' is not a vfiokit command; see 'vfiokit --help'", argv[optind]);
                return VK_EXIT_USAGE;
        }
        if (help) {
                usage_command(stdout, cmd);
                return VK_EXIT_OK;
        }
        argc -= optind + 1;
        argv += optind + 1;
        if (argc < cmd->min_args || argc > cmd->max_args) {
                vk_err("%s: expected %s%s", cmd->name, *cmd->args ? cmd->args : "no arguments",
                       argc > cmd->max_args ? ", got more" : "");
                usage_command(stderr, cmd);
                return VK_EXIT_USAGE;
        }
        /* vm options that this command declares as its own are its, not vm's */
        if (used & OPT_VM && !(cmd->options & OPT_VM)) {
                bool all_own = true;
                for (size_t i = 0; i < cli.opt_names.n; i++)
                        if (!find_cmdopt(cmd, cli.opt_names.v[i]) &&
                            find_base_option(cli.opt_names.v[i])->val == VM_OPTION)
                                all_own = false;
                if (all_own)
                        used &= ~OPT_VM;
        }
        if (!(cmd->options & OPT_VM))
                for (size_t i = 0; i < cli.opt_names.n; i++)
                        if (!find_cmdopt(cmd, cli.opt_names.v[i]) && !find_base_option(cli.opt_names.v[i])) {
                                vk_err("%s: option --%s does not apply to this command", cmd->name, cli.opt_names.v[i]);
                                return VK_EXIT_USAGE;
                        }
        if (used & ~cmd->options) {
                const struct {
                        unsigned flag;
                        const char *name;
                } names[] = {{OPT_ALL, "--all"},     {OPT_FORMAT, "--format"},   {OPT_OUTPUT, "--output"},
                             {OPT_FORCE_HOST, "--force-host-device"}, {OPT_VFS, "--vfs"}, {OPT_BIND, "--bind"},
                             {OPT_PERSIST, "--persist"}, {OPT_FORCE, "--force"}, {OPT_VM, cli.vm.first}};
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (used & ~cmd->options & names[i].flag) {
                                vk_err("%s: option %s%s does not apply to this command", cmd->name,
                                       names[i].flag == OPT_VM ? "--" : "", names[i].name);
                                break;
                        }
                return VK_EXIT_USAGE;
        }
        if (cli.format && !vk_streq(cmd->name, "vm") && !find_cmdopt(cmd, "format") && !vk_streq(cli.format, "text") && !vk_streq(cli.format, "json") &&
            !vk_streq(cli.format, "dot")) {
                vk_err("--format=%s: expected text, json or dot", cli.format);
                return VK_EXIT_USAGE;
        }
        if (cli.format && vk_streq(cli.format, "json"))
                cli.json = true;
        {
                const char *nc = getenv("NO_COLOR");
                cli.color = isatty(STDOUT_FILENO) && !(nc && *nc) && !cli.json;
        }
        if (vk_streq(cmd->name, "completion"))
                return cmd->run(&cli, argc, argv);

        r = vk_host_new(cli.root, &cli.host);
        if (r < 0) {
                vk_err("--root %s: %s", cli.root, strerror(-r));
                return VK_EXIT_FAIL;
        }
        if (cmd->needs_root && vk_host_is_live(cli.host) && !cli.dry_run && geteuid() != 0) {
                vk_err("%s changes the system and must run as root: sudo vfiokit %s (or --dry-run to see the plan)",
                       cmd->name, cmd->name);
                vk_host_free(cli.host);
                return VK_EXIT_FAIL;
        }
        r = cmd->run(&cli, argc, argv);
        vk_host_free(cli.host);
        return r;
}
