/* input-format-qcow2.c - recognise qcow2 images (savevm snapshots).
 *
 * Reading the vmstate of an internal snapshot (through the snapshot's L1/L2
 * tables, beyond the virtual disk) is not implemented yet: say so clearly
 * instead of calling the image "not a migration stream".
 */
#include <string.h>
#include "input.h"

static int qcow2_bid(const uint8_t *p, size_t n)
{
	return n >= 4 && memcmp(p, "QFI\xfb", 4) == 0;
}

static int qcow2_open(struct vi_input *in, const struct vi_filter **filter,
		      struct vi_error *err)
{
	(void)in;
	*filter = NULL;
	return vi_fail(err, VI_EXIT_INPUT, 0,
		       "qcow2 image: reading savevm snapshots is not supported yet; "
		       "use 'qemu-img snapshot' and 'migrate' to a file instead");
}

const struct vi_format vi_format_qcow2 = { "qcow2", qcow2_bid, qcow2_open };
