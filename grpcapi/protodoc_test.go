package grpcapi

import (
	"strings"
	"testing"

	"github.com/flexdb/flexdb/service"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// The proto documents itself: every service, RPC, message, field, enum and enum value of proto/ has a
// leading comment, so that grpcurl describe, the OpenAPI document and a reader of the proto see what it
// means, its limits and its errors. A declaration added without one fails here, by name.
func TestEveryDeclarationOfTheProtoIsDocumented(t *testing.T) {
	n := 0
	documented.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		walkDeclarations(fd, func(d protoreflect.Descriptor) {
			n++
			if strings.TrimSpace(fd.SourceLocations().ByDescriptor(d).LeadingComments) == "" {
				t.Errorf("%s (%s) has no comment: say what it means, its limits and its errors", d.FullName(), fd.Path())
			}
		})
		return true
	})
	if n == 0 {
		t.Fatal("the embedded dbaas.protoset declares nothing")
	}
}

// The embedded descriptors are those of the generated code with comments added: every proto file the
// generated code registers for package dbaas is there, and says the same, so that reflection describes
// the API this binary serves. (make check-generated keeps both current; this holds between runs of it.)
func TestTheDocumentedDescriptorsAreTheGeneratedOnes(t *testing.T) {
	files := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("dbaas", func(gen protoreflect.FileDescriptor) bool {
		files++
		doc, err := documented.FindFileByPath(gen.Path())
		if err != nil {
			t.Errorf("%s is not in dbaas.protoset: run make proto", gen.Path())
			return true
		}
		withComments := protodesc.ToFileDescriptorProto(doc)
		withComments.SourceCodeInfo = nil
		if !proto.Equal(withComments, protodesc.ToFileDescriptorProto(gen)) {
			t.Errorf("dbaas.protoset's %s is not the generated code's: run make proto", gen.Path())
		}
		return true
	})
	if files == 0 {
		t.Fatal("the generated code registers no file of package dbaas")
	}
}

// walkDeclarations calls visit with every service, method, message (nested ones too), field, oneof,
// enum and enum value of fd.
func walkDeclarations(fd protoreflect.FileDescriptor, visit func(protoreflect.Descriptor)) {
	for i := 0; i < fd.Services().Len(); i++ {
		s := fd.Services().Get(i)
		visit(s)
		for j := 0; j < s.Methods().Len(); j++ {
			visit(s.Methods().Get(j))
		}
	}
	walkEnums(fd.Enums(), visit)
	walkMessages(fd.Messages(), visit)
}

func walkMessages(ms protoreflect.MessageDescriptors, visit func(protoreflect.Descriptor)) {
	for i := 0; i < ms.Len(); i++ {
		m := ms.Get(i)
		visit(m)
		for j := 0; j < m.Fields().Len(); j++ {
			visit(m.Fields().Get(j))
		}
		for j := 0; j < m.Oneofs().Len(); j++ {
			if o := m.Oneofs().Get(j); !o.IsSynthetic() { // a proto3 optional's oneof is not written
				visit(o)
			}
		}
		walkEnums(m.Enums(), visit)
		walkMessages(m.Messages(), visit)
	}
}

func walkEnums(es protoreflect.EnumDescriptors, visit func(protoreflect.Descriptor)) {
	for i := 0; i < es.Len(); i++ {
		e := es.Get(i)
		visit(e)
		for j := 0; j < e.Values().Len(); j++ {
			visit(e.Values().Get(j))
		}
	}
}

// Each RPC's comment names what it needs, as service.Calls declares it, so that a tenant defining a
// custom role can read there which permission a call takes.
func TestEveryRPCsCommentNamesItsPermission(t *testing.T) {
	documented.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			methods := fd.Services().Get(i).Methods()
			for j := 0; j < methods.Len(); j++ {
				m := methods.Get(j)
				call, ok := service.Calls[string(m.Name())]
				if !ok {
					t.Errorf("%s declares no permission in service.Calls", m.FullName())
					continue
				}
				want := "Needs: " + string(call.Permission) + " ("
				switch call.Permission {
				case service.Platform:
					want = "Needs: the platform admin."
				case service.Authenticated:
					want = "Needs: any valid key."
				}
				comment := strings.Join(strings.Fields(fd.SourceLocations().ByDescriptor(m).LeadingComments), " ")
				if !strings.Contains(comment, want) {
					t.Errorf("%s's comment does not say %q:\n%s", m.FullName(), want, comment)
				}
			}
		}
		return true
	})
}
