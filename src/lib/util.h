/* util.h — small helpers shared by the library: cleanup attributes, strings, numbers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _p_ = (p);     \
                (p) = NULL;                  \
                _p_;                         \
        })
#define TAKE_FD(fd)                          \
        ({                                   \
                int _fd_ = (fd);             \
                (fd) = -1;                   \
                _fd_;                        \
        })

bool vk_streq(const char *a, const char *b);
bool vk_startswith(const char *s, const char *prefix);
/* Strip trailing whitespace (the kernel's "\n") in place. */
char *vk_strip(char *s);
/* Parse "0x%x" (sysfs style, the 0x is required) into *ret when it fits in max. */
int vk_parse_hex(const char *s, uint32_t max, uint32_t *ret);
/* Parse a non-negative decimal integer that fits in an int. */
int vk_parse_uint(const char *s, int *ret);
/* True when s is a full PCI address "DDDD:BB:DD.F". */
bool vk_is_pci_addr(const char *s);
char *vk_strdup(const char *s);
/* asprintf that returns NULL on failure. */
char *vk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable array of owned strings. */
typedef struct vk_strv {
        char **v;
        size_t n, cap;
} vk_strv;
int vk_strv_push(vk_strv *s, const char *str);
int vk_strv_push_take(vk_strv *s, char *str);
bool vk_strv_contains(const vk_strv *s, const char *str);
void vk_strv_clear(vk_strv *s);
/* The strings with sep between them ("" for none); NULL when out of memory. */
char *vk_strv_join(const vk_strv *s, const char *sep);

/* An error that carries a message up to the CLI (crun's libcrun_error_t, small). */
typedef struct vk_error {
        int r;        /* -errno */
        bool refused; /* a safety refusal (exit 3), not a failure */
        char msg[1024];
} vk_error;
/* Fill err (when not NULL) and return r, so callers can `return vk_error_set(...)`. */
int vk_error_set(vk_error *err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vk_error_refuse(vk_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
