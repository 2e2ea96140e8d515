package wxcloud

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

func TestBase64Reader(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 100, 4095, 4096, 4097, 100003} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(rng.IntN(256))
		}
		want := base64.StdEncoding.EncodeToString(src)
		for _, bufSize := range []int{1, 2, 3, 4, 5, 7, 8, 13, 512, 32 << 10} {
			r := &base64Reader{src: bytes.NewReader(src), size: int64(len(src))}
			var got bytes.Buffer
			buf := make([]byte, bufSize)
			for {
				k, err := r.Read(buf)
				got.Write(buf[:k])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if got.String() != want {
				t.Fatalf("n=%d buf=%d: encoding differs", n, bufSize)
			}
		}
	}
}

func TestUploadBody(t *testing.T) {
	t.Parallel()
	zip := []byte("zip\x00bytes\"\\</script>")
	tests := []struct {
		name    string
		req     UploadRequest
		withVPC bool
		want    map[string]any
	}{
		{"create with vpc", UploadRequest{FunctionName: "a\"b", Envs: []string{"e1"}, Zip: zipOf(zip), VPCID: "v", SubnetID: "s"}, true,
			map[string]any{"functionname": "a\"b", "envs": []any{"e1"}, "vpcid": "v", "subnetid": "s"}},
		{"create with subnet only", UploadRequest{FunctionName: "f", Envs: []string{"e1", "e2"}, Zip: zipOf(zip), SubnetID: "s"}, true,
			map[string]any{"functionname": "f", "envs": []any{"e1", "e2"}, "subnetid": "s"}},
		{"update drops vpc", UploadRequest{FunctionName: "f", Envs: []string{"e1"}, Zip: zipOf(zip), VPCID: "v"}, false,
			map[string]any{"functionname": "f", "envs": []any{"e1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := newUploadBody(tt.req, tt.withVPC)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // the body must be re-openable for retries
				data, err := io.ReadAll(b.open())
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(data)) != b.size() {
					t.Errorf("size() = %d, body is %d bytes", b.size(), len(data))
				}
				var m map[string]any
				if err := json.Unmarshal(data, &m); err != nil {
					t.Fatalf("body is not JSON: %v", err)
				}
				dec, err := base64.StdEncoding.DecodeString(m["zipfile"].(string))
				if err != nil || !bytes.Equal(dec, zip) {
					t.Errorf("zipfile = %q, %v", dec, err)
				}
				delete(m, "zipfile")
				if len(m) != len(tt.want) {
					t.Errorf("fields = %v, want %v", m, tt.want)
				}
				for k, v := range tt.want {
					if vv, _ := json.Marshal(m[k]); string(vv) != mustJSON(v) {
						t.Errorf("%s = %v, want %v", k, m[k], v)
					}
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// discardServer counts the upload bytes it receives without keeping them.
func discardServer(tb testing.TB) (*httptest.Server, *atomic.Int64) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	tb.Cleanup(srv.Close)
	return srv, &got
}

const bigZip = 20 << 20

// TestUploadStreamsBody checks that a 20 MiB upload from a file allocates far
// less than the zip, let alone its ~27 MiB base64 body: neither is ever held
// in memory. Not parallel: it measures the process's allocations.
func TestUploadStreamsBody(t *testing.T) {
	srv, got := discardServer(t)
	c := NewClient(srv.Client(), WithBaseURL(srv.URL), WithTokens(nil, StaticToken(testComponent)))
	f, err := os.CreateTemp(t.TempDir(), "pkg-*.zip")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(bigZip); err != nil {
		t.Fatal(err)
	}
	req := UploadRequest{FunctionName: "big", Envs: []string{"dev-1"}, Zip: backend.Zip{R: f, Size: bigZip}}
	// Warm up connections and lazily built state.
	if _, err := c.BatchUpdate(context.Background(), UploadRequest{FunctionName: "big", Envs: []string{"dev-1"}, Zip: zipOf([]byte("z"))}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := c.BatchUpdate(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if want := int64(base64.StdEncoding.EncodedLen(bigZip)); got.Load() < want {
		t.Fatalf("server received %d bytes, want more than %d", got.Load(), want)
	}
	const budget = 4 << 20
	if alloc > budget {
		t.Errorf("a 20 MiB upload allocated %d bytes, want < %d (the body must stream)", alloc, budget)
	}
	t.Logf("20 MiB upload: %d bytes allocated, %d bytes sent", alloc, got.Load())
}

func BenchmarkBatchUpload20MiB(b *testing.B) {
	srv, _ := discardServer(b)
	c := NewClient(srv.Client(), WithBaseURL(srv.URL), WithTokens(nil, StaticToken(testComponent)))
	req := UploadRequest{FunctionName: "big", Envs: []string{"dev-1"}, Zip: zipOf(make([]byte, bigZip))}
	b.ReportAllocs()
	b.SetBytes(bigZip)
	for b.Loop() {
		if _, err := c.BatchUpdate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
