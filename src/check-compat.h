/* check-compat.h - evaluating compat-property rules on a decoded stream,
 * private to check-compat*.c.  A rule (schemas/compat-rules.json) has an
 * effect of some kind; the kind's function (check-compat.c's table) lists
 * the places where a stream breaks it. */
#ifndef VI_CHECK_COMPAT_H
#define VI_CHECK_COMPAT_H

#include <stdint.h>
#include <jansson.h>
#include "session.h"

struct viol {
	struct vi_node *at;      /* the node concerned (for its path) */
	uint64_t offset, length; /* the offending bytes */
	char detail[256];
};

struct viols {
	struct viol *v;
	size_t n, cap;
};

/* What one rule is evaluated with. */
struct eval {
	struct vi_session *s;    /* the stream (its tree and its bytes) */
	json_t *eff;
	const char *kind, *vmsd, *value;
	struct viols *out;
};

__attribute__((format(printf, 5, 6)))
void cc_viol(struct eval *e, struct vi_node *at, uint64_t off, uint64_t len,
	     const char *fmt, ...);

/* Every node of a subtree for which pick() is true, in stream order. */
typedef int (*pick_fn)(const struct vi_node *n, const void *arg);
#define MAX_FOUND 256
void cc_collect(struct vi_node *n, pick_fn pick, const void *arg, struct vi_node **found,
		size_t max, size_t *nfound, int depth);
int cc_pick_subsection(const struct vi_node *n, const void *name);
int cc_pick_field_named(const struct vi_node *n, const void *name);
int cc_pick_type(const struct vi_node *n, const void *type);
int cc_section_matches(const struct vi_node *sec, const char *vmsd);
struct vi_node *cc_kid(struct vi_node *n, const char *name);
int cc_read_at(struct eval *e, uint64_t off, uint8_t *buf, size_t n);
int cc_number(const char *s, uint64_t *v);
int cc_is_off(const char *v);
struct vi_node *cc_virtio_payload(struct vi_node *sec);

/* The sections of the rule's vmsd, and their virtio payloads. */
#define FOR_SECTIONS(e, sec)                                                       \
	for (size_t i_ = 0; (e)->s->root && i_ < (e)->s->root->nkids; i_++)    \
		if (((sec) = (e)->s->root->kids[i_]), cc_section_matches((sec), (e)->vmsd))

/* The effect kinds (schemas/README-compat.md): check-compat-absent.c */
void cc_eval_subsection_absent(struct eval *e);
void cc_eval_section_absent(struct eval *e);
void cc_eval_command_absent(struct eval *e);
void cc_eval_ram_flag_absent(struct eval *e);
void cc_eval_field_absent(struct eval *e);
/* check-compat-values.c */
void cc_eval_queue_count(struct eval *e, uint64_t fixed);
void cc_eval_msix_vectors(struct eval *e);
void cc_eval_feature_bit(struct eval *e);
void cc_eval_field_value(struct eval *e);
void cc_eval_pci_config_bits(struct eval *e);
void cc_eval_ring_size(struct eval *e);
void cc_eval_ramblock_name(struct eval *e);
void cc_eval_scsi_layout(struct eval *e);

#endif
