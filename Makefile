# flex-db build entry points. `make test` is the whole test suite (what .ci/run runs); `make generate`
# rebuilds every generated file from proto/ with the plugin versions pinned in go.mod.
SHELL := /bin/bash
BIN := $(CURDIR)/.bin
PROTOC_INCLUDE ?= /usr/include

.PHONY: run test faults lint fuzz generate proto check-generated build bench tools docs-assets

run:
	go run ./cmd/flexdb serve --dev

build:
	CGO_ENABLED=0 go build -o $(BIN)/flexdb ./cmd/flexdb

# The whole test suite, on SQLite and PostgreSQL, with the race detector. test-setup.sh starts a local
# PostgreSQL that is down and installs Chromium for the docs browser test.
test:
	./scripts/test-setup.sh
	$(MAKE) check-generated lint
	go test -race -count=1 -timeout 20m ./...
	$(MAKE) fuzz

# Every fuzz target (found by name, so a new one is included) for a bounded number of runs each. A count,
# not a duration: Go 1.26's fuzzer can report a spurious "context deadline exceeded" when a duration ends
# (golang/go#75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 50000x
fuzz:
	@for pkg in $$(go list ./...); do \
		for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
			go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# The fault suite (faults/, build tag faults): the real binary killed, starved of its database and disk,
# flooded and soaked, with what it promises checked afterwards. .ci/run runs it after `make test`.
faults:
	./scripts/test-setup.sh
	go test -race -tags faults -count=1 -timeout 60m -v ./faults/

bench:
	go test -run '^$$' -bench . -benchtime 2s ./...

tools:
	@mkdir -p $(BIN)
	GOBIN=$(BIN) go install tool

generate: proto
	bash docsui/sync-assets.sh

# OUT is where the proto's generated files go: the tree itself, or (check-generated) a scratch copy.
OUT ?= .
proto: tools
	mkdir -p $(OUT)/httpapi
	PATH=$(BIN):$$PATH protoc -I proto -I $(PROTOC_INCLUDE) \
		--go_out=$(OUT) --go_opt=module=github.com/flexdb/flexdb \
		--go-grpc_out=$(OUT) --go-grpc_opt=module=github.com/flexdb/flexdb \
		--grpc-gateway_out=$(OUT) --grpc-gateway_opt=module=github.com/flexdb/flexdb \
		--openapiv2_out=$(OUT)/httpapi --openapiv2_opt=allow_merge=true,merge_file_name=openapi,json_names_for_fields=false,disable_default_errors=true \
		proto/dbaas/dbaas.proto

# go vet and staticcheck (its version pinned in go.mod) over everything.
lint:
	go vet ./...
	go tool staticcheck ./...

# Fails when the committed code generated from proto/ is not what the proto generates now.
check-generated:
	@scratch=$$(mktemp -d) && trap 'rm -rf $$scratch' EXIT && \
	$(MAKE) -s proto OUT=$$scratch && \
	diff -r $$scratch/api api && diff $$scratch/httpapi/openapi.swagger.json httpapi/openapi.swagger.json && \
	echo "generated code is current"

# The Swagger UI and ReDoc files embedded by docsui, copied from the npm packages pinned in
# docsui/package-lock.json (needs npm and the npm registry); part of `make generate`.
docs-assets:
	bash docsui/sync-assets.sh
