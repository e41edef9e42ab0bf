# Thin wrapper over CMake presets. `make` builds build/kiln.
.PHONY: all kiln deps test demo bench format debug asan clean

BUILD ?= build
JOBS ?= $(shell nproc)

all: kiln

$(BUILD)/build.ninja:
	cmake --preset release >/dev/null

kiln: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

deps:
	scripts/install-deps build

test:
	scripts/install-deps test
	scripts/install-test-tools
	$(MAKE) kiln
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 900

demo:
	scripts/install-deps build
	$(MAKE) kiln
	scripts/demo

bench:
	scripts/install-deps bench
	$(MAKE) kiln
	bench/run-all

format:
	find src bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

debug:
	cmake --preset debug >/dev/null && cmake --build build-debug -j $(JOBS)

asan:
	cmake --preset asan >/dev/null && cmake --build build-asan -j $(JOBS)

clean:
	rm -rf build build-debug build-asan
