# Thin wrapper over CMake: `make test` and `make demo` are the front door.
BUILD ?= build
ASAN_BUILD ?= build-asan
CLANG_BUILD ?= build-clang
JOBS ?= $(shell nproc)

# Debian packages the build, tests and demo need.
DEPS := build-essential cmake pkg-config libzmq3-dev libczmq-dev libsodium-dev \
        libsqlite3-dev libprotobuf-c-dev protobuf-c-compiler libcmocka-dev \
        libjansson-dev sqlite3 jq libsystemd-dev systemd strace faketime python3 scdoc \
        graphviz tzdata prometheus \
        chromium

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build test test-asan check-clang package-test demo bench fuzz install clean format

all: build

deps:
	@./scripts/ensure-deps $(DEPS)

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DKETEN_WERROR=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DKETEN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE consistency

# Everything `build` builds, with clang and warnings as errors too: clang
# warns where gcc does not (-Wformat-nonliteral, -Wstring-concatenation).
# Not part of `test` (CI time).
check-clang: deps
	@./scripts/ensure-deps clang
	CC=clang cmake -S . -B $(CLANG_BUILD) -DKETEN_WERROR=ON
	cmake --build $(CLANG_BUILD) -j $(JOBS)

# The Debian package: build, lintian, install, try, purge (root; see
# docs/OPERATIONS.md, "Debian package").  The .deb is kept in $(BUILD)/deb.
package-test:
	./scripts/package-test $(BUILD)/deb

demo: build
	./scripts/demo $(BUILD)

# libFuzzer on every decoder, FUZZ_SECONDS each (clang required).  The
# seed corpus is kept in tests/fuzz/corpus/HARNESS (copied, so a run never
# writes into the repository); .ci/run runs each for a short time.
FUZZ_HARNESSES := envelope intake roster body signed roster_signed config api http manifest

fuzz: deps
	@./scripts/ensure-deps clang
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DKETEN_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_HARNESSES))
	for h in $(FUZZ_HARNESSES); do mkdir -p $(FUZZ_BUILD)/corpus/$$h; \
	    if [ -d tests/fuzz/corpus/$$h ]; then cp tests/fuzz/corpus/$$h/* $(FUZZ_BUILD)/corpus/$$h/; fi; done
	cp configs/signal-*.json $(FUZZ_BUILD)/corpus/intake/
	cd $(FUZZ_BUILD) && ./fuzz_envelope -runs=0 corpus/envelope && \
	    cp /tmp/keten-fuzz-envelope.seed corpus/envelope/seed
	cd $(FUZZ_BUILD) && for h in $(FUZZ_HARNESSES); do \
	    ./fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 corpus/$$h \
	        > fuzz_$$h.log 2>&1 || { tail -n 60 fuzz_$$h.log; exit 1; }; \
	    echo "fuzz_$$h: $$(grep -h 'stat::number_of_executed_units' fuzz_$$h.log)"; done

bench: build
	./bench/run $(BUILD)

install: build
	cmake --install $(BUILD)

format:
	clang-format -i common/*.[ch] daemon/*.c daemon/*/*.[ch] client/*.[ch] tests/unit/*.c bench/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(CLANG_BUILD) $(FUZZ_BUILD)
