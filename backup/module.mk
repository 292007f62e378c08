# backup: foobar-backup, backups of the database (PRODUCT.md §12).
SBIN_PROGRAMS += foobar-backup
foobar-backup_SRCS = backup/main.c backup/conf.c backup/cmd.c \
	backup/restore.c backup/scan.c backup/manifest.c backup/prune.c \
	backup/file.c backup/db.c backup/tool.c backup/scratch.c \
	dbmigrate/history.c dbmigrate/mdir.c dbmigrate/sqlsplit.c
foobar-backup_PKGS = mysqlclient jansson libzstd

UNIT_TESTS += test-backup
test-backup_SRCS = tests/unit/test_backup.c backup/scan.c \
	backup/manifest.c backup/prune.c
test-backup_PKGS = jansson

FUZZERS += fuzz-backup-scan fuzz-backup-manifest
fuzz-backup-scan_SRCS = tests/fuzz/fuzz_backup_scan.c backup/scan.c
fuzz-backup-scan_CORPUS = tests/fuzz/corpus/backup-scan
fuzz-backup-manifest_SRCS = tests/fuzz/fuzz_backup_manifest.c \
	backup/manifest.c
fuzz-backup-manifest_PKGS = jansson
fuzz-backup-manifest_CORPUS = tests/fuzz/corpus/backup-manifest

ITESTS += tests/backup/backup.sh

INSTALL_TARGETS += install-backup
install-backup: $(O)/bin/foobar-backup
	install -d $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(SYSCONFDIR)/foobar $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 755 $(O)/bin/foobar-backup $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 backup/foobar-backup.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 backup/backup.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 etc/backup.conf $(DESTDIR)$(SYSCONFDIR)/foobar/
	install -m 644 etc/systemd/foobar-backup.service \
		etc/systemd/foobar-backup.timer $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
