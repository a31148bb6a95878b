/* check-baseline.c - findings accepted on purpose: read, match, write
 * (the format: check-baseline.h and the man page's BASELINES). */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "check-baseline.h"
#include "vi-error.h"
#include "vi-escape.h"
#include "vi-tree.h"

static int bad(const char *path, unsigned line, const char *what, const char *arg)
{
	fprintf(stderr, "vmstate-inspect: %s:%u: %s%s%s%s\n", vi_tx(path), line, what,
		arg ? " '" : "", arg ? vi_tx(arg) : "", arg ? "'" : "");
	vi_tx_release();
	return -1;
}

/* Split s in place into at most max fields at unescaped blanks; a
 * backslash stays in the field (fnmatch reads it).  Returns the count, or
 * -1 when a backslash ends the line. */
static int split(char *s, char **fld, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || (*s == '#' && (n == 0 || n == 3)))	/* a comment */
			return n;
		if (n == max)
			return max + 1;
		fld[n++] = s;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '\\' && !*++s)
				return -1;
			s++;
		}
		if (*s)
			*s++ = '\0';
	}
}

static int parse_line(struct vi_baseline *b, char *s, unsigned line)
{
	char *fld[3];
	int n = split(s, fld, 3), cls = -1;
	struct vi_baseline_line *l;
	char why[64];

	if (n == 0)
		return 0;
	if (n < 0)
		return bad(b->path, line, "a backslash ends the line", NULL);
	if (n > 3)
		return bad(b->path, line, "more than three fields (CLASS PATH-PATTERN TARGET); "
			   "write a blank in a path as '\\ '", NULL);
	if (n < 3)
		return bad(b->path, line, n == 1 ? "one field, expected three: CLASS PATH-PATTERN TARGET"
			   : "two fields, expected three: CLASS PATH-PATTERN TARGET", NULL);
	for (int c = 0; c < VI_C_COUNT; c++)
		if (!strcmp(fld[0], vi_classes[c].name))
			cls = c;
	if (cls < 0)
		return bad(b->path, line, "unknown finding class (vmstate-inspect help classes):", fld[0]);
	if (b->n >= VI_MAX_BASELINE_LINES)
		return bad(b->path, line, "more baseline entries than the limit of 100000", NULL);
	if (b->n % 64 == 0)
		b->v = vi_xrealloc(b->v, (b->n + 64) * sizeof(*b->v));
	l = &b->v[b->n++];
	l->cls = (enum vi_class)cls;
	l->pattern = vi_xstrdup(strcmp(fld[1], "-") ? fld[1] : "");
	l->target = vi_xstrdup(fld[2]);
	snprintf(why, sizeof(why), ":%u", line);
	l->why = vi_xmalloc(strlen("baseline ") + strlen(b->path) + strlen(why) + 1);
	strcat(strcat(strcpy(l->why, "baseline "), b->path), why);
	l->line = line;
	l->used = 0;
	return 0;
}

int vi_baseline_load(struct vi_baseline *b, const char *path)
{
	char buf[VI_MAX_BASELINE_LINE + 2];
	unsigned line = 0;
	FILE *f;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	b->path = path;
	if (!(f = fopen(path, "r"))) {
		fprintf(stderr, "vmstate-inspect: %s: cannot read the baseline: %s\n", vi_tx(path),
			strerror(errno));
		vi_tx_release();
		return -1;
	}
	while (rc == 0) {
		size_t len = 0;
		int c;
		line++;
		while ((c = getc(f)) != EOF && c != '\n') {
			if (len > VI_MAX_BASELINE_LINE) {
				rc = bad(path, line, "line longer than 4096 bytes", NULL);
				break;
			}
			if (c == '\0') {
				rc = bad(path, line, "a NUL byte: a baseline is text", NULL);
				break;
			}
			buf[len++] = (char)c;
		}
		if (rc)
			break;
		if (c == EOF && ferror(f)) {
			fprintf(stderr, "vmstate-inspect: %s: cannot read the baseline: %s\n",
				vi_tx(path), strerror(errno));
			vi_tx_release();
			rc = -1;
			break;
		}
		if (len && buf[len - 1] == '\r')
			len--;
		buf[len] = '\0';
		rc = parse_line(b, buf, line);
		if (c == EOF)
			break;
	}
	fclose(f);
	if (rc)
		vi_baseline_free(b);
	return rc;
}

size_t vi_baseline_apply(struct vi_baseline *b, struct vi_findings *f, const char *target)
{
	size_t errors = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct vi_finding *x = &f->v[i];
		for (size_t k = 0; k < b->n && !x->suppressed; k++) {
			struct vi_baseline_line *l = &b->v[k];
			if (l->cls != x->cls || fnmatch(l->target, target ? target : "", 0) ||
			    fnmatch(l->pattern, x->path ? x->path : "", 0))
				continue;
			x->suppressed = l->why;
			l->used++;
			b->suppressed++;
			errors += x->severity == VI_SEV_ERROR;
		}
	}
	return errors;
}

void vi_baseline_notes(const struct vi_baseline *b, struct vi_findings *notes)
{
	vi_finding_add(notes, VI_C_ASSUMPTION, VI_SEV_NOTE, 0, 0, NULL,
		       "baseline %s: %zu finding(s) suppressed by %zu entr%s", b->path,
		       b->suppressed, b->n, b->n == 1 ? "y" : "ies");
	for (size_t k = 0; k < b->n; k++)
		if (!b->v[k].used)
			vi_finding_add(notes, VI_C_ASSUMPTION, VI_SEV_NOTE, 0, 0, NULL,
				       "baseline %s:%u is unused: no finding matches %s %s %s",
				       b->path, b->v[k].line, vi_class_name(b->v[k].cls),
				       b->v[k].pattern[0] ? b->v[k].pattern : "-", b->v[k].target);
}

void vi_baseline_free(struct vi_baseline *b)
{
	for (size_t k = 0; k < b->n; k++) {
		free(b->v[k].pattern);
		free(b->v[k].target);
		free(b->v[k].why);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/* ---- writing ------------------------------------------------------------- */

/* A field matching exactly s: pattern characters and blanks quoted, bytes
 * a line cannot hold (controls, non-ASCII) written as "?". */
static size_t quote(char *out, const char *s)
{
	size_t n = 0;

	if (!*s || !strcmp(s, "-")) {
		if (*s)
			out[n++] = '\\';
		out[n++] = '-';
		return n;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f) {
			out[n++] = '?';
			continue;
		}
		if (strchr("*?[]\\ #", c))
			out[n++] = '\\';
		out[n++] = (char)c;
	}
	return n;
}

void vi_baseline_collect(struct vi_baseline_writer *w, const struct vi_finding *f,
			 const char *target)
{
	const char *cls = vi_class_name(f->cls), *path = f->path ? f->path : "";
	const char *tg = target ? target : "*";
	char *s = vi_xmalloc(strlen(cls) + 2 * strlen(path) + 2 * strlen(tg) + 8), *p = s;

	p += strlen(strcpy(p, cls));
	*p++ = ' ';
	p += quote(p, path);
	*p++ = ' ';
	p += target ? quote(p, tg) : strlen(strcpy(p, "*"));
	*p = '\0';
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->lines = vi_xrealloc(w->lines, w->cap * sizeof(*w->lines));
	}
	w->lines[w->n++] = s;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vi_baseline_write(struct vi_baseline_writer *w, FILE *out)
{
	size_t kept = 0;

	if (w->n)
		qsort(w->lines, w->n, sizeof(*w->lines), by_str);
	for (size_t i = 0; i < w->n; i++)
		kept += i == 0 || strcmp(w->lines[i], w->lines[i - 1]) != 0;
	fprintf(out, "# vmstate-inspect check baseline: findings accepted on purpose,\n"
		"# one per line: CLASS PATH-PATTERN TARGET (see the man page, BASELINES).\n"
		"# %zu entr%s.\n", kept, kept == 1 ? "y" : "ies");
	for (size_t i = 0; i < w->n; i++)
		if (i == 0 || strcmp(w->lines[i], w->lines[i - 1]) != 0)
			fprintf(out, "%s\n", w->lines[i]);
	return ferror(out) ? -1 : 0;
}

void vi_baseline_writer_free(struct vi_baseline_writer *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->lines[i]);
	free(w->lines);
	memset(w, 0, sizeof(*w));
}
