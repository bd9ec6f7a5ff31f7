# synscope: make [all|demo|test|unit|fuzz|sanitize|bench|install|clean|help]   V=1 shows commands
CC ?= cc
CLANG ?= clang
BPFTOOL ?= /usr/sbin/bpftool
PREFIX ?= /usr/local
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

OUT := build
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -MMD -MP -I$(OUT) -I. -Iuserspace
# EXTRA_CFLAGS: added last (make mutate builds its mutants with -Wno-error:
# a mutant that leaves a variable unused is still a bug to catch)
CFLAGS += $(EXTRA_CFLAGS)
# SANITIZE=1: AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer,
# any report fatal; `make sanitize` builds that way into build-asan/.
SAN_DIR := build-asan
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
# the library's own: the recording writer compresses with libdeflate, the
# reader decompresses with zlib
CORE_LIBS := -ldeflate -lz

# clang -target bpf must still see the system headers (asm/types.h ...)
CLANG_SYS_INCLUDES = $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ibpf/vmlinux/$(ARCH) -Ibpf -MMD -MP

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# userspace/ has a folder per pipeline stage (docs/design.md): base, then
# source/live, source/file, filter, record, track, render, export, run, cli.
# Everything but the libbpf edge and main() is the library the tests link.
ALL_SRCS := $(wildcard userspace/*/*.c userspace/*/*/*.c)
EDGE_SRCS := userspace/source/live/bpf_source.c userspace/cli/trace.c userspace/cli/main.c
CORE_SRCS := $(filter-out $(EDGE_SRCS),$(ALL_SRCS))
CORE_OBJS := $(patsubst userspace/%.c,$(OUT)/obj/%.o,$(CORE_SRCS))
EDGE_OBJS := $(patsubst userspace/%.c,$(OUT)/obj/%.o,$(EDGE_SRCS))
CORE_HDRS := $(wildcard userspace/*/*.h userspace/*/*/*.h)
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst %.c,$(OUT)/tests/%,$(notdir $(UNIT_SRCS)))
HELPER_SRCS := $(wildcard tests/integration/*.c)
HELPER_BINS := $(patsubst tests/integration/%.c,$(OUT)/tests/%,$(HELPER_SRCS))
# libFuzzer targets: clang, with the userspace sources built in, sanitized.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -I. -Iuserspace \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 20

.PHONY: all deps demo test unit integration mutate fuzz fuzz-build fuzz-corpus sanitize sanitize-build asan bench bench-floors install clean help
all: $(OUT)/stages.ok $(OUT)/synscope $(UNIT_BINS) $(HELPER_BINS)

# the stage rule (scripts/check-stages.sh) checked whenever a source changes
$(OUT)/stages.ok: $(ALL_SRCS) $(CORE_HDRS) scripts/check-stages.sh | $(OUT)
	$(call msg,CHECK,stages)
	$(Q)./scripts/check-stages.sh && touch $@

help:
	@echo "make            build synscope and the test programs into $(OUT)/"
	@echo "make demo       install what is missing, build, run the classroom demo (root)"
	@echo "make test       install what is missing, build, run every test (sanitized too)"
	@echo "make unit       unit tests only (no root)"
	@echo "make fuzz       run each fuzz target for FUZZ_SECONDS (default 20) seconds"
	@echo "make sanitize   build into $(SAN_DIR)/ with ASan+UBSan, run the tests there"
	@echo "make mutate     mutation check: does a test catch each small bug (slow, docs/testing.md)"
	@echo "make bench      loopback connection storm, untraced vs traced"
	@echo "make install    install to \$$(DESTDIR)\$$(PREFIX)/sbin"

deps:
	$(Q)./scripts/install-deps.sh

$(OUT) $(OUT)/tests $(OUT)/fuzz:
	$(Q)mkdir -p $@

# The kernel side's source. make bench also builds two floors from it (what
# tracing costs before synscope's own logic: scripts/bench_floor.py).
BPF_SRC ?= bpf/synscope.bpf.c
$(OUT)/synscope.bpf.o: $(BPF_SRC) bpf/synscope_event.h $(wildcard bpf/*.bpf.h) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(CLANG_SYS_INCLUDES) -c $< -o $(OUT)/synscope.tmp.bpf.o
	$(Q)$(BPFTOOL) gen object $@ $(OUT)/synscope.tmp.bpf.o

$(OUT)/synscope.skel.h: $(OUT)/synscope.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name synscope_bpf > $@

$(OUT)/obj/source/live/bpf_source.o: $(OUT)/synscope.skel.h

$(OUT)/obj/%.o: userspace/%.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/libsynscope.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/synscope: $(EDGE_OBJS) $(OUT)/libsynscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(CORE_LIBS) $(LIBBPF_LIBS) -o $@

# unit tests mirror the stage folders: tests/unit/STAGE/test_NAME.c
vpath test_%.c $(sort $(dir $(UNIT_SRCS)))
$(OUT)/tests/test_%: test_%.c $(OUT)/libsynscope.a | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(OUT)/libsynscope.a $(CORE_LIBS) -o $@

$(OUT)/tests/%: tests/integration/%.c tests/integration/sock_io.h | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lpthread

$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRCS) $(CORE_HDRS) bpf/synscope_event.h | $(OUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(CORE_SRCS) $(CORE_LIBS) -o $@

# The seed corpus is committed; this remakes the recordings' with the
# recording writer (tests/fuzz/corpus/options/ is written by hand).
$(OUT)/fuzz/make_corpus: tests/fuzz/make_corpus.c $(OUT)/libsynscope.a | $(OUT)/fuzz
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(OUT)/libsynscope.a $(CORE_LIBS) -o $@

fuzz-corpus: $(OUT)/fuzz/make_corpus
	$(Q)for d in recording replay; do \
		mkdir -p tests/fuzz/corpus/$$d && $(OUT)/fuzz/make_corpus tests/fuzz/corpus/$$d || exit 1; \
	done

fuzz-build: $(FUZZ_BINS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./scripts/demo.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all fuzz-build
	$(Q)$(MAKE) --no-print-directory sanitize-build
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/run-tests.sh

sanitize-build:
	$(Q)$(MAKE) --no-print-directory OUT=$(SAN_DIR) SANITIZE=1 all

sanitize asan: sanitize-build
	$(Q)./scripts/run-tests.sh sanitize

unit: $(OUT)/stages.ok $(UNIT_BINS)
	$(Q)./scripts/run-tests.sh unit

integration: all
	$(Q)./scripts/run-tests.sh integration

# Not part of make test (it is slow): each mutation in tests/mutation/mutations.txt,
# built and tested in a scratch copy; MUTATE_ARGS="--only tracker -v" and so on.
mutate:
	$(Q)./tests/mutation/run.sh $(MUTATE_ARGS)

fuzz: fuzz-build
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/run-tests.sh fuzz

bench: deps
	$(Q)$(MAKE) --no-print-directory all bench-floors
	$(Q)./scripts/bench.sh

$(OUT)/floor-%.bpf.c: bpf/synscope.bpf.c scripts/bench_floor.py | $(OUT)
	$(call msg,FLOOR,$@)
	$(Q)python3 scripts/bench_floor.py $* $< $@

bench-floors: $(OUT)/floor-attach.bpf.c $(OUT)/floor-record.bpf.c
	$(Q)for f in attach record; do \
		$(MAKE) --no-print-directory OUT=$(OUT)/floor-$$f BPF_SRC=$(OUT)/floor-$$f.bpf.c \
			$(OUT)/floor-$$f/synscope || exit 1; \
	done

# PREFIX (default /usr/local) and DESTDIR as usual
install: $(OUT)/synscope
	install -D -m 0755 $(OUT)/synscope $(DESTDIR)$(PREFIX)/sbin/synscope
	install -D -m 0644 docs/synscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/synscope.8

clean:
	rm -rf $(OUT) $(SAN_DIR)

-include $(wildcard $(OUT)/*.d $(OUT)/obj/*/*.d $(OUT)/obj/*/*/*.d $(OUT)/tests/*.d $(OUT)/fuzz/*.d)
