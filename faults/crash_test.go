//go:build faults

package faults

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/storetest"
)

// TestKillNineLosesNothingAcknowledged kills the server with SIGKILL while 16 clients write, ten times
// per engine, restarting it on the same database each time: every write it acknowledged is read back,
// as acknowledged, and the database passes its integrity checks at the end.
func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	const rounds, writers = 10, 16
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			cfg := e.Config(t)
			args := append(storeArgs(cfg), "--dev", "--rate-limit", "0")
			a := newAcked()
			var fx fixture
			for round := range rounds {
				p := flexdbtest.Run(t, flexdb, nil, args...)
				c := dial(t, p.GRPC)
				if round == 0 {
					fx = newFixture(t, c)
				} else {
					a.verify(t, c, fx) // what the previous crash interrupted is all there
				}
				stop := make(chan struct{})
				go func() {
					time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
					p.Kill()
					close(stop)
				}()
				a.writeFor(c, fx, writers, stop)
				c.conn.Close()
			}
			p := flexdbtest.Run(t, flexdb, nil, args...)
			a.verify(t, dial(t, p.GRPC), fx)
			if err := p.Stop(30 * time.Second); err != nil {
				t.Errorf("stop: %v\n%s", err, p.Log())
			}
			a.checkRefused(t)
			checkIntegrity(t, cfg)
			t.Logf("%d rounds of kill -9: %d nodes and %d relationships acknowledged, all read back", rounds, len(a.nodes), len(a.relationships))
		})
	}
}
