/* check-ctx.h - what check-engine.c, check-config.c and check-values.c share:
 * the state of checking one stream against one destination.  Private to them. */
#ifndef VI_CHECK_CTX_H
#define VI_CHECK_CTX_H

#include <stdint.h>
#include <jansson.h>
#include "check-engine.h"

struct ctx {
	struct vi_session *src;
	const struct vi_dest *d;
	struct vi_findings *f;
	char release[16];
};

/* check-config.c */
void ce_assume(struct ctx *c, const char *run_msg, const char *file_msg);
void ce_check_machine(struct ctx *c);
void ce_check_ram(struct ctx *c);
/* check-values.c */
void ce_check_values(struct ctx *c, struct vi_node *n, struct vi_node *their_sec);
void ce_check_arm_cpregs(struct ctx *c, struct vi_node *sec, struct vi_node *theirs);
void ce_check_arm_cpregs_schema(struct ctx *c, struct vi_node *sec, json_t *sv);

#endif
