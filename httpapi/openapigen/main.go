// Command openapigen completes the OpenAPI document protoc-gen-connect-openapi generated from the proto
// (httpapi.BuildOpenAPI) and writes the document the server serves. make proto runs it:
//
//	go run ./httpapi/openapigen GENERATED.json httpapi/openapi.json
package main

import (
	"fmt"
	"os"

	"github.com/flexdb/flexdb/httpapi"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: openapigen GENERATED.json OUT.json")
		os.Exit(2)
	}
	generated, err := os.ReadFile(os.Args[1])
	if err == nil {
		var doc []byte
		if doc, err = httpapi.BuildOpenAPI(generated); err == nil {
			err = os.WriteFile(os.Args[2], doc, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
}
