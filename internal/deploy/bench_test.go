package deploy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// The issue-4 target: 20 functions x 3 envs against an emulator answering every
// call after 100 ms, concurrency 4, within 1.3x of the ideal. The ideal is the
// round trips a deploy cannot avoid, one probe (all envs at once) and one batch
// upload per function, in ceil(20/4) waves: 5 x 2 x 100 ms = 1 s.
const (
	benchFunctions   = 20
	benchConcurrency = 4
	benchLatency     = 100 * time.Millisecond
)

func benchBuilt(b *testing.B) []Built {
	cfg := baseConfig("dev-a", "dev-b", "dev-c")
	var built []Built
	for i := 0; i < benchFunctions; i++ {
		built = append(built, build(b, cfg, fmt.Sprintf("fn%02d", i), "v1"))
	}
	return built
}

func BenchmarkDeploy20x3Latency100ms(b *testing.B) {
	built := benchBuilt(b)
	cfg := baseConfig("dev-a", "dev-b", "dev-c")
	cfg.Concurrency = benchConcurrency
	waves := (benchFunctions + benchConcurrency - 1) / benchConcurrency
	ideal := time.Duration(waves) * 2 * benchLatency
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := newWorld(b, emulator.Options{})
		w.srv.Inject(emulator.Fault{Delay: benchLatency})
		b.StartTimer()
		start := time.Now()
		run := Deploy(context.Background(), cfg, w.deps(), built)
		total += time.Since(start)
		b.StopTimer()
		for _, r := range run.Results {
			if r.Action != result.Created {
				b.Fatalf("%s@%s = %s %s", r.Function, r.Env, r.Action, r.Error)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(ideal), "x-ideal")
}

// A redeploy of unchanged code: probes only, zero uploads.
func BenchmarkRedeployUnchanged20x3Latency100ms(b *testing.B) {
	built := benchBuilt(b)
	cfg := baseConfig("dev-a", "dev-b", "dev-c")
	cfg.Concurrency = benchConcurrency
	waves := (benchFunctions + benchConcurrency - 1) / benchConcurrency
	ideal := time.Duration(waves) * benchLatency
	w := newWorld(b, emulator.Options{})
	Deploy(context.Background(), cfg, w.deps(), built)
	w.srv.Inject(emulator.Fault{Delay: benchLatency})
	writes := w.srv.Writes()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		run := Deploy(context.Background(), cfg, w.deps(), built)
		total += time.Since(start)
		for _, r := range run.Results {
			if r.Action != result.Unchanged {
				b.Fatalf("%s@%s = %s", r.Function, r.Env, r.Action)
			}
		}
	}
	uploads := w.srv.Writes() - writes
	if uploads != 0 {
		b.Fatalf("redeploy of unchanged code sent %d uploads", uploads)
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(ideal), "x-ideal")
	b.ReportMetric(float64(uploads), "uploads")
}
