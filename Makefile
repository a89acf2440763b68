# returnbench: `make run` to start a server, `make test` to run every test.
GO        ?= go
BIN       := bin/returnbench
FUZZTIME  ?= 10s

.PHONY: all build run test vet fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/returnbench

run: build
	./$(BIN) serve

vet:
	$(GO) vet ./...

# Everything the tests need is checked or installed first; no test is skipped
# for a missing dependency.
test: vet
	./scripts/ensure-postgres.sh
	$(GO) test -race -count=1 ./...
	$(GO) test -run='^$$' -fuzz=FuzzClassify -fuzztime=$(FUZZTIME) -parallel 2 ./labels

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzClassify -fuzztime=5m -parallel 2 ./labels

bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./labels
	$(GO) run ./bench/scanbench

clean:
	rm -rf bin
