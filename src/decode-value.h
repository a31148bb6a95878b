/* decode-value.h - how a VMStateInfo type name's bytes turn into a value. */
#ifndef VI_VALUE_H
#define VI_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "vi-tree.h"

enum vi_prim_kind { VI_P_UINT, VI_P_INT, VI_P_BOOL, VI_P_DOUBLE_U, VI_P_NULLPTR,
		    VI_P_BLOB };

struct vi_prim {
	const char *name;   /* VMStateInfo name as in vmdesc / schemas */
	unsigned size;      /* natural size in bytes, 0 = any (blob) */
	enum vi_prim_kind kind;
};

/* Look a type name up; unknown names are blobs ("pci config", "virtio"...). */
const struct vi_prim *vi_prim_lookup(const char *type);

/* Set n's value from len bytes at p according to prim (len must match size
 * for scalars; otherwise the bytes are kept as a blob preview). */
void vi_value_set(struct vi_node *n, const struct vi_prim *prim,
		  const uint8_t *p, size_t len);

#endif
