/* input-reader.c - the window of input-reader.h: a mapping of a regular file, moved
 * along in VI_RD_WIN steps, or a buffer filled by pread; never reads what
 * it skips. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "input-reader.h"

/* After a skip of SKIP_UNREAD bytes or more past the buffer, only a little
 * is fetched, so long page contents stay unread; shorter skips are read
 * through (fewer preads). */
#define SMALL_FILL 16
#define SKIP_UNREAD (64u << 10)

/* The readers with a mapped window, for the SIGBUS handler: a file that
 * shrinks under a mapping ends the run with one line, not a crash. */
#define MAX_MAPPED 16
static struct vi_reader *mapped[MAX_MAPPED];

static void set_mapped(struct vi_reader *r, int on)
{
	for (int i = 0; i < MAX_MAPPED; i++)
		if (mapped[i] == (on ? NULL : r)) {
			mapped[i] = on ? r : NULL;
			return;
		}
}

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	const struct vi_reader *r = NULL;
	char msg[600];
	int n;

	(void)sig, (void)ctx;
	for (int i = 0; i < MAX_MAPPED && !r; i++)
		if (mapped[i] && mapped[i]->map_addr &&
		    (uint8_t *)si->si_addr >= (uint8_t *)mapped[i]->map_addr &&
		    (uint8_t *)si->si_addr < (uint8_t *)mapped[i]->map_addr + mapped[i]->map_len)
			r = mapped[i];
	if (!r) {
		signal(SIGBUS, SIG_DFL);
		raise(SIGBUS);
		return;
	}
	{
		unsigned long long at = r->buf_off + (uint64_t)((const uint8_t *)si->si_addr -
								 r->win);
		n = snprintf(msg, sizeof(msg), "vmstate-inspect: %s: byte %llu (0x%llx): read "
			     "error: the file shrank while it was read\n",
			     r->name ? r->name : "input", at, at);
	}
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		n = 0;
	_exit(VI_EXIT_INPUT);
}

void rd_init(struct vi_reader *r, int fd, uint64_t base, uint64_t size,
	     struct vi_error *err)
{
	const char *m = getenv("VMSTATE_INSPECT_MMAP");
	struct stat st;

	r->fd = fd;
	r->base = base;
	r->size = size;
	r->limit = size;
	r->pos = 0;
	r->win = r->buf;
	r->buf_off = 0;
	r->buf_len = 0;
	r->fill_hint = VI_RD_BUF;
	r->map_addr = NULL;
	r->map_len = 0;
	/* Only a regular file that holds the whole range is mapped: pread
	 * reports a short file as truncated, a mapping would fault. */
	r->map_ok = size > 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size >= 0 && base <= (uint64_t)st.st_size &&
		    size <= (uint64_t)st.st_size - base;
	/* 2: decided on the first big window, mapped where mapping the page
	 * cache costs less than copying it (map_pays); VMSTATE_INSPECT_MMAP=0:
	 * always pread, =1: always mapped. */
	r->map = !r->map_ok || (m && !strcmp(m, "0")) ? 0 : m && !strcmp(m, "1") ? 1 : 2;
	r->bytes_read = 0;
	r->name = NULL;
	r->err = err;
	r->st = NULL;
}

void rd_set_mmap(struct vi_reader *r, int on)
{
	rd_release(r);
	r->map = on && r->map_ok;
}

void rd_release(struct vi_reader *r)
{
	if (r->map_addr) {
		munmap(r->map_addr, r->map_len);
		set_mapped(r, 0);
	}
	r->map_addr = NULL;
	r->map_len = 0;
	r->win = r->buf;
	r->buf_off = 0;
	r->buf_len = 0;
}

static int truncated(struct vi_reader *r, size_t n, const char *what)
{
	uint64_t have = rd_left(r);

	if (r->limit < r->size)
		return vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
			       "%s (%zu bytes) runs past the end of its enclosing record "
			       "(%llu bytes left)", what, n, (unsigned long long)have);
	vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
		"truncated: expected %s (%zu bytes), only %llu left in the stream",
		what, n, (unsigned long long)have);
	return vi_error_class(r->err, VI_C_TRUNCATED);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#define HUGE_ALIGN (2u << 20)	/* a PMD: one page-table entry for 2 MiB */

/* A mapping of len bytes of the file at start (a multiple of HUGE_ALIGN)
 * at a 2 MiB-aligned address, so the kernel can map big page-cache folios
 * with one entry per 2 MiB: touching a 4 KiB-mapped page costs about as
 * much as copying it under some hypervisors (shadow page tables). */
static void *map_aligned(int fd, uint64_t start, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), span, mlen = (len + pg - 1) / pg * pg;
	uint8_t *v, *a;
	void *p;

	span = mlen + HUGE_ALIGN;	/* the reservation, in whole pages */
	v = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (v == MAP_FAILED)
		return MAP_FAILED;
	a = (uint8_t *)(((uintptr_t)v + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
	p = mmap(a, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, (off_t)start);
	if (p == MAP_FAILED) {
		munmap(v, span);
		return MAP_FAILED;
	}
	if (a > v)
		munmap(v, (size_t)(a - v));
	if (v + span > a + mlen)	/* the mapping's last page is whole: past it */
		munmap(a + mlen, (size_t)(v + span - (a + mlen)));
	return p;
}

static uint64_t cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The first big window p (len bytes of the file at start) is not yet
 * populated: is mapping cheaper than copying?  Whether a mapped page costs
 * less than its copy depends on the kernel (how big the page cache's
 * folios are, how many pages one fault or populate maps) and the
 * hypervisor (shadow page tables make each entry dear): both are measured,
 * in CPU time, on this window: copying its first MiB by pread, then
 * populating the mapping (its pages are then in the page cache, as the
 * copy's are).  Decided once a process; the answer is the same. */
static int map_pays(struct vi_reader *r, void *p, uint64_t start, size_t len)
{
	static int decided = -1;
	uint64_t t0, copy, pop;
	size_t n = 0;

	if (decided >= 0) {
		madvise(p, len, MADV_POPULATE_READ);
		return decided;
	}
	t0 = cpu_ns();
	while (n < (1u << 20)) {
		ssize_t got = pread(r->fd, r->buf, VI_RD_BUF, (off_t)(start + n));
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	copy = cpu_ns() - t0;
	t0 = cpu_ns();
	madvise(p, len, MADV_POPULATE_READ);
	pop = cpu_ns() - t0;
	/* per byte: pop / len against copy / n */
	decided = n == (1u << 20) && (double)pop / (double)len <= (double)copy / (double)n;
	return decided;
}

/* Map the window that starts at the 2 MiB boundary at or before pos and
 * covers at least want bytes past pos (as far as the stream has them);
 * 0, or -1 if mmap refused or the mapping would be slow (auto mode). */
static int map_window(struct vi_reader *r, size_t want)
{
	uint64_t at = r->base + r->pos, start, end = r->base + r->size, len;
	void *p;

	start = at / HUGE_ALIGN * HUGE_ALIGN;
	len = (at - start) + (want > VI_RD_WIN ? want : VI_RD_WIN);
	if (len > end - start)
		len = end - start;
	if (r->map_addr) {
		munmap(r->map_addr, r->map_len);
		set_mapped(r, 0);
	}
	r->map_addr = NULL;
	r->win = r->buf;
	r->buf_len = 0;
	if (len > SIZE_MAX / 2)
		return -1;
	p = map_aligned(r->fd, start, (size_t)len);
	if (p == MAP_FAILED)
		return -1;
	/* Big folios when the pages are read in now; then all of them at
	 * once (no fault per page).  munmap drops them from resident memory. */
	madvise(p, (size_t)len, MADV_HUGEPAGE);
	if (r->map == 2 && len >= 2 * HUGE_ALIGN) {
		if (!map_pays(r, p, start, (size_t)len)) {
			munmap(p, (size_t)len);
			return -1;
		}
		r->map = 1;
	} else {
		madvise(p, (size_t)len, MADV_POPULATE_READ);
	}
	{
		static int handler;
		if (!handler) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_sigaction = on_sigbus;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGBUS, &sa, NULL);
			handler = 1;
		}
	}
	set_mapped(r, 1);
	r->map_addr = p;
	r->map_len = (size_t)len;
	if (start < r->base) {	/* the page holding stream byte 0 */
		r->win = (const uint8_t *)p + (r->base - start);
		r->buf_off = 0;
		r->buf_len = (size_t)(len - (r->base - start));
	} else {
		r->win = p;
		r->buf_off = start - r->base;
		r->buf_len = (size_t)len;
	}
	return 0;
}

/* Make the buffer hold stream bytes [pos, pos+want) as far as the file has them. */
static int fill(struct vi_reader *r, size_t want)
{
	size_t n = r->fill_hint > want ? r->fill_hint : want;
	ssize_t got;

	if (r->st)
		return rs_fill(r, want);
	if (n > VI_RD_BUF)
		n = VI_RD_BUF;
	if (n > r->size - r->pos)
		n = (size_t)(r->size - r->pos);
	r->win = r->buf;
	r->buf_off = r->pos;
	r->buf_len = 0;
	while (r->buf_len < n) {
		got = pread(r->fd, r->buf + r->buf_len, n - r->buf_len,
			    (off_t)(r->base + r->pos + r->buf_len));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
				       "read error: %s", strerror(errno));
		if (got == 0)
			break;
		r->buf_len += (size_t)got;
		r->bytes_read += (uint64_t)got;
	}
	r->fill_hint = VI_RD_BUF;
	return 0;
}

/* Move the window to pos, covering want bytes if the file has them. */
static int refill(struct vi_reader *r, size_t want)
{
	if (r->map && map_window(r, want) == 0)
		return 0;
	r->map = 0;	/* mmap refused (or never tried): pread from here on */
	return fill(r, want);
}

int rd_bytes_slow(struct vi_reader *r, void *dst, size_t n, const char *what)
{
	uint8_t *d = dst;

	if (r->st && (r->pos < r->buf_off || r->pos + n > r->buf_off + r->buf_len) &&
	    rs_need(r, r->pos, r->pos + n) < 0)	/* the end is known if it is near */
		return -1;
	if (n > rd_left(r))
		return truncated(r, n, what);
	while (n) {
		size_t have, k;
		if (r->pos < r->buf_off || r->pos >= r->buf_off + r->buf_len) {
			if (refill(r, n) < 0)
				return -1;
			if (r->pos < r->buf_off || r->pos >= r->buf_off + r->buf_len)
				return truncated(r, n, what);
		}
		have = (size_t)(r->buf_off + r->buf_len - r->pos);
		k = have < n ? have : n;
		memcpy(d, r->win + (r->pos - r->buf_off), k);
		if (r->map_addr)
			r->bytes_read += k;
		d += k;
		n -= k;
		r->pos += k;
	}
	return 0;
}

const uint8_t *rd_ptr_slow(struct vi_reader *r, size_t n, const char *what)
{
	const uint8_t *p;

	if (n > rd_left(r)) {
		truncated(r, n, what);
		return NULL;
	}
	if (n > VI_RD_BUF) {
		vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
			"internal: %s of %zu bytes read in one piece", what, n);
		return NULL;
	}
	if (refill(r, n) < 0)
		return NULL;
	if (!rd_in_window(r, n)) {
		truncated(r, n, what);
		return NULL;
	}
	p = r->win + (r->pos - r->buf_off);
	r->pos += n;
	r->bytes_read += n;
	return p;
}

int rd_be64_slow(struct vi_reader *r, uint64_t *v, const char *what)
{
	uint8_t b[8];
	uint64_t x = 0;
	if (rd_bytes_slow(r, b, 8, what) < 0)
		return -1;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	*v = x;
	return 0;
}

int rd_u8(struct vi_reader *r, uint8_t *v, const char *what)
{
	return rd_bytes(r, v, 1, what);
}

int rd_be16(struct vi_reader *r, uint16_t *v, const char *what)
{
	uint8_t b[2];
	if (rd_bytes(r, b, 2, what) < 0)
		return -1;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return 0;
}

int rd_be32(struct vi_reader *r, uint32_t *v, const char *what)
{
	uint8_t b[4];
	if (rd_bytes(r, b, 4, what) < 0)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int rd_cstr(struct vi_reader *r, char out[256], const char *what)
{
	uint8_t len;

	if (rd_u8(r, &len, what) < 0)
		return -1;
	if (rd_bytes(r, out, len, what) < 0)
		return -1;
	out[len] = '\0';
	return 0;
}

int rd_skip(struct vi_reader *r, uint64_t n, const char *what)
{
	if (r->st && rs_need(r, r->pos + n, r->pos + n) < 0)
		return -1;
	if (n > rd_left(r))
		return truncated(r, n > SIZE_MAX ? SIZE_MAX : (size_t)n, what);
	r->pos += n;
	if (n >= SKIP_UNREAD && r->pos >= r->buf_off + r->buf_len)
		r->fill_hint = SMALL_FILL;
	return 0;
}

int rd_seek(struct vi_reader *r, uint64_t off)
{
	if (r->st && off > r->pos && rs_need(r, off, off) < 0)	/* as a skip */
		return -1;
	if (off > rd_end(r))
		return vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
			       "offset %llu lies beyond the end of the stream (%llu)",
			       (unsigned long long)off, (unsigned long long)rd_end(r));
	r->pos = off;
	return 0;
}

size_t rd_peek_at(struct vi_reader *r, uint64_t off, void *dst, size_t n)
{
	uint64_t save = r->pos;
	size_t k;

	if (r->st)
		return rs_peek_at(r, off, dst, n);
	if (off >= r->limit)
		return 0;
	k = r->limit - off < n ? (size_t)(r->limit - off) : n;
	r->pos = off;
	if (rd_bytes(r, dst, k, "peek") < 0)
		k = 0;
	r->pos = save;
	return k;
}

size_t rd_peek(struct vi_reader *r, uint64_t ahead, void *dst, size_t n)
{
	if (ahead > UINT64_MAX - r->pos)
		return 0;
	return rd_peek_at(r, r->pos + ahead, dst, n);
}

uint64_t rd_push_limit(struct vi_reader *r, uint64_t end)
{
	uint64_t old = r->limit;
	if (end < r->limit)
		r->limit = end;
	return old;
}

void rd_pop_limit(struct vi_reader *r, uint64_t old)
{
	r->limit = old;
}
