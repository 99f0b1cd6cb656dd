package sqlstore

import (
	"context"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// ---- node types ----

const nodeTypeColumns = "tenant_id, id, name, description, schema, created_at, updated_at, version"

func scanNodeType(r row) (flexdb.NodeType, error) {
	var t flexdb.NodeType
	err := r.Scan(&t.TenantID, &t.ID, &t.Name, &t.Description, &t.Schema, &t.CreatedAt, &t.UpdatedAt, &t.Version)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

func (s *Store) nodeTypeWriteFailed(ctx context.Context, err error, tenantID, name string) error {
	switch s.db.violated(err) {
	case uniqueViolation:
		return flexdb.Errorf(flexdb.AlreadyExists, "a node type named %q already exists in tenant %s", name, tenantID)
	case foreignKeyViolation:
		return notFound("tenant %s not found", tenantID)
	}
	return fault(err, "write node type")
}

func (s *Store) CreateNodeType(ctx context.Context, t *flexdb.NodeType) error {
	_, err := s.db.writer().Exec(ctx, "INSERT INTO node_types ("+nodeTypeColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		t.TenantID, t.ID, t.Name, t.Description, t.Schema, t.CreatedAt, t.UpdatedAt, t.Version)
	if err != nil {
		return s.nodeTypeWriteFailed(ctx, err, t.TenantID, t.Name)
	}
	return nil
}

func (s *Store) GetNodeType(ctx context.Context, tenantID, id string) (*flexdb.NodeType, error) {
	t, err := one(s.db.reader().QueryRow(ctx, "SELECT "+nodeTypeColumns+" FROM node_types WHERE tenant_id = $1 AND id = $2", tenantID, id),
		scanNodeType, func() error { return notFound("node type %s not found", id) }, "read node type")
	return &t, err
}

func (s *Store) UpdateNodeType(ctx context.Context, u service.NodeTypeUpdate) (*flexdb.NodeType, error) {
	t, err := scanNodeType(s.db.writer().QueryRow(ctx, `UPDATE node_types SET name = COALESCE($3, name),
		description = COALESCE($4, description), schema = COALESCE($5, schema), updated_at = $6, version = version + 1
		WHERE tenant_id = $1 AND id = $2 AND (version = $7 OR $7 = 0) RETURNING `+nodeTypeColumns,
		u.TenantID, u.ID, optional(u.Name), optional(u.Description), optional(u.Schema), u.At, u.ExpectedVersion))
	switch {
	case isNoRows(err):
		return nil, conflict(u.ExpectedVersion, s.nodeTypeVersion(ctx, u.TenantID, u.ID), "node type", u.ID)
	case err != nil:
		return nil, s.nodeTypeWriteFailed(ctx, err, u.TenantID, u.Name)
	}
	return &t, nil
}

// nodeTypeVersion reads a node type's version, for conflict.
func (s *Store) nodeTypeVersion(ctx context.Context, tenantID, id string) func() (int64, error) {
	return func() (int64, error) {
		t, err := s.GetNodeType(ctx, tenantID, id)
		return t.Version, err
	}
}

func (s *Store) DeleteNodeType(ctx context.Context, tenantID, id string, cascade bool, expectedVersion int64) error {
	const del = "DELETE FROM node_types WHERE tenant_id = $1 AND id = $2 AND (version = $3 OR $3 = 0)"
	missing, version := func() error { return notFound("node type %s not found", id) }, s.nodeTypeVersion(ctx, tenantID, id)
	if !cascade {
		n, err := s.db.writer().Exec(ctx, del, tenantID, id, expectedVersion)
		if s.db.violated(err) == foreignKeyViolation {
			return s.typeInUse(ctx, tenantID, id)
		}
		return deleted(n, err, expectedVersion, version, missing, "node type", id)
	}
	// A type at another version than expected fails the transaction, so its nodes stay too.
	return s.db.inTx(ctx, func(q querier) error {
		// The type is locked first: a node insert racing the delete waits for it and then finds the type
		// gone, rather than slipping in between the two deletes and failing the second.
		var found int
		err := q.QueryRow(ctx, "SELECT 1 FROM node_types WHERE tenant_id = $1 AND id = $2"+s.db.forUpdate(), tenantID, id).Scan(&found)
		switch {
		case isNoRows(err):
			return missing()
		case err != nil:
			return fault(err, "lock node type")
		}
		if _, err := q.Exec(ctx, "DELETE FROM nodes WHERE tenant_id = $1 AND node_type_id = $2", tenantID, id); err != nil {
			return fault(err, "delete nodes of node type")
		}
		n, err := q.Exec(ctx, del, tenantID, id, expectedVersion)
		return deleted(n, err, expectedVersion, version, missing, "node type", id)
	})
}

// typeInUse explains a refused delete; it runs only on that error path.
func (s *Store) typeInUse(ctx context.Context, tenantID, id string) error {
	var n int
	if err := s.db.reader().QueryRow(ctx, "SELECT count(*) FROM nodes WHERE tenant_id = $1 AND node_type_id = $2", tenantID, id).Scan(&n); err != nil {
		return fault(err, "count nodes of node type")
	}
	return flexdb.Errorf(flexdb.FailedPrecondition,
		"node type %s still has %d nodes; delete them first, or delete the type with cascade", id, n)
}

func (s *Store) ListNodeTypes(ctx context.Context, tenantID string, q service.ListQuery) ([]flexdb.NodeType, int, error) {
	l := listSpec[flexdb.NodeType]{table: "node_types", columns: nodeTypeColumns, key: "id", scan: scanNodeType, scope: tenantID}
	l.filter("tenant_id", tenantID)
	return l.run(ctx, s.db.reader(), q)
}

// ---- nodes ----

const nodeColumns = "tenant_id, id, node_type_id, data, created_at, updated_at, version"

func scanNode(r row) (flexdb.Node, error) {
	var n flexdb.Node
	err := r.Scan(&n.TenantID, &n.ID, &n.NodeTypeID, &n.Data, &n.CreatedAt, &n.UpdatedAt, &n.Version)
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	return n, err
}

// CreateNode inserts through a SELECT of the node type at the checked version: one statement both
// checks that the schema used is still current and writes.
func (s *Store) CreateNode(ctx context.Context, n *flexdb.Node, typeVersion int64) error {
	c, err := s.db.writer().Exec(ctx, `INSERT INTO nodes (`+nodeColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7 FROM node_types WHERE tenant_id = $1 AND id = $3 AND version = $8`,
		n.TenantID, n.ID, n.NodeTypeID, n.Data, n.CreatedAt, n.UpdatedAt, n.Version, typeVersion)
	if s.db.violated(err) == foreignKeyViolation {
		// The type was there when the statement began and deleted before it ended.
		return notFound("node type %s not found", n.NodeTypeID)
	}
	return affected(c, err, func() error { return notFound("node type %s not found at version %d", n.NodeTypeID, typeVersion) }, "create node")
}

func (s *Store) GetNode(ctx context.Context, tenantID, id string) (*flexdb.Node, error) {
	n, err := one(s.db.reader().QueryRow(ctx, "SELECT "+nodeColumns+" FROM nodes WHERE tenant_id = $1 AND id = $2", tenantID, id),
		scanNode, func() error { return notFound("node %s not found", id) }, "read node")
	return &n, err
}

// UpdateNode is one statement whatever it leaves out, so that no concurrent write is lost: new data is
// written only while the node's type is at the version it was checked against; no data ($8) keeps the
// row's, whatever its type's version.
func (s *Store) UpdateNode(ctx context.Context, u service.NodeUpdate) (*flexdb.Node, error) {
	n, err := scanNode(s.db.writer().QueryRow(ctx, `UPDATE nodes SET data = COALESCE($3, data), updated_at = $4, version = version + 1
		WHERE tenant_id = $1 AND id = $2 AND (version = $7 OR $7 = 0) AND ($8 OR node_type_id = $5
		AND EXISTS (SELECT 1 FROM node_types WHERE tenant_id = $1 AND id = $5 AND version = $6)) RETURNING `+nodeColumns,
		u.TenantID, u.ID, optional(u.Data), u.At, optional(u.NodeTypeID), u.TypeVersion, u.ExpectedVersion, u.Data == ""))
	switch {
	case isNoRows(err):
		cur, err := s.GetNode(ctx, u.TenantID, u.ID)
		switch {
		case err != nil:
			return nil, err
		case u.ExpectedVersion != 0 && cur.Version != u.ExpectedVersion:
			return nil, stale("node", u.ID, cur.Version, u.ExpectedVersion)
		}
		// The node is there, as expected: its type's schema moved on. NotFound makes the service
		// check the data against the new schema and try again.
		return nil, notFound("node %s not found with node type %s at version %d", u.ID, u.NodeTypeID, u.TypeVersion)
	case err != nil:
		return nil, fault(err, "update node")
	}
	return &n, nil
}

// PatchNode is a transaction: the node's row locked, its data changed by u.Apply, then written while
// the node's type is at the version Apply checked against.
func (s *Store) PatchNode(ctx context.Context, u service.NodePatch) (*flexdb.Node, error) {
	var n flexdb.Node
	err := s.db.inTx(ctx, func(q querier) error {
		var typeID, data string
		var version int64
		err := q.QueryRow(ctx, "SELECT node_type_id, data, version FROM nodes WHERE tenant_id = $1 AND id = $2"+s.db.forUpdate(),
			u.TenantID, u.ID).Scan(&typeID, &data, &version)
		if err := current("node", u.ID, err, version, u.ExpectedVersion); err != nil {
			return err
		}
		newData, typeVersion, err := u.Apply(typeID, data)
		if err != nil {
			return err
		}
		n, err = scanNode(q.QueryRow(ctx, `UPDATE nodes SET data = $3, updated_at = $4, version = version + 1
			WHERE tenant_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM node_types WHERE tenant_id = $1 AND id = $5 AND version = $6)
			RETURNING `+nodeColumns, u.TenantID, u.ID, newData, u.At, typeID, typeVersion))
		switch {
		case isNoRows(err): // the type's schema moved on: the service checks again
			return notFound("node %s not found with node type %s at version %d", u.ID, typeID, typeVersion)
		case err != nil:
			return fault(err, "patch node")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// current explains the read of a row about to be patched: missing (NotFound), at another version than
// expected (Aborted), or failed.
func current(what, id string, err error, version, expected int64) error {
	switch {
	case isNoRows(err):
		return notFound("%s %s not found", what, id)
	case err != nil:
		return fault(err, "read "+what)
	case expected != 0 && version != expected:
		return stale(what, id, version, expected)
	}
	return nil
}

func (s *Store) DeleteNode(ctx context.Context, tenantID, id string, expectedVersion int64) error {
	n, err := s.db.writer().Exec(ctx, "DELETE FROM nodes WHERE tenant_id = $1 AND id = $2 AND (version = $3 OR $3 = 0)", tenantID, id, expectedVersion)
	return deleted(n, err, expectedVersion, func() (int64, error) {
		x, err := s.GetNode(ctx, tenantID, id)
		return x.Version, err
	}, func() error { return notFound("node %s not found", id) }, "node", id)
}

func (s *Store) ListNodes(ctx context.Context, tenantID string, f service.NodeFilter, q service.ListQuery) ([]flexdb.Node, int, error) {
	l := listSpec[flexdb.Node]{table: "nodes", columns: nodeColumns, key: "id", scan: scanNode, scope: tenantID}
	l.filter("tenant_id", tenantID)
	l.filter("node_type_id", f.NodeTypeID)
	return l.run(ctx, s.db.reader(), q)
}

// ---- relationships ----

const relationshipColumns = "tenant_id, id, source_node_id, target_node_id, relationship_type, data, created_at, updated_at, version"

func scanRelationship(r row) (flexdb.Relationship, error) {
	var x flexdb.Relationship
	err := r.Scan(&x.TenantID, &x.ID, &x.SourceNodeID, &x.TargetNodeID, &x.Type, &x.Data, &x.CreatedAt, &x.UpdatedAt, &x.Version)
	x.CreatedAt, x.UpdatedAt = x.CreatedAt.UTC(), x.UpdatedAt.UTC()
	return x, err
}

func (s *Store) CreateRelationship(ctx context.Context, r *flexdb.Relationship) error {
	_, err := s.db.writer().Exec(ctx, "INSERT INTO relationships ("+relationshipColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		r.TenantID, r.ID, r.SourceNodeID, r.TargetNodeID, r.Type, r.Data, r.CreatedAt, r.UpdatedAt, r.Version)
	if s.db.violated(err) != foreignKeyViolation {
		if err != nil {
			return fault(err, "create relationship")
		}
		return nil
	}
	// An endpoint is missing from this tenant: say which.
	for _, end := range []struct{ field, id string }{{"source_node_id", r.SourceNodeID}, {"target_node_id", r.TargetNodeID}} {
		if _, err := s.GetNode(ctx, r.TenantID, end.id); flexdb.CodeOf(err) == flexdb.NotFound {
			return notFound("%s: node %s not found", end.field, end.id)
		} else if err != nil {
			return err
		}
	}
	return fault(err, "create relationship")
}

func (s *Store) GetRelationship(ctx context.Context, tenantID, id string) (*flexdb.Relationship, error) {
	x, err := one(s.db.reader().QueryRow(ctx, "SELECT "+relationshipColumns+" FROM relationships WHERE tenant_id = $1 AND id = $2", tenantID, id),
		scanRelationship, func() error { return notFound("relationship %s not found", id) }, "read relationship")
	return &x, err
}

func (s *Store) UpdateRelationship(ctx context.Context, u service.RelationshipUpdate) (*flexdb.Relationship, error) {
	x, err := scanRelationship(s.db.writer().QueryRow(ctx, `UPDATE relationships SET relationship_type = COALESCE($3, relationship_type),
		data = COALESCE($4, data), updated_at = $5, version = version + 1
		WHERE tenant_id = $1 AND id = $2 AND (version = $6 OR $6 = 0) RETURNING `+relationshipColumns,
		u.TenantID, u.ID, optional(u.Type), optional(u.Data), u.At, u.ExpectedVersion))
	switch {
	case isNoRows(err):
		return nil, conflict(u.ExpectedVersion, s.relationshipVersion(ctx, u.TenantID, u.ID), "relationship", u.ID)
	case err != nil:
		return nil, fault(err, "update relationship")
	}
	return &x, nil
}

// PatchRelationship is PatchNode for a relationship, whose data no schema checks.
func (s *Store) PatchRelationship(ctx context.Context, u service.RelationshipPatch) (*flexdb.Relationship, error) {
	var x flexdb.Relationship
	err := s.db.inTx(ctx, func(q querier) error {
		var data string
		var version int64
		err := q.QueryRow(ctx, "SELECT data, version FROM relationships WHERE tenant_id = $1 AND id = $2"+s.db.forUpdate(),
			u.TenantID, u.ID).Scan(&data, &version)
		if err := current("relationship", u.ID, err, version, u.ExpectedVersion); err != nil {
			return err
		}
		newData, err := u.Apply(data)
		if err != nil {
			return err
		}
		x, err = scanRelationship(q.QueryRow(ctx, `UPDATE relationships SET relationship_type = COALESCE($3, relationship_type),
			data = $4, updated_at = $5, version = version + 1 WHERE tenant_id = $1 AND id = $2 RETURNING `+relationshipColumns,
			u.TenantID, u.ID, optional(u.Type), newData, u.At))
		if err != nil {
			return fault(err, "patch relationship")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// relationshipVersion reads a relationship's version, for conflict.
func (s *Store) relationshipVersion(ctx context.Context, tenantID, id string) func() (int64, error) {
	return func() (int64, error) {
		r, err := s.GetRelationship(ctx, tenantID, id)
		return r.Version, err
	}
}

func (s *Store) DeleteRelationship(ctx context.Context, tenantID, id string, expectedVersion int64) error {
	n, err := s.db.writer().Exec(ctx, "DELETE FROM relationships WHERE tenant_id = $1 AND id = $2 AND (version = $3 OR $3 = 0)", tenantID, id, expectedVersion)
	return deleted(n, err, expectedVersion, s.relationshipVersion(ctx, tenantID, id), func() error { return notFound("relationship %s not found", id) }, "relationship", id)
}

func (s *Store) ListRelationships(ctx context.Context, tenantID string, f service.RelationshipFilter, q service.ListQuery) ([]flexdb.Relationship, int, error) {
	l := listSpec[flexdb.Relationship]{table: "relationships", columns: relationshipColumns, key: "id", scan: scanRelationship, scope: tenantID}
	l.filter("tenant_id", tenantID)
	l.filter("source_node_id", f.SourceNodeID)
	l.filter("target_node_id", f.TargetNodeID)
	l.filter("relationship_type", f.Type)
	return l.run(ctx, s.db.reader(), q)
}

var _ service.Store = (*Store)(nil)
