package grpcapi_test

import (
	"testing"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/service"
)

// Every RPC of the proto declares the permission it needs and whether it writes; a new RPC without a declaration fails here
// (and is refused at run time).
func TestEveryRPCDeclaresAPermission(t *testing.T) {
	services := pb.File_dbaas_dbaas_proto.Services()
	declared := 0
	for i := 0; i < services.Len(); i++ {
		methods := services.Get(i).Methods()
		for j := 0; j < methods.Len(); j++ {
			name := string(methods.Get(j).Name())
			if _, ok := service.Calls[name]; !ok {
				t.Errorf("%s.%s declares nothing in service.Calls", services.Get(i).Name(), name)
			}
			declared++
		}
	}
	if declared != len(service.Calls) {
		t.Errorf("service.Calls has %d entries for %d RPCs: remove the ones no RPC has", len(service.Calls), declared)
	}
}
