/* dbmigrate.h - foobar-dbmigrate's private interfaces, grouped by file. */
#ifndef FOOBAR_DBMIGRATE_H
#define FOOBAR_DBMIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

struct db;

/* Exit statuses of our own, beside cli.h's 0/1/2/78 (man page). */
enum {
	DBM_EXIT_PENDING = 3,	/* status: migrations are pending */
	DBM_EXIT_FAILED = 4,	/* a migration failed (now or before) */
	DBM_EXIT_DRIFT = 5,	/* an applied file changed or is missing */
	DBM_EXIT_LOCKED = 6,	/* another run holds the lock */
	DBM_EXIT_ORDER = 7,	/* out-of-order migration refused */
	DBM_EXIT_FILES = 8	/* bad migration files */
};

/* sqlsplit.c - the SQL statement splitter, pure. */
struct sql_stmt {
	const char *text; /* points into the input; not NUL-terminated */
	size_t len;	  /* without the delimiter and trailing blanks */
	unsigned line;	  /* 1-based line of the first character */
};

struct sql_script {
	struct sql_stmt *stmts;
	size_t n;
};

/* Splits len bytes of MySQL script into statements: quotes ('' "" ``)
 * with their escapes, -- # and C comments (comments before a statement
 * are dropped, /\*! *\/ conditional comments are SQL), and the mysql
 * client's DELIMITER command. Returns 0 with the statements in out (free
 * with sqlsplit_free), or -1 with "line N: message" in err. */
int sqlsplit(const char *sql, size_t len, struct sql_script *out,
    char *err, size_t errlen);
void sqlsplit_free(struct sql_script *s);

/* mdir.c - the migration folder. */
enum mdir_kind { MDIR_UP, MDIR_DOWN };

struct mfile {
	char *path;		/* DIR/NAME */
	char *base;		/* points to the file name within path */
	char *text;		/* contents, CRLF normalised to LF */
	size_t len;
	char checksum[65];	/* SHA-256 hex of text */
	struct sql_script script;
};

struct migration {
	uint64_t version;
	char *name;
	struct mfile up;
	struct mfile down;	/* down.path NULL: no down file */
};

struct mdir {
	struct migration *m;	/* sorted by version */
	size_t n;
};

/* Parses "<version>_<name>.up.sql" / ".down.sql". Returns 1 with the
 * parts (name: *name_len bytes at *name), 0 when the name is not a .sql
 * file (to be ignored), -1 with a message for a .sql file that does not
 * follow the pattern. Pure. */
int mdir_parse_name(const char *file, uint64_t *version, const char **name,
    size_t *name_len, enum mdir_kind *kind, char *err, size_t errlen);

/* Replaces every CRLF in buf by LF, in place. Returns the new length.
 * Pure. */
size_t mdir_normalize(char *buf, size_t len);

/* Reads, checksums and splits every migration of dir. Returns 0, or -1
 * after logging each problem (duplicate versions, unreadable or empty
 * files, bad names, a down file without its up file). */
int mdir_load(const char *dir, struct mdir *md);
void mdir_free(struct mdir *md);

/* The migration with that version, or NULL. */
struct migration *mdir_find(struct mdir *md, uint64_t version);

/* history.c - the dbmigrate_history table and the run lock. */
struct hrow {
	uint64_t version;
	char *name;
	char checksum[65];
	char applied_at[32];
	long long duration_ms;
	int success;
	char action[16];	/* up, down, baseline */
	char *error;
};

struct history {
	struct hrow *rows;	/* sorted by version */
	size_t n;
	int exists;		/* the table exists */
};

/* Creates the table when missing. Returns 0 or -1 (logged). */
int history_create(struct db *db);
/* Reads every row. A missing table gives an empty history. 0 or -1. */
int history_load(struct db *db, struct history *h);
void history_free(struct history *h);
struct hrow *history_find(struct history *h, uint64_t version);
/* The newest version applied successfully (0 when none). */
uint64_t history_max_applied(const struct history *h);

/* Records that version is about to run: a row with success = 0 and the
 * action ("up"/"down"), so that a crash leaves a failed record. For "up",
 * a done_version other than 0 is marked successful (done_ms) in the same
 * statement, which saves a commit (and its fsync) per migration. */
int history_begin(struct db *db, uint64_t version, const char *name,
    const char *checksum, const char *action, uint64_t done_version,
    long long done_ms);
/* Marks an up run successful with its duration. */
int history_done_up(struct db *db, uint64_t version, long long ms);
/* Records the error of a failed run on its row. */
int history_failed(struct db *db, uint64_t version, const char *error,
    long long ms);
/* Deletes a row (down succeeded, repair). */
int history_delete(struct db *db, uint64_t version);
/* Inserts an applied row without running anything (baseline). */
int history_insert_baseline(struct db *db, uint64_t version,
    const char *name, const char *checksum);
/* Updates the checksum and name of an applied row (repair). */
int history_realign(struct db *db, uint64_t version, const char *name,
    const char *checksum);

/* Takes GET_LOCK on the connection, waiting up to timeout seconds.
 * Returns 0, DBM_EXIT_LOCKED after logging the holder, or -1 (logged). */
int history_lock(struct db *db, long timeout);
void history_unlock(struct db *db);

/* cmd.c - the commands. Each returns the process exit status. */
struct dbm_opts {
	const char *option_file;
	const char *group;
	const char *dir;
	int dry_run;
	long lock_timeout;
	int allow_out_of_order;
	const char *metrics_file;	/* node-exporter textfile, "off" */
};

#define DBM_METRICS_FILE \
	"/var/lib/prometheus/node-exporter/foobar_dbmigrate.prom"

int cmd_status(const struct dbm_opts *o);
int cmd_up(const struct dbm_opts *o, int has_to, uint64_t to);
int cmd_down(const struct dbm_opts *o, long count, int has_to, uint64_t to);
int cmd_redo(const struct dbm_opts *o);
int cmd_validate(const struct dbm_opts *o);
int cmd_baseline(const struct dbm_opts *o, uint64_t version);
int cmd_repair(const struct dbm_opts *o);
int cmd_new(const struct dbm_opts *o, const char *name);

/* provision.c - the privileged set-up step of the service. */
int cmd_provision(const struct dbm_opts *o);

#endif
