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
	appd/status.c appd/util.c appd/cgi.c appd/cgi_resp.c
foobar-appd_PKGS = mysqlclient libsystemd
# Modules call the foobar_req_* functions of the executable.
$(O)/bin/foobar-appd: LDFLAGS += -rdynamic

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
