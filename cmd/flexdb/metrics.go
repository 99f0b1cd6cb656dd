package main

import (
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector exposes the database connection pool, read at each scrape.
type poolCollector struct {
	store                         *sqlstore.Store
	open, inUse, idle, max, waits *prometheus.Desc
}

func newPoolCollector(store *sqlstore.Store) *poolCollector {
	labels := prometheus.Labels{"engine": store.Engine}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("flexdb_db_pool_"+name, help, nil, labels)
	}
	return &poolCollector{
		store: store,
		open:  desc("open_connections", "Open database connections."),
		inUse: desc("in_use_connections", "Connections running a statement."),
		idle:  desc("idle_connections", "Idle connections."),
		max:   desc("max_connections", "Largest pool size."),
		waits: desc("waits_total", "Connection acquisitions that had to wait."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.inUse, c.idle, c.max, c.waits} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.store.Stats()
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(st.Open))
	ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(st.InUse))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(st.Idle))
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(st.Max))
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(st.Waits))
}
