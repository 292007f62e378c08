/* dbcnf.h - what a MySQL option file says about the account and the way
 * to the server, read the way the client library reads it: the program's
 * group and the client groups ([client], [client-server],
 * [client-mariadb]), later lines winning, quotes around a value taken
 * off. The connection itself is lib/db.c's. */
#ifndef FOOBAR_DBCNF_H
#define FOOBAR_DBCNF_H

#include <stddef.h>

struct dbcnf {
	char database[80];
	char user[96];
	int password;	/* a password is set */
	int tcp;	/* TCP: a host other than localhost, or protocol=tcp */
};

/* Reads the option text (NUL-terminated) for group; lines that are not
 * "key = value" (skip-ssl, !include) are passed over. Pure. Returns 0,
 * or -1 when out of memory. */
int dbcnf_parse(const char *text, const char *group, struct dbcnf *out);

/* Reads the option file at path. Returns 0, or -1 with errno set when it
 * cannot be read. */
int dbcnf_read(const char *path, const char *group, struct dbcnf *out);

#endif
