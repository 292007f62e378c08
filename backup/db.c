/* db.c - the one backup file that includes <mysql.h>: hands the MariaDB
 * tools (mariadb-dump, mariadb) the server and account that our own
 * connection reached through the option file. */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "db.h"
#include "log.h"

/* Writes key="value" with \ and " escaped (MySQL option file syntax). */
static void
cnf_put(FILE *fp, const char *key, const char *v)
{
	fprintf(fp, "%s=\"", key);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', fp);
		fputc(*v, fp);
	}
	fputs("\"\n", fp);
}

/* The TLS settings our connection read from the option file, so that
 * the tools reach the server as it did (a cluster's db hosts refuse
 * clients without TLS). */
static void
bk_db_put_tls(FILE *fp, MYSQL *my)
{
	static const struct {
		enum mysql_option opt;
		const char *key;
	} paths[] = {
		{ MYSQL_OPT_SSL_CA, "ssl-ca" },
		{ MYSQL_OPT_SSL_CAPATH, "ssl-capath" },
		{ MYSQL_OPT_SSL_CERT, "ssl-cert" },
		{ MYSQL_OPT_SSL_KEY, "ssl-key" },
	};
	my_bool verify = 0;
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		v = NULL;
		if (mysql_get_optionv(my, paths[i].opt, &v) == 0 && v != NULL &&
		    v[0] != '\0')
			cnf_put(fp, paths[i].key, v);
	}
	if (mysql_get_optionv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
	    &verify) == 0 && verify)
		fputs("ssl-verify-server-cert\n", fp);
}

int
bk_db_write_cnf(struct db *db, const char *path)
{
	MYSQL *my = db_handle(db);
	FILE *fp;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_err("create %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fputs("[client]\n", fp);
	if (my->unix_socket != NULL && my->unix_socket[0] != '\0') {
		cnf_put(fp, "socket", my->unix_socket);
	} else {
		cnf_put(fp, "host", my->host ? my->host : "localhost");
		fprintf(fp, "port=%u\nprotocol=tcp\n", my->port);
	}
	if (my->user != NULL)
		cnf_put(fp, "user", my->user);
	if (my->passwd != NULL && my->passwd[0] != '\0')
		cnf_put(fp, "password", my->passwd);
	bk_db_put_tls(fp, my);
	fputs("default-character-set=utf8mb4\n", fp);
	if (fclose(fp) == EOF) {
		log_err("write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
