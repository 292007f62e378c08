/* cgihead.h - the head of a CGI response (RFC 3875 §6): "Name: value"
 * lines, each ending in LF or CRLF, up to a blank line. Pure: no I/O, no
 * logging. appd reads its CGI scripts' output with it, webd the STDOUT of
 * its FastCGI backends; what each does with the fields stays with them.
 *
 *	size_t end = cgihead_end(buf, len, 0), off = 0;
 *	struct cgihead_field f;
 *	while ((r = cgihead_next(buf, end, &off, &f, &err)) != 0)
 *		r == 1: f is a field; r == -1: a malformed line, err says why
 */
#ifndef FOOBAR_CGIHEAD_H
#define FOOBAR_CGIHEAD_H

#include <stddef.h>

/* One "Name: value" line. Neither string is NUL-terminated. */
struct cgihead_field {
	const char *name;	/* a token (RFC 9110 §5.6.2) */
	size_t name_len;
	const char *value;	/* without the blanks around it; no NUL, CR,
				 * LF */
	size_t value_len;
};

/* Looks for the blank line ("\n" or "\r\n") that ends the head in buf (len
 * bytes); the very first line may be it (an empty head). from is the
 * length of buf when it was last searched (0 for the first search): the
 * search goes on from there. Returns the length of the head through its
 * blank line, 0 when the blank line has not come yet. */
size_t cgihead_end(const char *buf, size_t len, size_t from);

/* Reads the line of head (len bytes) at *off and moves *off past it.
 * Returns 1 with f set for a field; 0 at the blank line or at the end of
 * head; -1 with *err for a malformed line (no token and colon before the
 * value, or a NUL or a CR in it), which the caller may skip: the next
 * call reads the next line. */
int cgihead_next(const char *head, size_t len, size_t *off,
    struct cgihead_field *f, const char **err);

#endif
