package output

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// maxQueued bounds what waits for a stalled stream: past it, writes are
// dropped (and counted) rather than held in memory without end.
const maxQueued = 4 << 20

// stream writes to one process stream from a background writer, so that a
// reader that stops reading (a full pipe, a suspended terminal) can delay a
// write by at most the stall timeout, never hang the program. In the normal
// case each write has finished when write returns, so output keeps its
// order and tests can read their buffers right away.
type stream struct {
	name  string
	w     io.Writer
	stall time.Duration

	mu      sync.Mutex
	queue   []chunk
	queued  int
	running bool
	stalled bool // a write outlived stall: later writes do not wait
	dropped int  // bytes refused while the queue was full
	idle    chan struct{}
}

type chunk struct {
	b    []byte
	done chan struct{}
}

func newStream(name string, w io.Writer, stall time.Duration) *stream {
	if w == nil {
		w = io.Discard
	}
	return &stream{name: name, w: w, stall: stall}
}

// write hands b to the background writer (one Write call, so concurrent
// lines never interleave) and waits until it is written or the stream is
// found stalled.
func (s *stream) write(b []byte) {
	s.mu.Lock()
	if s.queued+len(b) > maxQueued {
		s.dropped += len(b)
		s.mu.Unlock()
		return
	}
	c := chunk{b: b, done: make(chan struct{})}
	s.queue = append(s.queue, c)
	s.queued += len(b)
	if !s.running {
		s.running = true
		s.idle = make(chan struct{})
		go s.pump()
	}
	stalled := s.stalled
	s.mu.Unlock()
	if stalled {
		return
	}
	t := time.NewTimer(s.stall)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		s.mu.Lock()
		s.stalled = true
		s.mu.Unlock()
	}
}

// pump writes the queue in order and exits when it is empty, so an idle
// Out holds no goroutine.
func (s *stream) pump() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.stalled = false
			close(s.idle)
			s.mu.Unlock()
			return
		}
		c := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()

		// A write error (a closed pipe) leaves nowhere to report it; the
		// exit status still tells.
		_, _ = s.w.Write(c.b)

		s.mu.Lock()
		s.queued -= len(c.b)
		s.mu.Unlock()
		close(c.done)
	}
}

// flush waits until everything queued is written or ctx ends.
func (s *stream) flush(ctx context.Context) error {
	s.mu.Lock()
	idle, running, dropped := s.idle, s.running, s.dropped
	s.mu.Unlock()
	if running {
		select {
		case <-idle:
		case <-ctx.Done():
			s.mu.Lock()
			left := s.queued
			s.mu.Unlock()
			return fmt.Errorf("%s: %d bytes still unwritten when giving up (%v): nothing is reading it", s.name, left, ctx.Err())
		}
	}
	if dropped > 0 {
		return fmt.Errorf("%s: %d bytes dropped while it was not being read", s.name, dropped)
	}
	return nil
}
