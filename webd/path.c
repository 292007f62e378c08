/* path.c - the request path, percent-decoded and normalised once. Pure. */
#include "webd.h"

#include <string.h>

static int
path_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends segment seg (n bytes) to out at *len, or pops one for "..". */
static int
path_push(char *out, size_t outlen, size_t *len, const char *seg, size_t n,
    const char **err)
{
	if (n == 0 || (n == 1 && seg[0] == '.'))
		return 0;
	if (n == 2 && seg[0] == '.' && seg[1] == '.') {
		char *slash;

		if (*len == 0) {
			*err = "path leaves the root";
			return -1;
		}
		out[*len] = '\0';
		slash = strrchr(out, '/');
		*len = slash ? (size_t)(slash - out) : 0;
		out[*len] = '\0';
		return 0;
	}
	if (*len + (*len ? 1 : 0) + n >= outlen) {
		*err = "path too long";
		return -1;
	}
	if (*len)
		out[(*len)++] = '/';
	memcpy(out + *len, seg, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

int
path_normalize(const char *raw, size_t rawlen, char *out, size_t outlen,
    int *dir, const char **err)
{
	char seg[WEBD_PATH_MAX];
	size_t i, n = 0, len = 0;

	*err = NULL;
	*dir = 0;
	if (outlen == 0) {
		*err = "no room";
		return -1;
	}
	out[0] = '\0';
	if (rawlen == 0 || raw[0] != '/') {
		*err = "path does not start with /";
		return -1;
	}
	for (i = 1; i <= rawlen; i++) {
		unsigned char c;

		if (i == rawlen || raw[i] == '/') {
			if (path_push(out, outlen, &len, seg, n, err) == -1)
				return -1;
			/* A trailing "/", "/." or "/.." names a directory. */
			*dir = n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.');
			n = 0;
			continue;
		}
		c = (unsigned char)raw[i];
		if (c == '%') {
			int hi, lo;

			if (i + 2 >= rawlen) {
				*err = "bad percent escape";
				return -1;
			}
			hi = path_hex((unsigned char)raw[i + 1]);
			lo = path_hex((unsigned char)raw[i + 2]);
			if (hi < 0 || lo < 0) {
				*err = "bad percent escape";
				return -1;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (c == '/') {
				*err = "encoded slash";
				return -1;
			}
		}
		if (c == '\0' || c == '\\' || c < 0x20 || c == 0x7f) {
			*err = "forbidden byte in path";
			return -1;
		}
		if (n + 1 >= sizeof(seg)) {
			*err = "path too long";
			return -1;
		}
		seg[n++] = (char)c;
	}
	return 0;
}

size_t
path_encode(char *dst, size_t dstlen, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	if (dstlen == 0)
		return 0;
	for (; *src != '\0'; src++) {
		unsigned char c = (unsigned char)*src;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("/-._~!$&'()*+,;=:@",
		    c) != NULL;

		if (plain) {
			if (n + 1 >= dstlen)
				break;
			dst[n++] = (char)c;
		} else {
			if (n + 3 >= dstlen)
				break;
			dst[n++] = '%';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
		}
	}
	dst[n] = '\0';
	return n;
}
