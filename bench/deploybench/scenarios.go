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
	envs := strings.Join(envList("dev", w.E), ",")
	kinds := []string{"create", "unchanged", "update"}
	fmt.Fprintf(b.out, "deploy latency: %d functions × %d envs, %s per call, status delay %s, concurrency %d, max-rps %s, %d runs; load %s\n",
		w.F, w.E, w.L, w.SD, w.C, rpsFlag, b.o.runs, loadavg())
	type key struct{ provider, kind string }
	walls := map[key]*series{}
	maxUploads := map[key]int{}
	gen := 0
	for _, p := range b.o.providers {
		for run := 1; run <= b.o.runs; run++ {
			gen++
			if err := b.writeFunctions(w.F, gen, 0); err != nil {
				return false, err
			}
			e, err := b.startEmu(w.L, w.SD)
			if err != nil {
				return false, err
			}
			for _, kind := range kinds {
				if kind == "update" {
					gen++
					if err := b.writeFunctions(w.F, gen, 0); err != nil {
						e.stop()
						return false, err
					}
				}
				r, err := b.deploy(e, p, "--envs", envs, "--concurrency", strconv.Itoa(w.C), "--max-rps", rpsFlag)
				if err != nil {
					e.stop()
					return false, err
				}
				k := key{p, kind}
				if walls[k] == nil {
					walls[k] = &series{}
				}
				walls[k].add(secs(r.wall))
				maxUploads[k] = max(maxUploads[k], r.stats.uploads())
				ideal := w.ideal(p, kind, false).ideal()
				fmt.Fprintf(b.out, "  %-12s %-9s run %d: %6.3f s (%.2fx ideal %.3f s), %d calls, %d uploads, %.0f MB RSS, load %s: %s\n",
					p, kind, run, secs(r.wall), secs(r.wall)/secs(ideal), secs(ideal), r.stats.Total, r.stats.uploads(), mb(r.rssKiB), r.load, r.stats.callList())
				if b.o.verbose {
					for _, ph := range r.phases {
						fmt.Fprintf(b.out, "      %s\n", ph)
					}
				}
			}
			e.stop()
		}
	}
	ok := true
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nprovider\tdeploy\tmedian\tmin-max\tideal\tmedian/ideal\twith confirm\tuploads (max)\tverdict (<= 1.3x)\n")
	for _, p := range b.o.providers {
		for _, kind := range kinds {
			k := key{p, kind}
			s := walls[k]
			f := w.ideal(p, kind, false)
			ratio := s.median() / secs(f.ideal())
			pass := ratio <= 1.3
			upl := fmt.Sprint(maxUploads[k])
			if kind == "unchanged" {
				pass = pass && maxUploads[k] == 0
				upl += " (target 0)"
			}
			withConfirm := "-"
			if fc := w.ideal(p, kind, true); fc != f {
				withConfirm = fmt.Sprintf("%.3f s: %.2fx", secs(fc.ideal()), s.median()/secs(fc.ideal()))
			}
			ok = ok && pass
			fmt.Fprintf(tw, "%s\t%s\t%.3f s\t%.3f-%.3f\t%.3f s (%s)\t%.2fx\t%s\t%s\t%s\n",
				p, kind, s.median(), s.min(), s.max(), secs(f.ideal()), f, ratio, withConfirm, upl, verdict(pass))
		}
	}
	tw.Flush()
	fmt.Fprintf(b.out, "load after: %s\n", loadavg())
	return ok, nil
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
	const L = 50 * time.Millisecond
	envs := envList("prod", b.o.envs)
	if err := os.WriteFile(filepath.Join(b.work, "envs.txt"), []byte(strings.Join(envs, "\n")+"\n"), 0o644); err != nil {
		return false, err
	}
	if err := b.writeFunctions(1, 1, 0); err != nil {
		return false, err
	}
	fmt.Fprintf(b.out, "platform scale: 1 function × %d envs (envs-file), wechat, %s per call, envs-per-call 50 (default), max-rps %s, %d runs; load %s\n",
		b.o.envs, L, rpsFlag, b.o.runs, loadavg())
	type outcome struct {
		name         string
		f, fc        floors
		walls, rss   series
		maxPerSec    int
		calls        map[int]bool
		shard, pairs int
	}
	var outs []*outcome
	for _, shard := range []int{0, 4} {
		o := &outcome{name: "all", shard: shard, pairs: len(envs), calls: map[int]bool{}}
		args := []string{"--envs-file", "envs.txt"}
		if b.o.maxRPS != "" {
			args = append(args, "--max-rps", rpsFlag)
		}
		if shard > 0 {
			o.name = fmt.Sprintf("shard 1/%d", shard)
			o.pairs = len(envs) / shard // shard 1 of N: the first ⌊pairs/N⌋
			args = append(args, "--shard", fmt.Sprintf("1/%d", shard))
		}
		w := workload{F: 1, E: o.pairs, C: 4, L: L, rps: rps, epc: 50, fanout: 32}
		o.f, o.fc = w.scaleIdeal(false), w.scaleIdeal(true)
		for run := 1; run <= b.o.runs; run++ {
			e, err := b.startEmu(L, 0)
			if err != nil {
				return false, err
			}
			r, err := b.deploy(e, "wechat", args...)
			var busiest string
			if err == nil && float64(r.stats.MaxPerSecond) > rps {
				// Where the ceiling was passed, from the arrival times.
				var calls []call
				if calls, err = e.calls(); err == nil {
					_, busiest = busiestSecond(calls)
				}
			}
			e.stop()
			if err != nil {
				return false, err
			}
			o.walls.add(secs(r.wall))
			o.rss.add(mb(r.rssKiB))
			o.maxPerSec = max(o.maxPerSec, r.stats.MaxPerSecond)
			o.calls[r.stats.Total] = true
			fmt.Fprintf(b.out, "  %-9s run %d: %7.2f s (%.3fx ideal %.2f s), %.1f MB RSS, %.1f s CPU, %d calls (%s), max %d/s, load %s\n",
				o.name, run, secs(r.wall), secs(r.wall)/secs(o.f.ideal()), secs(o.f.ideal()), mb(r.rssKiB), secs(r.cpu), r.stats.Total, r.stats.callList(), r.stats.MaxPerSecond, r.load)
			if busiest != "" {
				fmt.Fprintf(b.out, "      more than max-rps: %s\n", busiest)
			}
			if b.o.verbose {
				for _, ph := range r.phases {
					fmt.Fprintf(b.out, "      %s\n", ph)
				}
			}
		}
		outs = append(outs, o)
	}
	// The shard must do its share of the calls: a quarter of the full run's.
	full := outs[0]
	ok := true
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\ncase\tmedian\tmin-max\tideal\tmedian/ideal (<= 1.3x)\twith confirm\tpeak RSS (<= 150 MB)\tmax calls/s (<= %s)\tcalls\tverdict\n", rpsFlag)
	for _, o := range outs {
		ratio := o.walls.median() / secs(o.f.ideal())
		callsOK := len(o.calls) == 1
		callNote := callSet(o.calls)
		if o.shard > 0 && len(full.calls) == 1 {
			for n := range full.calls {
				callsOK = callsOK && o.calls[n/o.shard] && n%o.shard == 0
				callNote += fmt.Sprintf(" (1/%d of %d)", o.shard, n)
			}
		}
		pass := ratio <= 1.3 && o.rss.max() <= 150 && float64(o.maxPerSec) <= rps && callsOK
		ok = ok && pass
		fmt.Fprintf(tw, "%s\t%.2f s\t%.2f-%.2f\t%.2f s (%s)\t%.3fx\t%.2f s: %.3fx\t%.1f MB (%.1f-%.1f)\t%d\t%s\t%s\n",
			o.name, o.walls.median(), o.walls.min(), o.walls.max(), secs(o.f.ideal()), o.f, ratio,
			secs(o.fc.ideal()), o.walls.median()/secs(o.fc.ideal()), o.rss.median(), o.rss.min(), o.rss.max(), o.maxPerSec, callNote, verdict(pass))
	}
	tw.Flush()
	fmt.Fprintf(b.out, "load after: %s\n", loadavg())
	return ok, nil
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
