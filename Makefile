# Moldau: the two commands a user needs are `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps test-deps configure build run test unit-test integration-test fuzz fuzz-quick bench bench-quick clean

all: build

deps:
	@bash scripts/install-deps.sh build

test-deps:
	@bash scripts/install-deps.sh test
	@if [ -f scripts/install-test-clients.sh ]; then bash scripts/install-test-clients.sh; fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Builds and starts a single-node broker on 127.0.0.1:9092 with its data in ./data.
run: build
	./$(BUILD_DIR)/moldau broker --config config/server.properties

unit-test: test-deps configure
	@# Configure again: test-deps may just have installed librdkafka-dev, whose C++
	@# API the client check in tests/cpp needs (a build dir made by `make build` lacks it).
	@cmake -S . -B $(BUILD_DIR) > /dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Starts real brokers and drives them with real clients (tests/). Its pytest
# summary is the last line `make test` prints.
integration-test: test-deps build
	bash tests/run.sh

# Everything: unit tests, a short fuzzing run of every parser, then the
# real-client suite.
test: unit-test
	bash scripts/fuzz.sh short
	bash tests/run.sh

fuzz:
	@bash scripts/fuzz.sh long

fuzz-quick:
	@bash scripts/fuzz.sh short

bench:
	@bash bench/run.sh full

bench-quick:
	@bash bench/run.sh quick

clean:
	rm -rf $(BUILD_DIR)
