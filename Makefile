# Makefile — builds iwsweep, iwreport, the tests and the benchmarks.
#
#   make            install missing packages (scripts/deps.sh), build build/iwsweep and build/iwreport
#   make check      install, build, run every test (normal build, then ASan+UBSan); ends "N passed, M failed, K skipped"
#   make check-asan the suite's sanitizer pass alone (build-asan/)
#   make bench      benchmarks that print figures (engine vs PyTorch, data sharing)
#   make fuzz       fuzz the sweep-file parser (FUZZ_SECONDS, default 600)
#   V=1             show the compiler command lines
#
# Targets that the user calls run scripts/deps.sh first, then re-enter make for the real work, so
# that pkg-config below is only evaluated once the packages exist.

BUILD    ?= build
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)
SAN      ?= 0
WERROR   ?= 1
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLAS_DIR := /usr/lib/$(MULTIARCH)/openblas-pthread
BLAS_INC := /usr/include/$(MULTIARCH)/openblas-pthread

CC       = mpicc
OPT      ?= -O2
CFLAGS   = -std=c11 $(OPT) -g -Wall -Wextra -Wshadow -Wno-unused-parameter -fno-strict-aliasing \
           -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -Iinclude -Isrc -I$(BLAS_INC) $(shell pkg-config --cflags hdf5-openmpi yaml-0.1 2>/dev/null)
LDLIBS   = $(shell pkg-config --libs hdf5-openmpi yaml-0.1 2>/dev/null) \
           -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas -lz -lm -lpthread
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_DIRS := common engine data spec run sched node store report
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
TOOLS    := iwsweep iwreport
TOOL_BIN := $(addprefix $(BUILD)/,$(TOOLS))
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_SRC:= $(wildcard bench/*.c)
BENCH_BIN:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all check check-asan bench fuzz deps build build-tests run-tests clean
.DEFAULT_GOAL := all

# ---- user-facing targets: install what is missing, then build / test ----
all: deps
	@$(MAKE) --no-print-directory build
check: deps
	@$(MAKE) --no-print-directory build build-tests
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 OPT=-O1 build build-tests
	@tests/run_tests.sh build build-asan
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 OPT=-O1 build build-tests
	@IW_ONLY_SANITIZER=1 tests/run_tests.sh build-asan build-asan
bench: deps
	@$(MAKE) --no-print-directory build $(BENCH_BIN)
	@bench/run_bench.sh $(BUILD)
fuzz:
	@scripts/deps.sh fuzz
	@tests/fuzz/run_fuzz.sh
deps:
	@scripts/deps.sh $(if $(filter check check-asan,$(MAKECMDGOALS)),check,$(if $(filter bench,$(MAKECMDGOALS)),bench,build))

# ---- real work ----
build: $(TOOL_BIN)
build-tests: $(TEST_BIN) $(TOOL_BIN) $(BENCH_BIN)   # benchmarks too: they must keep compiling

$(BUILD)/libiw.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	@echo "  AR    $@"
	$(Q)ar rcs $@ $^

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%: src/tools/%.c $(BUILD)/libiw.a
	@mkdir -p $(@D)
	@echo "  LINK  $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libiw.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libiw.a
	@mkdir -p $(@D)
	@echo "  LINK  $@"
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) $< $(BUILD)/libiw.a $(LDLIBS) -o $@

$(BUILD)/bench/%: bench/%.c $(BUILD)/libiw.a
	@mkdir -p $(@D)
	@echo "  LINK  $@"
	$(Q)$(CC) $(CFLAGS) -O3 $(LDFLAGS) $< $(BUILD)/libiw.a $(LDLIBS) -o $@

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d)
