/* sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), pure. */
#ifndef FOOBAR_SHA256_H
#define FOOBAR_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
};

/* Starts, feeds and finishes a hash; they cannot fail. */
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);

/* Writes the 64 lower-case hex digits of data's hash and a NUL to hex. */
void sha256_hex(const void *data, size_t len, char hex[65]);

/* Writes HMAC-SHA256(key, msg) to out. Cannot fail. */
void sha256_hmac(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32]);

#endif
