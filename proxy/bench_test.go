package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
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

// BenchmarkApply measures a push the proxy already mostly has: a
// 2,000-route table where one backend changed (decode excluded).
func BenchmarkApply(b *testing.B) {
	p, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	routes := make([]v1alpha1.Route, 2000)
	for i := range routes {
		routes[i] = rt(fmt.Sprintf("svc%d", i), "", fmt.Sprintf("/svc%d", i),
			fmt.Sprintf("10.0.%d.%d:80", i/250, i%250+1), fmt.Sprintf("10.1.%d.%d:80", i/250, i%250+1))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := table(int64(i+1), 1, routes...)
		t.Routes[i%len(routes)].Backends[0].Address = fmt.Sprintf("10.2.0.%d:80", i%250+1)
		if err := p.Apply(t); err != nil {
			b.Fatal(err)
		}
	}
}
