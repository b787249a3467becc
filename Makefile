# pysec: `make`, `make check`, `make install PREFIX=... DESTDIR=...`
#
# SANITIZE=1 builds into build-asan/ with AddressSanitizer, UBSan and the
# fast paths' self-checks; `make check` runs the whole suite on the normal
# build and then on that one.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/pysec
SYSCONFDIR ?= /etc
SYSTEMDDIR ?= /etc/systemd/system
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/pysec
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
SCDOC ?= scdoc

CC ?= cc
PKG_CONFIG ?= pkg-config
# git-pysec links only CORE_PKGS: the pre-receive hook starts it on every push,
# and each shared library costs start-up time.  pysec-net (review, serve)
# and the tests link all of PKGS.
CORE_PKGS := libgit2 tree-sitter jansson libpcre2-8 yaml-0.1 inih
NET_PKGS := libcurl libmicrohttpd sqlite3 libpq libcrypto libsystemd
PKGS := $(CORE_PKGS) $(NET_PKGS)

ifeq ($(SANITIZE),1)
BUILD ?= build-asan
# ...and with the fast paths checked against the slow ones (util.h SELF_CHECK)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DPYSEC_SELF_CHECK
OPT ?= -O1 -g
else
BUILD ?= build
SAN :=
OPT ?= -O2 -g
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif

# the tree-sitter grammars compiled in, each fetched and verified at build
# time from the npm package its pin names (grammar/tree-sitter-<g>.pin):
# python for the code, toml for [tool.bandit] in pyproject.toml
GRAMMARS := python toml
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# git-pysec takes CORE_PKGS, and the libraries they need (libssh2, hence
# libcrypto), from their static archives in the same -dev packages.  As 22
# shared libraries, the dynamic loader's work for them was 8.5 M
# instructions of every push, 0.8 M now, and `git-pysec --version` took
# 2.8 ms, 1.5 ms now (bench/README.md, "Measured 2026-11-30 03:20 UTC").
# glibc stays shared, and GSSAPI, whose archive Debian does not ship.  A
# security update of one of these libraries therefore needs pysec rebuilt:
# the package names them (debian/rules, Static-Built-Using).  libssh2.pc
# also names libgpg-error and libssl, which Debian's libssh2 (built on
# libcrypto) does not call, and a machine may lack libgpg-error's archive.
CORE_STATIC_LIBS := $(filter-out -ldl -pthread -lrt -lgpg-error -lssl,\
	$(shell $(PKG_CONFIG) --static --libs $(CORE_PKGS) libssh2 2>/dev/null))
CORE_SHARED_LIBS := $(shell $(PKG_CONFIG) --libs krb5-gssapi 2>/dev/null)
# cli/libgit2_wrap.c replaces three of libgit2's start-up costs in git-pysec
LIBGIT2_WRAP := -Wl,--wrap=mbedtls_x509_crt_parse_file,--wrap=mbedtls_havege_init,--wrap=libssh2_init

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(SAN) $(WARN) \
	$(PKG_CFLAGS) -DPYSEC_SYSCONFDIR='"$(SYSCONFDIR)"' $(CFLAGS)
ALL_LDFLAGS := $(SAN) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lpthread -lm
CORE_LIBS := -Wl,-Bstatic $(CORE_STATIC_LIBS) -Wl,-Bdynamic $(CORE_SHARED_LIBS) -lpthread -lm
# no DT_NEEDED entry for a library nothing in the executable calls
AS_NEEDED := -Wl,--as-needed

# The rooms, each a directory with one header that is its face (README.md,
# "Layout"): util/ (util.h) under everything; the core, diffscan/
# (include/pysec.h); forge/ (include/pysec_forge.h); the hooks' protocol,
# proto/ (include/pysec_proto.h); daemon/ (include/pysec_daemon.h); the front
# ends cli/ (include/pysec_cli.h) and hook/ (include/pysec_hook.h); the two
# executables' command tables, bin/.  Each directory is compiled with its
# own path, util's and include/ only, so a room's private headers stay its
# own (util/ sees only itself).  tests/t/t06-core-layers.sh checks it.
UTIL_SRC := $(wildcard util/*.c)
CORE_SRC := $(wildcard diffscan/*.c)
FORGE_SRC := $(wildcard forge/*.c)
PROTO_SRC := $(wildcard proto/*.c)
# git-pysec: the commands without network libraries, and the daemon's client for hooks
MAIN_SRC := bin/git-pysec.c cli/common.c cli/libgit2_setup.c cli/libgit2_wrap.c cli/cmd_scan.c cli/cmd_rules.c cli/cmd_config.c cli/output.c \
	$(wildcard hook/*.c)
# pysec-net: review and serve
NET_SRC := bin/pysec-net.c cli/common.c cli/libgit2_setup.c cli/output.c cli/cmd_review.c cli/cmd_serve.c \
	$(wildcard daemon/*.c)
RULE_FILES := rules/options.rule rules/exports.rule rules/ruff.rule $(sort $(wildcard rules/python/*.rule rules/text/*.rule))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
# the daemon's files, for the fuzz targets that read what it reads
DAEMON_SRC := $(wildcard daemon/*.c)
FUZZ_TARGETS := scan rules push focus proto webhook forge config toml bandit
# Manual pages: scdoc sources in docs/man, built into $(BUILD)/man/man1, where
# `git pysec <command> --help` also finds them in a build tree.
MAN_SRC := $(wildcard docs/man/*.scd)
MAN_PAGES := $(MAN_SRC:docs/man/%.scd=$(BUILD)/man/man1/%)

UTIL_OBJ := $(UTIL_SRC:%.c=$(BUILD)/%.o)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/rules_builtin.o
FORGE_OBJ := $(FORGE_SRC:%.c=$(BUILD)/%.o)
PROTO_OBJ := $(PROTO_SRC:%.c=$(BUILD)/%.o)
GRAMMAR_OBJ := $(foreach g,$(GRAMMARS),$(BUILD)/grammar/$(g)/parser.o $(BUILD)/grammar/$(g)/scanner.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(BUILD)/%.o)
NET_OBJ := $(NET_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
# each fuzz target built without libFuzzer, to run its seeds (fuzz/seeds_main.c)
SEED_BIN := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_%)

.PHONY: all check check-unit check-integration check-package check-asan install install-systemd install-systemd-own-user clean distclean grammar fuzz fuzz-build man

all: $(BUILD)/git-pysec $(BUILD)/pysec-net $(BUILD)/pysec-hook man

man: $(MAN_PAGES)

$(BUILD)/man/man1/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

grammar: $(GRAMMARS:%=deps/tree-sitter-%/.verified)

deps/tree-sitter-%/.verified: grammar/fetch.sh grammar/tree-sitter-%.pin
	./grammar/fetch.sh grammar/tree-sitter-$*.pin deps/tree-sitter-$*

# A grammar is generated code: its own warnings are not ours to fix, so it
# is compiled without -Wextra, but with the same sanitizers.
define GRAMMAR_RULE
$$(BUILD)/grammar/$(1)/%.o: deps/tree-sitter-$(1)/.verified
	@mkdir -p $$(dir $$@)
	$$(CC) -std=c11 $$(OPT) $$(SAN) -w -Ideps/tree-sitter-$(1) -c deps/tree-sitter-$(1)/$$*.c -o $$@
endef
$(foreach g,$(GRAMMARS),$(eval $(call GRAMMAR_RULE,$(g))))

$(BUILD)/libpysec.a: $(UTIL_OBJ) $(CORE_OBJ) $(FORGE_OBJ) $(PROTO_OBJ) $(GRAMMAR_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libpysecd.a: $(DAEMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/rules_builtin.c: rules/embed.sh $(RULE_FILES)
	@mkdir -p $(dir $@)
	./rules/embed.sh $(RULE_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/rules_builtin.o: $(BUILD)/rules_builtin.c
	$(CC) $(ALL_CFLAGS) -Idiffscan -Iutil -Iinclude -c $< -o $@

# a source sees its own room (the directory it is in), util/ and include/
ROOM_INC = -I$(firstword $(subst /, ,$<)) -Iutil -Iinclude
$(BUILD)/util/%.o: ROOM_INC = -Iutil
# the unit tests and fuzz targets may include the private headers of the rooms they test
TEST_INC := -Idiffscan -Iforge -Idaemon -Iutil -Iinclude

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ROOM_INC) -MMD -MP -c $< -o $@

$(BUILD)/diffscan/format_sarif.o: ALL_CFLAGS += -DPYSEC_URL='"file://$(DOCDIR)/README.md"'

# The core's objects, not libpysec.a (which holds the forge library too):
# with CORE_LIBS only, a call into the network code fails to link.  No file
# of daemon/: the hook reaches the daemon through proto/.
GIT_PYSEC_OBJ := $(MAIN_OBJ) $(PROTO_OBJ) $(CORE_OBJ) $(UTIL_OBJ) $(GRAMMAR_OBJ)
$(BUILD)/git-pysec: $(GIT_PYSEC_OBJ)
	$(CC) $(ALL_LDFLAGS) $(AS_NEEDED) $(LIBGIT2_WRAP) -o $@ $(GIT_PYSEC_OBJ) $(CORE_LIBS)

# pysec-hook, the hook's client for the daemon (bin/pysec-hook.c): util/ and
# proto/ only, and no libgit2 (util/text.c calls it), statically linked
# (no dynamic loader on every push) except under the sanitizers, which need it.
HOOK_CLIENT_OBJ := $(BUILD)/bin/pysec-hook.o $(PROTO_OBJ) $(filter-out $(BUILD)/util/text.o,$(UTIL_OBJ))
ifneq ($(SANITIZE),1)
HOOK_CLIENT_STATIC := -static-pie
endif
$(BUILD)/pysec-hook: $(HOOK_CLIENT_OBJ)
	$(CC) $(ALL_LDFLAGS) $(HOOK_CLIENT_STATIC) -o $@ $(HOOK_CLIENT_OBJ)

$(BUILD)/pysec-net: $(NET_OBJ) $(BUILD)/libpysec.a
	$(CC) $(ALL_LDFLAGS) $(AS_NEEDED) -o $@ $(NET_OBJ) $(BUILD)/libpysec.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libpysec.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_INC) $(ALL_LDFLAGS) $(UNIT_LDFLAGS) -o $@ $< $(UNIT_LIBS) $(BUILD)/libpysec.a $(LIBS) -lcmocka

# the daemon's tests (test_daemon_*.c) link its files too; test_daemon_threads
# makes thread creation fail where it chooses (ld's --wrap)
DAEMON_UNIT_BIN := $(filter $(BUILD)/tests/test_daemon_%,$(UNIT_BIN))
$(DAEMON_UNIT_BIN): $(BUILD)/libpysecd.a
$(DAEMON_UNIT_BIN): UNIT_LIBS = $(BUILD)/libpysecd.a
$(BUILD)/tests/test_daemon_threads: UNIT_LDFLAGS = -Wl,--wrap=pthread_create -Wl,--wrap=pthread_join

$(BUILD)/tests/fuzz_%: fuzz/fuzz_%.c fuzz/seeds_main.c $(BUILD)/libpysecd.a $(BUILD)/libpysec.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_INC) $(ALL_LDFLAGS) -o $@ fuzz/fuzz_$*.c fuzz/seeds_main.c $(BUILD)/libpysecd.a \
		$(BUILD)/libpysec.a $(LIBS)

# Every program runs, then the target fails if any did; then each fuzz target on its seeds.
check-unit: $(UNIT_BIN) $(SEED_BIN)
	@failed=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || failed=1; done; \
	for t in $(FUZZ_TARGETS); do echo "== fuzz/seeds/$$t"; $(BUILD)/tests/fuzz_$$t fuzz/seeds/$$t || failed=1; done; \
	exit $$failed

# The validators the format tests run (tests/tools/package.json): npm ci
# installs exactly the versions package-lock.json pins, each checked
# against its sha512; no install scripts run.
TEST_TOOLS := tests/tools/node_modules/.installed
$(TEST_TOOLS): tests/tools/package.json tests/tools/package-lock.json
	cd tests/tools && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	chmod u+x tests/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
	touch $@

check-integration: $(BUILD)/git-pysec $(BUILD)/pysec-net $(BUILD)/pysec-hook man $(TEST_TOOLS)
	PYSEC_BIN=$(abspath $(BUILD)/git-pysec) PYSEC_MAKE_VARS="BUILD=$(BUILD) SANITIZE=$(SANITIZE)" \
		./tests/run-integration.sh

# The Debian package: built from a copy of the tree, lintian, installed, used.
check-package:
	./tests/package.sh

# The whole suite, then again under ASan/UBSan, then the Debian package.
check:
	$(MAKE) check-unit check-integration
	$(MAKE) SANITIZE=1 check-unit check-integration
	$(MAKE) check-package

# pysec-net goes next to git-pysec: that is where `git pysec review` and `serve` look for it.
# The bash completion is named after git-pysec: git's completion loads it for `git pysec`.
install: $(BUILD)/git-pysec $(BUILD)/pysec-net $(BUILD)/pysec-hook man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/config $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BUILD)/git-pysec $(BUILD)/pysec-net $(BUILD)/pysec-hook $(DESTDIR)$(BINDIR)/
	install -m 0644 config/*.conf $(DESTDIR)$(DATADIR)/config/
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 completion/git-pysec.bash $(DESTDIR)$(BASHCOMPDIR)/git-pysec
	install -m 0644 completion/_git-pysec $(DESTDIR)$(ZSHCOMPDIR)/_git-pysec

# The daemon's units (`git pysec serve`), run as the git user; the drop-ins
# that run it as a user of its own instead.  README.md, "Deploying the
# daemon", says how to enable them.
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDDIR)
	install -m 0644 daemon/systemd/pysec.service daemon/systemd/pysec.socket $(DESTDIR)$(SYSTEMDDIR)/

install-systemd-own-user: install-systemd
	install -D -m 0644 daemon/systemd/own-user/pysec.service.d/own-user.conf \
		$(DESTDIR)$(SYSTEMDDIR)/pysec.service.d/own-user.conf
	install -D -m 0644 daemon/systemd/own-user/pysec.socket.d/own-user.conf \
		$(DESTDIR)$(SYSTEMDDIR)/pysec.socket.d/own-user.conf

# Coverage-guided fuzzing with clang's libFuzzer: `make fuzz FUZZ_SECONDS=60` runs each
# target for that long on its seeds and a corpus kept in build-fuzz/; fuzz/README.md
# says how to run them for longer and what they found.
FUZZ_SECONDS ?= 30
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang SANITIZE=1 OPT="-O1 -g -fsanitize=fuzzer-no-link" \
		build-fuzz/libpysec.a build-fuzz/libpysecd.a
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "clang ... fuzz/fuzz_$$t.c -o build-fuzz/fuzz_$$t"; \
		clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined $(TEST_INC) \
			$(PKG_CFLAGS) fuzz/fuzz_$$t.c build-fuzz/libpysecd.a build-fuzz/libpysec.a $(LIBS) \
			-o build-fuzz/fuzz_$$t; \
	done

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus-$$t; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
			build-fuzz/corpus-$$t fuzz/seeds/$$t 2>&1 | tail -3; \
	done

clean:
	rm -rf build build-asan build-fuzz

distclean: clean
	rm -rf deps

-include $(wildcard $(foreach d,util diffscan forge proto daemon cli hook bin,$(BUILD)/$(d)/*.d))
