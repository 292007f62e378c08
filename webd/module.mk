# webd: the static web server (foobar-webd), and lib/sd.c which it shares
# with appd (systemd glue).
LIB_SRCS += lib/sd.c

SBIN_PROGRAMS += foobar-webd
foobar-webd_SRCS = webd/main.c webd/http.c webd/loop.c webd/static.c \
	webd/config.c webd/cache.c \
	webd/file.c webd/accesslog.c webd/path.c webd/range.c webd/cond.c \
	webd/mime.c webd/fwd.c webd/cgi.c webd/body.c webd/strict.c \
	webd/realip.c webd/metrics.c webd/tls.c webd/redirect.c
foobar-webd_PKGS = libmicrohttpd libsystemd gnutls

UNIT_TESTS += test-webd
test-webd_SRCS = tests/unit/test_webd.c webd/path.c webd/range.c \
	webd/cond.c webd/mime.c webd/file.c webd/accesslog.c webd/config.c \
	webd/cgi.c webd/body.c webd/strict.c webd/realip.c \
	webd/metrics.c webd/tls.c webd/redirect.c
test-webd_PKGS = libsystemd gnutls

FUZZERS += fuzz-path fuzz-range fuzz-strict fuzz-redirect
fuzz-path_SRCS = tests/fuzz/fuzz_path.c webd/path.c
fuzz-path_CORPUS = tests/fuzz/corpus/path
fuzz-range_SRCS = tests/fuzz/fuzz_range.c webd/range.c webd/cond.c
fuzz-range_CORPUS = tests/fuzz/corpus/range
fuzz-strict_SRCS = tests/fuzz/fuzz_strict.c webd/strict.c
fuzz-strict_CORPUS = tests/fuzz/corpus/strict
# redirect_https: the Host header into a Location URL
fuzz-redirect_SRCS = tests/fuzz/fuzz_redirect.c webd/redirect.c
fuzz-redirect_CORPUS = tests/fuzz/corpus/redirect
ITESTS += tests/webd/static.sh

INSTALL_TARGETS += install-webd
install-webd: $(O)/bin/foobar-webd
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(SYSCONFDIR)/foobar $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
		$(DESTDIR)$(SYSCONFDIR)/letsencrypt/renewal-hooks/deploy \
		$(DESTDIR)/var/lib/foobar/acme
	install -m 755 $(O)/bin/foobar-webd $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 webd/foobar-webd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 webd/webd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 etc/webd.conf $(DESTDIR)$(SYSCONFDIR)/foobar/webd.conf
	install -m 644 etc/systemd/foobar-webd.socket \
		etc/systemd/foobar-webd-https.socket \
		etc/systemd/foobar-webd.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
	install -m 755 webd/certbot-deploy-hook \
		$(DESTDIR)$(SYSCONFDIR)/letsencrypt/renewal-hooks/deploy/foobar-webd
ITESTS += tests/webd/systemd.sh
ITESTS += tests/webd/fastcgi.sh
ITESTS += tests/webd/smuggle.sh
ITESTS += tests/webd/smuggle-appd.sh

# The client's address behind a trusted proxy (webd.conf trusted_proxy).
UNIT_TESTS += test-realip
test-realip_SRCS = tests/unit/test_realip.c webd/realip.c
test-realip_PKGS = libsystemd
ITESTS += tests/webd/realip.sh
ITESTS += tests/webd/tls.sh
