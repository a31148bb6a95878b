/* render-input.c - the container's own facts: libvirt header, snapshots. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "render-input.h"
#include "render-jw.h"

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The cookie as a JSON string: printable ASCII, tab and newline kept,
 * other bytes '?' (it is libvirt's XML, but bytes from the input). */
static json_t *printable(const char *s)
{
	size_t n = strlen(s);
	char *t = malloc(n + 1);
	json_t *v;

	if (!t)
		return json_null();
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)s[i];
		t[i] = i == n ? '\0' : (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t'
			? (char)c : '?';
	}
	v = json_string(t);
	free(t);
	return v ? v : json_null();
}

json_t *render_libvirt_json(const struct vi_libvirt *lv)
{
	json_t *o = json_object(), *d = json_object();

	json_object_set_new(o, "version", json_integer(lv->version));
	json_object_set_new(o, "format", json_string(lv->format_name));
	json_object_set_new(o, "format_code", json_integer(lv->format));
	json_object_set_new(o, "data_length", json_integer(lv->data_len));
	json_object_set_new(o, "xml_length", json_integer((json_int_t)lv->xml_len));
	json_object_set_new(o, "cookie_length", json_integer((json_int_t)lv->cookie_len));
	json_object_set_new(o, "was_running", json_boolean(lv->was_running));
	json_object_set_new(o, "cookie", lv->cookie ? printable(lv->cookie) : json_null());
	json_object_set_new(d, "name", str_or_null(lv->name));
	json_object_set_new(d, "uuid", str_or_null(lv->uuid));
	json_object_set_new(d, "machine", str_or_null(lv->machine));
	json_object_set_new(d, "arch", str_or_null(lv->arch));
	json_object_set_new(o, "domain", d);
	return o;
}

void render_snapshot_date(char *buf, size_t size, const struct vi_snapshot *s)
{
	time_t t = (time_t)s->date_sec;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "%" PRIu64, s->date_sec);
}

json_t *render_snapshot_json(const struct vi_snapshot *s)
{
	json_t *o = json_object();
	char date[40];

	render_snapshot_date(date, sizeof(date), s);
	if (strlen(date) == 19) {
		date[10] = 'T';
		strcat(date, "Z");
	}
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "date", json_string(date));
	json_object_set_new(o, "vm_state_size", json_integer((json_int_t)s->vm_state_size));
	json_object_set_new(o, "vm_clock_ns", json_integer((json_int_t)s->vm_clock_nsec));
	return o;
}

void render_libvirt_text(FILE *out, const struct vi_libvirt *lv)
{
	fprintf(out, "libvirt save image header\n");
	fprintf(out, "  version %u, format %s (%u), guest %s when saved\n", lv->version,
		lv->format_name, lv->format, lv->was_running ? "running" : "paused");
	fprintf(out, "  data %u bytes: domain XML %zu bytes, cookie %zu bytes, the rest "
		"padding\n", lv->data_len, lv->xml_len, lv->cookie_len);
	fprintf(out, "  domain %s, uuid %s, machine %s, arch %s\n",
		*lv->name ? lv->name : "?", *lv->uuid ? lv->uuid : "?",
		*lv->machine ? lv->machine : "?", *lv->arch ? lv->arch : "?");
}

static void clock_text(char *buf, size_t size, uint64_t ns)
{
	uint64_t ms = ns / 1000000, s = ms / 1000;
	snprintf(buf, size, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
		 s / 3600, s / 60 % 60, s % 60, ms % 1000);
}

static void size_text(char *buf, size_t size, uint64_t b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, size, "%.3g %s", v, unit[u]);
	else
		snprintf(buf, size, "%" PRIu64 " B", b);
}

void render_snapshot_list(FILE *out, const struct vi_input *in, int json)
{
	if (json) {
		json_t *a = json_array(), *o = json_object();
		for (size_t i = 0; i < in->nsnapshots; i++)
			json_array_append_new(a, render_snapshot_json(&in->snapshots[i]));
		json_object_set_new(o, "file", json_string(in->name));
		json_object_set_new(o, "snapshots", a);
		vi_jw_dump(out, o, 1, VI_JW_ASCII);
		json_decref(o);
		return;
	}
	fprintf(out, "Snapshot list:\n%-10s%-18s%12s%21s%15s\n", "ID", "TAG", "VM SIZE",
		"DATE (UTC)", "VM CLOCK");
	for (size_t i = 0; i < in->nsnapshots; i++) {
		const struct vi_snapshot *s = &in->snapshots[i];
		char size[32], date[40], clk[40];
		size_text(size, sizeof(size), s->vm_state_size);
		render_snapshot_date(date, sizeof(date), s);
		clock_text(clk, sizeof(clk), s->vm_clock_nsec);
		fprintf(out, "%-9s %-17s %12s %20s %14s\n", s->id, s->name, size, date, clk);
	}
}

void render_domain_xml(FILE *out, const struct vi_libvirt *lv)
{
	for (size_t i = 0; i < lv->xml_len; i++) {
		unsigned char c = (unsigned char)lv->xml[i];
		fputc(c < 0x20 && c != '\n' && c != '\t' ? '?' : c == 0x7f ? '?' : c, out);
	}
	if (lv->xml_len && lv->xml[lv->xml_len - 1] != '\n')
		fputc('\n', out);
}
