# etc/: system users and runtime folders of the installed system. Each
# program folder installs its own config and units; this fragment installs
# the sysusers.d and tmpfiles.d snippets (dh_installsysusers and
# dh_installtmpfiles find them under /usr/lib and add the postinst calls).
ITESTS += tests/units-security.sh
INSTALL_TARGETS += install-etc

install-etc:
	install -d $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 644 $(wildcard etc/sysusers.d/*.conf) \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d/
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 644 etc/systemd/foobar.target $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
	$(if $(wildcard etc/tmpfiles.d/*.conf),install -d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d)
	$(if $(wildcard etc/tmpfiles.d/*.conf),install -m 644 $(wildcard etc/tmpfiles.d/*.conf) $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/)
