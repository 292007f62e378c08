/* fuzz_cluster.c - cluster.conf bytes through the loader and every
 * renderer for each host; the same bytes as HAProxy "show stat" CSV. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../cluster/cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_sv(void *arg, const char *sv, const char *status)
{
	(void)arg;
	(void)sv;
	(void)status;
}

static void
fuzz_render(const struct cluster *c)
{
	static char *(*const fns[])(const struct render_ctx *) = {
		render_haproxy,
		render_keepalived, render_nft, render_db_cnf,
		render_mariadb_cnf, render_db_sql, render_webd_socket,
		render_webd_service, render_db_client_dropin };
	struct render_ctx r = { c, NULL, "eth0",
		"0123456789abcdef0123456789abcdef", "01234567" };
	size_t h, i;

	for (h = 0; h < c->nhosts; h++) {
		r.self = &c->hosts[h];
		for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
			free(fns[i](&r));
		free(render_webd_conf(&r, "[server]\nroot = /srv\n"));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster c;
	char path[64], err[1024], *text;
	int fd = memfd_create("fuzz-cluster", 0);

	if (fd == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (cluster_load(path, &c, err, sizeof(err)) == 0)
			fuzz_render(&c);
		cluster_free(&c);
	}
	close(fd);
	if ((text = malloc(size + 1)) != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		(void)stat_servers(text, "web", fuzz_sv, NULL);
		free(text);
	}
	return 0;
}
