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
# protoc-gen-connect-openapi writes OpenAPI 3.1 from the google.api.http rules and the proto's comments;
# openapigen (httpapi.BuildOpenAPI) adds what the proto does not say, into the served httpapi/openapi.json.
OUT ?= .
# grpcapi/dbaas.protoset is the proto's descriptors with their comments (source info), which the
# generated Go code drops; server reflection serves it, so that grpcurl describe shows the comments.
OPENAPI_OPT := only-googleapi-http,with-proto-names,short-service-tags,short-operation-ids,format=json,path=openapi.json
proto: tools
	mkdir -p $(OUT)/httpapi $(OUT)/grpcapi
	@plugin=$$(mktemp -d) && trap 'rm -rf $$plugin' EXIT && \
	PATH=$(BIN):$$PATH protoc -I proto -I $(PROTOC_INCLUDE) \
		--include_source_info --descriptor_set_out=$(OUT)/grpcapi/dbaas.protoset \
		--go_out=$(OUT) --go_opt=module=github.com/flexdb/flexdb \
		--go-grpc_out=$(OUT) --go-grpc_opt=module=github.com/flexdb/flexdb \
		--grpc-gateway_out=$(OUT) --grpc-gateway_opt=module=github.com/flexdb/flexdb \
		--connect-openapi_out=$$plugin --connect-openapi_opt=$(OPENAPI_OPT) \
		proto/dbaas/dbaas.proto && \
	go run ./httpapi/openapigen $$plugin/openapi.json $(OUT)/httpapi/openapi.json

# go vet and staticcheck (its version pinned in go.mod) over everything, the fault suite (build tag faults) too.
lint:
	go vet ./...
	go vet -tags faults ./faults/
	go tool staticcheck ./...
	go tool staticcheck -tags faults ./faults/

# Fails when the committed code generated from proto/ is not what the proto generates now.
check-generated:
	@scratch=$$(mktemp -d) && trap 'rm -rf $$scratch' EXIT && \
	$(MAKE) -s proto OUT=$$scratch && \
	diff -r $$scratch/api api && diff $$scratch/httpapi/openapi.json httpapi/openapi.json && \
	cmp $$scratch/grpcapi/dbaas.protoset grpcapi/dbaas.protoset && \
	echo "generated code is current"

# The Swagger UI and ReDoc files embedded by docsui, copied from the npm packages pinned in
# docsui/package-lock.json (needs npm and the npm registry); part of `make generate`.
docs-assets:
	bash docsui/sync-assets.sh
