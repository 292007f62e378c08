# cluster/: foobar-cluster, the site on several hosts (PRODUCT.md §13).
SBIN_PROGRAMS += foobar-cluster
foobar-cluster_SRCS = cluster/main.c cluster/conf.c cluster/secret.c \
	cluster/render.c cluster/stat.c cluster/sys.c cluster/apply.c \
	cluster/status.c cluster/galera.c cluster/bootstrap.c cluster/tls.c \
	cluster/certs.c
foobar-cluster_PKGS = mysqlclient gnutls
$(O)/obj/cluster/main.o: OBJ_CFLAGS += \
	-DCLUSTER_CONFIG_FILE='"$(SYSCONFDIR)/foobar/cluster.conf"'

UNIT_TESTS += test-cluster
test-cluster_SRCS = tests/unit/test_cluster.c cluster/conf.c \
	cluster/secret.c cluster/render.c cluster/stat.c cluster/galera.c \
	cluster/sys.c cluster/tls.c cluster/certs.c
test-cluster_PKGS = gnutls

FUZZERS += fuzz-cluster
fuzz-cluster_SRCS = tests/fuzz/fuzz_cluster.c cluster/conf.c \
	cluster/render.c cluster/stat.c
fuzz-cluster_CORPUS = tests/fuzz/corpus/cluster

ITESTS += tests/cluster/cli.sh tests/cluster/render.sh

INSTALL_TARGETS += install-cluster
install-cluster:
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 644 cluster/foobar-cluster.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 cluster/cluster.conf.5 \
		$(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 etc/systemd/foobar-firewall.service \
		etc/systemd/foobar-galera-check.socket \
		etc/systemd/foobar-galera-check@.service \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/
	install -d $(DESTDIR)$(PREFIX)/lib/foobar
	install -m 755 cluster/galera-check $(DESTDIR)$(PREFIX)/lib/foobar/
