/* vi-output.c - the output sink: atomic -o, checked writes, formats. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* fopencookie */
#endif
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vi-escape.h"
#include "vi-output.h"
#include "vi-tree.h"

/* ---- files read --------------------------------------------------------- */

static struct read_file { dev_t dev; ino_t ino; char *path; } *reads;
static size_t nreads, capreads;

void vi_out_note_read(const char *path)
{
	struct stat st;

	if (!path || (strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(path, &st)) < 0)
		return;
	for (size_t i = 0; i < nreads; i++)
		if (reads[i].dev == st.st_dev && reads[i].ino == st.st_ino)
			return;
	if (nreads == capreads) {
		capreads = capreads ? 2 * capreads : 16;
		reads = vi_xrealloc(reads, capreads * sizeof(*reads));
	}
	reads[nreads].dev = st.st_dev;
	reads[nreads].ino = st.st_ino;
	reads[nreads].path = vi_xstrdup(strcmp(path, "-") == 0 ? "standard input" : path);
	nreads++;
}

/* Is the output (given as name, stat st) a file the run reads?  Then one
 * line and 1. */
static int clobbers(const char *name, const struct stat *st)
{
	for (size_t i = 0; i < nreads; i++)
		if (reads[i].dev == st->st_dev && reads[i].ino == st->st_ino) {
			fprintf(stderr, "vmstate-inspect: %s: the output file is the input file "
				"%s; refusing to overwrite it\n", vi_tx(name), vi_tx(reads[i].path));
			return 1;
		}
	return 0;
}

/* ---- the sink ------------------------------------------------------------ */

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
	struct vi_out *o = cookie;
	size_t done = 0;

	if (o->err)
		return (ssize_t)size;	/* reported at commit; stop writing */
	while (done < size) {
		ssize_t r = write(o->fd, buf + done, size - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			o->err = r < 0 ? errno : EIO;
			return (ssize_t)size;
		}
		done += (size_t)r;
	}
	return (ssize_t)size;
}

static int open_sink(struct vi_out *o)
{
	static const cookie_io_functions_t io = { NULL, sink_write, NULL, NULL };

	o->f = fopencookie(o, "w", io);
	if (!o->f) {
		fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", vi_tx(o->name),
			strerror(errno));
		return -1;
	}
	setvbuf(o->f, NULL, _IOFBF, 1 << 16);
	return 0;
}

int vi_out_open(struct vi_out *o, const char *path)
{
	struct stat st;
	char *dir, *base, *copy;
	int exists;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (!path || strcmp(path, "-") == 0) {
		o->name = "standard output";
		o->fd = STDOUT_FILENO;
		return open_sink(o);
	}
	o->name = path;
	exists = stat(path, &st) == 0;
	if (exists && clobbers(path, &st))
		return -1;
	if (exists && !S_ISREG(st.st_mode)) {	/* a device or FIFO: written directly */
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", vi_tx(path),
				strerror(EISDIR));
			return -1;
		}
		o->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (o->fd < 0) {
			fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", vi_tx(path),
				strerror(errno));
			return -1;
		}
		if (open_sink(o) < 0) {
			close(o->fd);
			return -1;
		}
		return 0;
	}
	/* A regular file, or none yet: a temporary file beside it (beside
	 * what a symbolic link points to: the link stays). */
	o->dest = exists ? realpath(path, NULL) : NULL;
	if (!o->dest)
		o->dest = vi_xstrdup(path);
	copy = vi_xstrdup(o->dest);
	dir = dirname(copy);
	base = basename(o->dest);
	o->tmp = vi_xmalloc(strlen(dir) + strlen(base) + 16);
	sprintf(o->tmp, "%s/.%s.XXXXXX", dir, base);
	free(copy);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", vi_tx(path),
			strerror(errno));
		free(o->tmp);
		free(o->dest);
		o->tmp = o->dest = NULL;
		return -1;
	}
	if (exists) {
		fchmod(o->fd, st.st_mode & 07777);
		if (fchown(o->fd, st.st_uid, st.st_gid) < 0)
			errno = 0;	/* only root may; the mode is what matters */
	} else {
		mode_t um = umask(0);
		umask(um);
		fchmod(o->fd, 0666 & ~um);
	}
	if (open_sink(o) < 0) {
		vi_out_abort(o);
		return -1;
	}
	return 0;
}

static void release(struct vi_out *o)
{
	if (o->fd > STDERR_FILENO)
		close(o->fd);
	o->fd = -1;
	free(o->tmp);
	free(o->dest);
	o->tmp = o->dest = NULL;
}

int vi_out_commit(struct vi_out *o)
{
	struct stat st;
	int failed;

	if (!o->f)
		return -1;
	fflush(o->f);
	fclose(o->f);	/* the cookie has no close: o->fd stays open */
	o->f = NULL;
	if (!o->err && o->tmp && fsync(o->fd) < 0 && errno != EINVAL)
		o->err = errno;
	if (!o->err && o->fd > STDERR_FILENO && close(o->fd) < 0)
		o->err = errno;
	else if (o->fd > STDERR_FILENO)
		close(o->fd);
	o->fd = -1;
	if (o->err) {
		fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", vi_tx(o->name),
			strerror(o->err));
		if (o->tmp)
			unlink(o->tmp);
		release(o);
		return -1;
	}
	if (!o->tmp)
		return 0;
	failed = stat(o->dest, &st) == 0 && clobbers(o->name, &st);
	if (!failed && rename(o->tmp, o->dest) < 0) {
		fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", vi_tx(o->name),
			strerror(errno));
		failed = 1;
	}
	if (failed)
		unlink(o->tmp);
	release(o);
	return failed ? -1 : 0;
}

void vi_out_abort(struct vi_out *o)
{
	if (o->f) {
		o->err = o->err ? o->err : ECANCELED;	/* nothing more reaches the fd */
		fclose(o->f);
		o->f = NULL;
	}
	if (o->tmp)
		unlink(o->tmp);
	release(o);
}

void vi_stdio_guard(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	signal(SIGPIPE, SIG_DFL);
}

/* ---- formats ------------------------------------------------------------- */

const struct vi_outfmt *vi_outfmt_find(const struct vi_outfmt *table, const char *name)
{
	for (const struct vi_outfmt *f = table; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

const char *vi_outfmt_names(const struct vi_outfmt *table)
{
	static char buf[256];
	size_t n = 0, o = 0;

	while (table[n].name)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
				      i == 0 ? "" : i + 1 == n ? " or " : ", ", table[i].name);
	return buf;
}
