# appd: foobar-appd, the FastCGI application server (PRODUCT.md §6), and
# the FastCGI codec it shares with webd.
LIB_SRCS += lib/fcgi.c

UNIT_TESTS += test-fcgi
test-fcgi_SRCS = tests/unit/test_fcgi.c

FUZZERS += fuzz-fcgi
fuzz-fcgi_SRCS = tests/fuzz/fuzz_fcgi.c
fuzz-fcgi_CORPUS = tests/fuzz/corpus/fcgi

SBIN_PROGRAMS += foobar-appd
foobar-appd_SRCS = appd/main.c appd/conf.c appd/master.c appd/worker.c \
	appd/status.c appd/util.c appd/cgi.c appd/cgi_resp.c appd/metrics.c
foobar-appd_PKGS = mysqlclient libsystemd
# Modules call the foobar_req_* functions of the executable.
# (override: also when LDFLAGS comes from the command line)
$(O)/bin/foobar-appd: override LDFLAGS += -rdynamic

# guestbook.so, the default application.
APPD_APPS := $(O)/lib/apps/guestbook.so
all: $(APPD_APPS)
$(O)/lib/apps/guestbook.so: appd/apps/guestbook.c include/foobar/app.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(call pkgcflags,jansson mysqlclient) \
		-shared $(LDFLAGS) -o $@ appd/apps/guestbook.c \
		$(call pkglibs,jansson mysqlclient)

ITESTS += tests/appd/appd-fcgi.sh
ITESTS += tests/appd/appd-faults.sh
ITESTS += tests/appd/appd-nginx.sh

UNIT_TESTS += test-appd
test-appd_SRCS = tests/unit/test_appd.c appd/cgi_resp.c

INSTALL_TARGETS += install-appd
install-appd: $(O)/bin/foobar-appd $(APPD_APPS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/foobar/apps \
		$(DESTDIR)$(PREFIX)/lib/foobar/cgi-bin \
		$(DESTDIR)$(PREFIX)/share/foobar/migrations \
		$(DESTDIR)$(PREFIX)/share/foobar/www \
		$(DESTDIR)$(PREFIX)/include/foobar \
		$(DESTDIR)$(PREFIX)/share/man/man3 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(SYSCONFDIR)/foobar $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 755 $(O)/bin/foobar-appd $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 $(APPD_APPS) $(DESTDIR)$(PREFIX)/lib/foobar/apps/
	install -m 755 appd/cgi-bin/* $(DESTDIR)$(PREFIX)/lib/foobar/cgi-bin/
	install -m 644 appd/migrations/*.sql \
		$(DESTDIR)$(PREFIX)/share/foobar/migrations/
	install -m 644 webd/www/* $(DESTDIR)$(PREFIX)/share/foobar/www/
	install -m 644 include/foobar/app.h $(DESTDIR)$(PREFIX)/include/foobar/
	install -m 644 appd/foobar-app.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 644 appd/appd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 appd/foobar-appd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 etc/appd.conf $(DESTDIR)$(SYSCONFDIR)/foobar/appd.conf
	install -m 644 etc/systemd/foobar-appd.socket \
		etc/systemd/foobar-appd-metrics.socket \
		etc/systemd/foobar-appd.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
ITESTS += tests/appd/appd-systemd.sh
ITESTS += tests/appd/appd-webd.sh
ITESTS += tests/appd/appd-slowbody.sh
ITESTS += tests/appd/metrics.sh
