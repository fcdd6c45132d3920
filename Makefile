# errata: one binary (bin/errata) over one shared contract model.
# A single non-recursive Makefile; libraries are found with pkg-config.
#
#   make           build bin/errata
#   make deps      install missing Debian packages (scripts/debian-packages)
#   make test      install what is missing, build, run the tests with prove
#   make check     the same tests under AddressSanitizer and UBSan, the journal under TSan
#   make demo      install, build and run the main job on the bundled contracts
#   make bench     errata serve side by side with nginx (bench/RESULTS.md)
#   make bench-peers  ... and WireMock, Prism, Mountebank (bench/PEERS.md)
#   make fuzz      every libFuzzer target for FUZZ_SECONDS (60) each, with clang
#   make valgrind  the integration tests with errata under valgrind
#   make soak      the mock under wrk, 1024 connections for SOAK_SECONDS (60)
#   make bench-scale  contract lint and import at 2,500 to 40,000 codes
#   make bench-import contract import on real pages and OpenAPI descriptions
#   make bench-client errata client's wall time over the examples/clients matrix
#   make bench-proxy  errata proxy beside nginx as a reverse proxy (bench/PROXY.md)
#   make bench-bodies an XML error beside a JSON one (bench/BODIES.md)
#   make bench-state  one replica with local state, one and two sharing Redis (bench/STATE.md)

CC         ?= cc
PKG_CONFIG ?= pkg-config
PKGS       := jansson libmicrohttpd libcurl yaml-0.1 libxml-2.0 md4c zlib libbrotlidec hiredis
XML_PKG    := libxml-2.0
BUILD      ?= build
ERRATA     ?= bin/errata
CFLAGS     ?= -O2 -g
SAN        ?=
NPROC      := $(shell nproc 2>/dev/null || echo 2)
WARN       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wpointer-arith -Wformat=2 -Wno-format-nonliteral -Wundef
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) \
              $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS      = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm -lpthread

CODEC_SRC  := $(wildcard codec/*.c)
MODEL_SRC  := $(wildcard model/*.c)
IMPORT_SRC := $(wildcard import/*.c)
MOCK_SRC   := $(wildcard mock/*.c)
STORE_SRC  := $(wildcard store/*.c)
HARNESS_SRC := $(wildcard harness/*.c)
CLI_SRC    := $(wildcard cli/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)
FUZZ_SRC   := $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:fuzz/%.c=%)
CODEC_OBJ  := $(CODEC_SRC:%.c=$(BUILD)/%.o)
MODEL_OBJ  := $(MODEL_SRC:%.c=$(BUILD)/%.o)
IMPORT_OBJ := $(IMPORT_SRC:%.c=$(BUILD)/%.o)
MOCK_OBJ   := $(MOCK_SRC:%.c=$(BUILD)/%.o)
STORE_OBJ  := $(STORE_SRC:%.c=$(BUILD)/%.o)
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/t/%)
FUZZ_DRV   := $(FUZZ_NAMES:%=$(BUILD)/t/%)
TESTS      := $(UNIT_BIN) $(sort $(wildcard tests/*.t))

all: $(ERRATA)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libmodel.a: $(MODEL_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libcodec.a: $(CODEC_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libimport.a: $(IMPORT_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libmock.a: $(MOCK_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libstore.a: $(STORE_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libharness.a: $(HARNESS_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(ERRATA): $(CLI_OBJ) $(BUILD)/libharness.a $(BUILD)/libmock.a $(BUILD)/libstore.a $(BUILD)/libimport.a $(BUILD)/libmodel.a $(BUILD)/libcodec.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/t/%: $(BUILD)/tests/unit/%.o $(BUILD)/libharness.a $(BUILD)/libmock.a $(BUILD)/libstore.a $(BUILD)/libimport.a $(BUILD)/libmodel.a $(BUILD)/libcodec.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# The fuzz targets: with driver.c (any compiler) they replay the corpus in
# make test; with libFuzzer (clang) they search, in make fuzz.
$(BUILD)/fuzz/%.o: ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags $(XML_PKG))
FUZZ_LIBS = $(BUILD)/libharness.a $(BUILD)/libmock.a $(BUILD)/libstore.a $(BUILD)/libimport.a $(BUILD)/libmodel.a $(BUILD)/libcodec.a

$(BUILD)/t/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/common.o $(BUILD)/fuzz/driver.o $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(shell $(PKG_CONFIG) --libs $(XML_PKG))

$(BUILD)/fuzzers/%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/common.o $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS) $(shell $(PKG_CONFIG) --libs $(XML_PKG))

fuzzers: $(FUZZ_NAMES:%=$(BUILD)/fuzzers/%)

deps:
	@scripts/deps

# Tests, examples and scripts run Debian's python3, the one make deps
# installs packages for (python3-junitparser, python3-boto3, ...). A python3
# met earlier in PATH, a version manager's shim say, has none of them and
# costs a third of a second a start (make test starts python3 about 400 times).
PYBIN := $(abspath build/pybin)
export PATH := $(PYBIN):$(PATH)
$(PYBIN)/python3:
	@mkdir -p $(@D)
	@if [ -x /usr/bin/python3 ]; then ln -sf /usr/bin/python3 $@; fi

# The tests run the binary named by $ERRATA; unit tests are TAP programs.
# They wait (timeouts, Retry-After, clients starting) more than they
# compute: TEST_JOBS files at once, twice the cores by default, each on its
# own ports (port 0) and temp dirs. The longest start first.
TEST_JOBS  ?= $(shell echo $$(($(NPROC) * 2)))
SLOW_TESTS := tests/demo.t tests/skopeo.t tests/client.t tests/apis.t tests/sdks.t tests/verdicts.t tests/s3_clients.t \
              tests/reports.t tests/sdk_suite.t tests/envelopes.t
test-bins: $(ERRATA) $(UNIT_BIN) $(FUZZ_DRV) $(PYBIN)/python3

test-run: test-bins
	ERRATA=$(abspath $(ERRATA)) FUZZ_DRIVERS=$(abspath $(BUILD)/t) \
		prove -j$(TEST_JOBS) -f $(SLOW_TESTS) $(filter-out $(SLOW_TESTS),$(TESTS))

test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) test-bins
	@$(MAKE) --no-print-directory test-run

check: deps
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/asan ERRATA=build/asan/errata \
		CFLAGS='-O1 -g -fno-omit-frame-pointer' SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' \
		test-bins
	@ERRATA_SANITIZED=1 $(MAKE) --no-print-directory BUILD=build/asan ERRATA=build/asan/errata \
		CFLAGS='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' test-run
	@$(MAKE) --no-print-directory tsan

# The journal's concurrent writers and readers under ThreadSanitizer.
tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan CFLAGS='-O1 -g' SAN='-fsanitize=thread' build/tsan/t/journal_race
	TSAN_OPTIONS=halt_on_error=1 prove build/tsan/t/journal_race

demo: deps
	@$(MAKE) --no-print-directory $(ERRATA) $(PYBIN)/python3
	@scripts/demo

bench: deps
	@scripts/deps scripts/bench-packages
	@$(MAKE) --no-print-directory $(ERRATA)
	@bench/run

bench-peers: deps
	@scripts/deps scripts/bench-peers-packages
	@cd bench/peers && { [ -d node_modules/wiremock ] || npm ci --no-audit --no-fund --loglevel=error; }
	@$(MAKE) --no-print-directory $(ERRATA)
	@timeout 3600 bench/peers.py

FUZZ_SECONDS ?= 60
FUZZ_SEED ?=
fuzz: deps
	@scripts/deps scripts/fuzz-packages
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/fuzz CC=clang CFLAGS='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all' fuzzers
	@FUZZ_SEED=$(FUZZ_SEED) scripts/fuzz $(FUZZ_SECONDS) build/fuzz/fuzzers

valgrind: deps
	@scripts/deps scripts/valgrind-packages
	@$(MAKE) --no-print-directory $(PYBIN)/python3
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/vg ERRATA=build/vg/errata CFLAGS='-O1 -g' build/vg/errata
	@scripts/valgrind build/vg/errata

bench-import: $(ERRATA)
	bench/import $(ERRATA)

bench-scale: $(ERRATA)
	@bench/scale

bench-client: deps
	@$(MAKE) --no-print-directory $(ERRATA)
	@bench/client $(ERRATA)

bench-bodies: deps
	@scripts/deps scripts/bench-packages
	@$(MAKE) --no-print-directory $(ERRATA)
	@bench/bodies

bench-proxy: deps
	@scripts/deps scripts/bench-packages
	@scripts/deps scripts/bench-proxy-packages
	@$(MAKE) --no-print-directory $(ERRATA)
	@bench/proxy

bench-state: deps
	@scripts/deps scripts/bench-packages
	@$(MAKE) --no-print-directory $(ERRATA)
	@bench/state $(ERRATA)

SOAK_SECONDS ?= 60
soak: deps
	@scripts/deps scripts/bench-packages
	@$(MAKE) --no-print-directory $(ERRATA)
	@bench/soak $(SOAK_SECONDS)

clean:
	rm -rf build bin

.PHONY: all deps test test-bins test-run check tsan demo bench bench-peers bench-scale bench-import bench-client bench-proxy bench-bodies bench-state fuzz fuzzers valgrind soak clean
.SECONDARY:
-include $(MODEL_OBJ:.o=.d) $(IMPORT_OBJ:.o=.d) $(MOCK_OBJ:.o=.d) $(STORE_OBJ:.o=.d) $(HARNESS_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
	$(wildcard $(BUILD)/fuzz/*.d)
