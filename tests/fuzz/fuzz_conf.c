/* fuzz_conf.c - the INI loader on arbitrary bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_server {
	char *root;
	struct conf_list listen;
	long long workers, max_body, timeout;
	int flag;
};

struct fuzz_ctx {
	struct fuzz_server server;
	int locations;
};

static void *
fuzz_open_server(void *ctx, const char *arg, char *err, size_t errlen)
{
	return &((struct fuzz_ctx *)ctx)->server;
}

static void *
fuzz_open_location(void *ctx, const char *arg, char *err, size_t errlen)
{
	struct fuzz_ctx *c = ctx;

	if (arg[0] != '/') {
		snprintf(err, errlen, "prefix must start with /");
		return NULL;
	}
	c->locations++;
	return &c->server;
}

static const struct conf_key fuzz_keys[] = {
	{ "root", CONF_STRING, offsetof(struct fuzz_server, root), 0, 0, NULL },
	{ "listen", CONF_LIST, offsetof(struct fuzz_server, listen), 0, 0,
	    NULL },
	{ "workers", CONF_INT, offsetof(struct fuzz_server, workers), 1, 512,
	    NULL },
	{ "max_body", CONF_SIZE, offsetof(struct fuzz_server, max_body), 0, 0,
	    NULL },
	{ "timeout", CONF_DURATION, offsetof(struct fuzz_server, timeout), 0,
	    0, NULL },
	{ "flag", CONF_BOOL, offsetof(struct fuzz_server, flag), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_section fuzz_sections[] = {
	{ "server", 0, fuzz_keys, fuzz_open_server },
	{ "location", 1, fuzz_keys, fuzz_open_location },
	{ NULL, 0, NULL, NULL }
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx ctx = { 0 };
	char path[64], err[512];
	int fd = memfd_create("fuzz-conf", 0);

	if (fd == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		conf_load(path, fuzz_sections, &ctx, err, sizeof(err));
		conf_key_line(path, "server", "listen", 1);
		conf_key_line(path, "location /api/", "root", 0);
	}
	close(fd);
	conf_free_fields(fuzz_keys, &ctx.server);
	return 0;
}
