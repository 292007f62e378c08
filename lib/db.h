/* db.h - one MySQL/MariaDB connection, configured by a MySQL option file.
 *
 * The only lib file that includes <mysql.h>. The option file and group are
 * read by the client library itself (MYSQL_READ_DEFAULT_FILE/_GROUP), so
 * socket, host, port, user, password, database and the rest mean what they
 * mean to the mariadb client. The connection uses utf8mb4, never
 * reconnects (that would drop GET_LOCK locks and session state) and can
 * receive several result sets (CALL). Users add mysqlclient to _PKGS. */
#ifndef FOOBAR_DB_H
#define FOOBAR_DB_H

#include <stddef.h>

struct db;

struct db_opts {
	const char *option_file; /* e.g. /etc/foobar/db.cnf; must exist */
	const char *group;	 /* e.g. foobar; [client] is read too */
	unsigned connect_timeout; /* seconds, 0: library default */
	unsigned read_timeout;	  /* seconds, 0: none */
	unsigned write_timeout;	  /* seconds, 0: none */
	const char *user;	  /* overrides the file's user when set */
	const char *database;	  /* overrides the file's database when set */
};

/* Why db_open failed. */
enum db_fail {
	DB_FAIL_NONE = 0,
	DB_FAIL_CONFIG,	 /* option file missing or unreadable */
	DB_FAIL_SERVER,	 /* server unreachable, gone, or timed out */
	DB_FAIL_ACCESS,	 /* access denied or unknown database */
	DB_FAIL_OTHER
};

/* Connects. Returns the connection, or NULL with a message in err and
 * the reason in *fail (when fail is not NULL). */
struct db *db_open(const struct db_opts *opts, char *err, size_t errlen,
    enum db_fail *fail);

/* Closes the connection (and so releases its locks). NULL is fine. */
void db_close(struct db *db);

/* Called once per row of a result: ncols values (NULL for SQL NULL) and
 * their lengths. Returns 0 to go on, -1 to stop (db_query returns -1). */
typedef int (*db_row_fn)(void *arg, unsigned ncols, char **vals,
    const unsigned long *lens);

/* Runs one statement of len bytes and reads every result set it returns,
 * passing each row of them to fn (fn may be NULL). Returns 0 on success,
 * -1 on a server or connection error (see db_error/db_errno). */
int db_query(struct db *db, const char *sql, size_t len, db_row_fn fn,
    void *arg);

/* Like db_query for a NUL-terminated statement without rows wanted.
 * Returns 0 or -1. */
int db_exec(struct db *db, const char *sql);

/* Runs a statement and copies the first column of its first row into
 * buf (NUL-terminated, truncated to buflen). Returns 1 when a non-NULL
 * value was found, 0 for no row or SQL NULL, -1 on error. */
int db_query_value(struct db *db, const char *sql, char *buf,
    size_t buflen);

/* Writes src (len bytes) into dst as the body of a single-quoted SQL
 * string, escaped for the connection's character set. dst needs
 * 2 * len + 1 bytes. Returns the length written. */
size_t db_escape(struct db *db, char *dst, const char *src, size_t len);

/* The last error's message ("" when none) and MySQL error number (0). */
const char *db_error(const struct db *db);
unsigned db_errno(const struct db *db);

/* 1 when the last error means the connection is gone (server shut down,
 * killed, timed out), 0 otherwise. */
int db_error_is_fatal(const struct db *db);

/* The server's connection id of this connection. */
unsigned long db_thread_id(const struct db *db);

/* The server's version string, e.g. "10.11.6-MariaDB-0+deb12u1". */
const char *db_server_info(const struct db *db);

/* 1 when the server has closed the connection (it was restarted or
 * killed, or wait_timeout ended it): the socket saw the end of the
 * stream or an error. One poll(2) with no wait; only the peer's close
 * counts, not bytes waiting (a TLS record may be). 0 otherwise. */
int db_peer_closed(struct db *db);

/* The underlying MYSQL * (as void *) for code that needs more of the
 * client API; only db.c files may include <mysql.h>. */
void *db_handle(struct db *db);

#endif
