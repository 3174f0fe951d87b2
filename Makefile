# The two commands the README opens with:
#   make demo   build everything and run the main job on a local devnet
#   make test   run the whole test suite (what CI runs)

GO ?= go

.PHONY: build demo test fuzz bench man lint

build:
	$(GO) build -o bin/ ./cmd/...

demo: build
	./scripts/demo.sh

test:
	$(GO) test -race -timeout 45m ./...

# Run every fuzz target for a while (FUZZTIME each).
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...

man:
	$(GO) run ./cmd/mf-route gen-man man
	$(GO) run ./cmd/mf-swap gen-man man
	$(GO) run ./cmd/mf-court gen-man man
	$(GO) run ./cmd/mf-db gen-man man
	$(GO) run ./cmd/mf-store gen-man man
	$(GO) run ./cmd/mf-hold gen-man man
	$(GO) run ./cmd/mf-chat gen-man man

lint:
	test -z "$$(gofmt -l .)"
	$(GO) vet ./...
