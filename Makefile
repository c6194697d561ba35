# kcsan-triage - one non-recursive Makefile.
#
#   make                      build ./kcsan-triage
#   make check                unit, end-to-end, corpus and kernel tests
#   make bench                benchmarks (numbers, never pass/fail)
#   make install PREFIX=/usr/local DESTDIR=
#   knobs: V=1 (show commands), SANITIZE=address,undefined, DEVELOPER=1 (-Werror)

VERSION    := 0.1
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= cc
PKG_CONFIG ?= pkg-config
PKGS       := libdw libelf libpcre2-8 sqlite3 libxxhash libzstd zlib liblzma capstone
SHARED     ?= ../shared
CORPUS_ONLY ?=

CFLAGS     ?= -O2 -g
WARNINGS   := -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes -Wvla -Wno-unused-parameter
ifdef DEVELOPER
WARNINGS   += -Werror
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ifeq ($(PKG_LIBS),)
$(warning pkg-config found none of: $(PKGS); install libdw-dev libelf-dev libpcre2-dev libsqlite3-dev libxxhash-dev libzstd-dev zlib1g-dev liblzma-dev libbz2-dev libcapstone-dev pkg-config)
endif

comma := ,
FLAVOR     := $(if $(SANITIZE),san-$(subst $(comma),-,$(SANITIZE)),default)
BUILD      := build/$(FLAVOR)
ifdef SANITIZE
SANFLAGS   := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ALL_CFLAGS  = -std=c11 $(WARNINGS) $(CFLAGS) $(SANFLAGS) -Iinclude $(PKG_CFLAGS) \
	      -D_FILE_OFFSET_BITS=64 -DKT_VERSION='"$(VERSION)"' -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS        = $(PKG_LIBS) -lbz2 -lm

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n'
endif

PROG     := kcsan-triage
LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/rules_data.o
MAIN_OBJ := $(BUILD)/main.o
LIBKT    := $(BUILD)/libkt.a
RULES    := $(sort $(wildcard rules/*.rules))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all check unit-test e2e-test corpus-test kernel-test man-test cost-test ci-test store-test bench fuzz fuzz-replay install uninstall clean FORCE
.DELETE_ON_ERROR:

all: $(PROG)

# Rebuild when the flavor (sanitizers), the flags or the warnings (DEVELOPER) change;
# relink when another flavor was built last.
STAMP      := $(FLAVOR) $(CFLAGS) $(WARNINGS)
$(BUILD)/.flavor: FORCE
	@mkdir -p $(BUILD)
	@echo '$(STAMP)' | cmp -s - $@ || echo '$(STAMP)' > $@
build/.current: FORCE
	@mkdir -p build
	@echo '$(STAMP)' | cmp -s - $@ || echo '$(STAMP)' > $@

$(PROG): $(MAIN_OBJ) $(LIBKT) build/.current
	$(quiet) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(LIBKT) $(LIBS)

$(LIBKT): $(LIB_OBJ)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: src/%.c $(BUILD)/.flavor
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The knowledge base, embedded: every rules/*.rules behind a "#@file NAME" line.
$(BUILD)/rules_data.c: $(RULES) Makefile
	@mkdir -p $(dir $@)
	$(quiet) GEN $@
	$(Q){ echo '/* generated from rules/ by the Makefile; do not edit */'; \
	  echo 'const char kt_rules_data[] = {'; \
	  for f in $(RULES); do \
	    { printf '#@file %s\n' "$$f"; cat "$$f"; } | od -An -v -tx1 | \
	      sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  done; \
	  echo '0 };'; } > $@

$(BUILD)/rules_data.o: $(BUILD)/rules_data.c
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# ---------------------------------------------------------------------------
# tests

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIBKT)
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(LIBKT) $(LIBS)

unit-test: $(UNIT_BIN)
	$(Q)for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

e2e-test: $(PROG)
	$(Q)SHARED=$(SHARED) tests/e2e.sh
	$(Q)echo "== transport variants" && python3 tests/variants.py ./$(PROG) fixtures/*.log fixtures/formats/*
	$(Q)echo "== wrapped lines" && python3 tests/wraps.py ./$(PROG) fixtures/formats/*
	$(Q)echo "== rules" && python3 tests/rules_check.py ./$(PROG) $(wildcard tests/rules/*.txt)
	$(Q)echo "== on a terminal (a pseudo-terminal) and piped" && SHARED=$(SHARED) python3 tests/terminal.py ./$(PROG)

# CI gating, SARIF, JUnit, the triage file, JSON schema (validators: .ci/install-deps)
ci-test: $(PROG)
	$(Q)echo "== CI: tests/ci.sh" && SHARED=$(SHARED) tests/ci.sh

man-test: $(PROG)
	$(Q)tests/man.sh
	$(Q)tests/completion.sh

# A suite whose data ($(SHARED)) is missing is skipped, except under CI (CI=true), where it fails.
corpus-test: $(PROG)
	$(Q)if [ -x $(SHARED)/corpus/check ]; then \
	  echo "== corpus: $(SHARED)/corpus/check --bin ./$(PROG)"; \
	  $(SHARED)/corpus/check --bin ./$(PROG) $(CORPUS_ONLY); \
	elif [ "$${CI:-}" = true ]; then echo "FAIL: corpus: $(SHARED)/corpus not present (CI=true: every suite must run)"; exit 1; \
	else echo "== corpus: skipped ($(SHARED)/corpus not present)"; fi

kernel-test: $(PROG)
	$(Q)for t in tests/kernel*.sh tests/maintainers.sh; do SHARED=$(SHARED) $$t || exit 1; done

cost-test: $(PROG)
	$(Q)SHARED=$(SHARED) tests/cost.sh

# concurrent writers, crashes, signals, damaged headers (tests/store.sh)
store-test: $(PROG)
	$(Q)SHARED=$(SHARED) tests/store.sh

check: $(PROG) unit-test e2e-test fuzz-replay man-test corpus-test kernel-test cost-test ci-test store-test
	@echo "all tests passed"

bench: $(PROG)
	$(Q)SHARED=$(SHARED) bench/run.sh

# the symbolizer benchmark's driver (bench/sym.sh)
build/bench/sym_bench: bench/sym_bench.c $(LIBKT)
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBKT) $(LIBS)

# fuzzing: libFuzzer needs clang; the replay driver builds with the test flavor
FUZZ_CC ?= clang
FUZZ_SRC := $(filter-out src/main.c src/cmd_%.c,$(wildcard src/*.c)) $(BUILD)/rules_data.c
fuzz: build/fuzz/fuzz_scan
	mkdir -p build/fuzz/corpus
	cp -n fixtures/*.log fixtures/formats/* build/fuzz/corpus/ 2>/dev/null || true
	build/fuzz/fuzz_scan -max_len=65536 -timeout=10 $(FUZZ_ARGS) build/fuzz/corpus

build/fuzz/fuzz_scan: tests/fuzz/fuzz_scan.c $(FUZZ_SRC) $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(quiet) FUZZ $@
	$(Q)$(FUZZ_CC) -std=c11 -g -O1 -DFUZZ_LIBFUZZER -fsanitize=fuzzer,address,undefined -Iinclude \
		$(PKG_CFLAGS) -o $@ tests/fuzz/fuzz_scan.c $(FUZZ_SRC) $(LIBS)

$(BUILD)/fuzz/replay: tests/fuzz/fuzz_scan.c $(LIBKT)
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBKT) $(LIBS)

fuzz-replay: $(BUILD)/fuzz/replay
	$(Q)echo "== fuzz target, replayed over the fixtures and tests/fuzz/crashes" && \
	$(BUILD)/fuzz/replay fixtures/*.log fixtures/formats/* $(wildcard tests/fuzz/crashes/*)

# ---------------------------------------------------------------------------

BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/$(PROG)
	install -m 644 man/$(PROG).1 $(DESTDIR)$(PREFIX)/share/man/man1/$(PROG).1
	install -m 644 completion/$(PROG).bash $(DESTDIR)$(BASHCOMPDIR)/$(PROG)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/$(PROG) $(DESTDIR)$(PREFIX)/share/man/man1/$(PROG).1 \
	      $(DESTDIR)$(BASHCOMPDIR)/$(PROG)

clean:
	rm -rf build $(PROG)

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
