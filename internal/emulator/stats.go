package emulator

import "time"

// Stats counts the calls received, to check a client's rate limit: how many
// per WeChat path or Tencent Cloud action, and the most received in any
// one-second window. Time is Options.Now at arrival, so a test with a fake
// clock decides which calls share a second.
type Stats struct {
	// Total is every request received.
	Total int
	// Calls counts requests per Tencent Cloud action ("CreateFunction"), or
	// per path for the rest ("/componenttcb/batchuploadscf", "/_emulator/code").
	Calls map[string]int
	// MaxPerSecond is the most requests that arrived within one second of
	// each other (any window (t-1s, t]), MaxPerSecondAt the end of the first
	// such window.
	MaxPerSecond   int
	MaxPerSecondAt time.Time
	// MaxPerSecondByKey is the same per key of Calls (vendors limit some
	// actions on their own: GetFunction 100/s, GetFunctionAddress 20/s).
	MaxPerSecondByKey map[string]int
}

// Stats returns the counts since New or ResetCalls.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{
		Total:             s.stats.all.n,
		Calls:             map[string]int{},
		MaxPerSecond:      s.stats.all.max,
		MaxPerSecondAt:    s.stats.all.maxAt,
		MaxPerSecondByKey: map[string]int{},
	}
	for k, w := range s.stats.byKey {
		out.Calls[k] = w.n
		out.MaxPerSecondByKey[k] = w.max
	}
	return out
}

// stats holds sliding one-second windows: each arrival drops the arrivals
// older than a second from the front, so one call costs O(1) amortised
// however long the run.
type stats struct {
	all   window
	byKey map[string]*window
}

func (st *stats) add(key string, t time.Time) {
	st.all.add(t)
	if st.byKey == nil {
		st.byKey = map[string]*window{}
	}
	w := st.byKey[key]
	if w == nil {
		w = &window{}
		st.byKey[key] = w
	}
	w.add(t)
}

type window struct {
	n     int
	times []time.Time // arrivals of the last second, oldest first, from head
	head  int
	max   int
	maxAt time.Time
}

func (w *window) add(t time.Time) {
	w.n++
	// A clock that steps back (a fake one, rewound) would leave later
	// arrivals at the front: start the window over rather than miscount.
	if last := len(w.times) - 1; last >= w.head && t.Before(w.times[last]) {
		w.times, w.head = w.times[:0], 0
	}
	for w.head < len(w.times) && !w.times[w.head].After(t.Add(-time.Second)) {
		w.head++
	}
	if w.head > 1024 && w.head > len(w.times)/2 {
		w.times = append(w.times[:0], w.times[w.head:]...)
		w.head = 0
	}
	w.times = append(w.times, t)
	if n := len(w.times) - w.head; n > w.max {
		w.max, w.maxAt = n, t
	}
}
