/* vi-intern.h - one copy of each name the tree holds.
 *
 * A stream repeats its names: every section is "ram" or a device's idstr,
 * every record has a "footer", every field of a vmsd has the same name in
 * each instance.  Tree nodes (vi-tree.c) and the walker's section table hold
 * interned strings: one counted copy per distinct string, charged to the
 * memory budget (vi-budget.h) while anything holds it, freed with its last
 * holder.  A hostile input with a million distinct names still pays for
 * each one, as before.
 */
#ifndef VI_INTERN_H
#define VI_INTERN_H

/* s, made printable (bytes outside 0x20-0x7e and '\\' as "\xNN", so neither a
 * terminal nor a JSON encoder sees raw control or invalid bytes), held once
 * more.  Never NULL (out of memory exits, as vi_xmalloc). */
const char *vi_intern(const char *s);
/* Let go of a string vi_intern returned (NULL is ignored). */
void vi_unintern(const char *s);
/* Distinct strings held now (for the tests). */
unsigned long vi_intern_count(void);

#endif
