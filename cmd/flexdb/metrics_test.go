package main

import (
	"testing"

	"github.com/flexdb/flexdb/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
)

func TestPoolMetrics(t *testing.T) {
	store, err := sqlstore.Open(t.Context(), sqlstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newPoolCollector(store))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if l := m.GetLabel(); len(l) != 1 || l[0].GetName() != "engine" || l[0].GetValue() != "sqlite" {
				t.Errorf("%s: labels %v, want engine=sqlite", f.GetName(), l)
			}
			got[f.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	for _, name := range []string{"flexdb_db_pool_open_connections", "flexdb_db_pool_in_use_connections",
		"flexdb_db_pool_idle_connections", "flexdb_db_pool_max_connections", "flexdb_db_pool_waits_total"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s among %v", name, got)
		}
	}
	if got["flexdb_db_pool_max_connections"] < 2 || got["flexdb_db_pool_open_connections"] < 1 {
		t.Errorf("pool figures %v: want the writer and readers counted, and the pinged connection open", got)
	}
}
