# kcsan-triage - one non-recursive Makefile.
#
#   make                      build ./kcsan-triage
#   make check                unit, end-to-end, corpus and kernel tests
#   make bench                benchmarks (numbers, never pass/fail)
#   make install PREFIX=/usr/local DESTDIR=
#   knobs: V=1 (show commands), SANITIZE=address,undefined, DEVELOPER=1 (-Werror),
#          MALLOC=libc (glibc's allocator instead of mimalloc)

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
# a per-report lookup that scans a table stops the program (store_stmt_finalize())
WARNINGS   += -DKT_DEVELOPER
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# capstone is loaded when first used (src/capstone_lazy.c), by its soname: not linked
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(filter-out capstone,$(PKGS)) 2>/dev/null)
CAPSTONE_SONAME := $(shell readelf -d "$$($(PKG_CONFIG) --variable=libdir capstone 2>/dev/null)/libcapstone.so" 2>/dev/null | \
		     sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
ifneq ($(CAPSTONE_SONAME),)
PKG_CFLAGS += -DCAPSTONE_SONAME='"$(CAPSTONE_SONAME)"'
endif
ifeq ($(PKG_LIBS),)
$(warning pkg-config found none of: $(PKGS); install libdw-dev libelf-dev libpcre2-dev libsqlite3-dev libxxhash-dev libzstd-dev zlib1g-dev liblzma-dev libbz2-dev libcapstone-dev pkg-config)
endif

comma := ,
FLAVOR     := $(if $(SANITIZE),san-$(subst $(comma),-,$(SANITIZE)),default)
BUILD      := build/$(FLAVOR)
ifdef SANITIZE
SANFLAGS   := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ALL_CFLAGS  = -std=c11 -pthread $(WARNINGS) $(CFLAGS) $(SANFLAGS) -Iinclude $(PKG_CFLAGS) \
	      -D_FILE_OFFSET_BITS=64 -DKT_VERSION='"$(VERSION)"' -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -pthread
LIBS        = $(PKG_LIBS) -lbz2 -lm -ldl

# The program's allocator: mimalloc (libmimalloc-dev, no pkg-config file)
# when installed, linked ahead of libc so that it serves every library too.
# Storing a report allocates and frees many small blocks on three threads,
# where glibc's allocator took about a fifth of the CPU time (bench notes).
# Not with sanitizers, which bring their own; MALLOC=libc leaves it out.
MALLOC     ?= mimalloc
ifeq ($(SANITIZE)$(MALLOC),mimalloc)
MALLOC_LIBS := $(if $(wildcard $(shell $(CC) -print-file-name=libmimalloc.so)),\
		 -Wl$(comma)--push-state$(comma)--no-as-needed -lmimalloc -Wl$(comma)--pop-state)
endif

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

.PHONY: all check unit-test e2e-test hostile-test corpus-test kernel-test man-test cost-test ci-test store-test rescan-test jobs-test ahead-test bench fuzz fuzz-replay install uninstall clean FORCE
.DELETE_ON_ERROR:

all: $(PROG)

# Rebuild when the flavor (sanitizers), the flags or the warnings (DEVELOPER) change;
# relink when another flavor was built last.
STAMP      := $(FLAVOR) $(CFLAGS) $(WARNINGS) $(MALLOC_LIBS)
$(BUILD)/.flavor: FORCE
	@mkdir -p $(BUILD)
	@echo '$(STAMP)' | cmp -s - $@ || echo '$(STAMP)' > $@
build/.current: FORCE
	@mkdir -p build
	@echo '$(STAMP)' | cmp -s - $@ || echo '$(STAMP)' > $@

$(PROG): $(MAIN_OBJ) $(LIBKT) build/.current
	$(quiet) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(LIBKT) $(MALLOC_LIBS) $(LIBS)

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

# every command on hostile input: the exit status, the message, peak memory and time budgets
hostile-test: $(PROG)
	$(Q)SHARED=$(SHARED) tests/hostile.sh

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

# a rescan counting unchanged files from their records against a full parse (tests/rescan.sh)
rescan-test: $(PROG)
	$(Q)echo "== scan, files counted from their records: tests/rescan.sh" && SHARED=$(SHARED) tests/rescan.sh

# scan --jobs N against --jobs 1: output, warnings, store (tests/jobs.sh)
jobs-test: $(PROG)
	$(Q)echo "== scan --jobs: tests/jobs.sh" && SHARED=$(SHARED) tests/jobs.sh

# a large log read ahead on a second thread against one thread (tests/read_ahead.sh)
ahead-test: $(PROG)
	$(Q)echo "== scan, read ahead: tests/read_ahead.sh" && SHARED=$(SHARED) tests/read_ahead.sh

check: $(PROG) unit-test e2e-test hostile-test fuzz-replay man-test corpus-test kernel-test cost-test ci-test store-test rescan-test jobs-test ahead-test
	@echo "all tests passed"

bench: $(PROG)
	$(Q)SHARED=$(SHARED) bench/run.sh

# the symbolizer benchmark's driver (bench/sym.sh)
build/bench/sym_bench: bench/sym_bench.c $(LIBKT)
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBKT) $(LIBS)

# Fuzzing (tests/fuzz/fuzz.h): one libFuzzer target per entry point, built
# with clang into build/fuzz (sanitizer reports abort, so every finding leaves
# an artifact); `make fuzz FUZZ_SECONDS=N` runs each for N seconds (0: until
# stopped), one after the other, on a corpus seeded under build/fuzz/corpus.
# The replay drivers build with cc in the test flavor; `make check` runs them
# over each target's seeds and its regression inputs, tests/fuzz/crashes/T/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := scan rules sym cost render maintainers image mailmeta
FUZZ_SRC     := $(filter-out src/main.c src/cmd_%.c,$(wildcard src/*.c))
FUZZ_OBJ     := $(patsubst src/%.c,build/fuzz/obj/%.o,$(FUZZ_SRC)) build/fuzz/obj/rules_data.o
FUZZ_CFLAGS  := -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -D_FILE_OFFSET_BITS=64 -DKT_VERSION='"$(VERSION)"' -Iinclude $(PKG_CFLAGS)
# (-close_fd_mask=2: the targets' own warnings are closed off; libFuzzer and the
# sanitizers report on a copy of stderr, so a finding is still printed)
FUZZ_RUN     := -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=2
FUZZ_ELF     := vmlinux fix_mod.ko
# the seeds of each target (directories and files)
FUZZ_SEEDS_scan   := fixtures/*.log fixtures/formats/* tests/fuzz/seeds/scan/*
FUZZ_SEEDS_rules  := rules/*.rules tests/fuzz/seeds/rules/*
FUZZ_SEEDS_sym     = $(addprefix $(FUZZ_ELFDIR)/,$(FUZZ_ELF))
FUZZ_SEEDS_cost    = fixtures/cost/*.o $(addprefix $(FUZZ_ELFDIR)/,$(FUZZ_ELF))
FUZZ_SEEDS_render := tests/fuzz/seeds/render/*
FUZZ_SEEDS_image   = $(addprefix $(FUZZ_ELFDIR)/,$(FUZZ_ELF))
FUZZ_SEEDS_maintainers := fixtures/maintainers/MAINTAINERS tests/fuzz/seeds/maintainers/*
FUZZ_SEEDS_mailmeta := fixtures/formats/syzbot-* fixtures/formats/dmesg-T.log fixtures/formats/journal-iso.log fixtures/formats/syslog.log
# a local seed, never committed: the head of the kernel tree's MAINTAINERS when the cache has one
FUZZ_KERNEL_MAINT := build/kernel-cache/linux-source-6.1/MAINTAINERS
FUZZ_ARGS_scan    := -max_len=65536
FUZZ_ARGS_maintainers := -max_len=32768

fuzz: FUZZ_ELFDIR := build/fuzz/elf
fuzz: $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS)) $(addprefix build/fuzz/elf/,$(FUZZ_ELF))
	$(Q)for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t build/fuzz/artifacts/$$t && \
	  case $$t in \
	  scan) cp -n $(FUZZ_SEEDS_scan) build/fuzz/corpus/$$t/ || true ;; \
	  rules) cp -n $(FUZZ_SEEDS_rules) build/fuzz/corpus/$$t/ || true ;; \
	  sym) cp -n $(FUZZ_SEEDS_sym) build/fuzz/corpus/$$t/ || true ;; \
	  image) cp -n $(FUZZ_SEEDS_image) build/fuzz/corpus/$$t/ || true ;; \
	  cost) cp -n $(FUZZ_SEEDS_cost) build/fuzz/corpus/$$t/ || true ;; \
	  render) cp -n $(FUZZ_SEEDS_render) build/fuzz/corpus/$$t/ || true ;; \
	  mailmeta) cp -n $(FUZZ_SEEDS_mailmeta) build/fuzz/corpus/$$t/ || true ;; \
	  maintainers) cp -n $(FUZZ_SEEDS_maintainers) build/fuzz/corpus/$$t/ || true; \
	    test -f $(FUZZ_KERNEL_MAINT) && ! test -f build/fuzz/corpus/$$t/kernel-head && \
	      head -c 32768 $(FUZZ_KERNEL_MAINT) >build/fuzz/corpus/$$t/kernel-head || true ;; \
	  esac; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  build/fuzz/fuzz_$$t $(FUZZ_RUN) -artifact_prefix=build/fuzz/artifacts/$$t/ \
	    $$(case $$t in scan) echo '$(FUZZ_ARGS_scan)';; maintainers) echo '$(FUZZ_ARGS_maintainers)';; esac) \
	    $(FUZZ_ARGS) build/fuzz/corpus/$$t || exit 1; \
	done

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(quiet) FUZZ $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_LIBFUZZER -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LIBS)

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(quiet) FUZZCC $<
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/obj/rules_data.o: $(BUILD)/rules_data.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# the ELF seeds: fixtures/elf built as tests/unit/test_sym.c builds them
%/fuzz/elf/vmlinux: fixtures/elf/a.c fixtures/elf/b.c
	@mkdir -p $(dir $@)
	$(Q)gcc -g -O2 -fno-pie -no-pie -o $@ fixtures/elf/a.c fixtures/elf/b.c
%/fuzz/elf/fix_mod.ko: fixtures/elf/mod.c
	@mkdir -p $(dir $@)
	$(Q)gcc -g -O2 -c -o $@ fixtures/elf/mod.c

$(BUILD)/fuzz/replay-%: tests/fuzz/fuzz_%.c $(LIBKT) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBKT) $(LIBS)

fuzz-replay: FUZZ_ELFDIR := $(BUILD)/fuzz/elf
fuzz-replay: $(addprefix $(BUILD)/fuzz/replay-,$(FUZZ_TARGETS)) $(addprefix $(BUILD)/fuzz/elf/,$(FUZZ_ELF))
	$(Q)for t in $(FUZZ_TARGETS); do \
	  case $$t in \
	  scan) seeds="$(wildcard $(FUZZ_SEEDS_scan))" ;; \
	  rules) seeds="$(wildcard $(FUZZ_SEEDS_rules))" ;; \
	  sym) seeds="$(FUZZ_SEEDS_sym)" ;; \
	  image) seeds="$(FUZZ_SEEDS_image)" ;; \
	  cost) seeds="$(FUZZ_SEEDS_cost)" ;; \
	  render) seeds="$(wildcard $(FUZZ_SEEDS_render))" ;; \
	  maintainers) seeds="$(wildcard $(FUZZ_SEEDS_maintainers))" ;; \
	  mailmeta) seeds="$(wildcard $(FUZZ_SEEDS_mailmeta))" ;; \
	  esac; \
	  crashes=; test -d tests/fuzz/crashes/$$t && crashes=tests/fuzz/crashes/$$t; \
	  printf '== fuzz target %s, replayed over its seeds and tests/fuzz/crashes/%s: ' $$t $$t; \
	  $(BUILD)/fuzz/replay-$$t $$seeds $$crashes 2>$(BUILD)/fuzz/replay-$$t.err || \
	    { echo FAILED; cat $(BUILD)/fuzz/replay-$$t.err; exit 1; }; \
	done

.SECONDARY: $(FUZZ_OBJ) $(addprefix build/fuzz/elf/,$(FUZZ_ELF)) $(addprefix $(BUILD)/fuzz/elf/,$(FUZZ_ELF))
-include $(wildcard build/fuzz/obj/*.d)

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
