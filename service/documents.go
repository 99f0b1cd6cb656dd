package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/jsondoc"
)

// ---- node types ----

// CreateNodeType declares a kind of document; an empty schema accepts any object.
func (s *Service) CreateNodeType(ctx context.Context, tenantID, name, description, schema string) (*flexdb.NodeType, error) {
	c := s.check(ctx, "CreateNodeType")
	tenantID = c.tenant("tenant_id", tenantID)
	c.text("name", name, s.lim.NameChars, true)
	c.text("description", description, s.lim.DescriptionChars, false)
	schema = s.checkSchema(c, schema, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	at := s.now()
	nt := &flexdb.NodeType{ID: newID(), TenantID: tenantID, Name: name, Description: description, Schema: schema, CreatedAt: at, UpdatedAt: at, Version: 1}
	if err := s.store.CreateNodeType(ctx, nt); err != nil {
		return nil, err
	}
	return nt, nil
}

// checkSchema returns the schema's canonical text after checking that it compiles.
func (s *Service) checkSchema(c *check, schema string, emptyIsEmpty bool) string {
	canon := c.document("schema", schema, emptyIsEmpty)
	if canon == "" {
		return ""
	}
	if _, err := compileSchema(canon, s.lim.Document); err != nil {
		c.add("schema", err.Error())
		return ""
	}
	return canon
}

func (s *Service) GetNodeType(ctx context.Context, tenantID, id string) (*flexdb.NodeType, error) {
	c := s.check(ctx, "GetNodeType")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	if err := c.err(); err != nil {
		return nil, err
	}
	return s.store.GetNodeType(ctx, tenantID, id)
}

// UpdateNodeType changes a type; a new schema applies to node writes from then on.
func (s *Service) UpdateNodeType(ctx context.Context, u NodeTypeUpdate) (*flexdb.NodeType, error) {
	c := s.check(ctx, "UpdateNodeType")
	u.TenantID = c.tenant("tenant_id", u.TenantID)
	u.ID = c.id("id", u.ID)
	c.text("name", u.Name, s.lim.NameChars, false)
	c.text("description", u.Description, s.lim.DescriptionChars, false)
	u.Schema = s.checkSchema(c, u.Schema, false)
	c.version("expected_version", u.ExpectedVersion)
	if err := c.err(); err != nil {
		return nil, err
	}
	u.At = s.now()
	return s.store.UpdateNodeType(ctx, u)
}

// DeleteNodeType, like every delete, happens only at expectedVersion when that is not 0.
func (s *Service) DeleteNodeType(ctx context.Context, tenantID, id string, cascade bool, expectedVersion int64) error {
	c := s.check(ctx, "DeleteNodeType")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	c.version("expected_version", expectedVersion)
	if err := c.err(); err != nil {
		return err
	}
	return s.store.DeleteNodeType(ctx, tenantID, id, cascade, expectedVersion)
}

func (s *Service) ListNodeTypes(ctx context.Context, tenantID string, p PageRequest) (flexdb.Page[flexdb.NodeType], error) {
	c := s.check(ctx, "ListNodeTypes")
	tenantID = c.tenant("tenant_id", tenantID)
	if err := c.err(); err != nil {
		return flexdb.Page[flexdb.NodeType]{}, err
	}
	return list(s.lim.PageBytes, p, func(nt flexdb.NodeType) string { return nt.ID }, func(q ListQuery) ([]flexdb.NodeType, int, error) {
		return s.store.ListNodeTypes(ctx, tenantID, q)
	}, "node_types", tenantID)
}

// ---- nodes ----

// schemaOf returns the compiled schema of a node type, from the cache unless fresh is set.
func (s *Service) schemaOf(ctx context.Context, tenantID, typeID string, fresh bool) (cachedSchema, error) {
	if e, ok := s.schemas.Get(tenantItem{tenantID, typeID}); ok && !fresh {
		return e, nil
	}
	nt, err := s.store.GetNodeType(ctx, tenantID, typeID)
	if err != nil {
		return cachedSchema{}, err
	}
	sch, err := compileSchema(nt.Schema, s.lim.Document)
	if err != nil {
		return cachedSchema{}, flexdb.Wrap(err, "stored schema of node type "+typeID+" does not compile")
	}
	e := cachedSchema{version: nt.Version, schema: sch}
	s.schemas.Add(tenantItem{tenantID, typeID}, e)
	return e, nil
}

// validated runs write with data checked against the node type's current schema (withSchema).
func (s *Service) validated(ctx context.Context, tenantID, typeID string, doc map[string]any, write func(version int64) error) error {
	return s.withSchema(ctx, tenantID, typeID, func(e cachedSchema) error {
		if err := validateDoc(e.schema, "data", doc); err != nil {
			return err
		}
		return write(e.version)
	})
}

// withSchema runs write with the node type's current schema. The store refuses a write (NotFound) when
// the type moved past the version checked against; then the schema is read again and the write retried
// once.
func (s *Service) withSchema(ctx context.Context, tenantID, typeID string, write func(e cachedSchema) error) error {
	for fresh := false; ; fresh = true {
		e, err := s.schemaOf(ctx, tenantID, typeID, fresh)
		if err != nil {
			return err
		}
		err = write(e)
		if flexdb.CodeOf(err) != flexdb.NotFound || fresh {
			return err
		}
	}
}

func (s *Service) CreateNode(ctx context.Context, tenantID, nodeTypeID, data string) (*flexdb.Node, error) {
	c := s.check(ctx, "CreateNode")
	tenantID = c.tenant("tenant_id", tenantID)
	nodeTypeID = c.id("node_type_id", nodeTypeID)
	data, doc := c.documentValue("data", data, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	at := s.now()
	n := &flexdb.Node{ID: newID(), TenantID: tenantID, NodeTypeID: nodeTypeID, Data: data, CreatedAt: at, UpdatedAt: at, Version: 1}
	err := s.validated(ctx, tenantID, nodeTypeID, doc, func(version int64) error {
		return s.store.CreateNode(ctx, n, version)
	})
	if err != nil {
		return nil, err
	}
	s.nodeTypes.Add(tenantItem{tenantID, n.ID}, nodeTypeID)
	return n, nil
}

func (s *Service) GetNode(ctx context.Context, tenantID, id string) (*flexdb.Node, error) {
	c := s.check(ctx, "GetNode")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	if err := c.err(); err != nil {
		return nil, err
	}
	n, err := s.store.GetNode(ctx, tenantID, id)
	if err == nil {
		s.nodeTypes.Add(tenantItem{tenantID, id}, n.NodeTypeID)
	}
	return n, err
}

// UpdateNode replaces a node's data, or changes it with patch, an RFC 7396 merge patch applied to the
// document as it is when the write runs; either way the result is checked against its type's schema.
// With neither, nothing changes but the version. A non-zero expectedVersion makes it conditional
// (Aborted when the node moved on).
func (s *Service) UpdateNode(ctx context.Context, tenantID, id, data, patch string, expectedVersion int64) (*flexdb.Node, error) {
	c := s.check(ctx, "UpdateNode")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	data, doc := c.documentValue("data", data, false)
	changes := c.patch(patch, data)
	c.version("expected_version", expectedVersion)
	if err := c.err(); err != nil {
		return nil, err
	}
	if changes != nil {
		return s.patchNode(ctx, tenantID, id, changes, expectedVersion)
	}
	u := NodeUpdate{TenantID: tenantID, ID: id, Data: data, ExpectedVersion: expectedVersion, At: s.now()}
	if data == "" {
		// The data stays as it is, in the row: the store keeps it in the same statement, so a concurrent
		// write is never overwritten with a copy read before it. Data written earlier is not re-checked
		// (a new schema applies to writes from then on).
		return s.store.UpdateNode(ctx, u)
	}
	typeID, err := s.typeOf(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	u.NodeTypeID = typeID
	var updated *flexdb.Node
	err = s.validated(ctx, tenantID, typeID, doc, func(version int64) error {
		u.TypeVersion = version
		var err error
		updated, err = s.store.UpdateNode(ctx, u)
		return err
	})
	return updated, err
}

// typeOf is a node's type, remembered or read: the type whose schema checks the node's new data.
func (s *Service) typeOf(ctx context.Context, tenantID, id string) (string, error) {
	if typeID, known := s.nodeTypes.Get(tenantItem{tenantID, id}); known {
		return typeID, nil
	}
	cur, err := s.store.GetNode(ctx, tenantID, id)
	if err != nil {
		return "", err
	}
	s.nodeTypes.Add(tenantItem{tenantID, id}, cur.NodeTypeID)
	return cur.NodeTypeID, nil
}

// patchNode applies a merge patch in the store's transaction and checks the result against the schema
// of the node's type, read before the transaction (so that a transaction holding a row lock never
// waits for a connection to read a schema); when the schema moved on meanwhile, it is read again and
// the patch retried once.
func (s *Service) patchNode(ctx context.Context, tenantID, id string, patch map[string]any, expectedVersion int64) (*flexdb.Node, error) {
	typeID, err := s.typeOf(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	var n *flexdb.Node
	err = s.withSchema(ctx, tenantID, typeID, func(e cachedSchema) error {
		var err error
		n, err = s.store.PatchNode(ctx, NodePatch{TenantID: tenantID, ID: id, ExpectedVersion: expectedVersion, At: s.now(),
			Apply: func(_, data string) (string, int64, error) {
				merged, doc, err := applyPatch(data, patch, s.lim)
				if err != nil {
					return "", 0, err
				}
				if err := validateDoc(e.schema, "data", doc); err != nil {
					return "", 0, err
				}
				return merged, e.version, nil
			}})
		return err
	})
	return n, err
}

// applyPatch merges patch into a stored document; a result over the size limit is refused as too large.
func applyPatch(data string, patch map[string]any, lim Limits) (string, map[string]any, error) {
	merged, doc, err := jsondoc.MergePatch(data, patch, lim.Document)
	var big *jsondoc.TooLargeError
	switch {
	case errors.As(err, &big):
		return "", nil, flexdb.TooLarge(flexdb.FieldViolation{Field: "patch",
			Description: fmt.Sprintf("makes a document of more than the limit of %d bytes as stored", big.Limit)})
	case err != nil:
		return "", nil, flexdb.Wrap(err, "merge patch")
	}
	return merged, doc, nil
}

func (s *Service) DeleteNode(ctx context.Context, tenantID, id string, expectedVersion int64) error {
	c := s.check(ctx, "DeleteNode")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	c.version("expected_version", expectedVersion)
	if err := c.err(); err != nil {
		return err
	}
	err := s.store.DeleteNode(ctx, tenantID, id, expectedVersion)
	if err == nil {
		s.nodeTypes.Remove(tenantItem{tenantID, id})
	}
	return err
}

func (s *Service) ListNodes(ctx context.Context, tenantID string, f NodeFilter, p PageRequest) (flexdb.Page[flexdb.Node], error) {
	c := s.check(ctx, "ListNodes")
	tenantID = c.tenant("tenant_id", tenantID)
	f.NodeTypeID = c.optionalID("node_type_id", f.NodeTypeID)
	if err := c.err(); err != nil {
		return flexdb.Page[flexdb.Node]{}, err
	}
	return list(s.lim.PageBytes, p, func(n flexdb.Node) string { return n.ID }, func(q ListQuery) ([]flexdb.Node, int, error) {
		return s.store.ListNodes(ctx, tenantID, f, q)
	}, "nodes", tenantID, f.NodeTypeID)
}

// ---- relationships ----

func (s *Service) CreateRelationship(ctx context.Context, r flexdb.Relationship) (*flexdb.Relationship, error) {
	c := s.check(ctx, "CreateRelationship")
	r.TenantID = c.tenant("tenant_id", r.TenantID)
	r.SourceNodeID = c.id("source_node_id", r.SourceNodeID)
	r.TargetNodeID = c.id("target_node_id", r.TargetNodeID)
	c.text("relationship_type", r.Type, s.lim.NameChars, true)
	r.Data = c.document("data", r.Data, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	at := s.now()
	r.ID, r.CreatedAt, r.UpdatedAt, r.Version = newID(), at, at, 1
	if err := s.store.CreateRelationship(ctx, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *Service) GetRelationship(ctx context.Context, tenantID, id string) (*flexdb.Relationship, error) {
	c := s.check(ctx, "GetRelationship")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	if err := c.err(); err != nil {
		return nil, err
	}
	return s.store.GetRelationship(ctx, tenantID, id)
}

// UpdateRelationship changes a relationship's type and replaces its data, or changes the data with
// patch, a merge patch as UpdateNode's.
func (s *Service) UpdateRelationship(ctx context.Context, u RelationshipUpdate, patch string) (*flexdb.Relationship, error) {
	c := s.check(ctx, "UpdateRelationship")
	u.TenantID = c.tenant("tenant_id", u.TenantID)
	u.ID = c.id("id", u.ID)
	c.text("relationship_type", u.Type, s.lim.NameChars, false)
	u.Data = c.document("data", u.Data, false)
	changes := c.patch(patch, u.Data)
	c.version("expected_version", u.ExpectedVersion)
	if err := c.err(); err != nil {
		return nil, err
	}
	u.At = s.now()
	if changes != nil {
		return s.store.PatchRelationship(ctx, RelationshipPatch{TenantID: u.TenantID, ID: u.ID, Type: u.Type, ExpectedVersion: u.ExpectedVersion, At: u.At,
			Apply: func(data string) (string, error) {
				merged, _, err := applyPatch(data, changes, s.lim)
				return merged, err
			}})
	}
	return s.store.UpdateRelationship(ctx, u)
}

func (s *Service) DeleteRelationship(ctx context.Context, tenantID, id string, expectedVersion int64) error {
	c := s.check(ctx, "DeleteRelationship")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	c.version("expected_version", expectedVersion)
	if err := c.err(); err != nil {
		return err
	}
	return s.store.DeleteRelationship(ctx, tenantID, id, expectedVersion)
}

func (s *Service) ListRelationships(ctx context.Context, tenantID string, f RelationshipFilter, p PageRequest) (flexdb.Page[flexdb.Relationship], error) {
	c := s.check(ctx, "ListRelationships")
	tenantID = c.tenant("tenant_id", tenantID)
	f.SourceNodeID = c.optionalID("source_node_id", f.SourceNodeID)
	f.TargetNodeID = c.optionalID("target_node_id", f.TargetNodeID)
	if f.Type != "" {
		c.text("relationship_type", f.Type, s.lim.NameChars, false)
	}
	if err := c.err(); err != nil {
		return flexdb.Page[flexdb.Relationship]{}, err
	}
	return list(s.lim.PageBytes, p, func(r flexdb.Relationship) string { return r.ID }, func(q ListQuery) ([]flexdb.Relationship, int, error) {
		return s.store.ListRelationships(ctx, tenantID, f, q)
	}, "relationships", tenantID, f.SourceNodeID, f.TargetNodeID, f.Type)
}
