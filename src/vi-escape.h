/* vi-escape.h - strings from input, made safe at the edge by the renderer of
 * each format, once.
 *
 * A string that came from input (file names, machine types, idstrs, device
 * names, messages quoting them) is kept as its bytes in every model; the
 * renderer that writes it escapes it for its format:
 *   text   printable UTF-8 as is; control bytes (C0 with TAB, CR and LF, DEL,
 *          C1) and bytes that are not UTF-8 become \xNN, so no escape
 *          sequence and no line break from input reaches a terminal;
 *   JSON   always valid UTF-8: bytes that are not UTF-8 and C1 controls
 *          become the text \xNN, C0 controls JSON's own \u00NN;
 *   XML    always valid UTF-8 XML 1.0: metacharacters as entities,
 *          characters XML cannot hold (C0 but TAB/LF/CR, C1, U+FFFE/F) and
 *          bytes that are not UTF-8 as the text \xNN;
 *   URI    RFC 3986: every byte but unreserved ones and '/' percent-encoded.
 * A string cut to fit (vi_utf8_cut) ends on a character boundary.
 */
#ifndef VI_ESCAPE_H
#define VI_ESCAPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Bytes of the valid UTF-8 character at p (at most n bytes), or 0 when the
 * bytes there are not one (overlong, surrogate, above U+10FFFF, cut short).
 * *cp gets the code point. */
size_t vi_utf8_char(const unsigned char *p, size_t n, unsigned *cp);
/* When strlen(s) >= max (the string may have been cut there), drop an
 * incomplete character at its end.  Returns s. */
char *vi_utf8_cut(char *s, size_t max);

/* Text: write s escaped for a terminal. */
void vi_put_text(FILE *f, const char *s);
/* Text: s escaped for a terminal, for a printf %s.  s itself when nothing
 * needs escaping; else a copy kept until vi_tx_release(). */
const char *vi_tx(const char *s);
void vi_tx_release(void);

/* JSON: a string value made from any bytes (new reference; NULL for NULL,
 * which json_object_set_new then leaves out, as it does json_string(NULL)). */
json_t *vi_jstr(const char *s);
/* JSON: write s as a JSON string, as json_dumpf writes vi_jstr(s). */
void vi_put_json_str(FILE *f, const char *s);

/* XML: write s escaped for element content or an attribute value in double
 * quotes (attr, kept for the callers' clarity: both escape TAB, LF and CR as
 * character references, so no line of the document comes from input). */
void vi_put_xml(FILE *f, const char *s, int attr);

/* URI: a URI reference for a file name (new string to free): an absolute
 * path as a file: URI, a relative one as a relative reference. */
char *vi_file_uri(const char *path);

#endif
