/* backup.h - foobar-backup's private interfaces, grouped by file. */
#ifndef FOOBAR_BACKUP_H
#define FOOBAR_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../dbmigrate/dbmigrate.h"	/* struct sha256, mdir */

struct db;

/* conf.c - /etc/foobar/backup.conf (backup.conf(5)). */
struct bk_conf {
	/* [backup] */
	char *dir;
	long long keep_daily;
	long long keep_weekly;
	char *copy_to;		/* run by /bin/sh -c with the file as $1 */
	long long level;	/* zstd level */
	char *textfile;		/* node-exporter .prom; "off": none */
	char *scratch_dir;	/* where verify's private server lives */
	/* [database] */
	char *option_file;
	char *group;
	char *user;		/* "": the option file's user */
	/* [restore] */
	char *migrations;
	char *maintenance_file;	/* webd's: 503 while it exists; "off" */
	char *stop_app;
	char *start_app;
	char *migrate;
	long long lock_timeout;	/* seconds */
};

/* Loads path over the defaults. Returns 0, or -1 with "PATH:LINE:
 * message" in err. A missing file at the default path is not an error
 * (missing_ok): the defaults apply. */
int bk_conf_load(const char *path, int missing_ok, struct bk_conf *c,
    char *err, size_t errlen);
void bk_conf_free(struct bk_conf *c);

/* scan.c - reads mariadb-dump's output as it streams by and, per
 * table, counts the rows and hashes them as the dump wrote them. Pure. */
#define SCAN_NAME_MAX 192	/* 64 characters of up to 3 bytes */
#define SCAN_TABLES_MAX 4096

struct scan_table {
	char name[SCAN_NAME_MAX + 1];
	uint64_t rows;
	struct sha256 sha;
	char hex[65];		/* set by scan_finish */
};

struct scan {
	int state;
	char word[16];		/* the start of the current line */
	size_t nword;
	int create;		/* the name is of a CREATE TABLE */
	char name[SCAN_NAME_MAX + 1];
	size_t nname;
	size_t kw;		/* bytes of " VALUES" matched */
	unsigned depth;		/* parentheses in the current row */
	int row_done;		/* the byte just scanned ended a row */
	struct scan_table *cur;
	struct scan_table *t;	/* in order of appearance */
	size_t n;
	char err[128];
};

void scan_init(struct scan *s);
/* Feeds len more bytes. Returns 0, or -1 with a message in s->err
 * (malformed INSERT, too many tables, out of memory). */
int scan_feed(struct scan *s, const char *buf, size_t len);
/* The dump ended: returns 0 and sets each table's hex, or -1 when the
 * text ended inside a row. */
int scan_finish(struct scan *s);
void scan_free(struct scan *s);

/* manifest.c - what a backup says about itself, kept in a zstd
 * skippable frame at the end of the file (decompressors skip it):
 * magic 0x184D2A50, u32 frame size, JSON, u32 JSON length, "FOOBARBK". */
#define MANIFEST_TAIL 12	/* u32 JSON length + "FOOBARBK" */
#define MANIFEST_JSON_MAX (16u << 20)

struct mtable {
	char name[SCAN_NAME_MAX + 1];
	uint64_t rows;
	char sha256[65];
};

struct manifest {
	int format;			/* 1 */
	char foobar_version[32];
	char created_at[32];		/* YYYY-MM-DDTHH:MM:SSZ */
	char database[65];
	uint64_t schema_version;	/* dbmigrate_history; 0: none */
	char server_version[96];
	long long duration_ms;
	uint64_t data_size;		/* bytes of zstd data before the frame */
	char data_sha256[65];
	struct mtable *tables;
	size_t ntables;
};

/* Encodes m as the whole trailing frame into a malloc'd *out. Returns 0
 * or -1 (out of memory). */
int manifest_encode(const struct manifest *m, unsigned char **out,
    size_t *outlen);
/* From the last MANIFEST_TAIL bytes of a file of size filesize: the
 * offset and length of the manifest frame. Returns 0, or -1 with a
 * message (no trailer: truncated or not a backup). */
int manifest_locate(const unsigned char *tail, uint64_t filesize,
    uint64_t *frame_off, size_t *frame_len, char *err, size_t errlen);
/* Decodes a whole frame. Returns 0 (free with manifest_free), or -1 with
 * a message. */
int manifest_decode(const unsigned char *frame, size_t len,
    struct manifest *m, char *err, size_t errlen);
void manifest_free(struct manifest *m);
/* Fills m->tables from a finished scan. Returns 0 or -1 (memory). */
int manifest_set_tables(struct manifest *m, const struct scan *s);
/* Compares the tables of a and b. Returns 0, or -1 with the first
 * difference described in err. */
int manifest_compare(const struct manifest *a, const struct manifest *b,
    char *err, size_t errlen);

/* prune.c - the retention policy, pure. */
#define PRUNE_DAILY 1
#define PRUNE_WEEKLY 2
#define PRUNE_NEWEST 4

/* For n backup times t (UTC, any order), sets keep[i] to the reasons
 * (PRUNE_* bits) to keep backup i, 0 to delete it: the newest backup of
 * each of the keep_daily newest days that have backups, the newest of
 * each of the keep_weekly newest ISO weeks that have backups, and always
 * the newest backup of all. */
void prune_select(const time_t *t, size_t n, long long keep_daily,
    long long keep_weekly, int *keep);
/* "DB-YYYYMMDDTHHMMSSZ.sql.zst": 1 with the time (and the database in
 * db, when not NULL) for a backup name, 0 for any other name. */
int prune_parse_name(const char *name, time_t *t, char *db, size_t dblen);

/* file.c - backup files: written atomically, read back checked. */
struct bk_writer {
	int fd;
	char *tmp;		/* DIR/.NAME.tmp.PID */
	char *path;		/* DIR/NAME */
	void *zc;		/* ZSTD_CCtx */
	unsigned char *out;
	size_t outcap;
	struct sha256 sha;
	uint64_t size;
};

/* Creates the temporary file (mode 0600) for dir/name. 0 or -1 (logged). */
int bkw_open(struct bk_writer *w, const char *dir, const char *name,
    int level);
/* Compresses len bytes into the file. 0 or -1 (logged). */
int bkw_write(struct bk_writer *w, const void *buf, size_t len);
/* Ends the zstd frame, appends m (data_size and data_sha256 filled in),
 * fsyncs, and renames to the final name (never over an existing file).
 * 0 or -1 (logged; the temporary file is removed). */
int bkw_finish(struct bk_writer *w, struct manifest *m);
/* Removes the temporary file and frees w. Safe after finish. */
void bkw_abort(struct bk_writer *w);

struct bk_file {
	int fd;
	char *path;
	uint64_t size;		/* of the file */
	struct manifest m;
};

/* Opens a backup and reads its manifest. 0 or -1 with a message. */
int bkf_open(struct bk_file *f, const char *path, char *err, size_t errlen);
/* Hashes the data and compares with the manifest. 0 or -1 (message). */
int bkf_check(struct bk_file *f, char *err, size_t errlen);
/* Decompresses the data into fd. 0 or -1 (message). */
int bkf_decompress(struct bk_file *f, int fd, char *err, size_t errlen);
void bkf_close(struct bk_file *f);

/* db.c - what the MariaDB tools need to reach the server that our
 * connection reached. */
/* Writes a private option file ([client] socket or host/port, user,
 * password) at path, mode 0600. 0 or -1 (logged). */
int bk_db_write_cnf(struct db *db, const char *path);

/* tool.c - child processes: mariadb-dump, mariadb, hooks. */
typedef int (*tool_sink_fn)(void *arg, const char *buf, size_t len);

/* Runs mariadb-dump for database db with option file cnf, passing its
 * output to sink. 0 or -1 (logged). */
int tool_dump(const char *cnf, const char *db, tool_sink_fn sink, void *arg);
/* Runs the mariadb client on database db, its input decompressed from
 * f. 0 or -1 (logged). */
int tool_load(const char *cnf, const char *db, struct bk_file *f);
/* Runs a command with /bin/sh -c, with arg as $1 when not NULL. Returns
 * its exit status, or -1 when it could not run or was killed (logged). */
int tool_sh(const char *what, const char *cmd, const char *arg);
/* Runs argv, output to logfile (or ours when NULL); exit status, -1. */
int tool_run(char *const argv[], const char *logfile);

/* scratch.c - a private MariaDB server in a temporary folder. */
struct scratch {
	char *dir;
	char *cnf;		/* option file to reach it as root */
	pid_t pid;
};

/* Creates and starts it. 0 or -1 (logged; nothing left behind). */
int scratch_start(struct scratch *s, const char *parent);
/* Stops it and removes the folder. */
void scratch_stop(struct scratch *s);

/* cmd.c, restore.c - the commands; each returns the exit status. */
struct bk_opts {
	const char *config;
	int yes;		/* restore: --yes */
};

int cmd_create(struct bk_conf *c);
int cmd_list(struct bk_conf *c);
int cmd_verify(struct bk_conf *c, const char *name);
int cmd_restore(struct bk_conf *c, const char *name, int yes);
int cmd_prune(struct bk_conf *c);

/* cmd.c helpers shared with restore.c. */
/* DIR/NAME, or name itself when it holds a '/'. malloc'd or NULL. */
char *bk_path(const struct bk_conf *c, const char *name);
/* Connects as the configured user. NULL after logging. */
struct db *bk_connect(const struct bk_conf *c, const char *database);
/* The database named by the option file into buf. 0 or -1 (logged). */
int bk_current_db(struct db *db, char *buf, size_t len);
/* The newest successful dbmigrate_history version (0 when none), or -1
 * on error. */
int bk_schema_version(struct db *db, uint64_t *v);
/* Opens and checks f (path), logging what is wrong. 0 or -1. */
int bk_open_checked(struct bk_file *f, const char *path);
/* Loads f into database dbname through cnf, then dumps it again and
 * compares with the manifest. 0 or -1 (logged). */
int bk_load_compare(struct bk_file *f, const char *cnf, const char *dbname,
    int compare);
/* A temporary folder for option files; malloc'd path or NULL. */
char *bk_tmpdir(void);
void bk_rmtree(const char *dir);

#endif
