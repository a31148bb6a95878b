/* walk-command.c - COMMAND records (0x08): be16 cmd, be16 len, len bytes.
 * PACKAGED carries a nested record sequence that is walked recursively. */
#include <inttypes.h>
#include <stdio.h>
#include "vi-limits.h"
#include "walk.h"
#include "vi-bytes.h"

enum { MIG_CMD_PACKAGED = 7, MIG_CMD_MAX = 12 };

static const struct {
	const char *name;
	int len;            /* fixed payload length, -1 = variable */
} cmds[MIG_CMD_MAX] = {
	[1] = { "OPEN_RETURN_PATH", 0 },
	[2] = { "PING", 4 },
	[3] = { "POSTCOPY_ADVISE", -1 },   /* 0 or 16 */
	[4] = { "POSTCOPY_LISTEN", 0 },
	[5] = { "POSTCOPY_RUN", 0 },
	[6] = { "POSTCOPY_RAM_DISCARD", -1 },
	[7] = { "PACKAGED", 4 },
	[8] = { "ENABLE_COLO", 0 },
	[9] = { "POSTCOPY_RESUME", 0 },
	[10] = { "RECV_BITMAP", -1 },
	[11] = { "SWITCHOVER_START", 0 },   /* QEMU 10.0+ */
};

static int packaged(struct vi_walk *w, struct vi_node *cmd, uint32_t plen)
{
	struct vi_reader *r = w->r;
	uint64_t start = rd_tell(r), old;
	int rc;

	if (w->packaged_depth >= VI_MAX_PACKAGED_DEPTH)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)start,
			       "PACKAGED command nested more than %d deep",
			       VI_MAX_PACKAGED_DEPTH);
	if (plen > rd_left(r))
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)start - 4,
			       "PACKAGED length %u runs past the end of the stream "
			       "(%" PRIu64 " bytes left)", plen, rd_left(r));
	vi_node_attr_u(cmd, "packaged_length", plen);
	old = rd_push_limit(r, start + plen);
	w->packaged_depth++;
	rc = walk_records(w, cmd, 1);
	w->packaged_depth--;
	if (rc == 0 && rd_tell(r) != start + plen)
		rc = vi_fail(w->err, VI_EXIT_INPUT, (int64_t)rd_tell(r),
			     "PACKAGED data ends with EOF %" PRIu64 " bytes before its "
			     "declared end", start + plen - rd_tell(r));
	rd_pop_limit(r, old);
	return rc;
}

int walk_command(struct vi_walk *w, struct vi_node *parent)
{
	struct vi_reader *r = w->r;
	uint64_t off = rd_tell(r) - 1;
	uint16_t cmd, len;
	struct vi_node *n;
	uint8_t buf[VI_MAX_PREVIEW];

	if (rd_be16(r, &cmd, "command number") < 0 || rd_be16(r, &len, "command length") < 0)
		return -1;
	if (cmd == 0 || cmd >= MIG_CMD_MAX || !cmds[cmd].name) {
		/* QEMU (loadvm_process_command) stops loading with
		 * "MIG_CMD 0x%x unknown (len 0x%x)": a command this release of
		 * the loader does not know, not damage of the stream's framing. */
		int was_set = w->err->set;
		vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 1,
			"unknown command 0x%x (length %u): QEMU says \"MIG_CMD 0x%x unknown "
			"(len 0x%x)\"", cmd, len, cmd, len);
		return was_set ? -1 : vi_error_class(w->err, VI_C_UNSUPPORTED_COMMAND);
	}
	if ((cmds[cmd].len >= 0 && len != cmds[cmd].len) ||
	    (cmd == 3 && len != 0 && len != 16))
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 3,
			       "command %s with bad length %u", cmds[cmd].name, len);
	n = vi_node_new(parent, VI_N_COMMAND, cmds[cmd].name, "command", off);
	vi_node_put_u(n, VI_A_COMMAND, cmd);
	vi_node_attr_u(n, "payload_length", len);
	if (cmd == MIG_CMD_PACKAGED) {
		uint32_t plen;
		if (rd_be32(r, &plen, "PACKAGED length") < 0 || packaged(w, n, plen) < 0)
			return -1;
	} else if (len) {
		size_t k = len < sizeof(buf) ? len : sizeof(buf);
		if (rd_bytes(r, buf, k, "command payload") < 0 ||
		    rd_skip(r, len - k, "command payload") < 0)
			return -1;
		vi_node_set_bytes(n, buf, len);
		if (cmd == 2 && len == 4)
			vi_node_attr_u(n, "value", vi_be32(buf));
	}
	n->length = rd_tell(r) - off;
	return 0;
}
