# opengmsa — build and test entry points. `make help` lists them.
#
# `make check` is the README's test command and what CI (.ci/run) runs with
# GMSA_REQUIRE_PEERS=1: it installs the real peers when it runs as root, then
# runs every tier, so that in CI nothing can silently skip.

GO        ?= go
BIN       ?= bin
FUZZTIME  ?= 10s
SMOKETIME ?= 10000x
export CGO_ENABLED ?= 0

CMDS := $(notdir $(wildcard cmd/*))

.DEFAULT_GOAL := build

.PHONY: help
help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build the static binaries into ./bin (CGO_ENABLED=0)
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ ./cmd/...

.PHONY: cross
cross: ## cross-compile cmd/gmsa for windows/amd64 and darwin/arm64
	GOOS=windows GOARCH=amd64 $(GO) build -trimpath -o /dev/null ./cmd/gmsa
	GOOS=darwin  GOARCH=arm64 $(GO) build -trimpath -o /dev/null ./cmd/gmsa

.PHONY: lint
lint: ## gofmt, go vet, and go.mod tidy
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

.PHONY: test
test: lint ## the fast loop: vet, unit tests (peers skip when absent), short fuzz smoke
	$(GO) test ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(SMOKETIME)

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME (default 10s) each
	@scripts/fuzz.sh $(FUZZTIME)

.PHONY: bench
bench: ## run the benchmarks (numbers go to docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: peers
peers: ## install the real peers (Samba 4.22 AD DC, MIT Kerberos, OpenLDAP tools…); needs root
	scripts/install-peers.sh

.PHONY: check
check: ## everything CI runs: peers (as root), lint, every test tier, fuzz smoke, build, cross-compile
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory peers; \
	  else echo "make check: not root, skipping 'make peers' (peer tests skip unless GMSA_REQUIRE_PEERS=1)"; fi
	@$(MAKE) --no-print-directory lint
	$(GO) test -count=1 -timeout 20m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(SMOKETIME)
	@$(MAKE) --no-print-directory build cross

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
