/* cmd-extract.c - "extract DIR FILE": each RAMBlock as a sparse file, the
 * decoded tree and the trailer as JSON, what analyze-migration.py -x does,
 * safely.
 *
 * File names come from RAMBlock idstrs, which the stream chooses: every byte
 * but [A-Za-z0-9_+@-] and a '.' that does not start the name is written
 * %XX, so a name can hold no '/' and never be "." or ".."; a name longer than
 * NAME_MAX is cut and ends with a hash of the whole idstr.  Files are
 * created with O_EXCL|O_NOFOLLOW relative to DIR, so nothing is overwritten
 * and no link is followed; on any failure the files made so far are
 * removed.  Each block file is read back and its digest compared with the
 * stream's (vi-ram-digest.h).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include "command.h"
#include "input.h"
#include "input-reader.h"
#include "render.h"
#include "render-jw.h"
#include "session.h"
#include "vi-limits.h"

#define MAX_MADE (VI_MAX_RAM_BLOCKS + 4)

struct extract_args {
	const char *dir, *file, *block;
};

struct made {
	int dirfd;
	char *names[MAX_MADE];
	size_t n;
};

static const struct argp_option options[] = {
	{ "block", 'b', "NAME", 0, "Extract only the RAMBlock with this idstr", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct extract_args *a = ((struct vi_cmd_ctx *)state->input)->args;

	switch (key) {
	case 'b':
		a->block = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (!a->dir)
			a->dir = arg;
		else if (!a->file)
			a->file = arg;
		else
			argp_error(state, "extract takes DIR and FILE");
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "extract needs DIR and FILE (use - for stdin)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The file name for a RAMBlock idstr, plus suffix (at most NAME_MAX bytes). */
static void safe_name(const char *idstr, const char *suffix, char out[NAME_MAX + 1])
{
	static const char hexd[] = "0123456789ABCDEF";
	char tmp[3 * 256 + 1];
	size_t n = 0, cut = NAME_MAX - strlen(suffix) - 17, cutpos = 0;
	int cutset = 0;

	for (const unsigned char *p = (const unsigned char *)idstr; *p && n < sizeof(tmp) - 4; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
			    *p == '+' || *p == '@' ||
			    (*p == '.' && p != (const unsigned char *)idstr);
		size_t t = plain ? 1 : 3;
		if (!cutset && n + t > cut) {
			cutpos = n;	/* never inside a %XX */
			cutset = 1;
		}
		if (plain) {
			tmp[n++] = (char)*p;
		} else {
			tmp[n++] = '%';
			tmp[n++] = hexd[*p >> 4];
			tmp[n++] = hexd[*p & 15];
		}
	}
	if (n + strlen(suffix) > NAME_MAX) {	/* cut, and "~" + a hash of it all */
		n = cutpos;
		n += (size_t)snprintf(tmp + n, 18, "~%016llx",
				      (unsigned long long)XXH3_64bits(idstr, strlen(idstr)));
	}
	memcpy(out, tmp, n);
	snprintf(out + n, NAME_MAX + 1 - n, "%s", suffix);
}

static int create(struct made *m, const char *name, const char *dir)
{
	int fd = openat(m->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0644);

	if (fd < 0) {
		fprintf(stderr, "vmstate-inspect: %s/%s: cannot create: %s%s\n", dir, name,
			strerror(errno), errno == EEXIST ? " (extract never overwrites)" : "");
		return -1;
	}
	m->names[m->n++] = vi_xstrdup(name);
	return fd;
}

static void undo(struct made *m)
{
	for (size_t i = 0; i < m->n; i++)
		unlinkat(m->dirfd, m->names[i], 0);
}

static int write_json(struct made *m, const char *dir, const char *name,
		      json_t *doc, const struct vi_doc *tree)
{
	int fd = create(m, name, dir), rc;
	FILE *f;

	if (fd < 0)
		return -1;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		return -1;
	}
	rc = doc ? vi_jw_dump(f, doc, 1, 0) : render_json_write(f, tree);
	if (fclose(f) != 0 || rc < 0) {
		fprintf(stderr, "vmstate-inspect: %s/%s: cannot write: %s\n", dir, name,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Where a block's pages are read from: the file (pread), or -- a stream
 * read once, whose page contents were hashed and not kept -- the input
 * opened and read once more, its pages in stream order. */
struct pages {
	int stream;
	struct vi_input in;
	struct vi_reader *r;
	struct vi_error err;
	size_t *ord;
	const struct ram_page *v;
};

static const struct ram_page *sort_v;

static int by_off(const void *a, const void *b)
{
	uint64_t x = sort_v[*(const size_t *)a].off, y = sort_v[*(const size_t *)b].off;

	return x < y ? -1 : x > y;
}

static int open_pages(struct pages *p, struct vi_session *s, const struct vi_ramblock *b)
{
	memset(p, 0, sizeof(*p));
	if (!s->in.rs)
		return 0;
	if (!strcmp(s->in.name, "-")) {
		fprintf(stderr, "vmstate-inspect: -: extract reads a pipe's RAM pages a second "
			"time, and a pipe is read once: save it to a file first\n");
		return -1;
	}
	p->stream = 1;
	if (vi_input_open(&p->in, s->in.name, &p->err) < 0) {
		vi_error_print(&p->err, s->in.name);
		vi_input_close(&p->in);
		p->stream = 0;
		return -1;
	}
	p->r = vi_xmalloc(sizeof(*p->r));
	rd_init_input(p->r, &p->in, &p->err);
	p->ord = vi_xmalloc((b->pg.n ? b->pg.n : 1) * sizeof(*p->ord));
	for (size_t i = 0; i < b->pg.n; i++)
		p->ord[i] = i;
	sort_v = b->pg.v;
	qsort(p->ord, b->pg.n, sizeof(*p->ord), by_off);
	return 0;
}

static int read_page(struct pages *p, struct vi_session *s, uint64_t off, uint8_t *buf,
		     uint64_t psize)
{
	int bad;

	if (!p->stream)
		bad = vi_pread_full(s->in.fd, buf, psize, s->in.base + off) < 0;
	else	/* what lies before the page is not needed again: not kept */
		bad = (rd_transient_at(p->r, rd_tell(p->r), off > rd_tell(p->r) ?
				       off - rd_tell(p->r) + psize : psize),
		       rd_seek(p->r, off) < 0 || rd_bytes(p->r, buf, psize, "page") < 0);
	if (bad)
		fprintf(stderr, "vmstate-inspect: %s: byte %" PRIu64 ": cannot read a page%s%s\n",
			s->in.name, off, p->err.set ? ": " : "", p->err.set ? p->err.msg : "");
	return bad ? -1 : 0;
}

static void close_pages(struct pages *p)
{
	if (!p->stream)
		return;
	vi_input_close(&p->in);
	free(p->r);
	free(p->ord);
	p->stream = 0;
}

/* Copy block b's non-zero pages to a new sparse file and check its digest. */
static int write_block(struct made *m, const char *dir, struct vi_session *s,
		       const struct vi_ramblock *b, json_t *list)
{
	char name[NAME_MAX + 1], hex[RAM_DIGEST_HEX];
	uint64_t psize = s->facts.page_size;
	uint8_t *buf;
	int fd;
	json_t *x, *nm;
	char en[VI_ESC_NAME];
	struct pages pr = { 0 };

	if (b->pg.unavailable) {
		fprintf(stderr, "vmstate-inspect: %s: RAMBlock %s not extracted: %s\n",
			s->in.name, vi_esc(en, sizeof(en), b->name),
			b->pg.unavailable);
		return 1;
	}
	safe_name(b->name, ".ram", name);
	if ((fd = create(m, name, dir)) < 0)
		return -1;
	buf = vi_xmalloc(psize);
	if (ftruncate(fd, (off_t)b->used_length) < 0)
		goto io;
	if (open_pages(&pr, s, b) < 0)
		goto fail;
	for (size_t k = 0; k < b->pg.n; k++) {
		size_t i = pr.ord ? pr.ord[k] : k;
		uint64_t at = b->pg.v[i].index * psize;
		size_t n = b->used_length - at < psize ? (size_t)(b->used_length - at) : psize;
		if (read_page(&pr, s, b->pg.v[i].off, buf, psize) < 0)
			goto fail;
		for (size_t done = 0; done < n;) {
			ssize_t k2 = pwrite(fd, buf + done, n - done, (off_t)(at + done));
			if (k2 < 0 && errno == EINTR)
				continue;
			if (k2 <= 0)
				goto io;
			done += (size_t)k2;
		}
	}
	close_pages(&pr);
	if (ram_digest_fd(fd, b->used_length, psize, hex) < 0)
		goto io;
	if (strcmp(hex, b->pg.hex) != 0) {
		fprintf(stderr, "vmstate-inspect: %s/%s: digest %s, the stream's is %s\n",
			dir, name, hex, b->pg.hex);
		goto fail;
	}
	free(buf);
	if (close(fd) < 0)
		goto io_closed;
	x = json_object();
	if (!(nm = json_string(b->name)))	/* not UTF-8 */
		nm = json_string(vi_esc(en, sizeof(en), b->name));
	json_object_set_new(x, "name", nm);
	json_object_set_new(x, "file", json_string(name));
	json_object_set_new(x, "used_length", json_integer((json_int_t)b->used_length));
	json_object_set_new(x, "page_size", json_integer((json_int_t)psize));
	json_object_set_new(x, "nonzero_pages", json_integer((json_int_t)b->pg.nonzero));
	json_object_set_new(x, "xxh3_128", json_string(hex));
	json_array_append_new(list, x);
	printf("%s\t%s\t%" PRIu64 "\txxh3-128 %s\n", name, vi_esc(en, sizeof(en), b->name),
	       b->used_length, hex);
	return 0;
io:
	fprintf(stderr, "vmstate-inspect: %s/%s: cannot write: %s\n", dir, name, strerror(errno));
fail:
	close_pages(&pr);
	free(buf);
	close(fd);
	return -1;
io_closed:
	fprintf(stderr, "vmstate-inspect: %s/%s: cannot write: %s\n", dir, name, strerror(errno));
	return -1;
}

/* Is dir the directory that holds path (or path itself)? */
static int same_dir_as_input(const char *dir, const char *path)
{
	struct stat ds, ps;
	char *copy, *slash;
	int same;

	if (!strcmp(path, "-") || stat(dir, &ds) < 0)
		return 0;
	copy = vi_xstrdup(path);
	slash = strrchr(copy, '/');
	if (!slash)
		strcpy(copy, ".");
	else if (slash == copy)
		copy[1] = '\0';
	else
		*slash = '\0';
	same = stat(copy, &ps) == 0 && ps.st_dev == ds.st_dev && ps.st_ino == ds.st_ino;
	free(copy);
	return same;
}

static int extract(const struct extract_args *a, struct vi_session *s, struct made *m)
{
	json_t *list = json_array(), *manifest;
	struct vi_doc doc = { 0 };
	int rc = VI_EXIT_OK, found = 0;

	doc.in = &s->in;
	doc.root = s->root;
	doc.err = &s->err;

	for (size_t i = 0; i < s->facts.nblocks; i++) {
		int r;
		if (a->block && strcmp(a->block, s->facts.blocks[i].name))
			continue;
		found = 1;
		r = write_block(m, a->dir, s, &s->facts.blocks[i], list);
		if (r < 0 || (r > 0 && a->block)) {
			rc = r > 0 ? VI_EXIT_INPUT : VI_EXIT_USAGE;
			goto out;
		}
	}
	if (a->block && !found) {
		char en[VI_ESC_NAME];
		fprintf(stderr, "vmstate-inspect: %s: no RAMBlock named %s\n", a->file,
			vi_esc(en, sizeof(en), a->block));
		rc = VI_EXIT_USAGE;
		goto out;
	}
	if (!a->block) {
		if (write_json(m, a->dir, "devices.json", NULL, &doc) < 0 ||
		    (s->facts.vmdesc && write_json(m, a->dir, "trailer.json", s->facts.vmdesc, NULL) < 0)) {
			rc = VI_EXIT_USAGE;
			goto out;
		}
	}
	if (a->block)		/* one block: only its file (and the line above) */
		goto out;
	manifest = json_object();
	json_object_set_new(manifest, "page_size", json_integer(s->facts.page_size));
	json_object_set_new(manifest, "blocks", json_incref(list));
	if (write_json(m, a->dir, "blocks.json", manifest, NULL) < 0)
		rc = VI_EXIT_USAGE;
	json_decref(manifest);
out:
	json_decref(list);
	return rc;
}

static int run(struct vi_cmd_ctx *c)
{
	const struct extract_args *a = c->args;
	struct vi_walk_opts wopts = { 0 };
	struct vi_session s;
	struct made m = { -1, { 0 }, 0 };
	int rc;

	if (same_dir_as_input(a->dir, a->file)) {
		fprintf(stderr, "vmstate-inspect: %s: refusing to extract into the input's "
			"own directory\n", a->dir);
		return VI_EXIT_USAGE;
	}
	wopts.ram_digests = 1;
	if (vi_session_walk(&s, a->file, &wopts) < 0 || s.err.set) {
		vi_error_print(&s.err, a->file);
		rc = s.err.set ? s.err.exit_code : VI_EXIT_INPUT;
		vi_session_close(&s);
		return rc;
	}
	if (mkdir(a->dir, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "vmstate-inspect: %s: cannot create: %s\n", a->dir, strerror(errno));
		vi_session_close(&s);
		return VI_EXIT_USAGE;
	}
	if (same_dir_as_input(a->dir, a->file) ||
	    (m.dirfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "vmstate-inspect: %s: %s\n", a->dir, m.dirfd < 0 && errno ?
			strerror(errno) : "refusing to extract into the input's own directory");
		vi_session_close(&s);
		return VI_EXIT_USAGE;
	}
	rc = extract(a, &s, &m);
	if (rc != VI_EXIT_OK)
		undo(&m);
	for (size_t i = 0; i < m.n; i++)
		free(m.names[i]);
	close(m.dirfd);
	vi_session_close(&s);
	return rc;
}

const struct vi_command cmd_extract = {
	.name = "extract", .args = "[--block NAME] DIR FILE",
	.summary = "write RAMBlocks, device tree and trailer of a stream to files",
	.usage = "DIR FILE",
	.doc = "Write each RAMBlock of a stream to DIR as a sparse file (NAME.ram, "
	       "the idstr with unsafe bytes written %XX), the decoded tree as "
	       "devices.json, the trailer as trailer.json, and blocks.json listing "
	       "each block's file and digest."
	       "\vDIR is created if needed and may not be the input's own directory; "
	       "no existing file is overwritten, and on failure nothing is left behind. "
	       "Each block file is read back and must match the stream's digest.",
	.options = options, .parse = parse, .args_size = sizeof(struct extract_args),
	.run = run,
};
