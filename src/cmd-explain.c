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

#define MAX_TEXT (1u << 20)
#define MAX_LINES 256
#define CAP 256

struct ex_line {
	char *text;
	const struct explain_row *row;
	char g[2][CAP];          /* captures g1, g2 ("" when none) */
	const struct vi_node *node;  /* what it points at, or NULL */
	uint64_t offset;
	int located;
	const char *how;         /* a note on how it was located */
};

struct explain_args {
	const char *text, *file;
	int json;
};

static const struct argp_option options[] = {
	{ "format", 'f', "FORMAT", 0, "text (default) or json", 0 },
	{ NULL, 'h', NULL, 0, "Give this help list", -1 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct explain_args *a = st->input;

	switch (key) {
	case 'f':
		if (!strcmp(arg, "json"))
			a->json = 1;
		else if (strcmp(arg, "text"))
			argp_error(st, "unknown format '%s' (text or json)", arg);
		return 0;
	case 'h':
		argp_state_help(st, stdout, ARGP_HELP_STD_HELP);
		return 0;
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

/* ---- the tree ------------------------------------------------------------- */

static int is_section_named(const struct vi_node *n, const char *name)
{
	size_t ln, lm;

	if (n->kind != VI_N_SECTION || !name[0])
		return 0;
	if (!strcmp(n->name, name))
		return 1;
	ln = strlen(n->name);
	lm = strlen(name);
	return ln > lm && n->name[ln - lm - 1] == '/' && !strcmp(n->name + ln - lm, name);
}

static uint64_t attr_u(const struct vi_node *n, const char *key, uint64_t dflt)
{
	const struct vi_attr *a = vi_node_attr(n, key);
	return a && !a->is_str ? a->u : dflt;
}

/* The first START/FULL section named name (instance: UINT64_MAX any). */
static const struct vi_node *find_section(const struct vi_node *root, const char *name,
					  uint64_t instance)
{
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		if (is_section_named(k, name) && vi_node_attr(k, "instance_id") &&
		    (instance == UINT64_MAX || attr_u(k, "instance_id", 0) == instance))
			return k;
	}
	return NULL;
}

static const struct vi_node *find_section_id(const struct vi_node *root, uint64_t id)
{
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		if (k->kind == VI_N_SECTION && attr_u(k, "section_id", UINT64_MAX) == id)
			return k;
	}
	return NULL;
}

static const struct vi_node *find_kind(const struct vi_node *root, enum vi_kind kind)
{
	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == kind)
			return root->kids[i];
	return NULL;
}

/* Does n stand for vmsd (a struct, subsection or section of that name)? */
static int names_vmsd(const struct vi_node *n, const char *vmsd)
{
	if (is_section_named(n, vmsd) || !strcmp(n->name, vmsd))
		return 1;
	return n->type && !strncmp(n->type, "struct ", 7) && !strcmp(n->type + 7, vmsd);
}

/* Depth first: a node named name (any name if NULL) below an ancestor that
 * names vmsd (any if NULL or empty); pred filters further. */
static const struct vi_node *find_below(const struct vi_node *n, const char *name,
					const char *vmsd, int in_vmsd,
					int (*pred)(const struct vi_node *, const void *),
					const void *arg)
{
	for (size_t i = 0; i < n->nkids; i++) {
		const struct vi_node *k = n->kids[i], *r;
		int inside = in_vmsd || !vmsd || !vmsd[0] || names_vmsd(n, vmsd);
		if (inside && (!name || !strcmp(k->name, name)) && (!pred || pred(k, arg)))
			return k;
		if ((r = find_below(k, name, vmsd, inside, pred, arg)))
			return r;
	}
	return NULL;
}

static int has_value(const struct vi_node *n, const void *arg)
{
	uint64_t v = *(const uint64_t *)arg;
	return (n->vt == VI_V_UINT && n->v.u == v) || (n->vt == VI_V_INT && (uint64_t)n->v.i == v);
}

static int is_pci_config(const struct vi_node *n, const void *arg)
{
	(void)arg;
	return n->type && !strcmp(n->type, "pci config");
}

static int is_stream_ramblock(const struct vi_node *n, const void *arg)
{
	(void)arg;
	return n->kind == VI_N_RAMBLOCK && n->parent && !strcmp(n->parent->name, "ramblocks");
}

static const struct vi_node *section_of(const struct vi_node *n)
{
	while (n && n->kind != VI_N_SECTION)
		n = n->parent;
	return n;
}

static void path_of(const struct vi_node *n, char *out, size_t size)
{
	const struct vi_node *chain[64];
	size_t k = 0, len = 0;

	for (; n && n->kind != VI_N_ROOT && k < 64; n = n->parent)
		chain[k++] = n;
	out[0] = '\0';
	while (k-- > 0 && len < size) {
		char esc[VI_ESC_NAME];
		const struct vi_node *c = chain[k];
		vi_esc(esc, sizeof(esc), c->name);
		if (c->kind == VI_N_SECTION && vi_node_attr(c, "instance_id"))
			len += (size_t)snprintf(out + len, size - len, "%s%s[%" PRIu64 "]",
						len ? "/" : "", esc, attr_u(c, "instance_id", 0));
		else
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "/" : "", esc);
	}
}

/* ---- locating ------------------------------------------------------------- */

struct ctx {
	const struct vi_node *root, *device;   /* device: what the other lines name */
	const struct vi_error *err;
};

static void at(struct ex_line *l, const struct vi_node *n, uint64_t off, const char *how)
{
	l->node = n;
	l->offset = n && off == UINT64_MAX ? n->offset : off;
	l->located = n != NULL || off != UINT64_MAX;
	l->how = how;
}

static int walk_error_at(struct ex_line *l, const struct ctx *c)
{
	if (!c->err->set || !c->err->has_offset)
		return 0;
	at(l, NULL, c->err->offset, "where the stream stops being readable");
	return 1;
}

static void locate(struct ex_line *l, const struct ctx *c)
{
	const char *g1 = l->g[0], *g2 = l->g[1];
	const struct vi_node *scope = c->device ? c->device : c->root, *n;
	uint64_t v;

	switch (l->row->loc) {
	case EX_HEADER:
		at(l, find_kind(c->root, VI_N_HEADER), 0, "the file header");
		l->located = 1;
		return;
	case EX_CONFIG:
		if ((n = find_kind(c->root, VI_N_CONFIG)))
			return at(l, n, UINT64_MAX, "the configuration record");
		at(l, NULL, 8, "where the configuration record should be");
		return;
	case EX_CONFIG_PAGE:
	case EX_CONFIG_CAPS:
		if ((n = find_kind(c->root, VI_N_CONFIG))) {
			const struct vi_node *s = find_below(n, l->row->loc == EX_CONFIG_PAGE
				? "configuration/target-page-bits" : "configuration/capabilities",
				NULL, 1, NULL, NULL);
			return at(l, s ? s : n, UINT64_MAX, "the configuration record");
		}
		return;
	case EX_TRAILER:
		if ((n = find_kind(c->root, VI_N_EOF)))
			return at(l, n, UINT64_MAX, "the EOF record");
		walk_error_at(l, c);
		return;
	case EX_SECTION_INSTANCE:
	case EX_SECTION_INSTANCE_HEX:
		v = strtoull(g2, NULL, l->row->loc == EX_SECTION_INSTANCE ? 10 : 16);
		if ((n = find_section(c->root, g1, v)))
			return at(l, n, UINT64_MAX, "the section's header");
		break;
	case EX_SECTION_ID:
		if ((n = find_section_id(c->root, strtoull(g1, NULL, 10))))
			return at(l, n, UINT64_MAX, "the first record of that section id");
		break;
	case EX_SECTION_VERSION:
		if ((n = find_section(c->root, g1, UINT64_MAX)))	/* type id len idstr instance */
			return at(l, n, n->offset + 1 + 4 + 1 + strlen(n->name) + 4,
				  "the section's version_id");
		if ((n = find_below(scope, NULL, NULL, 1, NULL, NULL)) && c->device &&
		    (n = find_below(c->device, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the nested description");
		break;
	case EX_SECTION:
		if ((n = find_section(c->root, g1, UINT64_MAX)))
			return at(l, n, UINT64_MAX, "the section");
		if ((n = find_below(scope, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the nested description");
		break;
	case EX_FOOTER:
		if ((n = find_section(c->root, g1, UINT64_MAX))) {
			const struct vi_node *f = find_below(n, "footer", NULL, 1, NULL, NULL);
			if (c->err->set && c->err->has_offset && c->err->offset >= n->offset &&
			    c->err->offset <= n->offset + n->length + 5)
				return at(l, n, c->err->offset, "the byte where the footer should be");
			return at(l, f ? f : n, f ? UINT64_MAX : n->offset + n->length,
				  "the section's footer");
		}
		break;
	case EX_FIELD:
		if ((n = find_below(scope, g2, g1, 0, NULL, NULL)) ||
		    (c->device && (n = find_below(c->root, g2, g1, 0, NULL, NULL))))
			return at(l, n, UINT64_MAX, "the field");
		if (g1[0] && (n = find_below(scope, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the description the field belongs to");
		if (walk_error_at(l, c))
			return;
		break;
	case EX_SUBSECTION:
		if ((n = find_below(scope, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the subsection");
		if ((n = find_section(c->root, g2, UINT64_MAX)))
			return at(l, n, UINT64_MAX, "the section holding the subsection");
		break;
	case EX_PCI_CONFIG:
		v = strtoull(g1, NULL, 16);
		if ((n = find_below(scope, "config", "PCIDevice", 0, is_pci_config, NULL)) ||
		    (n = find_below(scope, NULL, NULL, 1, is_pci_config, NULL)))
			return at(l, n, v < n->length ? n->offset + v : UINT64_MAX,
				  "the byte of the PCI config space");
		break;
	case EX_RAMBLOCK:
		if ((n = find_below(c->root, g1, NULL, 1, is_stream_ramblock, NULL)))
			return at(l, n, UINT64_MAX, "the RAMBlock in the MEM_SIZE list");
		break;
	case EX_VALUE:
	case EX_VALUE_HEX:
		v = (uint64_t)strtoll(g1, NULL, l->row->loc == EX_VALUE ? 10 : 16);
		if (c->device && (n = find_below(c->device, NULL, NULL, 1, has_value, &v)))
			return at(l, n, UINT64_MAX, "the first field of the device with that value");
		break;
	case EX_RECORD_TYPE:
		v = strtoull(g1, NULL, 10);
		n = v == 7 ? find_kind(c->root, VI_N_CONFIG) : v == 6 ? find_kind(c->root, VI_N_VMDESC)
		    : v == 8 ? find_kind(c->root, VI_N_COMMAND) : NULL;
		if (n)
			return at(l, n, UINT64_MAX, "the first record of that type");
		/* fall through */
	case EX_WALK_ERROR:
		if (walk_error_at(l, c))
			return;
		break;
	case EX_COMMAND:
		/* a command the walker does not know stops the walk there */
		if (walk_error_at(l, c))
			return;
		if ((n = find_kind(c->root, VI_N_COMMAND)))
			return at(l, n, UINT64_MAX, "the first COMMAND record");
		break;
	case EX_CONTEXT:
	case EX_SUMMARY:
		break;
	}
	if (c->device)
		at(l, c->device, UINT64_MAX, "the device the other lines name");
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
		const struct vi_node *s = section_of(l->node);
		path_of(l->node, buf, sizeof(buf));
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
			path_of(l->node, buf, sizeof(buf));
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

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "[\"QEMU ERROR TEXT\"] FILE",
		"Explain the error QEMU printed when it failed to load FILE: each line "
		"recognised, the byte in the stream it points at, why, and what would "
		"make the load work.  Without the text argument it is read from stdin."
		"\vExit status: 0 every line recognised and located, 1 not, 2 usage, "
		"3 FILE unreadable.",
		NULL, NULL, NULL
	};
	struct explain_args a = { 0 };
	struct vi_walk_opts wopts = { 0 };
	struct ex_line lines[MAX_LINES];
	regex_t *re;
	struct vi_session s;
	struct ctx c = { 0 };
	size_t nl = 0, recog = 0, located = 0, first = SIZE_MAX;
	char *text, *save = NULL;
	int rc;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	text = a.text ? vi_xstrdup(a.text) : read_stdin();
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
	if (vi_session_walk(&s, a.file, &wopts) < 0 && !s.w.root && !s.err.has_offset) {
		vi_error_print(&s.err, a.file);
		rc = s.err.set ? s.err.exit_code : VI_EXIT_INPUT;
		goto out;
	}
	c.root = s.w.root;
	c.err = &s.err;
	/* The device the error is about: named by QEMU's "while loading" lines. */
	for (size_t i = 0; i < nl; i++) {
		struct ex_line *l = &lines[i];
		if (!l->row || (strcmp(l->row->id, "load-instance") &&
				strcmp(l->row->id, "load-section-id") &&
				strcmp(l->row->id, "unknown-section")))
			continue;
		locate(l, &c);
		if (l->node && l->node->kind == VI_N_SECTION)
			c.device = l->node;
	}
	for (size_t i = 0; i < nl; i++) {
		if (lines[i].row && lines[i].row->loc != EX_SUMMARY) {
			locate(&lines[i], &c);
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
	if (a.json) {
		json_t *doc = json_object(), *arr = json_array();
		for (size_t i = 0; i < nl; i++)
			json_array_append_new(arr, line_json(&lines[i]));
		json_object_set_new(doc, "file", json_string(a.file));
		json_object_set_new(doc, "stream_error", s.err.set ? json_string(s.err.msg) : json_null());
		json_object_set_new(doc, "lines", arr);
		json_object_set_new(doc, "lines_total", json_integer((json_int_t)nl));
		json_object_set_new(doc, "recognised", json_integer((json_int_t)recog));
		json_object_set_new(doc, "located", json_integer((json_int_t)located));
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		for (size_t i = 0; i < nl; i++)
			line_text(stdout, &lines[i], i);
		if (s.err.set)
			printf("note: the stream itself stops being readable: byte %" PRIu64 ": %s\n",
			       s.err.offset, s.err.msg);
		printf("%zu line(s): %zu recognised, %zu located in the stream\n", nl, recog, located);
	}
	rc = nl && recog == nl && located == nl ? VI_EXIT_OK : 1;
out:
	vi_session_close(&s);
	for (size_t r = 0; r < explain_table_len; r++)
		regfree(&re[r]);
	free(re);
	free(text);
	return rc;
}

const struct vi_command cmd_explain = {
	"explain", "[--format text|json] [\"QEMU ERROR TEXT\"] FILE",
	"explain QEMU's load error: where in the stream, why, what to do", run
};
