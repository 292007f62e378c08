/* conf.h - INI configuration files read with libinih, checked against a
 * table of known keys per section. */
#ifndef FOOBAR_CONF_H
#define FOOBAR_CONF_H

#include <stddef.h>

enum conf_type {
	CONF_STRING,   /* char *, malloc'd; a repeated key is an error */
	CONF_LIST,     /* struct conf_list; the key may repeat */
	CONF_INT,      /* long long within [min, max] */
	CONF_SIZE,     /* long long bytes: "512", "64k", "1m", "2g" */
	CONF_DURATION, /* long long ms: "30" or "30s", "500ms", "5m", "1h" */
	CONF_BOOL,     /* int: yes/no, on/off, true/false, 1/0 */
	CONF_CUSTOM    /* parsed by conf_key.parse */
};

struct conf_list {
	char **v;
	size_t n;
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;	     /* of the field in the section's struct */
	long long min, max;  /* CONF_INT, _SIZE, _DURATION; both 0: any */
	/* CONF_CUSTOM: parse value into field; 0, or -1 with a message. */
	int (*parse)(void *field, const char *value, char *err, size_t errlen);
};

struct conf_section {
	/* "server" matches [server]; with has_arg, "location" matches
	 * [location /api/] and passes "/api/" to open(). */
	const char *name;
	int has_arg;
	const struct conf_key *keys; /* ends with a { NULL } entry */
	/* The struct that this section's keys fill: the same one each time
	 * for a plain section, a new one per argument for has_arg. NULL with
	 * a message in err to refuse the section. */
	void *(*open)(void *ctx, const char *arg, char *err, size_t errlen);
};

/* Reads path. Returns 0, or -1 with "PATH:LINE: message" (or "PATH:
 * message") in err, about the first error in the file. Unknown sections
 * (empty ones too) and keys, bad values, repeated single keys, lines
 * longer than libinih takes (199 bytes on Debian), section names it would
 * cut (over 49 bytes) and NUL bytes are errors. A section opens at each
 * of its headers, so a repeated [location X] calls open() again. */
int conf_load(const char *path, const struct conf_section *sections,
    void *ctx, char *err, size_t errlen);

/* Finds where the nth value (from 0) of key in section [section] sits in
 * path, counting repeated keys and continuation lines as conf_load does,
 * so that a value refused after loading can be reported as PATH:LINE.
 * Returns the line number, or 0 when not found or unreadable. */
int conf_key_line(const char *path, const char *section, const char *key,
    size_t nth);

/* Frees the CONF_STRING and CONF_LIST fields of obj named in keys. */
void conf_free_fields(const struct conf_key *keys, void *obj);

/* Appends a copy of s. Returns 0, or -1 when out of memory. */
int conf_list_add(struct conf_list *l, const char *s);

/* Frees every entry and empties the list. */
void conf_list_free(struct conf_list *l);

/* Value parsers, also for command lines. Each returns 0, or -1 with a
 * message in err. */
int conf_parse_int(const char *s, long long min, long long max,
    long long *out, char *err, size_t errlen);
int conf_parse_size(const char *s, long long *out, char *err, size_t errlen);
int conf_parse_duration(const char *s, long long *ms, char *err,
    size_t errlen);
int conf_parse_bool(const char *s, int *out, char *err, size_t errlen);

#endif
