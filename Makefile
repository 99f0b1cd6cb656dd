# flex-db build entry points. `make test` is the whole test suite (what .ci/run runs); `make generate`
# rebuilds every generated file from proto/ with the plugin versions pinned in go.mod.
SHELL := /bin/bash
BIN := $(CURDIR)/.bin
PROTOC_INCLUDE ?= /usr/include

.PHONY: run test generate build bench tools

run:
	go run ./cmd/flexdb serve

build:
	CGO_ENABLED=0 go build -o $(BIN)/flexdb ./cmd/flexdb

test:
	go test -race -count=1 ./...

bench:
	go test -run '^$$' -bench . -benchtime 2s ./...

tools:
	@mkdir -p $(BIN)
	GOBIN=$(BIN) go install tool

generate: tools
	PATH=$(BIN):$$PATH protoc -I proto -I $(PROTOC_INCLUDE) \
		--go_out=. --go_opt=module=github.com/flexdb/flexdb \
		--go-grpc_out=. --go-grpc_opt=module=github.com/flexdb/flexdb \
		--grpc-gateway_out=. --grpc-gateway_opt=module=github.com/flexdb/flexdb \
		--openapiv2_out=httpapi --openapiv2_opt=allow_merge=true,merge_file_name=openapi,json_names_for_fields=false,disable_default_errors=true \
		proto/dbaas/dbaas.proto
	gofmt -l api || true
