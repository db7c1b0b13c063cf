/* cli.h — what the command handlers share: parsed options, the command table entry, output helpers. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "../lib/model.h"
#include "../lib/report.h"

enum {
        VK_EXIT_OK = 0,
        VK_EXIT_FAIL = 1,
        VK_EXIT_USAGE = 2,
        VK_EXIT_REFUSED = 3,
};

/* Command-specific options a verb accepts (global ones are always allowed). */
enum {
        OPT_ALL = 1 << 0,
        OPT_FORMAT = 1 << 1,
        OPT_OUTPUT = 1 << 2,
        OPT_FORCE_HOST = 1 << 3,
        OPT_VFS = 1 << 4,
        OPT_BIND = 1 << 5,
        OPT_PERSIST = 1 << 6,
        OPT_FORCE = 1 << 7,
        OPT_VM = 1 << 8, /* the vm options below, each checked by cmd-vm.c */
};

/* vm new / vm lint options as given (flags hold "1"); main.c passes them to vk_cli_vm_option by name. */
typedef struct vk_cli_vm {
        const char *first; /* the first one given, for "does not apply" */
        const char *gpu, *os, *cpus, *memory, *disk, *disk_path, *disk_bus, *iso, *bridge, *network, *tap,
                *usb_controller, *rom, *memballoon, *graphics, *no_graphics, *smbios_host, *no_hostdev, *libvirt,
                *audio, *define, *connect;
        const char *usb[17]; /* --usb VID:PID, NULL-terminated */
        size_t n_usb;
} vk_cli_vm;

/* vm-define.c: define a domain through the libvirt API. Without libvirt at build time it says so and fails. */
extern const bool vk_cli_have_libvirt;
/* 0 with the domain's UUID, or the exit status after saying why (libvirt's own message). */
int vk_cli_vm_define(const char *uri, const char *xml, const char *file_hint, char ret_uuid[static 37]);

/* An option that belongs to one command (a newer command declares its own instead of an OPT_* bit).
 * main.c builds getopt's table from every command's list, refuses one given to another command,
 * and generates --help, the completion and the docs check from these entries. */
typedef struct vk_cmdopt {
        const char *name;  /* without "--" */
        const char *arg;   /* the value's name in --help ("IF"), or NULL for a flag */
        const char *help;  /* one line */
} vk_cmdopt;

typedef struct vk_cli {
        const char *root;
        bool json;
        bool dry_run;
        bool yes;
        int verbose;
        bool all;
        const char *format; /* text | json | dot */
        const char *output;
        bool color;
        vk_strv force_host; /* --force-host-device, as given */
        int vfs;            /* --vfs, -1 when not given */
        const char *bind;   /* --bind I,J|all */
        bool persist;
        bool force;
        const char *exe;    /* how vfiokit was started, for units it writes */
        vk_cli_vm vm;
        vk_strv opt_names, opt_values; /* the command's own options (vk_cmdopt), in the order given */
        vk_host *host;
} vk_cli;

/* The value of the command option NAME (the last one given; "" for a flag), or NULL when not given. */
const char *vk_cli_opt(const vk_cli *cli, const char *name);
/* Every value given for NAME, in order, into ret (borrowed strings); returns how many. */
size_t vk_cli_opt_all(const vk_cli *cli, const char *name, const char **ret, size_t max);

typedef struct vk_command {
        const char *name;
        const char *args;  /* usage synopsis of positional arguments */
        int min_args, max_args;
        bool needs_root;   /* must run as root on the live system */
        unsigned options;  /* OPT_* it accepts */
        const char *help;  /* one line */
        int (*run)(vk_cli *cli, int argc, char **argv);
        const vk_cmdopt *opts; /* its own options, ended by {NULL}; may be NULL */
} vk_command;

extern const vk_command vk_commands[];
extern const size_t vk_n_commands;

/* output.c */
void vk_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a library failure with what was being done. */
int vk_err_errno(int r, const char *what);
void vk_print_json(json_object *o);
const char *vk_color(const vk_cli *cli, const char *which); /* "red" "yellow" "green" "bold" "dim" "reset" */
/* Load the model, printing one clear error on failure. */
int vk_cli_load(vk_cli *cli, vk_model **ret);
/* Resolve DEVICE for a command, printing the matches or the GPUs on failure. */
int vk_cli_resolve(const vk_model *m, const char *name, vk_func **ret);

/* json-model.c: the one model both renderers read */
json_object *vk_json_func(const vk_model *m, const vk_func *f);
json_object *vk_json_gpu(const vk_model *m, const vk_gpu *g);
json_object *vk_json_group(const vk_model *m, const vk_group *g);
json_object *vk_json_host(const vk_model *m, bool all);
json_object *vk_json_checks(const vk_model *m, const vk_check *c, size_t n);
json_object *vk_json_problems(const vk_model *m);

/* json accessors for the text renderers */
const char *vk_js(json_object *o, const char *key);
int vk_ji(json_object *o, const char *key, int def);
bool vk_jb(json_object *o, const char *key);
json_object *vk_jo(json_object *o, const char *key);

int cmd_status(vk_cli *cli, int argc, char **argv);
int cmd_list(vk_cli *cli, int argc, char **argv);
int cmd_show(vk_cli *cli, int argc, char **argv);
int cmd_capture(vk_cli *cli, int argc, char **argv);
int cmd_completion(vk_cli *cli, int argc, char **argv);
int cmd_bind(vk_cli *cli, int argc, char **argv);
int cmd_unbind(vk_cli *cli, int argc, char **argv);
int cmd_restore(vk_cli *cli, int argc, char **argv);
int cmd_sriov(vk_cli *cli, int argc, char **argv);
int cmd_vm(vk_cli *cli, int argc, char **argv);
int cmd_diagnose(vk_cli *cli, int argc, char **argv);
extern const vk_cmdopt diagnose_opts[];
int cmd_guest(vk_cli *cli, int argc, char **argv);
extern const vk_cmdopt guest_opts[];
int cmd_export(vk_cli *cli, int argc, char **argv);
extern const vk_cmdopt export_opts[];
int cmd_net(vk_cli *cli, int argc, char **argv);
extern const vk_cmdopt net_opts[];
int cmd_hooks(vk_cli *cli, int argc, char **argv);
extern const vk_cmdopt hooks_opts[];
int cmd_boot(vk_cli *cli, int argc, char **argv);
extern const vk_cmdopt boot_opts[];
/* Store one vm option (NAME without "--", ARG NULL for a flag); an exit status on a usage error. */
int vk_cli_vm_option(vk_cli *cli, const char *name, const char *arg);
/* Exit status for a library error: 3 for a refusal, else 1; prints err. */
int vk_cli_fail(const vk_error *err);
