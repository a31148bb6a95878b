/* render-redact.c - dump --redact: the values that can hold guest data (network
 * frames, disk request buffers, framebuffers, serial and keyboard FIFOs,
 * and every payload the tool cannot decode) are replaced by their length
 * and an XXH3-128 digest of their bytes in the stream.
 *
 * The table is the policy, one row per kind of buffer: a shell pattern on
 * the field's path (section idstr, then field names, '/'-separated; the
 * PCI address prefix of an idstr is matched by the leading '*').
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include "render-redact.h"

static const struct {
	const char *pattern, *what;
} redact_table[] = {
	{ "*serial*/*fifo*", "serial FIFO" },
	{ "*pl011*/read_fifo*", "serial FIFO (PL011)" },
	{ "*spapr_vty/buf", "serial FIFO (pseries vty)" },
	{ "*sclp*console*/iov", "serial console buffer (s390x SCLP)" },
	{ "*ps2*/queue.data", "keyboard/mouse queue" },
	{ "*ps2*/*/queue.data", "keyboard/mouse queue" },
	{ "*/queue.data", "input queue" },
	{ "*e1000*/tx.data", "network frame" },
	{ "*e1000*/tx.header", "network frame header" },
	{ "*e1000e*/tx*/data", "network frame" },
	{ "*pcnet*/buffer", "network frame" },
	{ "*ne2000*/mem", "network packet memory" },
	{ "*rtl8139*/RxBuf*", "network receive buffer" },
	{ "*/io_buffer*", "disk request buffer (IDE)" },
	{ "*/requests/*/buf*", "disk request buffer (SCSI)" },
	{ "*usb*/setup_buf", "USB control request" },
	{ "*usb*/data_buf*", "USB transfer buffer" },
	{ "*vga*/vram*", "framebuffer" },
	{ "*spapr_nvram/buf", "NVRAM contents (pseries)" },
	{ "*/virtio/device", "virtio device state written by hand" },
};

static int matches(const char *path, const char **what)
{
	for (size_t i = 0; i < sizeof(redact_table) / sizeof(redact_table[0]); i++)
		if (fnmatch(redact_table[i].pattern, path, 0) == 0) {
			*what = redact_table[i].what;
			return 1;
		}
	return 0;
}

/* Undecoded bytes can be anything: a payload found by its footer, or a
 * subsection's body found by scanning. */
static int undecoded(const struct vi_node *n)
{
	return n->kind == VI_N_BLOB ||
	       (n->vt == VI_V_BYTES && n->parent && n->parent->kind == VI_N_SUBSECTION &&
		vi_node_get(n->parent, VI_A_FOUND_BY));
}

static int redact_node(struct vi_node *n, struct vi_reader *r, const char *what)
{
	XXH3_state_t *st = XXH3_createState();
	uint8_t buf[65536];
	char hex[33];
	XXH128_hash_t h;

	if (!st)
		return -1;
	XXH3_128bits_reset(st);
	for (uint64_t done = 0; done < n->length;) {
		size_t k = n->length - done < sizeof(buf) ? (size_t)(n->length - done) : sizeof(buf);
		if (rd_peek_at(r, n->offset + done, buf, k) != k) {
			XXH3_freeState(st);
			return -1;
		}
		XXH3_128bits_update(st, buf, k);
		done += k;
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	snprintf(hex, sizeof(hex), "%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
	vi_node_drop_kids_from(n, 0);
	n->nbytes = 0;
	n->vt = VI_V_NONE;
	vi_node_attr_u(n, "redacted_length", n->length);
	vi_node_attr_s(n, "redacted_xxh3_128", hex);
	vi_node_attr_s(n, "redacted", what);
	return 0;
}

static size_t walk(struct vi_node *n, struct vi_reader *r, char *path, size_t len, size_t cap)
{
	size_t count = 0;

	for (size_t i = 0; i < n->nkids; i++) {
		struct vi_node *k = n->kids[i];
		const char *what = NULL;
		size_t l = len + (size_t)snprintf(path + len, cap - len, "%s%s", len ? "/" : "",
						  k->name);
		if (l >= cap)
			l = cap - 1;
		if (k->kind == VI_N_FIELD || k->kind == VI_N_BLOB) {
			if (undecoded(k))
				what = "undecoded bytes";
			else if ((k->vt == VI_V_BYTES || k->nkids) && !matches(path, &what))
				what = NULL;
			else if (k->vt != VI_V_BYTES && !k->nkids)
				what = NULL;
		}
		if (what && k->length) {
			if (redact_node(k, r, what) == 0)
				count++;
		} else if (k->kind != VI_N_RAM) {
			count += walk(k, r, path, l, cap);
		}
		path[len] = '\0';
	}
	return count;
}

size_t vi_redact_tree(struct vi_node *root, struct vi_reader *r)
{
	char path[2048] = "";

	return root ? walk(root, r, path, 0, sizeof(path)) : 0;
}
