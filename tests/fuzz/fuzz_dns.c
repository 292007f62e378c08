/* fuzz_dns.c - dns.conf bytes through the loader and the zone builder.
 * Input: CONFIG, or CONFIG NUL OLD-ZONE-FILE (the zone written before).
 * A zone that was built must be stable: built again over itself, it is
 * unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_config cfg;
	struct dns_error e;
	char path[64], err[1024], *text = NULL, *again = NULL;
	const uint8_t *nul;
	const char *old = NULL;
	size_t oldlen = 0;
	uint32_t serial, s2;
	int changed, fd = memfd_create("fuzz-dns", 0);

	if (fd == -1)
		return 0;
	dns_config_init(&cfg);
	nul = memchr(data, '\0', size);
	if (nul != NULL) {
		old = (const char *)nul + 1;
		oldlen = size - (size_t)(nul - data) - 1;
		size = (size_t)(nul - data);
	}
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	dns_zone_serial(old, oldlen, &serial);
	if (dns_config_load(path, &cfg, err, sizeof(err)) == -1)
		goto out;
	if (cfg.domain == NULL)
		cfg.domain = strdup("foobar.test");
	if (cfg.address.n == 0)
		conf_list_add(&cfg.address, "192.0.2.1");
	if (dns_zone_check(&cfg, &e) == -1) {
		if (dns_zone_update(&cfg, NULL, 0, 20260101, &text, &serial,
		    &changed, &e) != -1)
			abort();	/* check and update disagree */
		goto out;
	}
	if (dns_zone_update(&cfg, old, oldlen, 20260101, &text,
	    &serial, &changed, &e) == -1) {
		if (!e.runtime)
			abort();
		goto out;
	}
	if (dns_zone_update(&cfg, text, strlen(text), 20260102, &again, &s2,
	    &changed, &e) == -1 || changed || s2 != serial ||
	    strcmp(text, again) != 0)
		abort();	/* not stable */
out:
	free(text);
	free(again);
	dns_config_free(&cfg);
	close(fd);
	return 0;
}
