/* cmd-explain.c - "explain": QEMU's error text from a failed load, line by
 * line: which message it is (explain-table.c), where in the stream it
 * points (section, field, byte offset), why, and what would make the load
 * work. */
#include <limits.h>
#include <argp.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "command.h"
#include "explain.h"
#include "session.h"
#include "render-jw.h"

#define MAX_TEXT (1u << 20)
#define MAX_LINES 256

struct explain_args {
	const char *text, *file;
};

/* What is shown: every line explained, and the figures. */
struct view {
	const char *file;
	const struct vi_session *s;
	const struct ex_line *lines;
	size_t nl, recog, located;
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct explain_args *a = ((struct vi_cmd_ctx *)st->input)->args;

	switch (key) {
	case ARGP_KEY_ARG:
		if (!a->file) {
			a->file = arg;
		} else if (!a->text) {
			a->text = a->file;
			a->file = arg;
		} else {
			argp_error(st, "explain takes the error text and FILE");
		}
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(st, "no FILE given");
		if (!a->text && !strcmp(a->file, "-"))
			argp_error(st, "the error text comes on stdin, so FILE cannot be -");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* ---- output ---------------------------------------------------------------- */

/* why/fix with %1 %2 replaced by the captures (escaped). */
static void fill(char *out, size_t size, const char *tmpl, const struct ex_line *l)
{
	size_t n = 0;

	for (const char *p = tmpl; *p && n + 1 < size; p++) {
		if (p[0] == '%' && (p[1] == '1' || p[1] == '2')) {
			char esc[VI_ESC_NAME];
			vi_esc(esc, sizeof(esc), l->g[p[1] - '1']);
			n += (size_t)snprintf(out + n, size - n, "%s", esc);
			if (n >= size)
				n = size - 1;
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static json_t *line_json(const struct ex_line *l)
{
	json_t *o = json_object();
	char buf[2048], esc[1024];

	json_object_set_new(o, "text", json_string(vi_esc(esc, sizeof(esc), l->text)));
	json_object_set_new(o, "recognised", json_boolean(l->row != NULL));
	json_object_set_new(o, "message", l->row ? json_string(l->row->id) : json_null());
	json_object_set_new(o, "qemu_source", l->row ? json_string(l->row->source) : json_null());
	json_object_set_new(o, "located", json_boolean(l->located));
	json_object_set_new(o, "offset", l->located ? json_integer((json_int_t)l->offset)
						    : json_null());
	/* the bytes pointed at: the node's, or one byte inside it */
	json_object_set_new(o, "length", !l->located ? json_null() : json_integer(
		l->node && l->offset == l->node->offset && l->node->length ?
		(json_int_t)l->node->length : 1));
	if (l->node) {
		const struct vi_node *s = explain_section_of(l->node);
		explain_path_of(l->node, buf, sizeof(buf));
		json_object_set_new(o, "path", json_string(buf));
		json_object_set_new(o, "section", s ? json_string(vi_esc(esc, sizeof(esc), s->name))
						    : json_null());
	} else {
		json_object_set_new(o, "path", json_null());
		json_object_set_new(o, "section", json_null());
	}
	json_object_set_new(o, "located_at", l->how ? json_string(l->how) : json_null());
	if (l->row) {
		fill(buf, sizeof(buf), l->row->why, l);
		json_object_set_new(o, "why", json_string(buf));
		fill(buf, sizeof(buf), l->row->fix, l);
		json_object_set_new(o, "fix", json_string(buf));
	}
	return o;
}

static void line_text(FILE *out, const struct ex_line *l, size_t i)
{
	char buf[2048], esc[1024];

	fprintf(out, "line %zu: %s\n", i + 1, vi_esc(esc, sizeof(esc), l->text));
	if (!l->row) {
		fprintf(out, "  not recognised\n");
		return;
	}
	fprintf(out, "  message  %s (%s)\n", l->row->id, l->row->source);
	if (l->located) {
		buf[0] = '\0';
		if (l->node)
			explain_path_of(l->node, buf, sizeof(buf));
		fprintf(out, "  where    byte %" PRIu64 " (0x%" PRIx64 ")%s%s: %s\n", l->offset,
			l->offset, buf[0] ? ", " : "", buf, l->how);
	} else {
		fprintf(out, "  where    not found in the stream\n");
	}
	fill(buf, sizeof(buf), l->row->why, l);
	fprintf(out, "  why      %s\n", buf);
	fill(buf, sizeof(buf), l->row->fix, l);
	fprintf(out, "  fix      %s\n", buf);
}

static int json_view(FILE *out, const void *model)
{
	const struct view *v = model;
	json_t *doc = json_object(), *arr = json_array();

	for (size_t i = 0; i < v->nl; i++)
		json_array_append_new(arr, line_json(&v->lines[i]));
	json_object_set_new(doc, "file", json_string(v->file));
	json_object_set_new(doc, "stream_error", v->s->err.set ? json_string(v->s->err.msg)
							       : json_null());
	json_object_set_new(doc, "lines", arr);
	json_object_set_new(doc, "lines_total", json_integer((json_int_t)v->nl));
	json_object_set_new(doc, "recognised", json_integer((json_int_t)v->recog));
	json_object_set_new(doc, "located", json_integer((json_int_t)v->located));
	vi_jw_dump(out, doc, 2, 0);
	json_decref(doc);
	return 0;
}

static int text_view(FILE *out, const void *model)
{
	const struct view *v = model;

	for (size_t i = 0; i < v->nl; i++)
		line_text(out, &v->lines[i], i);
	if (v->s->err.set)
		fprintf(out, "note: the stream itself stops being readable: byte %" PRIu64 ": %s\n",
			v->s->err.offset, v->s->err.msg);
	fprintf(out, "%zu line(s): %zu recognised, %zu located in the stream\n", v->nl,
		v->recog, v->located);
	return 0;
}

static const struct vi_outfmt formats[] = {
	{ "text", text_view },
	{ "json", json_view },
	{ NULL, NULL },
};

/* ---- the command ----------------------------------------------------------- */

static char *read_stdin(void)
{
	char *buf = vi_xmalloc(MAX_TEXT + 1);
	size_t n = fread(buf, 1, MAX_TEXT, stdin);

	buf[n] = '\0';
	return buf;
}

static int match_line(struct ex_line *l, regex_t *re)
{
	for (size_t r = 0; r < explain_table_len; r++) {
		regmatch_t m[8];
		const struct explain_row *row = &explain_table[r];
		if (regexec(&re[r], l->text, 8, m, 0) != 0)
			continue;
		l->row = row;
		for (int k = 0; k < 2; k++) {
			int g = k ? row->g2 : row->g1;
			size_t len;
			if (g <= 0 || g >= 8 || m[g].rm_so < 0)
				continue;
			len = (size_t)(m[g].rm_eo - m[g].rm_so);
			if (len >= CAP)
				len = CAP - 1;
			memcpy(l->g[k], l->text + m[g].rm_so, len);
			l->g[k][len] = '\0';
		}
		return 1;
	}
	return 0;
}

static int run(struct vi_cmd_ctx *cx)
{
	const struct explain_args *a = cx->args;
	struct vi_walk_opts wopts = { 0 };
	struct ex_line lines[MAX_LINES];
	regex_t *re;
	struct vi_session s;
	struct explain_ctx c = { 0 };
	size_t nl = 0, recog = 0, located = 0, first = SIZE_MAX;
	char *text, *save = NULL;
	int rc;

	text = a->text ? vi_xstrdup(a->text) : read_stdin();
	re = vi_xmalloc(explain_table_len * sizeof(*re));
	for (size_t r = 0; r < explain_table_len; r++)
		if (regcomp(&re[r], explain_table[r].regex, REG_EXTENDED) != 0) {
			fprintf(stderr, "vmstate-inspect: explain table row %s: bad pattern\n",
				explain_table[r].id);
			abort();
		}
	for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(t);
		while (len && (t[len - 1] == '\r' || t[len - 1] == ' '))
			t[--len] = '\0';
		if (!len || strstr(t, "warning: "))	/* QEMU's warnings are no error lines */
			continue;
		if (nl == MAX_LINES) {
			fprintf(stderr, "vmstate-inspect: explain: only the first %d error lines "
				"are read\n", MAX_LINES);
			break;
		}
		memset(&lines[nl], 0, sizeof(lines[nl]));
		lines[nl].text = t;
		recog += match_line(&lines[nl], re);
		nl++;
	}
	/* A stream that cannot be walked (not even its header) is still
	 * explained when it could be read: "Not a migration stream". */
	if (vi_session_walk(&s, a->file, &wopts) < 0 && !s.root && !s.err.has_offset) {
		vi_error_print(&s.err, a->file);
		rc = s.err.set ? s.err.exit_code : VI_EXIT_INPUT;
		goto out;
	}
	c.root = s.root;
	c.err = &s.err;
	/* The device the error is about: named by QEMU's "while loading" lines. */
	for (size_t i = 0; i < nl; i++) {
		struct ex_line *l = &lines[i];
		if (!l->row || (strcmp(l->row->id, "load-instance") &&
				strcmp(l->row->id, "load-section-id") &&
				strcmp(l->row->id, "unknown-section")))
			continue;
		explain_locate(l, &c);
		if (l->node && l->node->kind == VI_N_SECTION)
			c.device = l->node;
	}
	for (size_t i = 0; i < nl; i++) {
		if (lines[i].row && lines[i].row->loc != EX_SUMMARY) {
			explain_locate(&lines[i], &c);
			if (lines[i].located && first == SIZE_MAX)
				first = i;
		}
	}
	for (size_t i = 0; i < nl; i++) {	/* the summary: where the first line points */
		if (lines[i].row && lines[i].row->loc == EX_SUMMARY && first != SIZE_MAX) {
			lines[i].node = lines[first].node;
			lines[i].offset = lines[first].offset;
			lines[i].located = 1;
			lines[i].how = "where the first line points";
		}
		located += lines[i].row && lines[i].located;
	}
	{
		struct view v = { a->file, &s, lines, nl, recog, located };
		rc = vi_cmd_emit(cx, &v, nl && recog == nl && located == nl ? VI_EXIT_OK : 1);
	}
out:
	vi_session_close(&s);
	for (size_t r = 0; r < explain_table_len; r++)
		regfree(&re[r]);
	free(re);
	free(text);
	return rc;
}

const struct vi_command cmd_explain = {
	.name = "explain", .args = "[--format text|json] [\"QEMU ERROR TEXT\"] FILE",
	.summary = "explain QEMU's load error: where in the stream, why, what to do",
	.usage = "[\"QEMU ERROR TEXT\"] FILE",
	.doc = "Explain the error QEMU printed when it failed to load FILE: each line "
	       "recognised, the byte in the stream it points at, why, and what would "
	       "make the load work.  Without the text argument it is read from stdin."
	       "\vExit status: 0 every line recognised and located, 1 not, 2 usage or "
	       "write error, 3 FILE unreadable.",
	.common = VI_CMD_FORMAT,
	.parse = parse, .args_size = sizeof(struct explain_args), .formats = formats,
	.run = run,
};
