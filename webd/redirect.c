/* redirect.c - redirect_https: the https URL of a plain-HTTP request, and
 * the ACME path that is never redirected. Pure. */
#include "webd.h"

#include <stdio.h>
#include <string.h>

#define REDIRECT_ACME "/.well-known/acme-challenge/"

int
redirect_is_acme(const char *uri)
{
	return strncmp(uri, REDIRECT_ACME, strlen(REDIRECT_ACME)) == 0;
}

/* The length of the host part of a Host header value (without its port),
 * or 0 when it is neither a DNS name nor an IP address literal. */
static size_t
redirect_host_len(const char *host)
{
	size_t n;

	if (host[0] == '[') {
		n = 1 + strspn(host + 1, "0123456789abcdefABCDEF:.");
		if (n < 3 || host[n] != ']')
			return 0;
		n++;
	} else {
		n = strspn(host, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (n == 0 || host[0] == '.' || host[0] == '-')
			return 0;
	}
	if (host[n] == ':' && host[n + 1] != '\0' &&
	    strspn(host + n + 1, "0123456789") == strlen(host + n + 1))
		return n;
	return host[n] == '\0' ? n : 0;
}

int
redirect_https_url(char *buf, size_t len, const char *host, unsigned port,
    const char *uri)
{
	size_t n = host != NULL ? redirect_host_len(host) : 0;
	char p[8] = "";
	int w;

	if (n == 0 || uri[0] != '/' || strpbrk(uri, " \t\r\n") != NULL)
		return -1;
	if (port != 443)
		snprintf(p, sizeof(p), ":%u", port);
	w = snprintf(buf, len, "https://%.*s%s%s", (int)n, host, p, uri);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}
