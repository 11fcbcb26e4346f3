# pt — early-boot VFIO binding agent.
#
#   make               pt-agent against the system's shared libkmod (gcc)
#   make static        pt-agent fully static against musl (builds its libraries)
#   make check         every test (see README.md)
#   make install       PREFIX=/usr/local DESTDIR=
#   make demo          boot a demo VM in which pt-agent binds an emulated GPU

VERSION := 0.1.0
SHELL := /bin/bash
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# Where each initramfs generator looks for its hooks.
DRACUTDIR ?= /usr/lib/dracut/modules.d
INITRAMFS_TOOLS_DIR ?= /usr/share/initramfs-tools
MKINITCPIO_DIR ?= /usr/lib/initcpio
SYSTEMD_UNIT_DIR ?= /usr/lib/systemd/system
# pt-vm's VM files: $(SYSCONFDIR)/pt/vm/NAME.conf
SYSCONFDIR ?= /etc
BUILD ?= build

CC ?= gcc
PKG_CONFIG ?= pkg-config

# Warnings are errors here and in CI; a distribution's build may set WERROR=.
WERROR ?= -Werror
WARN := -Wall -Wextra $(WERROR) -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wundef -Wvla -Wcast-align \
	-Wno-missing-field-initializers -Wno-format-truncation
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DPT_VERSION='"$(VERSION)"' $(WARN) \
	-fno-common -ffile-prefix-map=$(CURDIR)/=
CFLAGS ?= -O2 -g
# A build system with its own hardening flags (nixpkgs) passes CPPFLAGS=.
CPPFLAGS ?= -D_FORTIFY_SOURCE=2

KMOD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libkmod 2>/dev/null)
KMOD_LIBS := $(shell $(PKG_CONFIG) --libs libkmod 2>/dev/null || echo -lkmod) \
	$(shell $(PKG_CONFIG) --libs blkid 2>/dev/null || echo -lblkid)
KMOD_CFLAGS += $(shell $(PKG_CONFIG) --cflags blkid 2>/dev/null)
PCI_CFLAGS := $(shell $(PKG_CONFIG) --cflags libpci 2>/dev/null)
PCI_LIBS := $(shell $(PKG_CONFIG) --libs libpci 2>/dev/null || echo -lpci)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

# The core, shared by pt-agent and the tests. main() lives apart.
CORE := util spec cmdline config log mark sysfs watch pci group plan bind modules rootdev fb json jsonr \
	state agent chaininit variants
# pt-status: the core plus its own files; libpci only here.
STATUS := text names node stateread groups status report statusjson qemuargs vmhost
# pt-vm: pt-status's parts plus its own.
VM := vmconf vmdisk vm
CORE_SRC := $(CORE:%=agent/%.c)
HDRS := $(wildcard agent/*.h)

OBJ := $(BUILD)/obj
ASAN := $(BUILD)/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Keep objects: they are not throwaway intermediates.
.SECONDARY:

.PHONY: all static check check-all check-static-deps check-fresh check-unit check-fixture check-lint check-format format \
	install clean demo check-e2e check-status check-vm check-nix check-integration check-fuzz \
	check-valgrind fuzz bench
all: $(BUILD)/pt-agent $(BUILD)/pt-status $(BUILD)/pt-vm

$(OBJ)/%.o: agent/%.c $(HDRS) | $(OBJ)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(KMOD_CFLAGS) $(PCI_CFLAGS) -c -o $@ $<

$(BUILD)/pt-agent: $(CORE:%=$(OBJ)/%.o) $(OBJ)/pt-agent.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(KMOD_LIBS)

$(BUILD)/pt-status: $(CORE:%=$(OBJ)/%.o) $(STATUS:%=$(OBJ)/%.o) $(OBJ)/pt-status.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PCI_LIBS) $(KMOD_LIBS)

$(BUILD)/pt-vm: $(CORE:%=$(OBJ)/%.o) $(STATUS:%=$(OBJ)/%.o) $(VM:%=$(OBJ)/%.o) $(OBJ)/pt-vm.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(KMOD_LIBS)

$(OBJ) $(ASAN) $(BUILD)/static:
	mkdir -p $@

# ---- static musl build -------------------------------------------------------
# agent/static-deps.sh builds libkmod (xz, zstd), libblkid and libpci from
# Debian's source packages into $(BUILD)/deps once, and writes env.mk.
STATIC_DEPS := $(BUILD)/deps
STATIC_FLAGS := -std=gnu11 -D_GNU_SOURCE -DPT_VERSION='"$(VERSION)"' $(WARN) \
	-fno-common -Os -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffile-prefix-map=$(CURDIR)/=

static: $(STATIC_DEPS)/sysroot/env.mk
	@$(MAKE) --no-print-directory -f Makefile static-link
	@for p in pt-agent pt-status pt-vm; do \
	 size=$$(stat -c %s $(BUILD)/static/$$p); \
	 echo "static $$p: $$size bytes stripped ($$((size / 1024)) KiB)"; \
	 if command -v file >/dev/null; then file $(BUILD)/static/$$p; fi; done

$(STATIC_DEPS)/sysroot/env.mk: agent/static-deps.sh agent/apt-sources.sh agent/kmod-compressed-finit.patch
	bash agent/static-deps.sh $(STATIC_DEPS)

.PHONY: static-link
static-link:
	@$(MAKE) --no-print-directory -f Makefile $(BUILD)/static/pt-agent \
		$(BUILD)/static/pt-status $(BUILD)/static/pt-vm STATIC_ENV=$(STATIC_DEPS)/sysroot/env.mk

# The objects pt-agent links (tests/bench/run.sh relinks them with a map).
.PHONY: print-agent-objects
print-agent-objects:
	@echo $(CORE:%=$(BUILD)/static/%.o) $(BUILD)/static/pt-agent.o

# The benchmark's stage build (tests/bench/run.sh: where a run's time goes):
# the agent's objects with PT_STAGE() compiled in (agent/util.h). Never
# installed or shipped.
.PHONY: static-stages
static-stages: $(STATIC_DEPS)/sysroot/env.mk
	@$(MAKE) --no-print-directory -f Makefile $(BUILD)/stages/pt-agent \
		STATIC_ENV=$(STATIC_DEPS)/sysroot/env.mk

$(BUILD)/stages:
	mkdir -p $@

ifneq ($(STATIC_ENV),)
include $(STATIC_ENV)
$(BUILD)/stages/%.o: agent/%.c $(HDRS) $(STATIC_ENV) | $(BUILD)/stages
	$(STATIC_CC) $(STATIC_FLAGS) $(STATIC_CFLAGS) -DPT_STAGES -c -o $@ $<

$(BUILD)/stages/pt-agent: $(CORE:%=$(BUILD)/stages/%.o) $(BUILD)/stages/pt-agent.o
	$(STATIC_CC) -static -Os -Wl,--gc-sections -o $@.unstripped $^ $(STATIC_LIBS)
	strip -R .eh_frame -R .eh_frame_hdr -o $@ $@.unstripped

$(BUILD)/static/%.o: agent/%.c $(HDRS) $(STATIC_ENV) | $(BUILD)/static
	$(STATIC_CC) $(STATIC_FLAGS) $(STATIC_CFLAGS) -c -o $@ $<

$(BUILD)/static/pt-agent: $(CORE:%=$(BUILD)/static/%.o) $(BUILD)/static/pt-agent.o
	$(STATIC_CC) -static -Os -Wl,--gc-sections -o $@.unstripped $^ $(STATIC_LIBS)
	strip -R .eh_frame -R .eh_frame_hdr -o $@ $@.unstripped

$(BUILD)/static/pt-status: $(CORE:%=$(BUILD)/static/%.o) $(STATUS:%=$(BUILD)/static/%.o) \
		$(BUILD)/static/pt-status.o
	$(STATIC_CC) -static -Os -Wl,--gc-sections -o $@.unstripped $^ $(STATIC_LIBS)
	strip -R .eh_frame -R .eh_frame_hdr -o $@ $@.unstripped

$(BUILD)/static/pt-vm: $(CORE:%=$(BUILD)/static/%.o) $(STATUS:%=$(BUILD)/static/%.o) \
		$(VM:%=$(BUILD)/static/%.o) $(BUILD)/static/pt-vm.o
	$(STATIC_CC) -static -Os -Wl,--gc-sections -o $@.unstripped $^ $(STATIC_LIBS)
	strip -R .eh_frame -R .eh_frame_hdr -o $@ $@.unstripped
endif

# ---- tests ---------------------------------------------------------------------
$(ASAN)/%.o: agent/%.c $(HDRS) | $(ASAN)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) $(KMOD_CFLAGS) $(PCI_CFLAGS) -c -o $@ $<

$(ASAN)/t-%.o: tests/unit/%.c $(HDRS) tests/unit/*.h | $(ASAN)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes -O1 -g $(SAN_FLAGS) -Iagent -c -o $@ $<

$(ASAN)/f-%.o: tests/fixture/%.c $(HDRS) tests/fixture/*.h | $(ASAN)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes -O1 -g $(SAN_FLAGS) -Iagent -c -o $@ $<

UNIT_TESTS := spec cmdline config plan group state json jsonr vm
$(ASAN)/test-%: $(ASAN)/t-test_%.o $(CORE:%=$(ASAN)/%.o) $(STATUS:%=$(ASAN)/%.o) \
		$(VM:%=$(ASAN)/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(PCI_LIBS) $(KMOD_LIBS) $(CMOCKA_LIBS)

FIXTURE_OBJS := $(ASAN)/f-fx.o
$(ASAN)/fixture-%: $(ASAN)/f-test_%.o $(FIXTURE_OBJS) $(CORE:%=$(ASAN)/%.o) \
		$(STATUS:%=$(ASAN)/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(PCI_LIBS) $(KMOD_LIBS) $(CMOCKA_LIBS)

FIXTURE_TESTS := agent modules faults

check-unit: $(UNIT_TESTS:%=$(ASAN)/test-%)
	@set -e; for t in $^; do echo "== $$t"; $$t; done
	bash tests/unit/layers.sh

check-fixture: $(FIXTURE_TESTS:%=$(ASAN)/fixture-%) $(BUILD)/pt-agent static
	@set -e; for t in $(FIXTURE_TESTS:%=$(ASAN)/fixture-%); do echo "== $$t"; \
		PT_TEST_JQ_SCHEMA=tests/state-schema.jq $$t; done
	bash tests/fixture/cli.sh $(BUILD)/pt-agent $(BUILD)/static/pt-agent

SHELL_SCRIPTS = $(shell git ls-files '*.sh' 2>/dev/null) $(wildcard .ci/run)
MANPAGES = $(wildcard man/*.8)
GUEST_SCRIPTS = $(wildcard tests/e2e/*.init tests/bench/*.init)
check-lint:
	shellcheck -x $(SHELL_SCRIPTS)
	shellcheck -s sh $(GUEST_SCRIPTS)
	@for m in $(MANPAGES); do \
		out=$$(groff -man -ww -z $$m 2>&1); \
		if [ -n "$$out" ]; then echo "$$m: $$out"; exit 1; fi; \
	done; echo "man pages: groff reports no warnings"

C_SOURCES = agent/*.c agent/*.h tests/unit/*.c tests/unit/*.h tests/fixture/*.c \
	tests/fixture/*.h tests/fuzz/*.c tests/bench/*.c
check-format:
	@clang-format --dry-run --Werror $(C_SOURCES) && echo "clang-format: clean"

format:
	clang-format -i $(C_SOURCES)

# The real static agent in Debian's real kernels under QEMU (TCG): every
# scenario on 6.1 and 6.12 (.ko.xz), a few on 6.12 with .ko.zst modules;
# KERNEL="6.1 6.12 6.12-zst" (a list) picks the kernels. Then pt-vm
# starting L2 QEMUs inside the (6.1) test VM (tests/e2e/vm.sh).
KERNEL ?=
check-e2e:
	tests/e2e/apt-sources-test.sh
	PT_E2E_KERNEL='$(KERNEL)' tests/e2e/run.sh $(BUILD)
	tests/e2e/vm.sh $(BUILD)

# pt-vm against fixture trees, for both builds.
check-vm: all static
	bash tests/vm/run.sh $(BUILD)/pt-vm $(BUILD)/pt-status
	bash tests/vm/run.sh $(BUILD)/static/pt-vm $(BUILD)/static/pt-status

# The README's first command: a demo VM in which pt-agent binds a GPU;
# KERNEL=6.12 boots Debian 13's kernel instead of Debian 12's 6.1.
demo:
	PT_E2E_KERNEL='$(KERNEL)' tests/e2e/demo.sh $(BUILD)

# pt-status against fixture trees, golden output, for both builds.
check-status: all static
	bash tests/status/run.sh $(BUILD)/pt-status
	bash tests/status/run.sh $(BUILD)/static/pt-status

# The NixOS module and example under nixpkgs' real module system (from
# ../shared/nixos-eval; skipped, and said so, when it is absent) and the
# module's logic, evaluated with nix-instantiate; nothing is built.
check-nix:
	bash tests/nix/run.sh

# The integrations through the real generators (dracut, initramfs-tools,
# mkinitcpio from ../shared/mkinitcpio), booted in QEMU into a real root
# file system; the vfio-pci variant drivers each one puts in. As root.
check-integration: static
	tests/integration/run.sh $(BUILD)

# A short run of every fuzzer (the long campaign: tests/fuzz/README.md).
check-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=12

# The real glibc binary on fixture trees under valgrind's memcheck, its
# worker and guarded-write children included: no error, no leak.
check-valgrind: $(BUILD)/pt-agent $(BUILD)/pt-vm $(BUILD)/pt-status
	PT_CLI_WRAP="valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect" \
		bash tests/fixture/cli.sh $(BUILD)/pt-agent
	PT_VM_WRAP="valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect" \
		bash tests/vm/run.sh $(BUILD)/pt-vm $(BUILD)/pt-status

# make check first installs what the suites need (tests/install-deps.sh: as
# root it installs the missing Debian packages; as a user it prints the
# apt-get line to run), then runs every suite in a make that reads this file
# again, so pkg-config sees the libraries just installed.
check:
	@bash tests/install-deps.sh test
	@$(MAKE) --no-print-directory check-all

check-all: all static-stages check-format check-lint check-static-deps check-unit check-fixture \
	check-valgrind check-fuzz check-status check-vm check-nix check-e2e check-integration
	@echo "make check: all tests passed"

# The static build's source fetch against a local archive with broken
# versions (tests/static-deps/fallback.sh).
check-static-deps:
	bash tests/static-deps/fallback.sh

# The README's two commands in a clean Debian 12 root (tests/fresh/run.sh):
# too long for every CI run; run it before any change to how things are
# installed or fetched.
check-fresh:
	bash tests/fresh/run.sh

# ---- fuzzing (libFuzzer, clang) ---------------------------------------------------
FUZZ_CC ?= clang
FUZZ := spec cmdline config state
FUZZ_SECONDS ?= 15
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -DPT_VERSION='"$(VERSION)"' -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iagent $(KMOD_CFLAGS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRC) $(KMOD_LIBS)

# Run each harness for FUZZ_SECONDS on its committed seeds; new inputs go to
# $(BUILD)/fuzz/corpus-NAME, crashes to $(BUILD)/fuzz/crash-NAME-*.
fuzz: $(FUZZ:%=$(BUILD)/fuzz/fuzz_%)
	@set -e; for f in $(FUZZ); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$f; \
		echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
			-artifact_prefix=$(BUILD)/fuzz/crash-$$f- -print_final_stats=1 \
			$(BUILD)/fuzz/corpus-$$f tests/fuzz/corpus/$$f 2>&1 | \
			grep -E '^(stat::|#[0-9]+ *DONE|==|SUMMARY|artifact)' ; \
		test "$${PIPESTATUS[0]}" = 0; \
	done

# ---- benchmarks (tests/bench/run.sh; results in BENCHMARKS.md) -------------
bench: static
	PT_BENCH_WARN='$(WARN)' bash tests/bench/run.sh $(BUILD)

# ---- install -------------------------------------------------------------------
install: all
	install -D -m 0755 $(BUILD)/pt-agent $(DESTDIR)$(SBINDIR)/pt-agent
	install -D -m 0755 $(BUILD)/pt-status $(DESTDIR)$(BINDIR)/pt-status
	install -D -m 0755 $(BUILD)/pt-vm $(DESTDIR)$(SBINDIR)/pt-vm
	sed 's|@SBINDIR@|$(SBINDIR)|' systemd/pt-vm@.service >$(BUILD)/pt-vm@.service
	install -D -m 0644 $(BUILD)/pt-vm@.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pt-vm@.service
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/pt/vm
	for m in $(MANPAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/$$(basename $$m); done
	install -D -m 0644 initrd/pt-agent.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pt-agent.service
	install -D -m 0755 dracut/90pt/module-setup.sh $(DESTDIR)$(DRACUTDIR)/90pt/module-setup.sh
	install -D -m 0755 dracut/90pt/pt-agent.sh $(DESTDIR)$(DRACUTDIR)/90pt/pt-agent.sh
	install -D -m 0644 initrd/pt-agent.service $(DESTDIR)$(DRACUTDIR)/90pt/pt-agent.service
	install -D -m 0755 initrd/initramfs-tools/hooks/pt $(DESTDIR)$(INITRAMFS_TOOLS_DIR)/hooks/pt
	install -D -m 0755 initrd/initramfs-tools/scripts/init-top/00-pt \
		$(DESTDIR)$(INITRAMFS_TOOLS_DIR)/scripts/init-top/00-pt
	install -D -m 0644 initrd/mkinitcpio/install/pt $(DESTDIR)$(MKINITCPIO_DIR)/install/pt
	install -D -m 0644 initrd/mkinitcpio/install/sd-pt $(DESTDIR)$(MKINITCPIO_DIR)/install/sd-pt
	install -D -m 0644 initrd/mkinitcpio/hooks/pt $(DESTDIR)$(MKINITCPIO_DIR)/hooks/pt

clean:
	rm -rf $(OBJ) $(ASAN) $(BUILD)/static $(BUILD)/pt-agent $(BUILD)/pt-status $(BUILD)/pt-vm
