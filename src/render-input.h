/* render-input.h - what the container says (libvirt header, qcow2
 * snapshots), for dump and report in text and JSON. */
#ifndef VI_RENDER_INPUT_H
#define VI_RENDER_INPUT_H

#include <jansson.h>
#include <stdio.h>
#include "input.h"

/* {"version", "format", "format_code", "data_length", "xml_length",
 *  "cookie_length", "was_running", "cookie" (libvirt's save cookie, XML,
 *  or null), "domain": {"name", "uuid", "machine",
 *  "arch"}} */
json_t *render_libvirt_json(const struct vi_libvirt *lv);
/* {"id", "name", "date", "vm_state_size", "vm_clock_ns"}; date ISO 8601 UTC. */
json_t *render_snapshot_json(const struct vi_snapshot *s);
/* The libvirt header as a section of its own, for dump's text view. */
void render_libvirt_text(FILE *out, const struct vi_libvirt *lv);
/* "2026-12-06 14:03:11" (UTC) */
void render_snapshot_date(char *buf, size_t size, const struct vi_snapshot *s);
/* The table qemu-img snapshot -l prints, or a JSON array. */
void render_snapshot_list(FILE *out, const struct vi_input *in, int json);
/* The domain XML, control bytes other than tab and newline as '?'. */
void render_domain_xml(FILE *out, const struct vi_libvirt *lv);

#endif
