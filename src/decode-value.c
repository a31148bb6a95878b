/* decode-value.c - the primitive VMStateInfo encodings (migration/vmstate-types.c). */
#include <string.h>
#include "decode-value.h"
#include "vi-bytes.h"

static const struct vi_prim prims[] = {
	{ "bool", 1, VI_P_BOOL },
	{ "int8", 1, VI_P_INT }, { "int16", 2, VI_P_INT },
	{ "int32", 4, VI_P_INT }, { "int64", 8, VI_P_INT },
	{ "uint8", 1, VI_P_UINT }, { "uint16", 2, VI_P_UINT },
	{ "uint32", 4, VI_P_UINT }, { "uint64", 8, VI_P_UINT },
	{ "uint8 equal", 1, VI_P_UINT }, { "uint16 equal", 2, VI_P_UINT },
	{ "uint32 equal", 4, VI_P_UINT }, { "uint64 equal", 8, VI_P_UINT },
	{ "int32 equal", 4, VI_P_INT }, { "int64 equal", 8, VI_P_INT },
	{ "int32 le", 4, VI_P_INT },
	{ "timer", 8, VI_P_INT },                 /* expiry ns, -1 = not armed */
	{ "CPU_Double_U", 8, VI_P_DOUBLE_U },
	{ "int32_as_uint16", 2, VI_P_UINT },      /* fw_cfg legacy */
	{ "uint16_from_uint8", 1, VI_P_UINT },    /* eeprom93xx legacy */
	{ "fpscr", 4, VI_P_UINT }, { "fpcr", 4, VI_P_UINT },
	{ "fpsr", 4, VI_P_UINT }, { "cpsr", 4, VI_P_UINT },
	{ "powered_off", 1, VI_P_BOOL },
	{ "nullptr", 1, VI_P_NULLPTR },
};

static const struct vi_prim blob = { "blob", 0, VI_P_BLOB };

const struct vi_prim *vi_prim_lookup(const char *type)
{
	for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
		if (strcmp(prims[i].name, type) == 0)
			return &prims[i];
	return &blob;
}

void vi_value_set(struct vi_node *n, const struct vi_prim *prim,
		  const uint8_t *p, size_t len)
{
	uint64_t u;

	if (prim->kind == VI_P_BLOB || len != prim->size) {
		vi_node_set_bytes(n, p, len);
		return;
	}
	u = vi_be(p, len);
	switch (prim->kind) {
	case VI_P_BOOL:
		n->vt = VI_V_BOOL;
		n->v.u = u != 0;
		break;
	case VI_P_INT:
		n->vt = VI_V_INT;
		n->v.i = len == 8 ? (int64_t)u :
			 (int64_t)(u ^ (1ull << (len * 8 - 1))) - (int64_t)(1ull << (len * 8 - 1));
		break;
	case VI_P_DOUBLE_U: {
		double d;
		memcpy(&d, &u, sizeof(d));	/* be32 upper word, be32 lower word */
		n->vt = VI_V_DOUBLE;
		n->v.d = d;
		break;
	}
	default:
		n->vt = VI_V_UINT;
		n->v.u = u;
		break;
	}
}
