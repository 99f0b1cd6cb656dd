package grpcapi

import (
	_ "embed"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// documentedSet is proto/'s files with their source info (the comments), written by make proto:
// protoc-gen-go drops source info from the descriptors it embeds in the generated code, so reflection
// over those would serve the API without its documentation.
//
//go:embed dbaas.protoset
var documentedSet []byte

// documented holds the files of documentedSet. Their imports are the generated code's own files.
var documented = mustFiles(documentedSet)

func mustFiles(raw []byte) *protoregistry.Files {
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		panic(fmt.Sprintf("grpcapi: the embedded dbaas.protoset does not decode (run make proto): %v", err))
	}
	files := new(protoregistry.Files)
	for _, fdp := range set.GetFile() {
		fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
		if err == nil {
			err = files.RegisterFile(fd)
		}
		if err != nil {
			panic(fmt.Sprintf("grpcapi: the embedded dbaas.protoset does not build (run make proto): %v", err))
		}
	}
	return files
}

// registerReflection serves server reflection, v1 and v1alpha (grpcurl and evans ask for either), from
// the documented files first, so that grpcurl describe shows the proto's comments, and from the
// binary's other files (health, reflection itself) after.
func registerReflection(s *grpc.Server) {
	opts := reflection.ServerOptions{Services: s, DescriptorResolver: firstOf{documented, protoregistry.GlobalFiles}}
	reflectionv1.RegisterServerReflectionServer(s, reflection.NewServerV1(opts))
	reflectionv1alpha.RegisterServerReflectionServer(s, reflection.NewServer(opts))
}

// firstOf finds a descriptor in the first resolver that has it.
type firstOf []protodesc.Resolver

func (r firstOf) FindFileByPath(path string) (protoreflect.FileDescriptor, error) {
	for _, res := range r {
		if fd, err := res.FindFileByPath(path); err == nil {
			return fd, nil
		}
	}
	return nil, protoregistry.NotFound
}

func (r firstOf) FindDescriptorByName(name protoreflect.FullName) (protoreflect.Descriptor, error) {
	for _, res := range r {
		if d, err := res.FindDescriptorByName(name); err == nil {
			return d, nil
		}
	}
	return nil, protoregistry.NotFound
}
