package deploy

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// ForEach runs f(0..n-1), at most limit at once: the one fan-out of the
// program. f runs for every index even after a cancel, so that it can say
// what the cancel interrupted.
func ForEach(n, limit int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(max(limit, 1))
	for i := range n {
		g.Go(func() error { f(i); return nil })
	}
	_ = g.Wait() // f returns no error
}

// phase is one step over every function: a group in the log, a heartbeat
// while it runs, a summary line when it ends.
type phase struct {
	r     *run
	name  string
	total int
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
	end   func()
}

// begin starts a phase over total items (pairs); it prints nothing when
// there is nothing to do.
func (r *run) begin(name string, total int) *phase {
	ph := &phase{r: r, name: name, total: total, start: r.deps.Now(), stop: make(chan struct{})}
	if total == 0 {
		return ph
	}
	ph.end = r.deps.Group(fmt.Sprintf("%s: %d %s", name, total, Plural(total, "pair")))
	ph.wg.Add(1)
	go ph.heartbeat()
	return ph
}

// heartbeat says how far the phase got whenever it has been quiet for the
// heartbeat interval: a long wait must never look like a hang.
func (ph *phase) heartbeat() {
	defer ph.wg.Done()
	t := time.NewTicker(ph.r.deps.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ph.stop:
			return
		case <-t.C:
			ph.r.deps.Logf("%s: %d/%d done (%s)", ph.name, ph.done.Load(), ph.total, ph.elapsed())
		}
	}
}

// step records that one item finished.
func (ph *phase) step() { ph.done.Add(1) }

// finish ends the phase with a summary ("3 updated, 1 failed").
func (ph *phase) finish(summary string) {
	if ph.total == 0 {
		return
	}
	close(ph.stop)
	ph.wg.Wait()
	ph.r.deps.Logf("%s: %d %s in %s%s", ph.name, ph.total, Plural(ph.total, "pair"), ph.elapsed(), prefixed(": ", summary))
	ph.end()
}

func (ph *phase) elapsed() string { return Elapsed(ph.r.deps.Now().Sub(ph.start)) }

// Elapsed writes a duration the way progress lines do: milliseconds under a
// second, tenths of a second above.
func Elapsed(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// Plural is word, with an s unless n is 1: progress lines count pairs,
// functions and changes.
func Plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// countStates summarises pairs by state, in state order.
func (r *run) countStates(pairs []*pair) string {
	n := map[State]int{}
	for _, p := range pairs {
		n[p.state]++
	}
	var out string
	for s := Pending; s <= Failed; s++ {
		if n[s] > 0 {
			out = joinNonEmpty(", ", out, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	return out
}

// cancelled reports whether ctx ended, and then fails p the way its state
// calls for.
func cancelled(ctx context.Context, p *pair) bool {
	if ctx.Err() == nil {
		return false
	}
	p.interrupted()
	return true
}
