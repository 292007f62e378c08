/* realip.c - the client's address of a request that came through one of
 * the trusted proxies (webd.conf trusted_proxy): the last address of the
 * X-Forwarded-For header that the proxy added. Pure. */
#include "webd.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int
realip_normalize(const char *s, char *out, size_t outlen)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)outlen) ? 0 : -1;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)outlen) ? 0 : -1;
	return -1;
}

int
realip_trusted(const struct conf_list *trusted, const char *peer)
{
	size_t i;

	/* a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d */
	if (strncmp(peer, "::ffff:", 7) == 0 && strchr(peer, '.') != NULL)
		peer += 7;
	for (i = 0; i < trusted->n; i++)
		if (strcmp(trusted->v[i], peer) == 0)
			return 1;
	return 0;
}

int
realip_last(const char *xff, char *out, size_t outlen)
{
	char tok[INET6_ADDRSTRLEN + 8];
	const char *start = strrchr(xff, ',');
	size_t n;

	start = start != NULL ? start + 1 : xff;
	start += strspn(start, " \t");
	n = strcspn(start, " \t");
	if (n == 0 || n >= sizeof(tok) || start[n + strspn(start + n,
	    " \t")] != '\0')
		return -1;
	memcpy(tok, start, n);
	tok[n] = '\0';
	return realip_normalize(tok, out, outlen);
}
