# dns/: foobar-dns, the zone file generator.
BIN_PROGRAMS += foobar-dns
foobar-dns_SRCS = dns/main.c dns/config.c dns/zone.c
$(O)/obj/dns/main.o: OBJ_CFLAGS += \
	-DDNS_CONFIG_FILE='"$(SYSCONFDIR)/foobar/dns.conf"'

UNIT_TESTS += test-dns
test-dns_SRCS = tests/unit/test_dns.c dns/config.c dns/zone.c

FUZZERS += fuzz-dns
fuzz-dns_SRCS = tests/fuzz/fuzz_dns.c dns/config.c dns/zone.c
fuzz-dns_CORPUS = tests/fuzz/corpus/dns

ITESTS += tests/dns/dns-cli.sh tests/dns/dns-serial.sh tests/dns/dns-nsd.sh \
	tests/dns/dns-docs.sh

INSTALL_TARGETS += install-dns
install-dns:
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(SYSCONFDIR)/foobar $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 644 dns/foobar-dns.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 dns/dns.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 etc/dns.conf $(DESTDIR)$(SYSCONFDIR)/foobar/dns.conf
	install -m 644 etc/systemd/foobar-dns.service \
		etc/systemd/foobar-dns.path $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
