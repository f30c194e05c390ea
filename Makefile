# Thin front end over CMake: the targets a newcomer uses.
# Each target installs missing Debian packages first (scripts/install-deps.sh).
BUILD    ?= build
PREFIX   ?= /usr/local
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-sanitize fuzz fuzz-ci valgrind demo install bench format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize:
	@$(MAKE) --no-print-directory test BUILD=build-sanitize CMAKE_FLAGS="-DVB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

# libFuzzer targets (clang, ASan + UBSan) in build-fuzz/: FUZZ_TIME seconds per target, or
# FUZZ_TIME=-runs=N. fuzz-ci is the bounded run CI does.
FUZZ_TIME ?= 300
fuzz:
	@scripts/fuzz.sh $(FUZZ_TIME)

fuzz-ci:
	@scripts/fuzz.sh 20

# A real batch (bad files, journal, SIGINT + resume, dedupe, retries) against the
# simulator, then every unit test, all under valgrind memcheck: any error fails.
valgrind: build
	@scripts/valgrind.sh $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	@bench/run.sh $(BUILD)

format:
	@clang-format -i src/*/*.[ch] sim/*.[ch] tools/*.c tests/unit/*/*.c include/*.h

clean:
	@rm -rf $(BUILD) build-sanitize build-fuzz
