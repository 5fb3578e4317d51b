# rttrace — the one build entry.
#
#   make            librt, BPF objects + skeletons, rttrace, demo, tests, benches
#   make deps       install missing Debian packages (idempotent; every target needs it)
#   make test       unit tests (plain, ASan, and librt's under TSan), the fuzz corpora replayed,
#                   and as root the integration tests
#   make bench      scheduler, memory, channel and timer benchmarks, librt beside Go,
#                   what one probe hit costs (scripts/bench-probe.sh, as root),
#                   then the seed's exercises (make bench-go)
#   make bench-go   the seed's exercises, before/after in librt beside Go (rtwork)
#   make bench-trace  what probes and rttrace cost the exercises: unattached vs
#                   PROBES=0, traced vs untraced (full, sampled); rttrace's RSS,
#                   CPU and attach time (the last two as root; make bench runs it)
#   make run EX=ex02  build, then `rttrace run ex02`: before and after, traced (as root)
#   make report     every exercise on one HTML page + its screenshot, build/report.{html,png} (as root)
#   make vmlinux    regenerate the committed vmlinux.h from this kernel's BTF
#   make fuzz       each libFuzzer target of tests/fuzz/ for FUZZ_TIME seconds
#                   (60 each by default; not part of make test)
#   make soak       librt's stress mixes all at once for SOAK_TIME (10m by default),
#                   RSS/heap/goroutines/GC each minute, RSS flat once warm (not in make test)
#   make format     clang-format every C file in place
#
# Quiet by default; V=1 shows the commands. Every artefact lands in build/.

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

PROBES   ?= 1
# A build without probe sites lives in its own tree, so the two never mix.
ifeq ($(PROBES),0)
OUT      ?= build/noprobes
else
OUT      ?= build
endif
V        ?= 0
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

CC       ?= cc
ifeq ($(origin CC),default)
CC       := cc
endif
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := x86

WARN     := -Wall -Wextra -Werror
BASEFLAGS:= -std=gnu11 -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer $(WARN) -D_GNU_SOURCE
# Files that hold probe sites are built without the red zone: the 5-byte-nop
# uprobe trampoline's call pushes below %rsp (see runtime/probes.h).
RTFLAGS  := $(BASEFLAGS) -mno-red-zone -Iruntime
# librt's own code is moved to section rt_text (see runtime/preempt.c: the
# preemption handler never stops a goroutine inside the runtime). Keeping
# all of a function in .text makes the rename complete.
RTOWNFLAGS := -fno-reorder-functions -fno-reorder-blocks-and-partition
RT_RENAME  = objcopy --rename-section .text=rt_text $@
ifeq ($(PROBES),0)
RTFLAGS  += -DRT_NO_PROBES
endif
ASANFLAGS:= -fsanitize=address -DRT_ASAN
TSANFLAGS:= -fsanitize=thread -DRT_TSAN
# -iquote: bpf/sched.h must not shadow <sched.h>
USERFLAGS:= $(BASEFLAGS) -I$(OUT)/bpf -I$(OUT)/proto -iquote bpf -Iruntime
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
DW_LIBS  := $(shell pkg-config --libs libdw 2>/dev/null || echo -ldw)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -pthread)

# ---- sources -----------------------------------------------------------------
RT_C     := $(wildcard runtime/*.c)
RT_S     := $(wildcard runtime/*.S)
RT_H     := $(wildcard runtime/*.h)
RT_OBJ   := $(RT_C:%.c=$(OUT)/%.o) $(RT_S:%.S=$(OUT)/%.o)
RT_AOBJ  := $(RT_C:%.c=$(OUT)/asan/%.o) $(RT_S:%.S=$(OUT)/asan/%.o)
LIBRT    := $(OUT)/librt.a
LIBRT_A  := $(OUT)/asan/librt.a
# librt under ThreadSanitizer, with TSan's fiber API (runtime/race.h)
RT_TOBJ  := $(RT_C:%.c=$(OUT)/tsan/%.o) $(RT_S:%.S=$(OUT)/tsan/%.o)
LIBRT_T  := $(OUT)/tsan/librt.a

BPF_SRC  := $(wildcard bpf/*.bpf.c)
BPF_OBJ  := $(BPF_SRC:%.bpf.c=$(OUT)/%.bpf.o)
BPF_SKEL := $(BPF_SRC:%.bpf.c=$(OUT)/%.skel.h)
BPF_H    := $(wildcard bpf/*.h)

USER_C   := $(wildcard user/*.c)
USER_OBJ := $(USER_C:%.c=$(OUT)/%.o)
RTTRACE  := $(OUT)/rttrace

# workloads/*.c: each is a program linked with librt (demo, benches), except
# the exercises (workloads/exNN_*.c), which rtwork and the tests link.
EX_C     := $(wildcard workloads/ex[0-9][0-9]_*.c)
EX_OBJ   := $(EX_C:%.c=$(OUT)/%.o)
EX_AOBJ  := $(EX_C:%.c=$(OUT)/asan/%.o)
WL_C     := $(filter-out $(EX_C) workloads/rtwork.c workloads/rtwork_lib.c,$(wildcard workloads/*.c))
WL_BIN   := $(WL_C:workloads/%.c=$(OUT)/%)
RTWORK   := $(OUT)/rtwork
# rtwork_lib.c: rtwork's parser, reports and ex_alloc_reader, which the
# exercise tests link too.
RWLIB_OBJ  := $(OUT)/workloads/rtwork_lib.o
RWLIB_AOBJ := $(OUT)/asan/workloads/rtwork_lib.o
WL_H     := $(wildcard workloads/*.h)

# tests/test_*.c: libcheck suites linked with librt (plain and ASan).
# tests/progs/*.c: programs linked with librt that integration tests trace.
# tests/integration/*.c: libcheck suites that run rttrace as root.
UT_C     := $(wildcard tests/test_*.c)
UT_BIN   := $(UT_C:tests/%.c=$(OUT)/tests/%)
UT_ABIN  := $(UT_C:tests/%.c=$(OUT)/asan/tests/%)
# tests/test_user_*.c: libcheck suites of rttrace's user-space pieces, linked
# with the user objects they test instead of librt; plain build only.
UT_USER_C  := $(wildcard tests/test_user_*.c)
UT_ABIN  := $(filter-out $(UT_USER_C:tests/%.c=$(OUT)/asan/tests/%),$(UT_ABIN))
# The suites of librt's runtime (and test_stress's load mixes) built again
# under ThreadSanitizer into $(OUT)/tsan/tests (tests/README.md,
# "Sanitizers"); the exercises' and user-space suites are not.
UT_TSAN_C := $(filter-out tests/test_ex% $(UT_USER_C),$(UT_C))
UT_TBIN  := $(UT_TSAN_C:tests/%.c=$(OUT)/tsan/tests/%)
UT_USER_OBJ := $(addprefix $(OUT)/user/,parse.o http.o signatures.o symbolize.o hist.o json.o waitreason.o flamegraph.o usdt_check.o probe_names.o privilege.o)
PROG_C   := $(wildcard tests/progs/*.c)
PROG_BIN := $(PROG_C:tests/progs/%.c=$(OUT)/tests/progs/%)
# leafprobe's control: built with the red zone, which a trampoline call
# at an attached probe site corrupts (tests/progs/leafprobe.c).
PROG_BIN += $(OUT)/tests/progs/leafprobe-redzone
IT_C     := $(wildcard tests/integration/*.c)
IT_BIN   := $(IT_C:tests/integration/%.c=$(OUT)/tests/integration/%)
TEST_H   := $(wildcard tests/*.h)

# The int3 path: librt and the two programs that exercise it rebuilt with
# 1-byte-nop probe sites (RT_PROBE_SITE_NOP1, runtime/probes.h), which the
# kernel traps with int3 instead of calling a trampoline, as kernels
# without the optimization do (test_probe_paths, scripts/bench-probe.sh).
NOP1     := $(OUT)/nop1
RT_NOBJ  := $(RT_C:%.c=$(NOP1)/%.o) $(RT_S:%.S=$(NOP1)/%.o)
LIBRT_N  := $(NOP1)/librt.a
NOP1_BIN := $(NOP1)/bench_probe $(NOP1)/tests/progs/probesite
ifeq ($(PROBES),0)
NOP1_BIN :=
endif

# bench/: the probe-cost benchmark's own loader, bench/bare.c, which
# attaches bpf/bare.bpf.c's empty program with rttrace's attach pieces.
BARE     := $(OUT)/bench/bare
BARE_OBJ := $(addprefix $(OUT)/user/,usdt_check.o probe_names.o uprobe_multi.o)

DEPS_STAMP := $(OUT)/.deps-ok

.PHONY: all deps test unit-test asan-test integration-test bench bench-go run vmlinux format clean soak
all: $(LIBRT) $(LIBRT_A) $(LIBRT_T) $(BPF_SKEL) $(RTTRACE) $(WL_BIN) $(RTWORK) $(UT_BIN) $(UT_ABIN) $(UT_TBIN) $(PROG_BIN) $(IT_BIN) \
	$(NOP1_BIN) $(BARE)

# ---- dependencies ------------------------------------------------------------
# scripts/deps.sh installs only what is missing; the stamp is refreshed when
# the script changes, and `make deps` always re-checks.
deps:
	$(Q)scripts/deps.sh
	$(Q)mkdir -p $(OUT) && touch $(DEPS_STAMP)

$(DEPS_STAMP): scripts/deps.sh
	$(Q)scripts/deps.sh
	$(Q)mkdir -p $(OUT) && touch $@

# ---- librt -------------------------------------------------------------------
$(OUT)/runtime/%.o: runtime/%.c $(RT_H) Makefile | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(RTOWNFLAGS) -c $< -o $@ && $(RT_RENAME)

$(OUT)/runtime/%.o: runtime/%.S | $(DEPS_STAMP)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) -c $< -o $@

$(OUT)/asan/runtime/%.o: runtime/%.c $(RT_H) Makefile | $(DEPS_STAMP)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(RTOWNFLAGS) $(ASANFLAGS) -c $< -o $@ && $(RT_RENAME)

$(OUT)/asan/runtime/%.o: runtime/%.S | $(DEPS_STAMP)
	$(call msg,AS-ASAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(ASANFLAGS) -c $< -o $@

$(OUT)/tsan/runtime/%.o: runtime/%.c $(RT_H) Makefile | $(DEPS_STAMP)
	$(call msg,CC-TSAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(RTOWNFLAGS) $(TSANFLAGS) -c $< -o $@ && $(RT_RENAME)

$(OUT)/tsan/runtime/%.o: runtime/%.S | $(DEPS_STAMP)
	$(call msg,AS-TSAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(TSANFLAGS) -c $< -o $@

$(NOP1)/runtime/%.o: runtime/%.c $(RT_H) Makefile | $(DEPS_STAMP)
	$(call msg,CC-NOP1,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(RTOWNFLAGS) -DRT_PROBE_SITE_NOP1 -c $< -o $@ && $(RT_RENAME)

$(NOP1)/runtime/%.o: runtime/%.S | $(DEPS_STAMP)
	$(call msg,AS-NOP1,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) -DRT_PROBE_SITE_NOP1 -c $< -o $@

$(LIBRT): $(RT_OBJ) scripts/check-rt-text.sh
	$(call msg,AR,$@)
	$(Q)CC=$(CC) scripts/check-rt-text.sh $(RT_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $(RT_OBJ)

$(LIBRT_A): $(RT_AOBJ) scripts/check-rt-text.sh
	$(call msg,AR,$@)
	$(Q)CC=$(CC) scripts/check-rt-text.sh $(RT_AOBJ)
	$(Q)rm -f $@ && ar rcs $@ $(RT_AOBJ)

$(LIBRT_T): $(RT_TOBJ) scripts/check-rt-text.sh
	$(call msg,AR,$@)
	$(Q)CC=$(CC) scripts/check-rt-text.sh $(RT_TOBJ)
	$(Q)rm -f $@ && ar rcs $@ $(RT_TOBJ)

$(LIBRT_N): $(RT_NOBJ) scripts/check-rt-text.sh
	$(call msg,AR,$@)
	$(Q)CC=$(CC) scripts/check-rt-text.sh $(RT_NOBJ)
	$(Q)rm -f $@ && ar rcs $@ $(RT_NOBJ)

# ---- BPF ---------------------------------------------------------------------
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -Ibpf \
	-I/usr/include/x86_64-linux-gnu $(WARN) -Wno-unused-function

# chan.bpf.c keeps a maximum with compare-and-swap: BPF atomics (v3, 5.12+).
$(OUT)/bpf/chan.bpf.o: BPF_CFLAGS += -mcpu=v3

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_H) vmlinux.h | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# ---- rttrace -----------------------------------------------------------------
$(OUT)/user/%.o: user/%.c $(wildcard user/*.h) $(BPF_H) $(BPF_SKEL) runtime/probes.h | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USERFLAGS) -c $< -o $@

# user/profile.proto: pprof's published schema (pprof.c); protoc-c makes
# its C here, in the output directory, never committed.
PROTO_C   := $(OUT)/proto/profile.pb-c.c
PROTO_H   := $(OUT)/proto/profile.pb-c.h
PROTO_OBJ := $(OUT)/proto/profile.pb-c.o
PROTO_LIBS := $(shell pkg-config --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c)

$(PROTO_C) $(PROTO_H) &: user/profile.proto | $(DEPS_STAMP)
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(OUT)/proto && protoc-c --proto_path=user --c_out=$(OUT)/proto $<

$(PROTO_OBJ): $(PROTO_C) $(PROTO_H)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BASEFLAGS) -I$(OUT)/proto -c $< -o $@

$(OUT)/user/pprof.o: $(PROTO_H)

$(RTTRACE): $(USER_OBJ) $(PROTO_OBJ)
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASEFLAGS) $^ -o $@ $(LIBBPF_LIBS) $(DW_LIBS) $(PROTO_LIBS) -lm

$(BARE): bench/bare.c $(OUT)/bpf/bare.skel.h $(BARE_OBJ) $(wildcard user/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USERFLAGS) -Iuser $< $(BARE_OBJ) -o $@ $(LIBBPF_LIBS)

# ---- workloads, tests --------------------------------------------------------
# Everything linked with librt needs libdw: tracebacks (traceback.c) name
# functions and file:line from the program's own debug information.
RT_LIBS  := -pthread -lm $(DW_LIBS)

$(OUT)/%: workloads/%.c $(WL_H) $(LIBRT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) -Iworkloads $< -o $@ $(LIBRT) $(RT_LIBS)

$(EX_OBJ) $(RWLIB_OBJ): $(OUT)/workloads/%.o: workloads/%.c $(WL_H) $(RT_H) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) -Iworkloads -c $< -o $@

$(EX_AOBJ) $(RWLIB_AOBJ): $(OUT)/asan/workloads/%.o: workloads/%.c $(WL_H) $(RT_H) | $(DEPS_STAMP)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(ASANFLAGS) -Iworkloads -c $< -o $@

$(RTWORK): workloads/rtwork.c $(EX_OBJ) $(RWLIB_OBJ) $(WL_H) $(LIBRT)
	$(call msg,LD,$@)
	$(Q)$(CC) $(RTFLAGS) -Iworkloads $< $(EX_OBJ) $(RWLIB_OBJ) -o $@ $(LIBRT) $(RT_LIBS)

# tests/test_ex*.c: the exercises' tests, linked with every exercise.
$(OUT)/tests/test_ex%: tests/test_ex%.c $(TEST_H) $(EX_OBJ) $(RWLIB_OBJ) $(WL_H) $(LIBRT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(CHECK_CFLAGS) -Itests -Iworkloads $< $(EX_OBJ) $(RWLIB_OBJ) -o $@ $(LIBRT) $(CHECK_LIBS) $(RT_LIBS)

$(OUT)/asan/tests/test_ex%: tests/test_ex%.c $(TEST_H) $(EX_AOBJ) $(RWLIB_AOBJ) $(WL_H) $(LIBRT_A)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(ASANFLAGS) $(CHECK_CFLAGS) -Itests -Iworkloads $< $(EX_AOBJ) $(RWLIB_AOBJ) -o $@ $(LIBRT_A) $(CHECK_LIBS) $(RT_LIBS)

$(OUT)/tests/progs/%: tests/progs/%.c $(TEST_H) $(LIBRT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $< -o $@ $(LIBRT) $(RT_LIBS)

$(OUT)/tests/progs/leafprobe-redzone: tests/progs/leafprobe.c $(TEST_H) $(LIBRT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) -mred-zone $< -o $@ $(LIBRT) $(RT_LIBS)

$(NOP1)/bench_probe: workloads/bench_probe.c $(WL_H) $(LIBRT_N)
	$(call msg,CC-NOP1,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) -DRT_PROBE_SITE_NOP1 -Iworkloads $< -o $@ $(LIBRT_N) $(RT_LIBS)

$(NOP1)/tests/progs/%: tests/progs/%.c $(TEST_H) $(LIBRT_N)
	$(call msg,CC-NOP1,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) -DRT_PROBE_SITE_NOP1 $< -o $@ $(LIBRT_N) $(RT_LIBS)

$(OUT)/tests/test_user_%: tests/test_user_%.c $(TEST_H) $(UT_USER_OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USERFLAGS) $(CHECK_CFLAGS) -Itests -Iuser $< $(UT_USER_OBJ) $(UT_EXTRA) -o $@ $(CHECK_LIBS) $(DW_LIBS) -lelf -pthread -lm

# test_user_sample: sample.o (its rt_errorf & co. are the test's own)
$(OUT)/tests/test_user_sample: UT_EXTRA := $(OUT)/user/sample.o
$(OUT)/tests/test_user_sample: $(OUT)/user/sample.o
# test_user_output: output.o (its rt_errorf & co. are the test's own)
$(OUT)/tests/test_user_output: UT_EXTRA := $(OUT)/user/output.o
$(OUT)/tests/test_user_output: $(OUT)/user/output.o

$(OUT)/tests/%: tests/%.c $(TEST_H) $(LIBRT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(CHECK_CFLAGS) -Itests $< -o $@ $(LIBRT) $(CHECK_LIBS) $(RT_LIBS)

$(OUT)/asan/tests/%: tests/%.c $(TEST_H) $(LIBRT_A)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(ASANFLAGS) $(CHECK_CFLAGS) -Itests $< -o $@ $(LIBRT_A) $(CHECK_LIBS) $(RT_LIBS)

$(OUT)/tsan/tests/%: tests/%.c $(TEST_H) $(LIBRT_T)
	$(call msg,CC-TSAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(RTFLAGS) $(TSANFLAGS) $(CHECK_CFLAGS) -Itests $< -o $@ $(LIBRT_T) $(CHECK_LIBS) $(RT_LIBS)

# test_flamegraph decodes chromium's PNG screenshot (zlib)
$(OUT)/tests/integration/test_flamegraph: CHECK_LIBS += -lz
# test_report decodes chromium's PNG screenshot (zlib)
$(OUT)/tests/integration/test_report: CHECK_LIBS += -lz
# test_pprof decodes the profiles it checks (protoc-c code, zlib)
$(OUT)/tests/integration/test_pprof: $(PROTO_OBJ)
$(OUT)/tests/integration/test_pprof: CHECK_CFLAGS += -I$(OUT)/proto
$(OUT)/tests/integration/test_pprof: CHECK_LIBS += $(PROTO_OBJ) $(PROTO_LIBS) -lz
$(OUT)/tests/integration/%: tests/integration/%.c $(TEST_H) runtime/probes.h | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(BASEFLAGS) $(CHECK_CFLAGS) -Itests -Iruntime $< -o $@ $(CHECK_LIBS) -pthread -lm

# ---- fuzz --------------------------------------------------------------------
# tests/fuzz/fuzz_NAME.c: libFuzzer targets, one per parser of outside
# input, built by clang with ASan and UBSan (any report is a crash) into
# $(FUZZ). fuzz_rt_*: librt's environment parsers, linked with a librt
# built the same way; the others link the user objects they parse with.
# make fuzz runs each FUZZ_TIME seconds from tests/fuzz/corpus/NAME
# (scripts/fuzz.sh); FUZZ_TARGETS="size usdt" runs some.
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
FUZZ      := $(OUT)/fuzz
# clang's warnings are not gcc's: kept, not fatal
# (clang keeps a function in .text without gcc's RTOWNFLAGS)
FUZZFLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-Wno-error
FUZZ_C    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_C:tests/fuzz/%.c=$(FUZZ)/%)
FUZZ_H    := $(wildcard tests/fuzz/*.h)
FUZZ_USER := parse sample symbolize usdt_check flamegraph json probe_names http run_output privilege
FUZZ_UOBJ := $(FUZZ_USER:%=$(FUZZ)/user/%.o) $(FUZZ)/stubs.o
FUZZ_ROBJ := $(RT_C:%.c=$(FUZZ)/%.o) $(RT_S:%.S=$(FUZZ)/%.o)
FUZZ_RT   := $(FUZZ)/librt.a

.PHONY: fuzz fuzz-build
fuzz: fuzz-build
	$(Q)scripts/fuzz.sh $(FUZZ) $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BIN)

# make test replays each target's committed corpus (scripts/run-tests.sh)
all: $(FUZZ_BIN)

$(FUZZ)/runtime/%.o: runtime/%.c $(RT_H) Makefile | $(DEPS_STAMP)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D) && $(FUZZ_CC) $(RTFLAGS) -DRT_ASAN $(FUZZFLAGS) \
		-fsanitize=fuzzer-no-link -c $< -o $@ && $(RT_RENAME)

$(FUZZ)/runtime/%.o: runtime/%.S | $(DEPS_STAMP)
	$(call msg,AS-FUZZ,$@)
	$(Q)mkdir -p $(@D) && $(FUZZ_CC) $(RTFLAGS) -DRT_ASAN $(FUZZFLAGS) -c $< -o $@

$(FUZZ_RT): $(FUZZ_ROBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(FUZZ_ROBJ)

$(FUZZ)/user/%.o: user/%.c $(wildcard user/*.h) $(BPF_H) $(BPF_SKEL) runtime/probes.h | $(DEPS_STAMP)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D) && $(FUZZ_CC) $(USERFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ)/stubs.o: tests/fuzz/stubs.c user/rttrace.h | $(DEPS_STAMP)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D) && $(FUZZ_CC) $(USERFLAGS) $(FUZZFLAGS) -Iuser -c $< -o $@

$(FUZZ)/fuzz_rt_%: tests/fuzz/fuzz_rt_%.c $(FUZZ_H) $(FUZZ_RT)
	$(call msg,LD-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(RTFLAGS) -DRT_ASAN $(FUZZFLAGS) -fsanitize=fuzzer $< -o $@ $(FUZZ_RT) $(RT_LIBS)

# fuzz_usyms_maps includes symbolize.c for its static parse_mods
$(FUZZ)/fuzz_usyms_maps: FUZZ_SKIP := $(FUZZ)/user/symbolize.o
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_H) $(FUZZ_UOBJ)
	$(call msg,LD-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(USERFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer -Iuser $< \
		$(filter-out $(FUZZ_SKIP),$(FUZZ_UOBJ)) -o $@ $(DW_LIBS) -lelf -pthread -lm

# ---- test, bench, run --------------------------------------------------------
test: all
	$(Q)scripts/run-tests.sh $(OUT)

# make soak: tests/progs/soak (tests/stress_mixes.h's mixes, all at once,
# round after round) for SOAK_TIME (600, 90s, 10m, 1h), through
# scripts/soak.sh; not part of make test.
SOAK_TIME ?= 10m
soak: $(OUT)/tests/progs/soak
	$(Q)scripts/soak.sh $(OUT) $(SOAK_TIME)

# bench: the microbenchmarks, what a probe hit costs
# (scripts/bench-probe.sh, beside the PROBES=0 build), then the exercises
# (scripts/bench-ex.sh).
bench: all
ifneq ($(PROBES),0)
	$(Q)$(MAKE) --no-print-directory PROBES=0 OUT=$(OUT)/noprobes $(OUT)/noprobes/bench_probe
endif
	$(Q)scripts/bench.sh $(OUT)
	$(Q)scripts/bench-probe.sh $(OUT) $(if $(filter 0,$(PROBES)),,$(OUT)/noprobes)
	$(Q)scripts/bench-ex.sh $(OUT)
	$(Q)$(MAKE) --no-print-directory bench-trace

# bench-trace: the exercises with librt's probe sites against a PROBES=0
# build (scripts/bench-probes0.sh), untraced against traced in full and
# sampled mode (scripts/bench-trace.sh), and rttrace's own RSS, CPU and
# attach time (scripts/bench-tracer.sh). BENCH_TIME (300ms here) and
# BENCH_COUNT (3) as for bench; docs/performance.md explains the figures.
.PHONY: bench-trace
bench-trace: all
ifeq ($(PROBES),0)
	$(error bench-trace measures the probes: run it without PROBES=0)
endif
	$(Q)$(MAKE) --no-print-directory PROBES=0 OUT=$(OUT)/noprobes $(OUT)/noprobes/rtwork
	$(Q)scripts/bench-probes0.sh $(OUT) $(OUT)/noprobes
	$(Q)scripts/bench-trace.sh $(OUT)
	$(Q)scripts/bench-tracer.sh $(OUT)

# bench-go: the exercises in librt and in Go, one table of both ratios.
bench-go: $(RTWORK)
	$(Q)scripts/bench-ex.sh $(OUT)

# make run EX=ex03: the exercise before and after under rttrace (default
# ex02); make run EX=demo traces the bundled demo instead.
EX       ?= ex02
run: all
	$(Q)scripts/require-root.sh "make run"
ifeq ($(EX),demo)
	$(Q)$(RTTRACE) trace -- $(OUT)/demo
else
	$(Q)$(RTTRACE) run $(EX)
endif

# make report: every exercise before and after on one self-contained page,
# $(OUT)/report.html, and headless chromium's screenshot of its top,
# $(OUT)/report.png (as root; REPORT_BENCHTIME=1s for steadier figures).
REPORT_BENCHTIME ?= 200ms
.PHONY: report
report: $(RTTRACE) $(RTWORK)
	$(Q)scripts/require-root.sh "make report"
	$(Q)$(RTTRACE) report --html $(OUT)/report.html --benchtime $(REPORT_BENCHTIME)
	$(call msg,SHOT,$(OUT)/report.png)
	$(Q)rm -f $(OUT)/report.png && chromium --headless --no-sandbox --disable-gpu \
		--hide-scrollbars --user-data-dir=$(abspath $(OUT))/.chromium \
		--window-size=1280,4000 --screenshot=$(abspath $(OUT))/report.png \
		file://$(abspath $(OUT))/report.html > $(OUT)/report.chromium.log 2>&1 \
		&& test -s $(OUT)/report.png \
		|| { cat $(OUT)/report.chromium.log; exit 1; }

vmlinux: | $(DEPS_STAMP)
	$(call msg,GEN,vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

format:
	$(Q)clang-format -i $(RT_C) $(RT_H) $(BPF_SRC) $(BPF_H) $(USER_C) $(wildcard user/*.h) \
		$(wildcard bench/*.c) $(WL_C) $(EX_C) workloads/rtwork.c workloads/rtwork_lib.c $(wildcard workloads/*.h) $(UT_C) $(TEST_H) $(PROG_C) $(IT_C) \
		$(wildcard tests/fuzz/*.c tests/fuzz/*.h)

clean:
	$(Q)rm -rf $(OUT)
