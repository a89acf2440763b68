# returnbench: `make run` to start a server, `make test` to run every test.
GO        ?= go
BIN       := bin/returnbench
FUZZTIME  ?= 10s
# Test servers are built once into a cache outside the clone, so fresh
# clones on the same machine reuse them.
CACHE     ?= $(HOME)/.cache/returnbench
MINIO     := $(CACHE)/bin/minio
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
export RETURNBENCH_MINIO := $(MINIO)
# The crash, fault and scale tests run the binary `make build` made.
export RETURNBENCH_BIN := $(abspath $(BIN))
# How long `make soak` kills and restarts (per mode) and runs each fuzz target.
SOAK      ?= 10m
SOAK_FUZZ ?= 1m

.PHONY: all web build run test test-deps tools vet fuzz bench clean e2e soak vulncheck

all: build

# The bench app: npm packages bundled by esbuild into web/dist, which the
# binary embeds. Rebuilt only when its sources change.
WEB_DEPS := web/node_modules/.installed
WEB_OUT  := web/dist/index.html
WEB_SRC  := $(shell find web/src -type f 2>/dev/null) web/build.mjs web/package.json

$(WEB_DEPS): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

$(WEB_OUT): $(WEB_DEPS) $(WEB_SRC)
	cd web && node build.mjs

web: $(WEB_OUT)

build: web
	$(GO) build -o $(BIN) ./cmd/returnbench

run: build
	./$(BIN) serve

vet:
	$(GO) vet ./...

# Everything the tests need is checked or installed first; no test is skipped
# for a missing dependency.
test: build vet test-deps
	./scripts/ensure-postgres.sh
	cd web && node --test test/
	node --test --test-concurrency=1 web/e2e/
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -run='^$$' -fuzz='^FuzzClassify$$' -fuzztime=$(FUZZTIME) -parallel 2 ./labels
	$(GO) test -run='^$$' -fuzz='^FuzzTusHeaders$$' -fuzztime=$(FUZZTIME) -parallel 2 ./media
	$(GO) test -run='^$$' -fuzz='^FuzzSyncPush$$' -fuzztime=$(FUZZTIME) -parallel 2 ./server

# The long forms: kill -9 the server and then MinIO for SOAK each, every
# fuzz target for SOAK_FUZZ, the security suite; one table at the end.
soak: build test-deps
	./scripts/ensure-postgres.sh
	$(GO) run ./bench/soak -crash $(SOAK) -fuzz $(SOAK_FUZZ)

# Known vulnerabilities in our code and dependencies, with a pinned
# govulncheck reading the Go vulnerability database from disk (see
# tools/vulncheck/vulncheck.sh: VULNDB_DIR, or the database as a module).
# It fails when no database can be had, so it is not part of `make test`
# on a machine without one.
vulncheck:
	CACHE=$(CACHE) GO=$(GO) ./tools/vulncheck/vulncheck.sh

TUSCLIENT := server/testdata/tusclient

test-deps: $(MINIO) $(TUSCLIENT)/node_modules tools

# Debian tools the tests use: pdftoppm/pdfinfo/pdftotext read the PDFs we
# make, ffmpeg cuts stills from unboxing videos and makes the fake camera,
# Chromium runs the bench app. Installed only if missing.
tools:
	@command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null && command -v ffmpeg >/dev/null && \
		command -v chromium >/dev/null || \
		(apt-get update && apt-get install -y --no-install-recommends poppler-utils ffmpeg chromium)

# The bench app in Debian's headless Chromium against the real binary.
e2e: build tools
	node --test --test-concurrency=1 web/e2e/

# tus-js-client for server/tusclient_test.go, pinned by its package-lock.json.
$(TUSCLIENT)/node_modules: $(TUSCLIENT)/package-lock.json
	cd $(TUSCLIENT) && npm ci --no-audit --no-fund
	@touch $@

# MinIO, a real S3 server for the media tests (about 3-5 minutes, once).
$(MINIO):
	@echo "building the MinIO test server into $(CACHE) (once; a few minutes)..."
	GOBIN=$(CACHE)/bin $(GO) install github.com/minio/minio@$(MINIO_VERSION)

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzClassify -fuzztime=5m -parallel 2 ./labels

bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./labels
	$(GO) run ./bench/scanbench
	$(GO) run ./bench/uploadbench -server-bin $(BIN)
	$(GO) run ./bench/syncbench -batches 50
	$(GO) run ./bench/packbench -server-bin $(BIN)
	$(GO) run ./bench/importbench -server-bin $(BIN)
	$(GO) run ./bench/loadbench -server-bin $(BIN)
	node web/e2e/bench.mjs

clean:
	rm -rf bin web/dist/assets web/dist/*.html web/dist/*.js web/dist/*.webmanifest web/dist/icons
