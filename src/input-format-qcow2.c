/* input-format-qcow2.c - the VM state of a qcow2 internal snapshot (savevm).
 *
 * QEMU's savevm writes the migration stream into the image itself, in the
 * "VM state area" past the end of the virtual disk: guest offset
 * l1_vm_state_index << (cluster_bits + l2_bits), where l1_vm_state_index is
 * the disk size rounded up to what one L1 entry covers (block/qcow2.h
 * qcow2_vm_state_offset).  Its clusters are found through the snapshot's own
 * L1/L2 tables.  The snapshot table (block/qcow2-snapshot.c) gives each
 * snapshot's L1 table, VM state size (32-bit field, or the 64-bit one in the
 * extra data) and disk size.  The most recent snapshot with a VM state is
 * read (or the one VMSTATE_INSPECT_SNAPSHOT names by id or name); its
 * clusters are copied to a spool, which becomes the stream.
 * Encrypted images, external data files, extended L2 entries and compressed
 * clusters are refused with a message; unallocated clusters read as zeros.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "input.h"
#include "vi-tree.h"
#include "vi-limits.h"

#define Q_OFFSET_MASK 0x00fffffffffffe00ull
#define Q_COMPRESSED (1ull << 62)
#define Q_ZERO 1ull
#define Q_MAX_SNAPSHOTS 65536u
#define Q_MAX_L1_BYTES (32u << 20)
#define Q_INCOMPAT_DATA_FILE (1ull << 2)
#define Q_INCOMPAT_EXTL2 (1ull << 4)

struct snap {
	uint64_t entry;		/* file offset of its snapshot table entry */
	uint64_t l1_offset, vm_state_size, disk_size, date, vm_clock;
	uint32_t l1_size;
	char id[64], name[128];
};

static void facts(struct vi_snapshot *f, const struct snap *s)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->id, s->id, sizeof(f->id));
	memcpy(f->name, s->name, sizeof(f->name));
	f->vm_state_size = s->vm_state_size;
	f->date_sec = s->date >> 32;
	f->date_nsec = s->date & 0xffffffffu;
	f->vm_clock_nsec = s->vm_clock;
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int qcow2_bid(const uint8_t *p, size_t n)
{
	return n >= 4 && memcmp(p, "QFI\xfb", 4) == 0;
}

static int rd(struct vi_input *in, void *buf, size_t n, uint64_t off, const char *what,
	      struct vi_error *err)
{
	if (off > in->file_size || n > in->file_size - off || vi_pread_full(in->fd, buf, n, off))
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off,
			       "qcow2: truncated: %s needs %zu bytes here", what, n);
	return 0;
}

static void copy_str(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = n < cap - 1 ? n : cap - 1;
	for (size_t i = 0; i < k; i++)
		dst[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[k] = '\0';
}

/* The snapshot named or numbered want, else the most recent one, among
 * those that have a VM state; 0, 1 (none), -1 error. */
static int pick_snapshot(struct vi_input *in, uint64_t table, uint32_t count,
			 uint64_t header_size, const char *want, struct snap *best,
			 uint32_t *with_state, struct vi_error *err)
{
	uint64_t off = table;
	int found = 0;

	*with_state = 0;
	for (uint32_t i = 0; i < count; i++) {
		static uint8_t names[2 * 65535];
		uint8_t h[40], extra[24] = { 0 };
		uint32_t id_len, name_len, extra_len;
		struct snap s;
		if (rd(in, h, sizeof(h), off, "a snapshot table entry", err) < 0)
			return -1;
		id_len = (uint32_t)be(h + 12, 2);
		name_len = (uint32_t)be(h + 14, 2);
		extra_len = (uint32_t)be(h + 36, 4);
		if (extra_len > 1024)
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)off + 36,
				       "qcow2: snapshot %u has %u bytes of extra data (at most 1024)",
				       i, extra_len);
		memset(&s, 0, sizeof(s));
		s.entry = off;
		s.l1_offset = be(h, 8);
		s.l1_size = (uint32_t)be(h + 8, 4);
		s.date = be(h + 16, 4) << 32 | be(h + 20, 4);
		s.vm_clock = be(h + 24, 8);
		s.vm_state_size = be(h + 32, 4);
		s.disk_size = header_size;
		if (rd(in, extra, extra_len < sizeof(extra) ? extra_len : sizeof(extra),
		       off + 40, "snapshot extra data", err) < 0 ||
		    rd(in, names, id_len + name_len, off + 40 + extra_len, "snapshot names", err) < 0)
			return -1;
		if (extra_len >= 8 && be(extra, 8))
			s.vm_state_size = be(extra, 8);
		if (extra_len >= 16)
			s.disk_size = be(extra + 8, 8);
		copy_str(s.id, sizeof(s.id), names, id_len);
		copy_str(s.name, sizeof(s.name), names + id_len, name_len);
		off += (40 + extra_len + id_len + name_len + 7) & ~7ull;
		if (vi_input_opts.list_snapshots) {	/* every one, state or not */
			size_t n = in->nsnapshots;
			if ((n & (n - 1)) == 0) {	/* grow as entries are read: 1, 2, 4... */
				struct vi_snapshot *t = vi_xmalloc((n ? 2 * n : 1) * sizeof(*t));
				if (n)
					memcpy(t, in->snapshots, n * sizeof(*t));
				free(in->snapshots);
				in->snapshots = t;
			}
			facts(&in->snapshots[in->nsnapshots++], &s);
		}
		if (!s.vm_state_size)
			continue;
		(*with_state)++;
		if (want ? !strcmp(s.id, want) || !strcmp(s.name, want)
			 : !found || s.date >= best->date) {
			*best = s;
			found = 1;
		}
	}
	return found ? 0 : 1;
}

/* Copy size bytes of guest offset start, through the snapshot's tables, to out. */
static int copy_state(struct vi_input *in, const struct snap *s, unsigned cluster_bits,
		      uint64_t start, int out, struct vi_error *err)
{
	uint64_t cs = 1ull << cluster_bits, l2_entries = cs / 8, done = 0;
	uint8_t *l1, *buf;
	int rc = 0;

	if ((uint64_t)s->l1_size * 8 > Q_MAX_L1_BYTES)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)s->entry + 8,
			       "qcow2: snapshot '%s' has an L1 table of %u entries", s->name,
			       s->l1_size);
	/* The table's bytes must exist before memory is taken for them. */
	if (s->l1_offset > in->file_size || (uint64_t)s->l1_size * 8 > in->file_size - s->l1_offset)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)s->l1_offset,
			       "qcow2: truncated: the snapshot's L1 table needs %llu bytes here",
			       (unsigned long long)s->l1_size * 8);
	l1 = vi_xmalloc((size_t)s->l1_size * 8 + 1);
	buf = vi_xmalloc((size_t)cs);
	if (rd(in, l1, (size_t)s->l1_size * 8, s->l1_offset, "the snapshot's L1 table", err) < 0)
		rc = -1;
	while (!rc && done < s->vm_state_size) {
		uint64_t v = start + done, n = s->vm_state_size - done, l1i, l2e = 0, host, at = 0;
		uint8_t e[8];
		if (n > cs)
			n = cs;
		l1i = v >> (cluster_bits + cluster_bits - 3);
		if (l1i < s->l1_size && (host = be(l1 + 8 * l1i, 8) & Q_OFFSET_MASK)) {
			at = host + 8 * ((v >> cluster_bits) & (l2_entries - 1));
			if (rd(in, e, 8, at, "an L2 entry", err) < 0) {
				rc = -1;
				break;
			}
			l2e = be(e, 8);
		}
		if (l2e & Q_COMPRESSED) {
			rc = vi_fail(err, VI_EXIT_INPUT, (int64_t)at,
				     "qcow2: snapshot '%s': VM state byte %" PRIu64 " is in a "
				     "compressed cluster, which is not supported", s->name, done);
			break;
		}
		host = l2e & Q_OFFSET_MASK;
		if (!host || (l2e & Q_ZERO)) {	/* zeros: a hole in the spool */
			if (lseek(out, (off_t)n, SEEK_CUR) < 0 ||
			    ftruncate(out, (off_t)(done + n)) < 0) {
				rc = vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
					     "cannot extend spool file");
				break;
			}
			done += n;
			continue;
		}
		if (rd(in, buf, (size_t)n, host, "a VM state cluster", err) < 0) {
			rc = -1;
			break;
		}
		if (write(out, buf, (size_t)n) != (ssize_t)n) {
			rc = vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "cannot write spool file");
			break;
		}
		done += n;
	}
	free(buf);
	free(l1);
	return rc;
}

static int qcow2_open(struct vi_input *in, const struct vi_filter **filter,
		      struct vi_error *err)
{
	uint8_t h[104] = { 0 };
	uint32_t version, cluster_bits, crypt, nb, with_state;
	uint64_t size, table, incompat = 0, shift, start;
	struct snap s;
	const char *want;
	int out, rc;

	*filter = NULL;
	if (rd(in, h, 72, 0, "the qcow2 header", err) < 0)
		return -1;
	version = (uint32_t)be(h + 4, 4);
	cluster_bits = (uint32_t)be(h + 20, 4);
	size = be(h + 24, 8);
	crypt = (uint32_t)be(h + 32, 4);
	nb = (uint32_t)be(h + 60, 4);
	table = be(h + 64, 8);
	if (version == 3) {
		if (rd(in, h + 72, 32, 72, "the qcow2 v3 header", err) < 0)
			return -1;
		incompat = be(h + 72, 8);
	}
	if (version != 2 && version != 3)
		return vi_fail(err, VI_EXIT_INPUT, 4, "qcow2: version %u (2 or 3 expected)", version);
	if (cluster_bits < 9 || cluster_bits > 21)
		return vi_fail(err, VI_EXIT_INPUT, 20, "qcow2: cluster_bits %u (9 to 21 expected)",
			       cluster_bits);
	if (crypt)
		return vi_fail(err, VI_EXIT_INPUT, 32, "qcow2: encrypted image: not supported");
	if (incompat & (Q_INCOMPAT_DATA_FILE | Q_INCOMPAT_EXTL2))
		return vi_fail(err, VI_EXIT_INPUT, 72, "qcow2: %s: not supported",
			       incompat & Q_INCOMPAT_DATA_FILE ? "external data file"
							      : "extended L2 entries");
	if (nb > Q_MAX_SNAPSHOTS)
		return vi_fail(err, VI_EXIT_INPUT, 60, "qcow2: %u snapshots (at most %u)", nb,
			       Q_MAX_SNAPSHOTS);
	if (!nb && vi_input_opts.list_snapshots)
		return 0;
	if (!nb)
		return vi_fail(err, VI_EXIT_INPUT, 60, "qcow2 image without snapshots: no VM "
			       "state to read (savevm writes one)");
	want = vi_input_opts.snapshot;
	if (!want || !*want)
		want = getenv("VMSTATE_INSPECT_SNAPSHOT");
	if (want && !*want)
		want = NULL;
	if ((rc = pick_snapshot(in, table, nb, size, want, &s, &with_state, err)) < 0)
		return -1;
	if (vi_input_opts.list_snapshots) {	/* the table only, no state read */
		in->size = 0;
		return 0;
	}
	if (rc && want)	/* nothing to read: no offset, so check calls it unreadable */
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "qcow2: no snapshot with a VM "
			       "state has the id or name '%.100s'; 'dump --list-snapshots' lists "
			       "them", want);
	if (rc)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)table, "qcow2: none of its %u "
			       "snapshot(s) has a VM state (disk-only snapshots)", nb);
	/* savevm writes every byte of the state into clusters of the image, so a
	 * state much larger than the file is a lie (zero clusters aside) */
	if (s.vm_state_size > VI_MAX_SPOOL - in->temp_bytes || s.vm_state_size / 4 > in->file_size + (1u << 20))
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)table, "qcow2: snapshot '%s' claims a "
			       "VM state of %" PRIu64 " bytes in an image of %" PRIu64 " bytes",
			       s.name, s.vm_state_size, in->file_size);
	shift = cluster_bits + cluster_bits - 3;
	start = ((s.disk_size + (1ull << shift) - 1) >> shift) << shift;
	if ((out = vi_spool_create(err)) < 0)
		return -1;
	if (copy_state(in, &s, cluster_bits, start, out, err) < 0) {
		close(out);
		return -1;
	}
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	in->fd = out;
	in->spooled = 1;
	in->file_size = s.vm_state_size;
	in->temp_bytes += s.vm_state_size;
	in->base = 0;
	in->size = s.vm_state_size;
	in->has_snapshot = 1;
	facts(&in->snapshot, &s);
	snprintf(in->detail, sizeof(in->detail), "savevm snapshot '%.60s' (id %.20s), %s %u "
		 "with a VM state", s.name, s.id, !want ? "the most recent of"
		 : want == vi_input_opts.snapshot ? "named by --snapshot; of"
		 : "named by VMSTATE_INSPECT_SNAPSHOT; of", with_state);
	return 0;
}

const struct vi_format vi_format_qcow2 = { "qcow2", qcow2_bid, qcow2_open };
