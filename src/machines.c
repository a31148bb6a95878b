/* machines.c - machine types and compat properties, and their rules.
 *
 * A machine type pins old behaviour through compat properties (driver,
 * property, value, from arrays like hw_compat_5_1).  Rules, as data,
 * say what a property does to a stream: a subsection or section that must
 * be absent, a command or RAM flag that is never sent, a virtio queue or
 * MSI-X vector count.  Each rule is evaluated on the decoded tree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "jutil.h"
#include "machines.h"
#include "schema.h"

static json_t *load(const char *path, struct vi_error *err)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (!doc)
		vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: byte %d: bad JSON: %s", path,
			jerr.position, jerr.text);
	return doc;
}

static int valid_machines(json_t *doc, const char *path, struct vi_error *err)
{
	json_t *ms = json_object_get(doc, "machines"), *m, *p;
	const char *k;
	size_t i;

	if (!json_is_object(ms))
		return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: no \"machines\" object", path);
	json_object_foreach(ms, k, m) {
		if (!json_is_object(m) || (json_object_get(m, "compat_props") &&
					   !json_is_array(json_object_get(m, "compat_props"))))
			return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
				       "%s: machine %s: compat_props is not a list", path, k);
		json_array_foreach(json_object_get(m, "compat_props"), i, p)
			if (!jstr(p, "driver") || !jstr(p, "property") || !jstr(p, "value"))
				return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
					       "%s: machine %s: a compat property lacks "
					       "driver, property or value", path, k);
	}
	return 0;
}

int machines_load(struct vi_machines *m, const char *target, const char *schema_dir,
		  struct vi_error *err)
{
	const char *const *dirs = schema_dirs(schema_dir);
	char rules[1100];

	memset(m, 0, sizeof(*m));
	if (strstr(target, ".json"))	/* a schema file, not a target id */
		return 1;
	for (int i = 0; dirs[i]; i++) {
		snprintf(m->path, sizeof(m->path), "%s/machines/%s.json", dirs[i], target);
		if (access(m->path, R_OK) != 0)
			continue;
		if (!(m->doc = load(m->path, err)) || valid_machines(m->doc, m->path, err) < 0) {
			machines_free(m);
			return -1;
		}
		snprintf(rules, sizeof(rules), "%s/compat-rules.json", dirs[i]);
		if (access(rules, R_OK) == 0) {
			json_t *r = load(rules, err);
			if (!r || !json_is_array(json_object_get(r, "rules"))) {
				json_decref(r);
				machines_free(m);
				return err->set ? -1 : vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
							      "%s: no \"rules\" list", rules);
			}
			m->rules = json_incref(json_object_get(r, "rules"));
			json_decref(r);
		}
		return 0;
	}
	return 1;
}

void machines_free(struct vi_machines *m)
{
	json_decref(m->doc);
	json_decref(m->rules);
	m->doc = m->rules = NULL;
}

json_t *machines_get(const struct vi_machines *m, const char *name, const char **resolved)
{
	json_t *ms = json_object_get(m->doc, "machines"), *v, *a;
	const char *k;
	size_t i;

	if ((v = json_object_get(ms, name))) {
		if (resolved)
			*resolved = name;
		return v;
	}
	json_object_foreach(ms, k, v)
		json_array_foreach(json_object_get(v, "aliases"), i, a)
			if (json_is_string(a) && strcmp(json_string_value(a), name) == 0) {
				if (resolved)
					*resolved = k;
				return v;
			}
	return NULL;
}

/* ---- evaluating rules on the decoded tree ------------------------------ */

static const char *last(const char *idstr)
{
	const char *s = strrchr(idstr, '/');
	return s ? s + 1 : idstr;
}

static struct vi_node *find_kind_name(struct vi_node *n, enum vi_kind kind, const char *name,
				      int depth)
{
	if (depth > 64)
		return NULL;
	if (n->kind == kind && strcmp(n->name, name) == 0)
		return n;
	for (size_t i = 0; i < n->nkids; i++) {
		struct vi_node *r = find_kind_name(n->kids[i], kind, name, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

static struct vi_node *virtio_field(struct vi_node *sec)
{
	for (size_t i = 0; i < sec->nkids; i++)
		if (sec->kids[i]->kind == VI_N_FIELD && !strcmp(sec->kids[i]->type, "virtio"))
			return sec->kids[i];
	return NULL;
}

struct hit {
	const char *machine, *release;
	json_t *prop, *rule;
	struct vi_findings *out;
};

static void report(struct hit *h, struct vi_node *at, const char *msg)
{
	vi_finding_add(h->out, "machine-property", VI_SEV_WARNING, at ? at->offset : 0,
		       at ? at->length : 0, at ? at->name : "stream",
		       "%s sets %s %s=%s (%s): %s; QEMU %s with %s would not accept this "
		       "stream, nor would a later hop to it",
		       h->machine, jstr(h->prop, "driver"), jstr(h->prop, "property"),
		       jstr(h->prop, "value"), jstr(h->prop, "array") ? jstr(h->prop, "array") : "compat",
		       msg, h->release, h->machine);
}

static void eval_rule(struct hit *h, struct vi_node *root)
{
	json_t *e = json_object_get(h->rule, "effect");
	const char *kind = jstr(e, "kind"), *vmsd = jstr(e, "vmsd");
	const char *value = jstr(h->prop, "value");
	char buf[300];

	if (!kind)
		return;
	if (!strcmp(kind, "subsection-absent")) {
		struct vi_node *s = jstr(e, "subsection")
			? find_kind_name(root, VI_N_SUBSECTION, jstr(e, "subsection"), 0) : NULL;
		if (s)
		{
			snprintf(buf, sizeof(buf), "the stream carries subsection %s", s->name);
			report(h, s, buf);
		}
		return;
	}
	if (!strcmp(kind, "command-absent")) {
		json_int_t cmd = json_integer_value(json_object_get(e, "command"));
		for (size_t i = 0; i < root->nkids; i++) {
			struct vi_node *n = root->kids[i];
			const struct vi_attr *c = vi_node_attr(n, "command");
			if (n->kind == VI_N_COMMAND && c && (json_int_t)c->u == cmd)
			{
				snprintf(buf, sizeof(buf), "the stream carries command %s", n->name);
				report(h, n, buf);
			}
		}
		return;
	}
	if (!strcmp(kind, "ram-flag-absent")) {
		for (size_t i = 0; i < root->nkids; i++) {
			const struct vi_attr *f = vi_node_attr(root->kids[i], "multifd_flushes");
			if (root->kids[i]->kind == VI_N_SECTION && f && f->u) {
				report(h, root->kids[i], "the RAM section carries MULTIFD_FLUSH records");
				return;
			}
		}
		return;
	}
	for (size_t i = 0; vmsd && i < root->nkids; i++) {
		struct vi_node *sec = root->kids[i], *v;
		if (sec->kind != VI_N_SECTION || strcmp(last(sec->name), vmsd) != 0)
			continue;
		if (!strcmp(kind, "section-absent")) {
			snprintf(buf, sizeof(buf), "the stream carries section %s", sec->name);
			report(h, sec, buf);
			continue;
		}
		if (!(v = virtio_field(sec)))
			continue;
		if (!strcmp(kind, "virtio-queue-count")) {
			const struct vi_attr *q = vi_node_attr(v, "num_queues");
			if (q && value && strtoull(value, NULL, 0) != q->u) {
				snprintf(buf, sizeof(buf), "the stream has %" PRIu64 " virtqueues in %s",
					 q->u, sec->name);
				report(h, v, buf);
			}
		} else if (!strcmp(kind, "msix-vectors")) {
			struct vi_node *t = find_kind_name(v, VI_N_FIELD, "transport", 0);
			const struct vi_attr *mv = t ? vi_node_attr(t, "msix_vectors") : NULL;
			uint64_t have = mv ? mv->u : 0;
			if (t && value && strtoull(value, NULL, 0) != have) {
				snprintf(buf, sizeof(buf), "the stream has %" PRIu64 " MSI-X vectors in %s",
					 have, sec->name);
				report(h, t, buf);
			}
		} else if (!strcmp(kind, "virtio-feature-bit")) {
			json_int_t bit = json_integer_value(json_object_get(e, "bit"));
			struct vi_node *f = find_kind_name(v, VI_N_FIELD, "guest_features", 0);
			if (f && bit >= 0 && bit < 32 && (f->v.u >> bit) & 1 && value &&
			    (!strcmp(value, "off") || !strcmp(value, "false"))) {
				snprintf(buf, sizeof(buf), "the stream has feature bit %d negotiated in %s",
					 (int)bit, sec->name);
				report(h, f, buf);
			}
		}
	}
}

void machines_check(const struct vi_machines *m, const char *machine,
		    struct vi_node *root, struct vi_findings *out)
{
	json_t *mt, *p, *r;
	const char *name = machine;
	char release[32] = "";
	size_t i, j;

	if (!m->doc || !m->rules || !root || !(mt = machines_get(m, machine, &name)))
		return;
	/* pc-q35-5.1 / virt-5.1 / pc-i440fx-2.10: the release it stands for */
	{
		const char *d = name + strlen(name);
		while (d > name && (d[-1] == '.' || (d[-1] >= '0' && d[-1] <= '9')))
			d--;
		snprintf(release, sizeof(release), "%s", *d ? d : "(that release)");
	}
	json_array_foreach(json_object_get(mt, "compat_props"), i, p)
		json_array_foreach(m->rules, j, r) {
			const char *when = jstr(r, "when");
			struct hit h = { name, release, p, r, out };
			if (!jstr(r, "driver") || !jstr(r, "property") ||
			    strcmp(jstr(r, "driver"), jstr(p, "driver")) != 0 ||
			    strcmp(jstr(r, "property"), jstr(p, "property")) != 0)
				continue;
			if (when && strcmp(when, jstr(p, "value")) != 0)
				continue;
			eval_rule(&h, root);
		}
}
