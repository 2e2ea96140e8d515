package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestRedirects(t *testing.T) {
	t.Parallel()
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		io.WriteString(w, "elsewhere")
	}))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal?access_token=x", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/downgrade", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/final", http.StatusFound)
	})
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusFound)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "final") })
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()

	c := NewClient(&Transport{Base: tlsSrv.Client().Transport})
	tests := []struct {
		path, want, wantErr string
	}{
		{"/same", "final", ""},
		{"/away", "", "to http://" + strings.TrimPrefix(other.URL, "http://") + ": refused"},
		{"/downgrade", "", "to http://" + strings.TrimPrefix(tlsSrv.URL, "https://") + ": refused"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := c.Post(tlsSrv.URL+tt.path+"?access_token=secret", "application/json", strings.NewReader(`{"zip":"..."}`))
			if tt.wantErr != "" {
				var re *RedirectError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a RedirectError containing %q", err, tt.wantErr)
				}
				// http.Client wraps it in a *url.Error with the request URL,
				// which the vendor clients sanitise; the refusal itself names
				// hosts only.
				if strings.Contains(re.Error(), "access_token") {
					t.Errorf("the refusal repeats the query: %v", re)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.want {
				t.Errorf("body %q, want %q", b, tt.want)
			}
		})
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other origin got %d requests", n)
	}
}

func TestLimiterStopsWithContext(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	c := NewClient(&Transport{Limiter: lim})
	resp, err := c.Get(srv.URL) // uses the one token of the burst
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := c.Do(req); err == nil {
		t.Fatal("the second call passed a limiter with no tokens left")
	}
	if NewLimiter(0) != nil {
		t.Error("max-rps 0 should mean no limiter")
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"99999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		got, ok := RetryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffDo(t *testing.T) {
	t.Parallel()
	transient := errors.New("busy")
	tests := []struct {
		name      string
		b         Backoff
		attempts  []Attempt
		wantTries int
		wantWaits []time.Duration
		wantErr   error
	}{
		{"success first", Backoff{Retries: 3}, []Attempt{{}}, 1, nil, nil},
		{"permanent error is not retried", Backoff{Retries: 3}, []Attempt{{Err: transient}}, 1, nil, transient},
		{"retries then success", Backoff{Retries: 3, Initial: time.Second, Max: 8 * time.Second},
			[]Attempt{{Err: transient, Retry: true}, {Err: transient, Retry: true}, {}}, 3, []time.Duration{500 * time.Millisecond, time.Second}, nil},
		{"retries run out", Backoff{Retries: 1, Initial: time.Second, Max: time.Second},
			[]Attempt{{Err: transient, Retry: true}, {Err: transient, Retry: true}}, 2, []time.Duration{500 * time.Millisecond}, transient},
		{"vendor's wait wins", Backoff{Retries: 2, Initial: time.Second, Max: time.Second},
			[]Attempt{{Err: transient, Retry: true, After: 7 * time.Second}, {}}, 2, []time.Duration{7 * time.Second}, nil},
		{"budget stops a long wait", Backoff{Retries: 5, Initial: time.Second, Max: time.Second, Budget: 10 * time.Second},
			[]Attempt{{Err: transient, Retry: true, After: 60 * time.Second}}, 1, nil, transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var waits []time.Duration
			b := tt.b
			b.Rand = func() float64 { return 0.5 }
			b.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			a, n := b.Do(context.Background(), func(n int) Attempt { return tt.attempts[n-1] }, nil)
			if n != tt.wantTries || !errors.Is(a.Err, tt.wantErr) && a.Err != tt.wantErr {
				t.Errorf("tries %d err %v; want %d %v", n, a.Err, tt.wantTries, tt.wantErr)
			}
			if len(waits) != len(tt.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tt.wantWaits)
			}
			for i := range waits {
				if waits[i] != tt.wantWaits[i] {
					t.Errorf("wait %d = %v, want %v", i, waits[i], tt.wantWaits[i])
				}
			}
		})
	}
}

func TestBackoffCancelledDuringWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	b := Backoff{Retries: 3, Initial: time.Hour, Max: time.Hour, Rand: func() float64 { return 0.5 }}
	a, _ := b.Do(ctx, func(int) Attempt {
		cancel()
		return Attempt{Err: errors.New("busy"), Retry: true}
	}, nil)
	if !errors.Is(a.Err, context.Canceled) && a.Err.Error() != "busy" {
		t.Errorf("err = %v", a.Err)
	}
}
