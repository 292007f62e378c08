# foobar - the one top-level GNU Makefile.
#
# Each folder's module.mk only appends to the lists below:
#   LIB_SRCS                      sources of build/lib/libfoobar.a
#   SBIN_PROGRAMS, BIN_PROGRAMS   programs; PROG_SRCS, PROG_PKGS per program
#                                 (e.g. foobar-dns_SRCS, foobar-dns_PKGS)
#   UNIT_TESTS                    Check programs; NAME_SRCS, NAME_PKGS
#   FUZZERS                       libFuzzer targets; NAME_SRCS, NAME_PKGS,
#                                 NAME_CORPUS (replayed by make check)
#   ITESTS                        integration test scripts (need servers)
#   INSTALL_TARGETS               extra install-* rules of a folder
#
# O=DIR puts every object and program under DIR (default build/), so that
# a sanitizer build sits beside the normal one. WERROR= turns warnings
# back into warnings (the package build does that).

O ?= build
PREFIX ?= /usr
SYSCONFDIR ?= /etc
DESTDIR ?=
PKG_CONFIG ?= pkg-config
CLANG ?= clang
WERROR ?= -Werror
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null)
ifeq ($(VERSION),)
VERSION := 0.0.0
endif
SYSTEMD_UNIT_DIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wpointer-arith -Wformat=2 -Wundef -Wvla -Wno-unused-parameter
ALL_CPPFLAGS = -D_GNU_SOURCE -DFOOBAR_VERSION='"$(VERSION)"' -Ilib -Iinclude \
	$(CPPFLAGS)
ALL_CFLAGS = -std=gnu11 -fPIC $(WARNINGS) $(WERROR) $(CFLAGS)

LIB_SRCS :=
SBIN_PROGRAMS :=
BIN_PROGRAMS :=
UNIT_TESTS :=
FUZZERS :=
ITESTS :=
INSTALL_TARGETS :=

include lib/module.mk
include $(sort $(filter-out lib/module.mk,$(wildcard */module.mk)))

PROGRAMS := $(SBIN_PROGRAMS) $(BIN_PROGRAMS)
LIBFOOBAR := $(O)/lib/libfoobar.a
obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
pkgcflags = $(if $(1),$(shell $(PKG_CONFIG) --cflags $(1)))
pkglibs = $(if $(1),$(shell $(PKG_CONFIG) --libs $(1)))

.PHONY: all check check-unit replay-fuzz fuzz sanitize install clean deb run \
	system-check cluster-check bench deps check-headers lint valgrind \
	$(INSTALL_TARGETS)

all: $(addprefix $(O)/bin/,$(PROGRAMS))

$(O)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(OBJ_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBFOOBAR): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# $(1): output, $(2): sources, $(3): pkg-config packages, $(4): extra libs
define link_template
$(1): $(call obj,$(2)) $(LIBFOOBAR)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) -o $$@ $(call obj,$(2)) $(LIBFOOBAR) \
		$$(call pkglibs,$(3)) $(4)
$(call obj,$(2)): OBJ_CFLAGS += $$(call pkgcflags,$(3))
endef

$(foreach p,$(PROGRAMS),$(eval $(call link_template,$(O)/bin/$(p),$($(p)_SRCS),inih $($(p)_PKGS))))
$(foreach t,$(UNIT_TESTS),$(eval $(call link_template,$(O)/tests/$(t),$($(t)_SRCS),inih check $($(t)_PKGS))))
$(foreach f,$(FUZZERS),$(eval $(call link_template,$(O)/tests/replay-$(f),tests/fuzz/replay.c $($(f)_SRCS),inih $($(f)_PKGS))))

UNIT_BINS := $(addprefix $(O)/tests/,$(UNIT_TESTS))
REPLAY_BINS := $(addprefix $(O)/tests/replay-,$(FUZZERS))

# Hermetic tests only: what the package build runs.
check-unit: $(UNIT_BINS) $(REPLAY_BINS)
	@O=$(O) tests/run.sh $(foreach t,$(UNIT_TESTS),$(O)/tests/$(t)) \
		$(foreach f,$(FUZZERS),"$(O)/tests/replay-$(f) $($(f)_CORPUS)")

# Everything: unit tests, corpora, integration tests on real servers.
# T=PATTERN runs only the tests whose name contains PATTERN.
check: deps-check all $(UNIT_BINS) $(REPLAY_BINS)
	@O=$(O) SRCDIR=$(CURDIR) T="$(T)" tests/run.sh \
		$(foreach t,$(UNIT_TESTS),$(O)/tests/$(t)) \
		$(foreach f,$(FUZZERS),"$(O)/tests/replay-$(f) $($(f)_CORPUS)") \
		$(ITESTS)

deps-check:
	@sh tests/deps.sh check

# libFuzzer builds: make fuzz, then build/fuzz/NAME CORPUS_DIR.
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined
fuzz: $(addprefix $(O)/fuzz/,$(FUZZERS))
define fuzz_template
# lib/db.c and lib/sd.c need MySQL and libsystemd, which no fuzz target uses.
$(O)/fuzz/$(1): $($(1)_SRCS) $(filter-out lib/db.c lib/sd.c,$(LIB_SRCS))
	@mkdir -p $$(@D)
	$$(CLANG) $$(ALL_CPPFLAGS) -std=gnu11 $$(WARNINGS) $$(FUZZ_FLAGS) \
		$$(call pkgcflags,inih $($(1)_PKGS)) -o $$@ $$^ \
		$$(call pkglibs,inih $($(1)_PKGS))
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_template,$(f))))

# ASan + UBSan build of every unit test and corpus replay in $(O)/sanitize
# (build/sanitize by default). Any report fails the test: UBSan does not
# recover, LSan checks for leaks at each (Check-forked) test's exit.
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all
sanitize:
	ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 CK_TIMEOUT_MULTIPLIER=4 \
	$(MAKE) O=$(O)/sanitize \
		CFLAGS="-O1 -g -fno-omit-frame-pointer $(SANITIZE_FLAGS)" \
		LDFLAGS="$(SANITIZE_FLAGS)" check-unit

# Static analysis (cppcheck, clang-tidy on a bear compile database in
# $(O)/lint) and memcheck on the hermetic tests; slow, not part of check.
lint:
	sh tests/deps.sh lint
	O=$(O) LINT_BUILD="$(UNIT_TESTS:%=tests/%) $(FUZZERS:%=tests/replay-%)" \
		tests/lint.sh all
valgrind: $(UNIT_BINS) $(REPLAY_BINS)
	@O=$(O) tests/lint.sh valgrind $(UNIT_BINS) \
		$(foreach f,$(FUZZERS),"$(O)/tests/replay-$(f) $($(f)_CORPUS)")

# Every header compiles on its own, twice in a row (guards), with the
# cflags of every pkg-config package a folder uses.
HEADERS = $(sort $(filter-out build/% $(O)/%,$(wildcard */*.h */*/*.h)))
HEADER_PKGLIST = $(sort inih check $(foreach v,$(filter %_PKGS,$(.VARIABLES)),$($(v))))
check-headers:
	@for h in $(HEADERS); do \
		printf '#include "%s"\n#include "%s"\n' $$h $$h | \
		$(CC) $(ALL_CPPFLAGS) -I. $(call pkgcflags,$(HEADER_PKGLIST)) \
			$(ALL_CFLAGS) -fsyntax-only -x c - || \
			{ echo "$$h does not compile alone"; exit 1; }; \
	done
	@for h in $(wildcard include/foobar/*.h); do \
		echo "#include <$${h#include/}>" | $(CC) -std=c99 -pedantic \
			$(WARNINGS) -Werror -Iinclude -fsyntax-only -x c - || \
			{ echo "$$h: not a clean public header"; exit 1; }; \
	done; echo "headers OK: $(words $(HEADERS))"

install: all $(INSTALL_TARGETS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	$(if $(SBIN_PROGRAMS),install -m 755 $(addprefix $(O)/bin/,$(SBIN_PROGRAMS)) $(DESTDIR)$(PREFIX)/sbin/)
	$(if $(BIN_PROGRAMS),install -m 755 $(addprefix $(O)/bin/,$(BIN_PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/)

deb:
	sh tests/deps.sh system
	tests/system/build-debs.sh

system-check:
	sh tests/deps.sh system
	tests/system/run.sh

# The several-server site (PRODUCT.md §13) on systemd containers in a
# network namespace of its own; FOOBAR_SYSTEM_NO_BUILD=1 reuses build/deb.
cluster-check:
	sh tests/deps.sh system
	tests/cluster/run.sh

run:
	sh tests/deps.sh run
	$(MAKE) all
	tests/run-stack.sh $(O)

bench:
	sh tests/deps.sh bench
	$(MAKE) all
	bench/run.sh $(O)

clean:
	rm -rf $(O)

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
