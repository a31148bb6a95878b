/* vi-release.h - QEMU release numbers ("7.2") as they appear in names: target
 * ids and schema paths, machine types, compat arrays.  One parser of
 * MAJOR.MINOR underneath all of them (vi-release.c). */
#ifndef VI_RELEASE_H
#define VI_RELEASE_H

#include <stddef.h>

/* "7.2" at s (digits, '.', digits), ending at *end; 1 if there is one. */
int vi_release_parse(const char *s, unsigned *maj, unsigned *min, const char **end);
/* 700 + 2 for 7.2 */
#define VI_RELEASE_NUM(maj, min) ((int)((maj) * 100 + (min)))
/* The text after "qemu-" up to '/' anywhere in a target id or schema path
 * ("qemu-7.2/x86_64", ".../qemu-7.2/x86_64.json"): "7.2"; "" if none. */
const char *vi_release_of_target(const char *target, char *buf, size_t n);
/* VI_RELEASE_NUM of a target id that starts "qemu-MAJ.MIN", else -1. */
int vi_release_num_of_id(const char *target);
/* "pc-q35-7.2" -> 7.2 (the machine type of release X.Y exists from X.Y on);
 * 1 if the name ends in "-MAJ.MIN". */
int vi_release_of_machine(const char *m, unsigned *maj, unsigned *min);
/* "hw_compat_6_0" / "pc_compat_2_11": the release the array restores, as
 * "6.0" in buf; 0, or -1 if the name is not one. */
int vi_release_of_compat_array(const char *array, char *buf, size_t n);

#endif
