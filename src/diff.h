/* diff.h - compare two targets' vmstates for migration from one to the other. */
#ifndef VI_DIFF_H
#define VI_DIFF_H

#include "vi-findings.h"
#include "schema.h"

/* Append what breaks migration from src to dst; returns the error count. */
size_t vi_diff_schemas(const struct vi_schema *src, const struct vi_schema *dst,
		       struct vi_findings *out);

#endif
