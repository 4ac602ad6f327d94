package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkProxy measures one proxied GET end to end over loopback: client,
// proxy (net/http server + ServeHTTP) and a backend with a 100-byte body,
// like the data-plane benchmark. Profile with -cpuprofile and look at the
// ServeHTTP subtree.
func BenchmarkProxy(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 100)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Length"] = []string{"100"}
		w.Write(body)
	}))
	defer backend.Close()
	p, srv := newTestProxy(b, Config{})
	mustApply(b, p, table(1, 1, rt("bench", "", "/app", addr(backend), addr(backend))))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	url := srv.URL + "/app/"
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n != 100 {
				b.Errorf("got %d with %d bytes", resp.StatusCode, n)
				return
			}
		}
	})
}
