//go:build linux

package main

import (
	"fmt"
	"time"
)

// workload is what an ideal is computed for: F functions × E envs, C
// functions at once (concurrency), every call held L by the emulator, a
// Tencent Cloud function Creating/Updating for SD after its create/update,
// at most rps calls a second (max-rps), epc envs per WeChat batch call.
type workload struct {
	F, E, C int
	L, SD   time.Duration
	rps     float64
	epc     int
	// fanout is deploy's EnvFanout (32): a function's envs probed at once.
	fanout int
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// waves is how many rounds of C functions a phase needs.
func (w workload) waves() int { return ceilDiv(w.F, w.C) }

// batches is the WeChat batch calls per function.
func (w workload) batches() int { return ceilDiv(w.E, w.epc) }

// floors is an ideal: the larger of its latency and rate floors.
type floors struct {
	latency, rate time.Duration
	n             int // the calls the rate floor counts
}

func (f floors) ideal() time.Duration { return max(f.latency, f.rate) }

func (f floors) String() string {
	return fmt.Sprintf("latency %.3f; rate %.3f, N=%d", f.latency.Seconds(), f.rate.Seconds(), f.n)
}

// ideal is the least wall time a deploy can take, given only the round trips
// nothing can remove, as the larger of two floors:
//
//   - latency: the round trips on one function's critical path, times L, for
//     each wave of C functions (a function's envs and its batch calls go out
//     together, so they cost one L, not E); for tencentcloud plus SD + L
//     once, for the last wave: its functions become Active SD after their
//     create/update is handled, and one GetFunction must then see Active
//     (the earlier waves' waits overlap the later waves' uploads);
//   - rate: N unavoidable calls at rps, the first at once: (N-1)/rps + L
//     (the last one's latency is not overlapped by anything).
//
// Round trips per function (and unavoidable calls N) by kind:
//
//	wechat create       probe, batch                     2   N = F·E + F·⌈E/epc⌉
//	wechat unchanged    probe                            1   N = F·E
//	wechat update       probe, fetch code, batch         3   N = F·E + F + F·⌈E/epc⌉
//	tencent create      GetFunction, Create  (+SD+L)     2   N = 3·F·E
//	tencent unchanged   GetFunction, GetFunctionAddress  2   N = 2·F·E
//	tencent update      GetFunction, Address, fetch,     4   N = 4·F·E + F
//	                    UpdateFunctionCode   (+SD+L)
//
// "probe" is downloadfunction; "fetch code" is one GET of the deployed zip
// per function (its envs run the same code), which skip-unchanged needs
// because the vendor's checksum is not known to be over the zip as uploaded
// (internal/deploy/probe.go compare). Not counted: the configure phase's
// GetFunction after the wait (the poll that saw Active already returned the
// whole function), polls that see Creating/Updating, packing, process start.
//
// With confirm, a WeChat upload also costs one downloadfunction per env
// after it (WaitReady, internal/wxcloud/ready.go: errcode 0 from a batch call
// is not taken as proof): one more round trip per wave, F·E more calls. The
// targets are against the ideal without it (the issues' definition); the
// one with it is printed beside, for the product's current design.
func (w workload) ideal(provider, kind string, confirm bool) floors {
	fe := w.F * w.E
	var rts, n int
	var settle time.Duration
	switch provider + " " + kind {
	case "wechat create":
		rts, n = 2, fe+w.F*w.batches()
	case "wechat unchanged":
		rts, n = 1, fe
	case "wechat update":
		rts, n = 3, fe+w.F+w.F*w.batches()
	case "tencentcloud create":
		rts, n, settle = 2, 3*fe, w.SD+w.L
	case "tencentcloud unchanged":
		rts, n = 2, 2*fe
	case "tencentcloud update":
		rts, n, settle = 4, 4*fe+w.F, w.SD+w.L
	default:
		panic(fmt.Sprintf("ideal: unknown case %s %s", provider, kind))
	}
	if confirm && provider == "wechat" && kind != "unchanged" {
		rts, n = rts+1, n+fe
	}
	return floors{
		latency: time.Duration(w.waves()*rts)*w.L + settle,
		rate:    w.rateFloor(n),
		n:       n,
	}
}

func (w workload) rateFloor(n int) time.Duration {
	return time.Duration(float64(n-1)/w.rps*float64(time.Second)) + w.L
}

// scaleIdeal is the ideal of a WeChat deploy of one function to E envs (or
// a shard's E): E probes, then ⌈E/epc⌉ batch calls (with confirm, then E
// downloadfunction confirmations). Latency floor: the probes fanout at a
// time, the batch calls 4 at a time (wxcloud callsAtOnce), the
// confirmations fanout at a time; rate floor: (N-1)/rps + L with
// N = E + ⌈E/epc⌉ (+ E). At 20 calls a second and 50 ms a call the rate
// floor is the one that counts.
func (w workload) scaleIdeal(confirm bool) floors {
	n := w.E + w.batches()
	rts := ceilDiv(w.E, w.fanout) + ceilDiv(w.batches(), 4)
	if confirm {
		n += w.E
		rts += ceilDiv(w.E, w.fanout)
	}
	return floors{latency: time.Duration(rts) * w.L, rate: w.rateFloor(n), n: n}
}
