# pt — early-boot VFIO binding agent.
#
#   make               pt-agent against the system's shared libkmod (gcc)
#   make static        pt-agent fully static against musl (builds its libraries)
#   make check         every test (see README.md)
#   make install       PREFIX=/usr/local DESTDIR=
#   make demo          boot a demo VM in which pt-agent binds an emulated GPU

VERSION := 0.1.0
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BUILD ?= build

CC ?= gcc
PKG_CONFIG ?= pkg-config

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wundef -Wvla -Wcast-align \
	-Wno-missing-field-initializers -Wno-format-truncation
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DPT_VERSION='"$(VERSION)"' $(WARN) \
	-fno-common -ffile-prefix-map=$(CURDIR)/=
CFLAGS ?= -O2 -g
CPPFLAGS ?= -D_FORTIFY_SOURCE=2

KMOD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libkmod 2>/dev/null)
KMOD_LIBS := $(shell $(PKG_CONFIG) --libs libkmod 2>/dev/null || echo -lkmod)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

# The core, shared by pt-agent and the tests. main() lives apart.
CORE := util spec cmdline config log sysfs pci plan bind modules json state agent chaininit
CORE_SRC := $(CORE:%=agent/%.c)
HDRS := $(wildcard agent/*.h)

OBJ := $(BUILD)/obj
ASAN := $(BUILD)/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all static check check-unit check-fixture check-lint check-format format \
	install clean demo e2e
all: $(BUILD)/pt-agent

$(OBJ)/%.o: agent/%.c $(HDRS) | $(OBJ)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(KMOD_CFLAGS) -c -o $@ $<

$(BUILD)/pt-agent: $(CORE:%=$(OBJ)/%.o) $(OBJ)/pt-agent.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(KMOD_LIBS)

$(OBJ) $(ASAN) $(BUILD)/static:
	mkdir -p $@

# ---- static musl build -------------------------------------------------------
# agent/static-deps.sh builds libkmod (xz, zstd), libblkid and libpci from
# Debian's source packages into $(BUILD)/deps once, and writes env.mk.
STATIC_DEPS := $(BUILD)/deps
STATIC_FLAGS := -std=gnu11 -D_GNU_SOURCE -DPT_VERSION='"$(VERSION)"' $(WARN) \
	-fno-common -Os -ffunction-sections -fdata-sections \
	-ffile-prefix-map=$(CURDIR)/=

static: $(STATIC_DEPS)/sysroot/env.mk
	@$(MAKE) --no-print-directory -f Makefile static-link
	@size=$$(stat -c %s $(BUILD)/static/pt-agent); \
	 echo "static pt-agent: $$size bytes stripped ($$((size / 1024)) KiB)"; \
	 file $(BUILD)/static/pt-agent

$(STATIC_DEPS)/sysroot/env.mk: agent/static-deps.sh
	bash agent/static-deps.sh $(STATIC_DEPS)

.PHONY: static-link
static-link:
	@$(MAKE) --no-print-directory -f Makefile $(BUILD)/static/pt-agent \
		STATIC_ENV=$(STATIC_DEPS)/sysroot/env.mk

ifneq ($(STATIC_ENV),)
include $(STATIC_ENV)
$(BUILD)/static/%.o: agent/%.c $(HDRS) $(STATIC_ENV) | $(BUILD)/static
	$(STATIC_CC) $(STATIC_FLAGS) $(STATIC_CFLAGS) -c -o $@ $<

$(BUILD)/static/pt-agent: $(CORE:%=$(BUILD)/static/%.o) $(BUILD)/static/pt-agent.o
	$(STATIC_CC) -static -Os -Wl,--gc-sections -o $@.unstripped $^ $(STATIC_LIBS)
	strip -o $@ $@.unstripped
endif

# ---- tests ---------------------------------------------------------------------
$(ASAN)/%.o: agent/%.c $(HDRS) | $(ASAN)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) $(KMOD_CFLAGS) -c -o $@ $<

$(ASAN)/t-%.o: tests/unit/%.c $(HDRS) tests/unit/*.h | $(ASAN)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes -O1 -g $(SAN_FLAGS) -Iagent -c -o $@ $<

$(ASAN)/f-%.o: tests/fixture/%.c $(HDRS) tests/fixture/*.h | $(ASAN)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes -O1 -g $(SAN_FLAGS) -Iagent -c -o $@ $<

UNIT_TESTS := spec cmdline config plan state json
$(ASAN)/test-%: $(ASAN)/t-test_%.o $(CORE:%=$(ASAN)/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(KMOD_LIBS) $(CMOCKA_LIBS)

FIXTURE_OBJS := $(ASAN)/f-fx.o
$(ASAN)/fixture-%: $(ASAN)/f-test_%.o $(FIXTURE_OBJS) $(CORE:%=$(ASAN)/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(KMOD_LIBS) $(CMOCKA_LIBS)

FIXTURE_TESTS := agent modules

check-unit: $(UNIT_TESTS:%=$(ASAN)/test-%)
	@set -e; for t in $^; do echo "== $$t"; $$t; done

check-fixture: $(FIXTURE_TESTS:%=$(ASAN)/fixture-%) $(BUILD)/pt-agent
	@set -e; for t in $(FIXTURE_TESTS:%=$(ASAN)/fixture-%); do echo "== $$t"; \
		PT_TEST_JQ_SCHEMA=tests/state-schema.jq $$t; done
	bash tests/fixture/cli.sh $(BUILD)/pt-agent

SHELL_SCRIPTS = $(shell git ls-files '*.sh' 2>/dev/null) $(wildcard .ci/run)
check-lint:
	shellcheck -x $(SHELL_SCRIPTS)

check-format:
	@clang-format --dry-run --Werror agent/*.c agent/*.h tests/unit/*.c tests/fixture/*.c \
		tests/fixture/*.h && echo "clang-format: clean"

format:
	clang-format -i agent/*.c agent/*.h tests/unit/*.c tests/fixture/*.c tests/fixture/*.h

check: all check-format check-lint check-unit check-fixture
	@echo "make check: all tests passed"

# ---- install -------------------------------------------------------------------
install: all
	install -D -m 0755 $(BUILD)/pt-agent $(DESTDIR)$(SBINDIR)/pt-agent

clean:
	rm -rf $(OBJ) $(ASAN) $(BUILD)/static $(BUILD)/pt-agent
