package main

import (
	"context"
	"database/sql"
	"errors"
	"time"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// store is one statement per call, on either engine. Rows are flex-db's (same tables and columns), so
// each server reads what the other wrote.
type store interface {
	getNode(ctx context.Context, tenantID, id string) (*pb.Node, error)
	createNode(ctx context.Context, n *pb.Node) error
	listNodes(ctx context.Context, tenantID string, limit int32) ([]*pb.Node, int32, error)
	createRelationship(ctx context.Context, r *pb.Relationship) error
}

type nodes struct {
	pb.UnimplementedNodeServiceServer
	store store
}

func (s nodes) GetNode(ctx context.Context, req *pb.GetNodeRequest) (*pb.GetNodeResponse, error) {
	n, err := s.store.getNode(ctx, req.TenantId, req.Id)
	if err != nil {
		return nil, answer(err)
	}
	return &pb.GetNodeResponse{Node: n}, nil
}

func (s nodes) CreateNode(ctx context.Context, req *pb.CreateNodeRequest) (*pb.CreateNodeResponse, error) {
	now := timestamppb.New(time.Now().UTC().Truncate(time.Microsecond))
	n := &pb.Node{Id: newID(), TenantId: req.TenantId, NodeTypeId: req.NodeTypeId, Data: req.Data, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.store.createNode(ctx, n); err != nil {
		return nil, answer(err)
	}
	return &pb.CreateNodeResponse{Node: n}, nil
}

func (s nodes) ListNodes(ctx context.Context, req *pb.ListNodesRequest) (*pb.ListNodesResponse, error) {
	limit := req.GetPagination().GetPageSize()
	if limit == 0 {
		limit = 10
	}
	limit = min(limit, 100)
	page, total, err := s.store.listNodes(ctx, req.TenantId, limit)
	if err != nil {
		return nil, answer(err)
	}
	return &pb.ListNodesResponse{Nodes: page, Pagination: &pb.PaginationResponse{TotalCount: total}}, nil
}

type relationships struct {
	pb.UnimplementedRelationshipServiceServer
	store store
}

func (s relationships) CreateRelationship(ctx context.Context, req *pb.CreateRelationshipRequest) (*pb.CreateRelationshipResponse, error) {
	now := timestamppb.New(time.Now().UTC().Truncate(time.Microsecond))
	r := &pb.Relationship{Id: newID(), TenantId: req.TenantId, SourceNodeId: req.SourceNodeId, TargetNodeId: req.TargetNodeId,
		RelationshipType: req.RelationshipType, Data: req.Data, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.store.createRelationship(ctx, r); err != nil {
		return nil, answer(err)
	}
	return &pb.CreateRelationshipResponse{Relationship: r}, nil
}

// newID is a UUIDv7, as flex-db makes them.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

func answer(err error) error {
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) {
		return status.Error(codes.NotFound, "not found")
	}
	return status.Error(codes.Internal, err.Error())
}

const (
	nodeColumns         = "tenant_id, id, node_type_id, data, created_at, updated_at, version"
	relationshipColumns = "tenant_id, id, source_node_id, target_node_id, relationship_type, data, created_at, updated_at, version"
	getNode             = "SELECT " + nodeColumns + " FROM nodes WHERE tenant_id = $1 AND id = $2"
	insertNode          = "INSERT INTO nodes (" + nodeColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
	listNodes           = "SELECT " + nodeColumns + ", (SELECT count(*) FROM nodes WHERE tenant_id = $1) FROM nodes WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2"
	insertRelationship  = "INSERT INTO relationships (" + relationshipColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)

// postgres relies on pgx's default statement cache: each statement is prepared once per connection.
type postgres struct{ pool *pgxpool.Pool }

func (p *postgres) getNode(ctx context.Context, tenantID, id string) (*pb.Node, error) {
	var n pb.Node
	var created, updated time.Time
	err := p.pool.QueryRow(ctx, getNode, tenantID, id).Scan(&n.TenantId, &n.Id, &n.NodeTypeId, &n.Data, &created, &updated, &n.Version)
	n.CreatedAt, n.UpdatedAt = timestamppb.New(created), timestamppb.New(updated)
	return &n, err
}

func (p *postgres) createNode(ctx context.Context, n *pb.Node) error {
	_, err := p.pool.Exec(ctx, insertNode, n.TenantId, n.Id, n.NodeTypeId, n.Data, n.CreatedAt.AsTime(), n.UpdatedAt.AsTime(), n.Version)
	return err
}

func (p *postgres) listNodes(ctx context.Context, tenantID string, limit int32) ([]*pb.Node, int32, error) {
	rows, err := p.pool.Query(ctx, listNodes, tenantID, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var page []*pb.Node
	var total int32
	for rows.Next() {
		var n pb.Node
		var created, updated time.Time
		if err := rows.Scan(&n.TenantId, &n.Id, &n.NodeTypeId, &n.Data, &created, &updated, &n.Version, &total); err != nil {
			return nil, 0, err
		}
		n.CreatedAt, n.UpdatedAt = timestamppb.New(created), timestamppb.New(updated)
		page = append(page, &n)
	}
	return page, total, rows.Err()
}

func (p *postgres) createRelationship(ctx context.Context, r *pb.Relationship) error {
	_, err := p.pool.Exec(ctx, insertRelationship, r.TenantId, r.Id, r.SourceNodeId, r.TargetNodeId, r.RelationshipType, r.Data,
		r.CreatedAt.AsTime(), r.UpdatedAt.AsTime(), r.Version)
	return err
}

// sqliteTime is how flex-db keeps times in SQLite (sqlstore's timeLayout).
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// sqlite holds one prepared statement per call: the writes on the one writing connection, the reads on
// the read-only pool (database/sql prepares each on a connection the first time it runs there).
type sqlite struct {
	get, list, insertNode, insertRelationship *sql.Stmt
}

func prepareSQLite(write, read *sql.DB) (*sqlite, error) {
	var s sqlite
	for _, p := range []struct {
		db   *sql.DB
		stmt **sql.Stmt
		text string
	}{{read, &s.get, getNode}, {read, &s.list, listNodes}, {write, &s.insertNode, insertNode}, {write, &s.insertRelationship, insertRelationship}} {
		stmt, err := p.db.Prepare(p.text)
		if err != nil {
			return nil, err
		}
		*p.stmt = stmt
	}
	return &s, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanSQLiteNode(r scanner, extra ...any) (*pb.Node, error) {
	var n pb.Node
	var created, updated string
	if err := r.Scan(append([]any{&n.TenantId, &n.Id, &n.NodeTypeId, &n.Data, &created, &updated, &n.Version}, extra...)...); err != nil {
		return nil, err
	}
	c, err := time.Parse(sqliteTime, created)
	if err != nil {
		return nil, err
	}
	u, err := time.Parse(sqliteTime, updated)
	n.CreatedAt, n.UpdatedAt = timestamppb.New(c), timestamppb.New(u)
	return &n, err
}

func (s *sqlite) getNode(ctx context.Context, tenantID, id string) (*pb.Node, error) {
	return scanSQLiteNode(s.get.QueryRowContext(ctx, tenantID, id))
}

func (s *sqlite) createNode(ctx context.Context, n *pb.Node) error {
	_, err := s.insertNode.ExecContext(ctx, n.TenantId, n.Id, n.NodeTypeId, n.Data,
		n.CreatedAt.AsTime().Format(sqliteTime), n.UpdatedAt.AsTime().Format(sqliteTime), n.Version)
	return err
}

func (s *sqlite) listNodes(ctx context.Context, tenantID string, limit int32) ([]*pb.Node, int32, error) {
	rows, err := s.list.QueryContext(ctx, tenantID, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var page []*pb.Node
	var total int32
	for rows.Next() {
		n, err := scanSQLiteNode(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		page = append(page, n)
	}
	return page, total, rows.Err()
}

func (s *sqlite) createRelationship(ctx context.Context, r *pb.Relationship) error {
	_, err := s.insertRelationship.ExecContext(ctx, r.TenantId, r.Id, r.SourceNodeId, r.TargetNodeId, r.RelationshipType, r.Data,
		r.CreatedAt.AsTime().Format(sqliteTime), r.UpdatedAt.AsTime().Format(sqliteTime), r.Version)
	return err
}
