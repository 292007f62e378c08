/* test_webd.c - webd's pure modules: the path normaliser, the Range
 * parser, conditional requests and dates, MIME types, Accept-Encoding,
 * the access log line, routing, listen addresses, request bodies (their
 * deadline, and memory then file), the [tls] configuration and the
 * certificate checks (on certificates made by openssl at test time), the
 * https redirect. */
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../webd/webd.h"
#include "sd.h"
#include "unit.h"

/* path_normalize on a C string: the result, or "ERR". */
static const char *
norm(const char *raw, int *dir)
{
	static char out[WEBD_PATH_MAX];
	const char *err;
	int d;

	if (path_normalize(raw, strlen(raw), out, sizeof(out), &d, &err) ==
	    -1) {
		ck_assert_ptr_nonnull(err);
		return "ERR";
	}
	if (dir != NULL)
		*dir = d;
	return out;
}

START_TEST(test_path_ok)
{
	int dir;

	ck_assert_str_eq(norm("/", &dir), "");
	ck_assert_int_eq(dir, 1);
	ck_assert_str_eq(norm("/index.html", &dir), "index.html");
	ck_assert_int_eq(dir, 0);
	ck_assert_str_eq(norm("/a/b/", &dir), "a/b");
	ck_assert_int_eq(dir, 1);
	ck_assert_str_eq(norm("//a///b", NULL), "a/b");
	ck_assert_str_eq(norm("/a/./b/../c", NULL), "a/c");
	ck_assert_str_eq(norm("/a/b/..", &dir), "a");
	ck_assert_int_eq(dir, 1);
	ck_assert_str_eq(norm("/a/%2e%2e/b", NULL), "b");
	ck_assert_str_eq(norm("/caf%C3%A9%20x.html", NULL), "caf\xc3\xa9 x.html");
	ck_assert_str_eq(norm("/%41%62", NULL), "Ab");
	ck_assert_str_eq(norm("/a/b/c/../../..", &dir), "");
	ck_assert_int_eq(dir, 1);
	ck_assert_str_eq(norm("/..a/b..", NULL), "..a/b..");
}
END_TEST

START_TEST(test_path_refused)
{
	static const char *const bad[] = { "", "a/b", "*", "/..", "/../x",
		"/a/../..", "/%2e%2e", "/%2E%2E/etc/passwd", "/a/%2e%2e/%2e%2e",
		"/a%2fb", "/a%2Fb", "/..%2f", "/a%00b", "/a%5cb", "/a\\b",
		"/%", "/%4", "/%zz", "/%g0", "/a\tb", "/a%0ab", "/a%7f",
		"http://host/", NULL };
	int i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(strcmp(norm(bad[i], NULL), "ERR") == 0,
		    "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_path_nul_and_length)
{
	char out[16], raw[64];
	const char *err;
	int dir;

	ck_assert_int_eq(path_normalize("/a\0b", 4, out, sizeof(out), &dir,
	    &err), -1);
	memset(raw, 'x', sizeof(raw));
	raw[0] = '/';
	ck_assert_int_eq(path_normalize(raw, sizeof(raw), out, sizeof(out),
	    &dir, &err), -1);
	ck_assert_int_eq(path_normalize(raw, 15, out, sizeof(out), &dir,
	    &err), 0);
	ck_assert_int_eq(strlen(out), 14);
}
END_TEST

START_TEST(test_path_encode)
{
	char buf[64];

	path_encode(buf, sizeof(buf), "a b/c%d\xc3\xa9");
	ck_assert_str_eq(buf, "a%20b/c%25d%C3%A9");
	path_encode(buf, 4, "abcdef");
	ck_assert_str_eq(buf, "abc");
}
END_TEST

static int
rp(const char *h, long long size, long long *a, long long *b)
{
	return range_parse(h, strlen(h), size, a, b);
}

START_TEST(test_range)
{
	long long a = -1, b = -1;

	ck_assert_int_eq(rp("bytes=0-99", 1000, &a, &b), RANGE_OK);
	ck_assert(a == 0 && b == 99);
	ck_assert_int_eq(rp("bytes=990-2000", 1000, &a, &b), RANGE_OK);
	ck_assert(a == 990 && b == 999);
	ck_assert_int_eq(rp("bytes=500-", 1000, &a, &b), RANGE_OK);
	ck_assert(a == 500 && b == 999);
	ck_assert_int_eq(rp("bytes=-100", 1000, &a, &b), RANGE_OK);
	ck_assert(a == 900 && b == 999);
	ck_assert_int_eq(rp("bytes=-5000", 1000, &a, &b), RANGE_OK);
	ck_assert(a == 0 && b == 999);
	ck_assert_int_eq(rp("Bytes= 1-1 ", 10, &a, &b), RANGE_OK);
	ck_assert(a == 1 && b == 1);
	ck_assert_int_eq(rp("bytes=1000-", 1000, &a, &b),
	    RANGE_UNSATISFIABLE);
	ck_assert_int_eq(rp("bytes=-0", 1000, &a, &b), RANGE_UNSATISFIABLE);
	ck_assert_int_eq(rp("bytes=0-", 0, &a, &b), RANGE_UNSATISFIABLE);
	ck_assert_int_eq(rp("bytes=-1", 0, &a, &b), RANGE_UNSATISFIABLE);
	ck_assert_int_eq(rp("bytes=5-1", 10, &a, &b), RANGE_IGNORE);
	ck_assert_int_eq(rp("bytes=0-1,3-4", 10, &a, &b), RANGE_IGNORE);
	ck_assert_int_eq(rp("items=0-1", 10, &a, &b), RANGE_IGNORE);
	ck_assert_int_eq(rp("bytes=", 10, &a, &b), RANGE_IGNORE);
	ck_assert_int_eq(rp("bytes=-", 10, &a, &b), RANGE_IGNORE);
	ck_assert_int_eq(rp("bytes=x-1", 10, &a, &b), RANGE_IGNORE);
	ck_assert_int_eq(rp("bytes=99999999999999999999-", 10, &a, &b),
	    RANGE_IGNORE);
	ck_assert_int_eq(range_parse("bytes=0-1", 7, 10, &a, &b),
	    RANGE_IGNORE);
	ck_assert_int_eq(range_parse("bytes=0-1", 8, 10, &a, &b), RANGE_OK);
	ck_assert(a == 0 && b == 9);
}
END_TEST

#define ETAG "\"abc-1-2\""

START_TEST(test_cond)
{
	struct cond_req r;
	time_t mtime = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

	memset(&r, 0, sizeof(r));
	r.get_or_head = 1;
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_PROCEED);
	r.if_none_match = ETAG;
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_NOT_MODIFIED);
	r.if_none_match = "\"x\", W/" ETAG;
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_NOT_MODIFIED);
	r.if_none_match = "*";
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_NOT_MODIFIED);
	r.if_none_match = "\"other\"";
	r.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
	/* If-None-Match present: If-Modified-Since is ignored */
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_PROCEED);
	r.if_none_match = NULL;
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_NOT_MODIFIED);
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime + 1), COND_PROCEED);
	r.if_modified_since = "garbage";
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_PROCEED);
	memset(&r, 0, sizeof(r));
	r.get_or_head = 1;
	r.if_match = "\"nope\"";
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_FAILED);
	r.if_match = "W/" ETAG;	/* strong comparison */
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_FAILED);
	r.if_match = "\"a\", " ETAG;
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_PROCEED);
	r.if_match = "*";
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_PROCEED);
	r.if_match = NULL;
	r.if_unmodified_since = "Sun, 06 Nov 1994 08:49:36 GMT";
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_FAILED);
	r.if_unmodified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_PROCEED);
	/* If-Match wins over If-Unmodified-Since */
	r.if_match = ETAG;
	r.if_unmodified_since = "Sun, 06 Nov 1994 08:49:36 GMT";
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_PROCEED);
	/* If-None-Match on other methods: 412 */
	memset(&r, 0, sizeof(r));
	r.if_none_match = ETAG;
	ck_assert_int_eq(cond_evaluate(&r, ETAG, mtime), COND_FAILED);
}
END_TEST

START_TEST(test_if_range)
{
	time_t mtime = 784111777;

	ck_assert_int_eq(cond_range_applies(NULL, ETAG, mtime), 1);
	ck_assert_int_eq(cond_range_applies(ETAG, ETAG, mtime), 1);
	ck_assert_int_eq(cond_range_applies("\"old\"", ETAG, mtime), 0);
	ck_assert_int_eq(cond_range_applies("W/" ETAG, ETAG, mtime), 0);
	ck_assert_int_eq(cond_range_applies("Sun, 06 Nov 1994 08:49:37 GMT",
	    ETAG, mtime), 1);
	ck_assert_int_eq(cond_range_applies("Sun, 06 Nov 1994 08:49:38 GMT",
	    ETAG, mtime), 0);
	ck_assert_int_eq(cond_range_applies("junk", ETAG, mtime), 0);
}
END_TEST

START_TEST(test_dates)
{
	time_t t;
	char buf[40];

	ck_assert_int_eq(cond_date_parse("Sun, 06 Nov 1994 08:49:37 GMT",
	    &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(cond_date_parse("Sunday, 06-Nov-94 08:49:37 GMT",
	    &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(cond_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(cond_date_parse("Sun, 06 Nov 1994 08:49:37 GMT x",
	    &t), -1);
	ck_assert_int_eq(cond_date_parse("Sun, 06 Foo 1994 08:49:37 GMT",
	    &t), -1);
	ck_assert_int_eq(cond_date_parse("Sun, 06 Nov 1994 25:49:37 GMT",
	    &t), -1);
	ck_assert_int_eq(cond_date_parse("", &t), -1);
	ck_assert_int_eq(cond_date_format(buf, sizeof(buf), 784111777), 29);
	ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
}
END_TEST

START_TEST(test_mime)
{
	ck_assert(mime_table_sorted());
	ck_assert_str_eq(mime_type("index.html"), "text/html; charset=utf-8");
	ck_assert_str_eq(mime_type("a/B.CSS"), "text/css; charset=utf-8");
	ck_assert_str_eq(mime_type("app.js"),
	    "text/javascript; charset=utf-8");
	ck_assert_str_eq(mime_type("m.mjs"), "text/javascript; charset=utf-8");
	ck_assert_str_eq(mime_type("d.json"), "application/json");
	ck_assert_str_eq(mime_type("i.svg"), "image/svg+xml");
	ck_assert_str_eq(mime_type("i.png"), "image/png");
	ck_assert_str_eq(mime_type("i.jpg"), "image/jpeg");
	ck_assert_str_eq(mime_type("i.webp"), "image/webp");
	ck_assert_str_eq(mime_type("i.avif"), "image/avif");
	ck_assert_str_eq(mime_type("f.woff2"), "font/woff2");
	ck_assert_str_eq(mime_type("r.txt"), "text/plain; charset=utf-8");
	ck_assert_str_eq(mime_type("m.wasm"), "application/wasm");
	ck_assert_str_eq(mime_type("noext"), "application/octet-stream");
	ck_assert_str_eq(mime_type(".hidden"), "application/octet-stream");
	ck_assert_str_eq(mime_type("x.unknown"), "application/octet-stream");
	ck_assert_str_eq(mime_type("dir.html/file"),
	    "application/octet-stream");
}
END_TEST

START_TEST(test_gzip_accept)
{
	ck_assert_int_eq(file_accepts_gzip(NULL), 0);
	ck_assert_int_eq(file_accepts_gzip("gzip"), 1);
	ck_assert_int_eq(file_accepts_gzip("br, gzip, deflate"), 1);
	ck_assert_int_eq(file_accepts_gzip("gzip;q=0.5"), 1);
	ck_assert_int_eq(file_accepts_gzip("gzip;q=0"), 0);
	ck_assert_int_eq(file_accepts_gzip("gzip; q=0.000"), 0);
	ck_assert_int_eq(file_accepts_gzip("x-gzip2"), 0);
	ck_assert_int_eq(file_accepts_gzip("identity"), 0);
}
END_TEST

START_TEST(test_accesslog)
{
	struct accesslog_entry e = {
		.addr = "127.0.0.1", .when = 784111777, .method = "GET",
		.uri = "/a\"b\n", .version = "HTTP/1.1", .status = 200,
		.bytes = 12, .referer = NULL, .user_agent = "curl/8"
	};
	char buf[512];

	accesslog_format(buf, sizeof(buf), &e);
	ck_assert_str_eq(buf, "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "
	    "\"GET /a\\x22b\\x0a HTTP/1.1\" 200 12 \"-\" \"curl/8\" http");
	e.scheme = "https";
	accesslog_format(buf, sizeof(buf), &e);
	ck_assert_msg(strstr(buf, "\"curl/8\" https") != NULL, "%s", buf);
	ck_assert_int_eq(buf[strlen(buf) - 1], 's');
}
END_TEST

/* Both ways of opening below the root refuse symlinks that leave it. */
START_TEST(test_file_open)
{
	char dir[] = "/tmp/test-webd-root-XXXXXX", path[256], real[4096];
	int mode, rootfd, fd, status;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(realpath(dir, real));
	snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/a.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/leak", dir);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/etc", dir);
	ck_assert_int_eq(symlink("/etc", path), 0);
	snprintf(path, sizeof(path), "%s/ok", dir);
	ck_assert_int_eq(symlink("sub/a.txt", path), 0);
	snprintf(path, sizeof(path), "%s/up", dir);
	ck_assert_int_eq(symlink("../", path), 0);
	rootfd = open(dir, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(rootfd, 0);
	for (mode = 1; mode >= 0; mode--) {
		file_use_openat2(mode);
		fd = file_open(rootfd, real, "sub/a.txt", &status);
		ck_assert_int_ge(fd, 0);
		close(fd);
		fd = file_open(rootfd, real, "ok", &status);
		ck_assert_int_ge(fd, 0);
		close(fd);
		fd = file_open(rootfd, real, "", &status);
		ck_assert_int_ge(fd, 0);
		close(fd);
		ck_assert_int_eq(file_open(rootfd, real, "leak", &status), -1);
		ck_assert_int_eq(status, 403);
		ck_assert_int_eq(file_open(rootfd, real, "etc/passwd", &status),
		    -1);
		ck_assert_int_eq(status, 403);
		ck_assert_int_eq(file_open(rootfd, real, "up/etc", &status),
		    -1);
		ck_assert(status == 403 || status == 404);
		ck_assert_int_eq(file_open(rootfd, real, "missing", &status),
		    -1);
		ck_assert_int_eq(status, 404);
	}
	file_use_openat2(1);
	close(rootfd);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

struct cgi_seen {
	char out[512];
};

static void
cgi_collect(void *arg, const char *name, const char *value)
{
	struct cgi_seen *c = arg;
	size_t n = strlen(c->out);

	snprintf(c->out + n, sizeof(c->out) - n, "[%s=%s]", name, value);
}

START_TEST(test_cgi_header)
{
	static const char hdr[] = "Status: 404 Not Found\r\n"
	    "Content-Type:text/plain \r\nX-Empty:\nbad line\n"
	    "Bad Name: x\n: novalue\nLocation: /a\r\n\r\n";
	struct cgi_seen c = { "" };

	cgi_header_each(hdr, sizeof(hdr) - 1, cgi_collect, &c);
	ck_assert_str_eq(c.out, "[Status=404 Not Found][Content-Type=text/plain]"
	    "[X-Empty=][Location=/a]");
}
END_TEST

static char *
write_conf(const char *text)
{
	static char path[] = "/tmp/test-webd-XXXXXX";
	int fd;

	strcpy(path, "/tmp/test-webd-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_config)
{
	struct webd_config *cf;
	char err[512];
	char *p = write_conf("[server]\nlisten = 127.0.0.1:8080\n"
	    "listen = [::1]:8080\nroot = /tmp\nmax_body = 2k\n"
	    "[location /api/]\nfastcgi_pass = unix:/run/a.sock\n"
	    "fastcgi_pass = 127.0.0.1:9000\n[location /]\n"
	    "fastcgi_read_timeout = 5s\n");

	cf = config_load(p, err, sizeof(err));
	unlink(p);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_int_eq(cf->listen.n, 2);
	ck_assert_int_eq(cf->max_body, 2048);
	ck_assert_str_eq(cf->index, "index.html");
	ck_assert_int_eq(cf->nlocations, 2);
	ck_assert_str_eq(config_route(cf, "/api/x")->prefix, "/api/");
	ck_assert_int_eq(config_route(cf, "/api/x")->fastcgi_pass.n, 2);
	ck_assert_str_eq(config_route(cf, "/apix")->prefix, "/");
	ck_assert_int_eq(cf->body_buffer_size, 65536);
	ck_assert_int_eq(cf->body_timeout, 60000);
	ck_assert_int_eq(cf->body_min_rate, 1024);
	ck_assert_int_eq(cf->body_rate_grace, 10000);
	ck_assert_str_eq(cf->body_temp_path, "/var/tmp");
	ck_assert_str_eq(cf->metrics_listen, "off");
	ck_assert_str_eq(cf->maintenance_file, "/run/foobar/maintenance");
	config_free(cf);

	p = write_conf("[server]\nbody_buffer_size = 16k\nbody_timeout = 5s\n"
	    "body_min_rate = 0\nbody_rate_grace = 500ms\n"
	    "body_temp_path = /srv/tmp\n");
	cf = config_load(p, err, sizeof(err));
	unlink(p);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_int_eq(cf->body_buffer_size, 16384);
	ck_assert_int_eq(cf->body_timeout, 5000);
	ck_assert_int_eq(cf->body_min_rate, 0);
	ck_assert_int_eq(cf->body_rate_grace, 500);
	ck_assert_str_eq(cf->body_temp_path, "/srv/tmp");
	config_free(cf);
	p = write_conf("[server]\nbody_temp_path = tmp\n");
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
	ck_assert_msg(strstr(err, "body_temp_path") != NULL, "%s", err);
	p = write_conf("[server]\nmaintenance_file = maint\n");
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
	ck_assert_msg(strstr(err, "maintenance_file") != NULL, "%s", err);
	p = write_conf("[server]\nmaintenance_file = off\n");
	cf = config_load(p, err, sizeof(err));
	unlink(p);
	ck_assert_msg(cf != NULL, "%s", err);
	config_free(cf);

	p = write_conf("[server]\nroot = /tmp\n[metrics]\n"
	    "listen = 127.0.0.1:9101\n");
	cf = config_load(p, err, sizeof(err));
	unlink(p);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_str_eq(cf->metrics_listen, "127.0.0.1:9101");
	config_free(cf);
	p = write_conf("[server]\nroot = /tmp\n[metrics]\nlisten = :x\n");
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
	ck_assert_msg(strstr(err, "[metrics] listen") != NULL, "%s", err);

	p = write_conf("[server]\nroot = /tmp\nlistne = 1\n");
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
	ck_assert_msg(strstr(err, ":3: unknown key \"listne\"") != NULL, "%s",
	    err);
	p = write_conf("[server]\nlisten = nowhere\n");
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
	ck_assert_msg(strstr(err, "listen") != NULL, "%s", err);
	p = write_conf("[location api]\nfastcgi_pass = unix:/a\n");
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
	p = write_conf("[location /a/]\nfastcgi_pass = tcp\n");
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
}
END_TEST

START_TEST(test_listen_address)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];

	ck_assert_int_eq(sdsock_parse("127.0.0.1:8080", &ss, &len, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	ck_assert_int_eq(sdsock_parse("[::1]:80", &ss, &len, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(sdsock_parse("*:80", &ss, &len, err, sizeof(err)),
	    0);
	ck_assert_int_eq(sdsock_parse("unix:/run/x.sock", &ss, &len, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(ss.ss_family, AF_UNIX);
	ck_assert_int_eq(sdsock_parse("unix:rel", &ss, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(sdsock_parse("127.0.0.1:0", &ss, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(sdsock_parse("127.0.0.1:65536", &ss, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(sdsock_parse("[::1:80", &ss, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(sdsock_parse("host:80", &ss, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(sdsock_parse("8080", &ss, &len, err, sizeof(err)),
	    -1);
}
END_TEST

START_TEST(test_body_deadline)
{
	/* no rate: the total only */
	ck_assert_int_eq(body_deadline(1000, 0, 60000, 0, 10000), 61000);
	/* nothing came: the grace */
	ck_assert_int_eq(body_deadline(1000, 0, 60000, 1024, 10000), 11000);
	/* each min_rate bytes buy a second */
	ck_assert_int_eq(body_deadline(1000, 2048, 60000, 1024, 10000),
	    13000);
	/* never past the total */
	ck_assert_int_eq(body_deadline(1000, 1024 * 1024, 60000, 1024,
	    10000), 61000);
	ck_assert_int_eq(body_deadline(0, 1LL << 60, 60000, 1, 0), 60000);
	ck_assert_int_eq(body_deadline(0, 0, 60000, 1024, 0), 0);
}
END_TEST

/* Reads b back from offset 0 and compares it with want. */
static void
body_check(struct body *b, const unsigned char *want, size_t len)
{
	unsigned char buf[1000];
	long long off = 0;

	for (;;) {
		const void *d;
		long n = body_get(b, off, buf, sizeof(buf), &d);

		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		ck_assert_int_le(n, (long)sizeof(buf));
		ck_assert_int_le(off + n, (long long)len);
		ck_assert(memcmp(d, want + off, (size_t)n) == 0);
		off += n;
	}
	ck_assert_int_eq(off, (long long)len);
}

START_TEST(test_body_spill)
{
	char dir[] = "/tmp/test-webd-body-XXXXXX";
	static unsigned char data[20000];
	struct body *b;
	size_t i, off;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	/* small: memory only */
	b = body_new(4096, dir);
	ck_assert_int_eq(body_append(b, data, 100), 0);
	ck_assert_int_eq(body_append(b, data + 100, 3996), 0);
	ck_assert_int_eq(body_in_file(b), 0);
	body_check(b, data, 4096);
	/* one byte more: to the file, readable across the boundary */
	ck_assert_int_eq(body_append(b, data + 4096, 1), 0);
	ck_assert_int_eq(body_in_file(b), 1);
	body_check(b, data, 4097);
	/* pieces of every size, one larger than the buffer */
	for (off = 4097, i = 1; off < sizeof(data); off += i, i = i * 3 + 1) {
		size_t n = off + i > sizeof(data) ? sizeof(data) - off : i;

		ck_assert_int_eq(body_append(b, data + off, n), 0);
	}
	ck_assert_int_eq(body_size(b), (long long)sizeof(data));
	body_check(b, data, sizeof(data));
	body_free(b);
	/* unlinked: nothing in the folder */
	ck_assert_int_eq(rmdir(dir), 0);
	/* a folder that is not there: an error, no crash */
	b = body_new(16, "/nonexistent/folder");
	ck_assert_int_eq(body_append(b, data, 10), 0);
	ck_assert_int_eq(body_append(b, data, 10), -1);
	body_free(b);
}
END_TEST

/* strict_check on a block given as a C string literal (NULs included). */
#define STRICT(lit, st, reason) strict_case(lit, sizeof(lit) - 1, st, reason)

static void
strict_case(const char *b, size_t n, int st, const char *reason)
{
	const char *why = NULL;
	int got = strict_check(b, n, &why);

	ck_assert_msg(got == st, "%d for %.*s", got, (int)n, b);
	if (st != 0)
		ck_assert_str_eq(why, reason);
}

START_TEST(test_strict_accepted)
{
	STRICT("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, NULL);
	STRICT("GET / HTTP/1.0\r\n\r\n", 0, NULL);
	STRICT("GET /x?a=b%20c HTTP/1.1\nhost:a\n\n", 0, NULL);
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n",
	    0, NULL);
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t5 \r\n\r\n",
	    0, NULL);
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChunKed\r\n"
	    "\r\n", 0, NULL);
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nX: \xe9t\xe9\t;\r\nY:\r\n\r\n",
	    0, NULL);
}
END_TEST

START_TEST(test_strict_framing)
{
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "content-length: 6\r\n\r\n", 400, "several Content-Length");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n", 400, "several Content-Length");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
	    400, "bad Content-Length");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
	    400, "bad Content-Length");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
	    400, "bad Content-Length");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n",
	    400, "bad Content-Length");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "9223372036854775808\r\n\r\n", 400, "bad Content-Length");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400,
	    "Content-Length with Transfer-Encoding");
	STRICT("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	    "Transfer-Encoding in HTTP/1.0");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
	    "gzip\r\n\r\n", 400, "chunked not once and last");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
	    "chunked\r\n\r\n", 400, "chunked not once and last");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,"
	    "\r\n\r\n", 400, "chunked not once and last");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n",
	    400, "empty Transfer-Encoding");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	    "\r\n", 501, "transfer coding other than chunked");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, "
	    "chunked\r\n\r\n", 501, "transfer coding other than chunked");
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400,
	    "several Transfer-Encoding");
	STRICT("GET / HTTP/1.1\r\n\r\n", 400, "no Host");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n", 400,
	    "several Host");
	STRICT("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400,
	    "several Host");
	STRICT("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "bad Host");
	STRICT("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400, "bad Host");
	STRICT("GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", 400, "bad Host");
	STRICT("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "bad Host");
	STRICT("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400, "bad Host");
	STRICT("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 0, NULL);
}
END_TEST

START_TEST(test_strict_syntax)
{
	STRICT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n"
	    "\r\n", 400, "white space before colon");
	STRICT("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400,
	    "white space before colon");
	STRICT("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "bare CR");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400, "bare CR");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400,
	    "NUL in field");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nX\0: a\r\n\r\n", 400,
	    "NUL in field");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400,
	    "control byte in field");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400,
	    "control byte in field");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400,
	    "obs-fold");
	STRICT("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "obs-fold");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\nX a\r\n\r\n", 400,
	    "white space before colon");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n", 400,
	    "bad field name");
	STRICT("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400, "bad field name");
	STRICT("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad request line");
	STRICT("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "bad request line");
	STRICT("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad request line");
	STRICT("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad request line");
	STRICT("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad request line");
	STRICT("GET / http/1.1\r\nHost: a\r\n\r\n", 400, "bad request line");
	STRICT("GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad request line");
	STRICT("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "NUL in request line");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\n", 400,
	    "header block without its end");
	STRICT("GET / HTTP/1.1\r\nHost: a\r\n\r\nX", 400,
	    "bytes after the header block");
	STRICT("", 400, "header block without its end");
}
END_TEST

START_TEST(test_strict_trailer)
{
	const char *why = NULL;

	ck_assert_int_eq(strict_trailer("X-T", 3, "1 2\t", 4, &why), 0);
	ck_assert_int_eq(strict_trailer("X-T ", 4, "1", 1, &why), -1);
	ck_assert_str_eq(why, "white space before colon in trailer");
	ck_assert_int_eq(strict_trailer("", 0, "1", 1, &why), -1);
	ck_assert_str_eq(why, "bad trailer field name");
	ck_assert_int_eq(strict_trailer("X-T", 3, "1\r2", 3, &why), -1);
	ck_assert_str_eq(why, "bare CR");
	ck_assert_int_eq(strict_trailer("X-T", 3, "1\x01", 2, &why), -1);
	ck_assert_str_eq(why, "control byte in field");
}
END_TEST

/* --- metrics.c: per-thread counters, summed exactly, folded on retire */

#define T_THREADS 4
#define T_PER_THREAD 50000

static void *
t_metrics_thread(void *arg)
{
	struct wmetrics *m = metrics_slot_new();
	unsigned loc = *(unsigned *)arg;
	int i;

	for (i = 0; i < T_PER_THREAD; i++) {
		metrics_conn(m, -1, WM_IDLE, 1);
		metrics_conn(m, WM_IDLE, WM_WRITING, 1);
		metrics_request(m, loc, i % 10 == 0 ? 404 : 200, 3, 700);
		metrics_conn(m, WM_WRITING, -1, 1);
	}
	metrics_slot_retire(m);	/* every thread ends: all in the retired */
	return NULL;
}

/* The value of series name (with its labels) in text. */
static unsigned long long
t_series(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p += n;
	}
	return ~0ULL;
}

START_TEST(test_metrics_exact)
{
	pthread_t th[T_THREADS];
	unsigned loc = metrics_location("/api/");
	struct wmetrics *live = metrics_slot_new();
	size_t len;
	char *text;
	int i;

	metrics_backend("unix:/run/x.sock");
	metrics_fcgi_error(live, "unix:/run/x.sock", 502);
	metrics_conn(live, -1, WM_IDLE, 0);	/* open, refused */
	for (i = 0; i < T_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, t_metrics_thread,
		    &loc), 0);
	for (i = 0; i < T_THREADS; i++) {
		text = metrics_render(&len);	/* scrapes while counting */
		ck_assert_ptr_nonnull(text);
		free(text);
	}
	for (i = 0; i < T_THREADS; i++)
		pthread_join(th[i], NULL);
	text = metrics_render(&len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_uint_eq(t_series(text, "foobar_webd_http_requests_total"
	    "{location=\"/api/\",code_class=\"2xx\"}"),
	    T_THREADS * T_PER_THREAD / 10 * 9);
	ck_assert_uint_eq(t_series(text, "foobar_webd_http_requests_total"
	    "{location=\"/api/\",code_class=\"4xx\"}"),
	    T_THREADS * T_PER_THREAD / 10);
	ck_assert_uint_eq(t_series(text, "foobar_webd_http_requests_total"
	    "{location=\"static\",code_class=\"2xx\"}"), 0);
	ck_assert_uint_eq(t_series(text,
	    "foobar_webd_http_response_bytes_total"), T_THREADS * T_PER_THREAD
	    * 3);
	ck_assert_uint_eq(t_series(text,
	    "foobar_webd_http_request_duration_seconds_bucket{le=\"0.0005\"}"),
	    0);
	ck_assert_uint_eq(t_series(text,
	    "foobar_webd_http_request_duration_seconds_bucket{le=\"0.001\"}"),
	    T_THREADS * T_PER_THREAD);
	ck_assert_uint_eq(t_series(text,
	    "foobar_webd_connections_accepted_total"),
	    T_THREADS * T_PER_THREAD + 1);
	ck_assert_uint_eq(t_series(text,
	    "foobar_webd_connections_handled_total"), T_THREADS * T_PER_THREAD);
	ck_assert_uint_eq(t_series(text,
	    "foobar_webd_connections{state=\"idle\"}"), 1);
	ck_assert_uint_eq(t_series(text,
	    "foobar_webd_connections{state=\"writing\"}"), 0);
	ck_assert_uint_eq(t_series(text, "foobar_webd_connections_active"), 1);
	ck_assert_uint_eq(t_series(text, "foobar_webd_fastcgi_errors_total"
	    "{backend=\"unix:/run/x.sock\",code=\"502\"}"), 1);
	free(text);
	metrics_slot_retire(live);
	text = metrics_render(&len);
	ck_assert_uint_eq(t_series(text, "foobar_webd_fastcgi_errors_total"
	    "{backend=\"unix:/run/x.sock\",code=\"502\"}"), 1);
	free(text);
}
END_TEST

/* A config that is refused, with an error that contains want. */
static void
conf_refused(const char *text, const char *want)
{
	char err[1024];
	char *p = write_conf(text);

	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	unlink(p);
	ck_assert_msg(strstr(err, want) != NULL, "\"%s\" not in \"%s\"", want,
	    err);
}

START_TEST(test_config_tls)
{
	struct webd_config *cf;
	char err[512];
	char *p = write_conf("[server]\nlisten_tls = 127.0.0.1:8443\n"
	    "listen_tls = [::1]:8443\nredirect_https = yes\n"
	    "[tls b.example]\ncertificate = /b.crt\nkey = /b.key\n"
	    "[tls]\ncertificate = /a.crt\nkey = /a.key\nhsts = 31536000\n");

	cf = config_load(p, err, sizeof(err));
	unlink(p);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_int_eq(cf->listen_tls.n, 2);
	ck_assert_int_eq(cf->listen.n, 0);	/* no plain default then */
	ck_assert_int_eq(cf->redirect_https, 1);
	ck_assert_str_eq(cf->acme_root, "/var/lib/foobar/acme");
	ck_assert_int_eq(cf->ntls, 2);
	ck_assert_ptr_eq(config_tls_default(cf), cf->tls[0]);
	ck_assert_ptr_null(cf->tls[0]->name);
	ck_assert_str_eq(cf->tls[0]->certificate, "/a.crt");
	ck_assert_int_eq(cf->tls[0]->hsts, 31536000);
	ck_assert_str_eq(cf->tls[1]->name, "b.example");
	ck_assert_str_eq(cf->tls[1]->key, "/b.key");
	config_free(cf);

	p = write_conf("[server]\nacme_root = off\n");
	cf = config_load(p, err, sizeof(err));
	unlink(p);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_int_eq(cf->redirect_https, 0);
	ck_assert_int_eq(cf->ntls, 0);
	ck_assert_ptr_null(config_tls_default(cf));
	ck_assert_int_eq(cf->listen.n, 1);
	config_free(cf);

	conf_refused("[server]\nroot = /tmp\nlisten_tls = 127.0.0.1:8443\n",
	    ":3: listen_tls needs a [tls] section");
	conf_refused("[server]\nlisten_tls = here\n", ":2: listen_tls: ");
	conf_refused("[tls]\ncertificate = /a.crt\n",
	    "[tls] needs both certificate and key");
	conf_refused("[tls]\ncertificate = /a\nkey = /b\n[tls x.org]\n"
	    "key = /b\n", "[tls x.org] needs both certificate and key");
	conf_refused("[tls x.org]\ncertificate = /a\nkey = /b\n",
	    "needs a [tls] section");
	conf_refused("[tls]\ncertificate = /a\nkey = /b\n[tls x.org]\n"
	    "certificate = /a\nkey = /b\nhsts = 5\n",
	    ":7: unknown key \"hsts\"");
	conf_refused("[tls a_b]\ncertificate = /a\nkey = /b\n",
	    "\"a_b\" is not a host name");
	conf_refused("[tls]\ncertificate = /a\nkey = /b\n[tls]\n",
	    ":4: [tls]: section repeated");
	conf_refused("[tls]\ncertificate = /a\nkey = /b\n[tls X.org]\n"
	    "[tls x.ORG]\n", "section repeated");
	conf_refused("[tls]\ncertificate = /a\nkey = /b\nhsts = -1\n", ":4:");
	conf_refused("[server]\nacme_root = acme\n",
	    ":2: acme_root: \"acme\" is not an absolute path or off");
	conf_refused("[server]\nredirect_https = maybe\n", ":2:");
}
END_TEST

/* A temporary folder with test certificates made by openssl: ECDSA P-256
 * and RSA 2048 leaves signed by a test CA, valid for 10 days. */
static char tls_dir[64];

static void
tls_make(const char *name, const char *keyalg)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd %s && "
	    "openssl req -newkey %s -nodes -keyout %s.key -out %s.csr "
	    "-subj /CN=%s 2>/dev/null && "
	    "openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 10 -out %s.crt 2>/dev/null && "
	    "cat %s.crt ca.pem > %s.chain", tls_dir, keyalg, name, name,
	    name, name, name, name, name);
	ck_assert_int_eq(system(cmd), 0);
}

static void
tls_setup(void)
{
	char cmd[512];

	snprintf(tls_dir, sizeof(tls_dir), "/tmp/test-webd-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tls_dir));
	snprintf(cmd, sizeof(cmd), "cd %s && openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
	    "-out ca.pem -days 30 -subj /CN=test-ca 2>/dev/null && "
	    "echo garbage > junk.pem && mkdir adir", tls_dir);
	ck_assert_int_eq(system(cmd), 0);
	tls_make("ec", "ec -pkeyopt ec_paramgen_curve:P-256");
	tls_make("rsa", "rsa:2048");
}

static void
tls_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tls_dir);
}

/* tls_check on two files of tls_dir at now + days: 0, or -1 with err
 * containing want. */
static void
tls_expect(const char *cert, const char *key, long days, const char *want)
{
	char c[128], k[128], err[1024] = "";
	int rc;

	snprintf(c, sizeof(c), "%s/%s", tls_dir, cert);
	snprintf(k, sizeof(k), "%s/%s", tls_dir, key);
	rc = tls_check(c, k, time(NULL) + days * 86400, err, sizeof(err));
	if (want == NULL) {
		ck_assert_msg(rc == 0, "%s %s: %s", cert, key, err);
		return;
	}
	ck_assert_msg(rc == -1, "%s %s accepted", cert, key);
	ck_assert_msg(strstr(err, want) != NULL, "\"%s\" not in \"%s\"",
	    want, err);
}

START_TEST(test_tls_check)
{
	tls_expect("ec.crt", "ec.key", 0, NULL);
	tls_expect("rsa.crt", "rsa.key", 0, NULL);
	tls_expect("ec.chain", "ec.key", 0, NULL);	/* leaf + CA */
	tls_expect("rsa.chain", "rsa.key", 9, NULL);
	tls_expect("ec.crt", "rsa.key", 0, "rsa.key does not match "
	    "certificate");
	tls_expect("rsa.crt", "ec.key", 0, "ec.key does not match");
	tls_expect("ec.crt", "ec.key", 11, "certificate");
	tls_expect("ec.crt", "ec.key", 11, "ec.crt: expired on ");
	tls_expect("ec.crt", "ec.key", -1, "ec.crt: not valid before ");
	tls_expect("missing.crt", "ec.key", 0,
	    "certificate /tmp/test-webd-tls-");
	tls_expect("missing.crt", "ec.key", 0,
	    "missing.crt: No such file or directory");
	tls_expect("ec.crt", "missing.key", 0,
	    "key /tmp/test-webd-tls-");
	tls_expect("adir", "ec.key", 0, "adir: Is a directory");
	tls_expect("junk.pem", "ec.key", 0, "junk.pem: no PEM certificate");
	tls_expect("ec.key", "ec.key", 0, "ec.key: no PEM certificate");
	tls_expect("ec.crt", "junk.pem", 0, "junk.pem: not a PEM private "
	    "key");
	tls_expect("ec.crt", "ec.crt", 0, "ec.crt: not a PEM private key");
}
END_TEST

/* tls_load names the config line of the file it refuses. */
START_TEST(test_tls_load)
{
	struct webd_config *cf;
	struct tls_ctx *t;
	char text[1024], err[1024], buf[256];
	char *p;

	snprintf(text, sizeof(text), "[tls]\ncertificate = %s/ec.chain\n"
	    "key = %s/ec.key\n[tls rsa.test]\ncertificate = %s/rsa.crt\n"
	    "key = %s/rsa.key\n", tls_dir, tls_dir, tls_dir, tls_dir);
	p = write_conf(text);
	cf = config_load(p, err, sizeof(err));
	ck_assert_msg(cf != NULL, "%s", err);
	t = tls_load(cf, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_int_eq(tls_count(t), 2);
	ck_assert_msg(strncmp(tls_describe(t, 0, buf, sizeof(buf)),
	    "default: serial ", 16) == 0, "%s", buf);
	ck_assert_msg(strncmp(tls_describe(t, 1, buf, sizeof(buf)),
	    "rsa.test: serial ", 17) == 0, "%s", buf);
	tls_free(t);
	config_free(cf);
	unlink(p);

	snprintf(text, sizeof(text), "[tls]\ncertificate = %s/ec.crt\n"
	    "key = %s/ec.key\n\n[tls rsa.test]\ncertificate = %s/rsa.crt\n"
	    "key = %s/ec.key\n", tls_dir, tls_dir, tls_dir, tls_dir);
	p = write_conf(text);
	cf = config_load(p, err, sizeof(err));
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_ptr_null(tls_load(cf, err, sizeof(err)));
	ck_assert_msg(strncmp(err, p, strlen(p)) == 0 &&
	    strstr(err, ":7: key ") != NULL &&
	    strstr(err, "ec.key does not match certificate") != NULL, "%s",
	    err);
	config_free(cf);
	unlink(p);

	snprintf(text, sizeof(text), "[tls]\ncertificate = %s/junk.pem\n"
	    "key = %s/ec.key\n", tls_dir, tls_dir);
	p = write_conf(text);
	cf = config_load(p, err, sizeof(err));
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_ptr_null(tls_load(cf, err, sizeof(err)));
	ck_assert_msg(strstr(err, ":2: certificate ") != NULL, "%s", err);
	config_free(cf);
	unlink(p);

	p = write_conf("[server]\n");	/* no [tls]: nothing to load */
	cf = config_load(p, err, sizeof(err));
	ck_assert_msg(cf != NULL, "%s", err);
	t = tls_load(cf, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tls_count(t), 0);
	tls_free(t);
	config_free(cf);
	unlink(p);
}
END_TEST

START_TEST(test_redirect)
{
	char buf[256];

	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "example.org",
	    443, "/a/b?x=1&y=%20"), 0);
	ck_assert_str_eq(buf, "https://example.org/a/b?x=1&y=%20");
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf),
	    "Example.org:8080", 8443, "/"), 0);
	ck_assert_str_eq(buf, "https://Example.org:8443/");
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "[::1]:80",
	    443, "/x"), 0);
	ck_assert_str_eq(buf, "https://[::1]/x");
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "127.0.0.1",
	    443, "/x"), 0);
	ck_assert_str_eq(buf, "https://127.0.0.1/x");
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), NULL, 443,
	    "/"), -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "", 443, "/"),
	    -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "evil/x", 443,
	    "/"), -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "a@b", 443,
	    "/"), -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "a:", 443,
	    "/"), -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "a:8x", 443,
	    "/"), -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "[::1", 443,
	    "/"), -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "a.org", 443,
	    "*"), -1);
	ck_assert_int_eq(redirect_https_url(buf, sizeof(buf), "a.org", 443,
	    "http://b.org/"), -1);
	ck_assert_int_eq(redirect_https_url(buf, 20, "a.org", 443,
	    "/a-long-path-that-does-not-fit"), -1);
	ck_assert_int_eq(redirect_is_acme("/.well-known/acme-challenge/t"), 1);
	ck_assert_int_eq(redirect_is_acme("/.well-known/acme-challenge/"), 1);
	ck_assert_int_eq(redirect_is_acme("/.well-known/acme-challenge"), 0);
	ck_assert_int_eq(redirect_is_acme("/.well-known/other"), 0);
}
END_TEST

static Suite *
webd_suite(void)
{
	Suite *s = suite_create("webd");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, test_path_ok);
	tcase_add_test(tc, test_path_refused);
	tcase_add_test(tc, test_path_nul_and_length);
	tcase_add_test(tc, test_path_encode);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_cond);
	tcase_add_test(tc, test_if_range);
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_mime);
	tcase_add_test(tc, test_gzip_accept);
	tcase_add_test(tc, test_file_open);
	tcase_add_test(tc, test_cgi_header);
	tcase_add_test(tc, test_accesslog);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_listen_address);
	tcase_add_test(tc, test_body_deadline);
	tcase_add_test(tc, test_body_spill);
	tcase_add_test(tc, test_strict_accepted);
	tcase_add_test(tc, test_strict_framing);
	tcase_add_test(tc, test_strict_syntax);
	tcase_add_test(tc, test_strict_trailer);
	tcase_add_test(tc, test_metrics_exact);
	tcase_add_test(tc, test_config_tls);
	tcase_add_test(tc, test_redirect);
	suite_add_tcase(s, tc);
	tc = tcase_create("tls");
	tcase_add_unchecked_fixture(tc, tls_setup, tls_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tls_check);
	tcase_add_test(tc, test_tls_load);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(webd_suite());
}
