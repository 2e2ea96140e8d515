package emulator_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// TestStatsPerSecond: the busiest one-second window, counted by the fake
// clock, overall and per action or path.
func TestStatsPerSecond(t *testing.T) {
	t.Parallel()
	e := newTC(t, emulator.Options{Node: "-"})
	e.Seed("dev", "fn", makeZip(t, map[string]string{"index.js": ""}))
	get := map[string]any{"FunctionName": "fn", "Namespace": "dev"}
	burst := func(n int) {
		for range n {
			e.mustSCF("GetFunction", get, nil)
		}
	}
	start := e.clock.Now()
	burst(5)                                // t=0: 5
	e.clock.Advance(500 * time.Millisecond) //
	burst(3)                                // t=0.5: 8 within a second
	e.call(pDownload, single("dev", "fn"))  // t=0.5: 9
	e.clock.Advance(600 * time.Millisecond) // t=1.1: the first 5 have left the window
	burst(4)                                // 3+1+4 = 8
	e.clock.Advance(2 * time.Second)        //
	burst(2)                                // 2
	st := e.Stats()
	if st.Total != 15 || st.Calls["GetFunction"] != 14 || st.Calls[pDownload] != 1 {
		t.Errorf("counts: %+v", st)
	}
	if st.MaxPerSecond != 9 || !st.MaxPerSecondAt.Equal(start.Add(500*time.Millisecond)) {
		t.Errorf("MaxPerSecond = %d at %v, want 9 at +500ms", st.MaxPerSecond, st.MaxPerSecondAt.Sub(start))
	}
	if st.MaxPerSecondByKey["GetFunction"] != 8 || st.MaxPerSecondByKey[pDownload] != 1 {
		t.Errorf("MaxPerSecondByKey = %v, want GetFunction 8", st.MaxPerSecondByKey)
	}
	e.ResetCalls()
	if st := e.Stats(); st.Total != 0 || st.MaxPerSecond != 0 || len(st.Calls) != 0 {
		t.Errorf("after ResetCalls: %+v", st)
	}
}

// TestThousandsOfEnvs: one WeChat batch call creates a function in 2,000
// envs, and each env (namespace) is then served on its own, from both
// sides.
func TestThousandsOfEnvs(t *testing.T) {
	t.Parallel()
	const n = 2000
	envs := make([]string, n)
	for i := range envs {
		envs[i] = fmt.Sprintf("env-%04d", i)
	}
	e := newTC(t, emulator.Options{Node: "-", Envs: envs, StatusDelay: -1})
	zip := makeZip(t, map[string]string{"index.js": "exports.main = () => 1"})
	if r := e.call(pBatchCreate, batchBody("fn", envs, zip)); r.Errcode != 0 || len(r.FailEnvList) != 0 {
		t.Fatalf("batchuploadscf over %d envs: %d %s %v", n, r.Errcode, r.Errmsg, r.FailEnvList[:min(3, len(r.FailEnvList))])
	}
	if r := e.call(pBatchUpdate, batchBody("fn", envs, zip)); r.Errcode != 0 || len(r.FailList) != 0 {
		t.Fatalf("batchuploadscfcode over %d envs: %+v", n, r.Errcode)
	}
	e.mustSCF("CreateFunction", createParams("env-1999", "extra", zip), nil)
	var list struct {
		TotalCount int
		Functions  []struct{ FunctionName, Namespace string }
	}
	e.mustSCF("ListFunctions", map[string]any{"Namespace": "env-1999"}, &list)
	if list.TotalCount != 2 || list.Functions[0].Namespace != "env-1999" {
		t.Errorf("ListFunctions in one of %d envs: %+v", n, list)
	}
	if got := len(e.Functions()); got != n+1 {
		t.Errorf("%d functions, want %d", got, n+1)
	}
	if fs := e.FunctionsIn("env-0042"); len(fs) != 1 || fs[0].Version != 2 || !fs[0].Batch {
		t.Errorf("FunctionsIn(env-0042) = %+v", fs)
	}
}

// BenchmarkCallByEnvCount shows the cost of one call (downloadfunction:
// token, env and function lookups, the call record, the per-second stats)
// does not grow with the number of envs the emulator holds: compare the
// sub-benchmarks.
func BenchmarkCallByEnvCount(b *testing.B) {
	for _, n := range []int{10, 2000, 20000} {
		b.Run(fmt.Sprintf("envs=%d", n), func(b *testing.B) {
			s := emulator.New(emulator.Options{Node: "-"})
			zip := makeZip(b, map[string]string{"index.js": ""})
			for i := range n {
				s.Seed(fmt.Sprintf("env-%d", i), "fn", zip)
			}
			body := `{"env":"env-7","function_name":"fn"}`
			b.ResetTimer()
			for range b.N {
				req := httptest.NewRequest("POST", pDownload+"?access_token="+s.Token(), strings.NewReader(body))
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Body.String())
				}
			}
		})
	}
}
