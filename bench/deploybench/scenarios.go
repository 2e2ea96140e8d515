//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// rps is the max-rps of a scenario: the -max-rps flag, else def.
func (b *bench) rps(def string) (string, float64, error) {
	s := b.o.maxRPS
	if s == "" {
		s = def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return "", 0, fmt.Errorf("-max-rps %q: want a positive number", s)
	}
	return s, v, nil
}

// latencyKinds are the latency scenario's deploys per run, in order.
var latencyKinds = []string{"create", "unchanged", "update"}

// latencyKey names one row of the latency table.
type latencyKey struct{ provider, kind string }

// latencyBench is the latency scenario's workload and deploy flags, and what
// its deploys measured.
type latencyBench struct {
	w          workload
	rpsFlag    string
	envs       string // the --envs list
	gen        int    // the last generation of the functions written
	walls      map[latencyKey]*series
	maxUploads map[latencyKey]int
}

// latency (issues 4 and 11): 20 functions × 3 envs, 100 ms on every call,
// concurrency 4, both providers. Per run, against a fresh emulator: a first
// deploy (creates), a redeploy of the same code (must upload nothing), and
// a deploy of new code (updates).
func (b *bench) latency() (bool, error) {
	rpsFlag, rps, err := b.rps("1000")
	if err != nil {
		return false, err
	}
	w := workload{F: 20, E: 3, C: 4, L: 100 * time.Millisecond, SD: 300 * time.Millisecond, rps: rps, epc: 50, fanout: 32}
	l := &latencyBench{
		w:          w,
		rpsFlag:    rpsFlag,
		envs:       strings.Join(envList("dev", w.E), ","),
		walls:      map[latencyKey]*series{},
		maxUploads: map[latencyKey]int{},
	}
	fmt.Fprintf(b.out, "deploy latency: %d functions × %d envs, %s per call, status delay %s, concurrency %d, max-rps %s, %d runs; load %s\n",
		w.F, w.E, w.L, w.SD, w.C, rpsFlag, b.o.runs, loadavg())
	for _, p := range b.o.providers {
		if err := b.latencyProvider(l, p); err != nil {
			return false, err
		}
	}
	ok := b.latencyTable(l)
	fmt.Fprintf(b.out, "load after: %s\n", loadavg())
	return ok, nil
}

// latencyProvider does the b.o.runs runs of provider p.
func (b *bench) latencyProvider(l *latencyBench, p string) error {
	for run := 1; run <= b.o.runs; run++ {
		if err := b.latencyRun(l, p, run); err != nil {
			return err
		}
	}
	return nil
}

// latencyRun is one run of provider p: new functions, a fresh emulator, and
// each of latencyKinds deployed to it.
func (b *bench) latencyRun(l *latencyBench, p string, run int) error {
	l.gen++
	if err := b.writeFunctions(l.w.F, l.gen, 0); err != nil {
		return err
	}
	e, err := b.startEmu(l.w.L, l.w.SD)
	if err != nil {
		return err
	}
	defer e.stop()
	for _, kind := range latencyKinds {
		if err := b.latencyDeploy(l, e, p, kind, run); err != nil {
			return err
		}
	}
	return nil
}

// latencyDeploy does one deploy of kind (writing new code first for an
// update), records its wall time and uploads, and prints its line.
func (b *bench) latencyDeploy(l *latencyBench, e *emu, p, kind string, run int) error {
	if kind == "update" {
		l.gen++
		if err := b.writeFunctions(l.w.F, l.gen, 0); err != nil {
			return err
		}
	}
	r, err := b.deploy(e, p, "--envs", l.envs, "--concurrency", strconv.Itoa(l.w.C), "--max-rps", l.rpsFlag)
	if err != nil {
		return err
	}
	k := latencyKey{p, kind}
	if l.walls[k] == nil {
		l.walls[k] = &series{}
	}
	l.walls[k].add(secs(r.wall))
	l.maxUploads[k] = max(l.maxUploads[k], r.stats.uploads())
	ideal := l.w.ideal(p, kind, false).ideal()
	fmt.Fprintf(b.out, "  %-12s %-9s run %d: %6.3f s (%.2fx ideal %.3f s), %d calls, %d uploads, %.0f MB RSS, load %s: %s\n",
		p, kind, run, secs(r.wall), secs(r.wall)/secs(ideal), secs(ideal), r.stats.Total, r.stats.uploads(), mb(r.rssKiB), r.load, r.stats.callList())
	b.printPhases(r)
	return nil
}

// printPhases prints a deploy's phase lines under -v.
func (b *bench) printPhases(r *deployResult) {
	if !b.o.verbose {
		return
	}
	for _, ph := range r.phases {
		fmt.Fprintf(b.out, "      %s\n", ph)
	}
}

// latencyTable prints the latency verdict table, a row per provider and
// kind; it reports whether every row passed.
func (b *bench) latencyTable(l *latencyBench) bool {
	ok := true
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nprovider\tdeploy\tmedian\tmin-max\tideal\tmedian/ideal\twith confirm\tuploads (max)\tverdict (<= 1.3x)\n")
	for _, p := range b.o.providers {
		for _, kind := range latencyKinds {
			pass := b.latencyRow(tw, l, p, kind)
			ok = ok && pass
		}
	}
	tw.Flush()
	return ok
}

// latencyRow prints the row of provider p and kind: median within 1.3x of
// the ideal, and for a redeploy of the same code no uploads at all.
func (b *bench) latencyRow(tw *tabwriter.Writer, l *latencyBench, p, kind string) bool {
	k := latencyKey{p, kind}
	s := l.walls[k]
	f := l.w.ideal(p, kind, false)
	ratio := s.median() / secs(f.ideal())
	pass := ratio <= 1.3
	upl := fmt.Sprint(l.maxUploads[k])
	if kind == "unchanged" {
		pass = pass && l.maxUploads[k] == 0
		upl += " (target 0)"
	}
	withConfirm := "-"
	if fc := l.w.ideal(p, kind, true); fc != f {
		withConfirm = fmt.Sprintf("%.3f s: %.2fx", secs(fc.ideal()), s.median()/secs(fc.ideal()))
	}
	fmt.Fprintf(tw, "%s\t%s\t%.3f s\t%.3f-%.3f\t%.3f s (%s)\t%.2fx\t%s\t%s\t%s\n",
		p, kind, s.median(), s.min(), s.max(), secs(f.ideal()), f, ratio, withConfirm, upl, verdict(pass))
	return pass
}

// scaleLatency is what the emulator holds every call in the scale scenario.
const scaleLatency = 50 * time.Millisecond

// scaleCase is one case of the scale scenario (all envs, or one shard of
// them), its ideals, and what its deploys measured.
type scaleCase struct {
	name         string
	args         []string // the deploy's flags
	f, fc        floors   // the ideal, without and with the confirm
	walls, rss   series
	maxPerSec    int
	calls        map[int]bool // the calls of each run
	shard, pairs int
}

// scale (issue 15): one function to 2,000 envs from an envs-file, 50 ms on
// every call, WeChat, envs-per-call and max-rps at their defaults (50, 20);
// then shard 1/4 of the same. Targets: wall within 1.3x of the ideal, peak
// RSS of the deploy <= 150 MB, the emulator never seeing more than max-rps
// calls in any one-second window, and the shard doing a quarter of the calls.
func (b *bench) scale() (bool, error) {
	rpsFlag, rps, err := b.rps("20")
	if err != nil {
		return false, err
	}
	envs, err := b.scaleSetup()
	if err != nil {
		return false, err
	}
	fmt.Fprintf(b.out, "platform scale: 1 function × %d envs (envs-file), wechat, %s per call, envs-per-call 50 (default), max-rps %s, %d runs; load %s\n",
		b.o.envs, scaleLatency, rpsFlag, b.o.runs, loadavg())
	var cases []*scaleCase
	for _, shard := range []int{0, 4} {
		c := b.newScaleCase(shard, envs, rpsFlag, rps)
		if err := b.scaleRuns(c, rps); err != nil {
			return false, err
		}
		cases = append(cases, c)
	}
	ok := b.scaleTable(cases, rpsFlag, rps)
	fmt.Fprintf(b.out, "load after: %s\n", loadavg())
	return ok, nil
}

// scaleSetup writes the envs-file (b.o.envs envs) and the one function; it
// returns how many envs there are.
func (b *bench) scaleSetup() (int, error) {
	envs := envList("prod", b.o.envs)
	if err := os.WriteFile(filepath.Join(b.work, "envs.txt"), []byte(strings.Join(envs, "\n")+"\n"), 0o644); err != nil {
		return 0, err
	}
	if err := b.writeFunctions(1, 1, 0); err != nil {
		return 0, err
	}
	return len(envs), nil
}

// newScaleCase is the case of all envs pairs (shard 0) or of shard 1 of
// shard: its deploy flags and its ideals.
func (b *bench) newScaleCase(shard, envs int, rpsFlag string, rps float64) *scaleCase {
	c := &scaleCase{name: "all", shard: shard, pairs: envs, calls: map[int]bool{}}
	c.args = []string{"--envs-file", "envs.txt"}
	if b.o.maxRPS != "" {
		c.args = append(c.args, "--max-rps", rpsFlag)
	}
	if shard > 0 {
		c.name = fmt.Sprintf("shard 1/%d", shard)
		c.pairs = envs / shard // shard 1 of N: the first ⌊pairs/N⌋
		c.args = append(c.args, "--shard", fmt.Sprintf("1/%d", shard))
	}
	w := workload{F: 1, E: c.pairs, C: 4, L: scaleLatency, rps: rps, epc: 50, fanout: 32}
	c.f, c.fc = w.scaleIdeal(false), w.scaleIdeal(true)
	return c
}

// scaleRuns does the b.o.runs runs of case c.
func (b *bench) scaleRuns(c *scaleCase, rps float64) error {
	for run := 1; run <= b.o.runs; run++ {
		if err := b.scaleRun(c, run, rps); err != nil {
			return err
		}
	}
	return nil
}

// scaleRun is one deploy of case c against a fresh emulator: it records the
// deploy's wall time, RSS, busiest second and calls, and prints its line.
func (b *bench) scaleRun(c *scaleCase, run int, rps float64) error {
	r, busiest, err := b.scaleDeploy(c, rps)
	if err != nil {
		return err
	}
	c.walls.add(secs(r.wall))
	c.rss.add(mb(r.rssKiB))
	c.maxPerSec = max(c.maxPerSec, r.stats.MaxPerSecond)
	c.calls[r.stats.Total] = true
	fmt.Fprintf(b.out, "  %-9s run %d: %7.2f s (%.3fx ideal %.2f s), %.1f MB RSS, %.1f s CPU, %d calls (%s), max %d/s, load %s\n",
		c.name, run, secs(r.wall), secs(r.wall)/secs(c.f.ideal()), secs(c.f.ideal()), mb(r.rssKiB), secs(r.cpu), r.stats.Total, r.stats.callList(), r.stats.MaxPerSecond, r.load)
	if busiest != "" {
		fmt.Fprintf(b.out, "      more than max-rps: %s\n", busiest)
	}
	b.printPhases(r)
	return nil
}

// scaleDeploy deploys case c to a fresh emulator; when the emulator saw
// more than rps calls in a second, busiest says where, from the arrival
// times.
func (b *bench) scaleDeploy(c *scaleCase, rps float64) (r *deployResult, busiest string, err error) {
	e, err := b.startEmu(scaleLatency, 0)
	if err != nil {
		return nil, "", err
	}
	defer e.stop()
	r, err = b.deploy(e, "wechat", c.args...)
	if err != nil {
		return nil, "", err
	}
	if float64(r.stats.MaxPerSecond) > rps {
		calls, err := e.calls()
		if err != nil {
			return nil, "", err
		}
		_, busiest = busiestSecond(calls)
	}
	return r, busiest, nil
}

// scaleTable prints the scale verdict table, a row per case (the first
// being all envs); it reports whether every row passed.
func (b *bench) scaleTable(cases []*scaleCase, rpsFlag string, rps float64) bool {
	full := cases[0]
	ok := true
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\ncase\tmedian\tmin-max\tideal\tmedian/ideal (<= 1.3x)\twith confirm\tpeak RSS (<= 150 MB)\tmax calls/s (<= %s)\tcalls\tverdict\n", rpsFlag)
	for _, c := range cases {
		pass := b.scaleRow(tw, c, full, rps)
		ok = ok && pass
	}
	tw.Flush()
	return ok
}

// scaleRow prints the row of case c: median within 1.3x of the ideal, peak
// RSS <= 150 MB, never more than rps calls a second, and the same calls in
// every run (for a shard, its share of full's).
func (b *bench) scaleRow(tw *tabwriter.Writer, c, full *scaleCase, rps float64) bool {
	ratio := c.walls.median() / secs(c.f.ideal())
	callsOK, callNote := scaleCalls(c, full)
	pass := ratio <= 1.3 && c.rss.max() <= 150 && float64(c.maxPerSec) <= rps && callsOK
	fmt.Fprintf(tw, "%s\t%.2f s\t%.2f-%.2f\t%.2f s (%s)\t%.3fx\t%.2f s: %.3fx\t%.1f MB (%.1f-%.1f)\t%d\t%s\t%s\n",
		c.name, c.walls.median(), c.walls.min(), c.walls.max(), secs(c.f.ideal()), c.f, ratio,
		secs(c.fc.ideal()), c.walls.median()/secs(c.fc.ideal()), c.rss.median(), c.rss.min(), c.rss.max(), c.maxPerSec, callNote, verdict(pass))
	return pass
}

// scaleCalls checks the calls of case c: the same number in every run, and
// for a shard of N, 1/N of full's. The note lists them.
func scaleCalls(c, full *scaleCase) (ok bool, note string) {
	ok = len(c.calls) == 1
	note = callSet(c.calls)
	if c.shard > 0 && len(full.calls) == 1 {
		for n := range full.calls {
			ok = ok && c.calls[n/c.shard] && n%c.shard == 0
			note += fmt.Sprintf(" (1/%d of %d)", c.shard, n)
		}
	}
	return ok, note
}

func callSet(m map[int]bool) string {
	var parts []string
	for k := range m {
		parts = append(parts, strconv.Itoa(k))
	}
	return strings.Join(parts, ",")
}

// memory (issue 12): 50 functions × 5 envs, each function blob-mib MiB of
// random bytes (so a zip held in memory would show), against the emulator
// with no latency; a first deploy (creates) and a deploy of new code
// (updates: the deployed code is fetched and compared first). Target: the
// deploy process's peak RSS <= 200 MB.
func (b *bench) memory() (bool, error) {
	rpsFlag, _, err := b.rps("1000")
	if err != nil {
		return false, err
	}
	const F, E = 50, 5
	envs := strings.Join(envList("mem", E), ",")
	if err := b.removeFunctions(); err != nil {
		return false, err
	}
	fmt.Fprintf(b.out, "memory: %d functions × %d envs, %d MiB of random data per function (%d MiB of zips), concurrency 4, max-rps %s, %d runs; load %s\n",
		F, E, b.o.blobMiB, F*b.o.blobMiB, rpsFlag, b.o.runs, loadavg())
	type key struct{ provider, kind string }
	rss := map[key]*series{}
	walls := map[key]*series{}
	kinds := []string{"create", "update"}
	gen := 0
	for _, p := range b.o.providers {
		for run := 1; run <= b.o.runs; run++ {
			gen++
			if err := b.writeFunctions(F, gen, b.o.blobMiB); err != nil {
				return false, err
			}
			e, err := b.startEmu(0, 0)
			if err != nil {
				return false, err
			}
			for _, kind := range kinds {
				if kind == "update" {
					gen++
					if err := b.writeFunctions(F, gen, b.o.blobMiB); err != nil {
						e.stop()
						return false, err
					}
				}
				r, err := b.deploy(e, p, "--envs", envs, "--max-rps", rpsFlag)
				if err != nil {
					e.stop()
					return false, err
				}
				k := key{p, kind}
				if rss[k] == nil {
					rss[k], walls[k] = &series{}, &series{}
				}
				rss[k].add(mb(r.rssKiB))
				walls[k].add(secs(r.wall))
				fmt.Fprintf(b.out, "  %-12s %-6s run %d: %.1f MB RSS, %.2f s, %.1f s CPU, %d calls (%s), load %s\n",
					p, kind, run, mb(r.rssKiB), secs(r.wall), secs(r.cpu), r.stats.Total, r.stats.callList(), r.load)
			}
			e.stop()
		}
	}
	ok := true
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nprovider\tdeploy\tpeak RSS median\tmin-max\twall median\ttarget\tverdict\n")
	for _, p := range b.o.providers {
		for _, kind := range kinds {
			k := key{p, kind}
			pass := rss[k].max() <= 200
			ok = ok && pass
			fmt.Fprintf(tw, "%s\t%s\t%.1f MB\t%.1f-%.1f\t%.2f s\t<= 200 MB (every run)\t%s\n",
				p, kind, rss[k].median(), rss[k].min(), rss[k].max(), walls[k].median(), verdict(pass))
		}
	}
	tw.Flush()
	fmt.Fprintf(b.out, "load after: %s\n", loadavg())
	return ok, nil
}
