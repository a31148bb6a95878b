/* vi-json.h - reading members of JSON documents that may be hostile. */
#ifndef VI_JUTIL_H
#define VI_JUTIL_H

#include <jansson.h>
#include <stdint.h>

/* A string member, or NULL when absent or not a string. */
static inline const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An integer member, or dflt when absent or not an integer. */
static inline int64_t jint(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

#endif
