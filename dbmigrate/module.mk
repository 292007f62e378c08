# dbmigrate: foobar-dbmigrate, schema migrations (PRODUCT.md §7).
LIB_SRCS += lib/db.c
$(O)/obj/lib/db.o: OBJ_CFLAGS += $(call pkgcflags,mysqlclient)

BIN_PROGRAMS += foobar-dbmigrate
foobar-dbmigrate_SRCS = dbmigrate/main.c dbmigrate/cmd.c \
	dbmigrate/history.c dbmigrate/mdir.c dbmigrate/provision.c \
	dbmigrate/sqlsplit.c
foobar-dbmigrate_PKGS = mysqlclient

UNIT_TESTS += test-dbmigrate
test-dbmigrate_SRCS = tests/unit/test_dbmigrate.c dbmigrate/sqlsplit.c \
	dbmigrate/mdir.c

FUZZERS += fuzz-sqlsplit
fuzz-sqlsplit_SRCS = tests/fuzz/fuzz_sqlsplit.c dbmigrate/sqlsplit.c
fuzz-sqlsplit_CORPUS = tests/fuzz/corpus/sqlsplit

ITESTS += tests/dbmigrate/itest-dbmigrate.sh

INSTALL_TARGETS += install-dbmigrate
install-dbmigrate: $(O)/bin/foobar-dbmigrate
	install -d $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(SYSCONFDIR)/foobar $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
		$(DESTDIR)$(PREFIX)/share/foobar/migrations
	install -m 755 $(O)/bin/foobar-dbmigrate $(DESTDIR)$(PREFIX)/bin/
	install -m 644 dbmigrate/foobar-dbmigrate.1 \
		$(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 dbmigrate/db.cnf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 etc/db.cnf $(DESTDIR)$(SYSCONFDIR)/foobar/db.cnf
	install -m 644 etc/systemd/foobar-dbmigrate.service \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/
