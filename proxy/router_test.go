package proxy

import (
	"net/http"
	"testing"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

func TestRoutingMatrix(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	be := map[string]string{}
	for _, n := range []string{"root", "app", "appapi", "apple", "exact", "exactapi", "wild", "deepwild", "strip", "stripdeep"} {
		be[n] = addr(namedBackend(t, n))
	}
	strip := func(r v1alpha1.Route) v1alpha1.Route { r.StripPrefix = true; return r }
	mustApply(t, p, table(1, 1,
		rt("root", "", "/", be["root"]),
		rt("app", "", "/app", be["app"]),
		rt("appapi", "", "/app/api", be["appapi"]),
		rt("apple", "", "/apple", be["apple"]),
		rt("exact", "example.com", "/", be["exact"]),
		rt("exactapi", "example.com", "/api", be["exactapi"]),
		rt("wild", "*.example.com", "/", be["wild"]),
		rt("deepwild", "*.deep.example.com", "/", be["deepwild"]),
		strip(rt("strip", "", "/s", be["strip"])),
		strip(rt("stripdeep", "", "/s/t/u", be["stripdeep"])),
		rt("empty", "", "/empty"),
		rt("onlyhost", "only.test", "/only"),
	))

	for _, tc := range []struct {
		host, path string
		code       int
		want       string // body: backend name and the path it saw
	}{
		{"", "/", 200, "root /"},
		{"", "/x?q=1", 200, "root /x?q=1"},
		{"", "/app", 200, "app /app"},
		{"", "/app/", 200, "app /app/"},
		{"", "/app/x/y?a=b&c", 200, "app /app/x/y?a=b&c"},
		{"", "/apple", 200, "apple /apple"},
		{"", "/applesauce", 200, "root /applesauce"},
		{"", "/app/api", 200, "appapi /app/api"},
		{"", "/app/apis", 200, "app /app/apis"},
		{"", "/app/api/v1", 200, "appapi /app/api/v1"},
		// Host: exact beats wildcard beats none; port and case are ignored.
		{"example.com", "/x", 200, "exact /x"},
		{"EXAMPLE.com:8080", "/api/v1", 200, "exactapi /api/v1"},
		{"example.com.", "/api", 200, "exactapi /api"},
		{"a.example.com", "/api", 200, "wild /api"},
		{"a.b.example.com", "/", 200, "wild /"},
		{"x.deep.example.com", "/", 200, "deepwild /"},
		{"deep.example.com", "/", 200, "wild /"},
		{"other.org", "/app/x", 200, "app /app/x"},
		// A host whose routes do not match the path falls through.
		{"only.test", "/app", 200, "app /app"},
		// Strip prefix keeps the query and always leaves an absolute path.
		{"", "/s", 200, "strip /"},
		{"", "/s/", 200, "strip /"},
		{"", "/s/a/b?x=1", 200, "strip /a/b?x=1"},
		{"", "/s?x=1", 200, "strip /?x=1"},
		{"", "/sx", 200, "root /sx"},
		{"", "/s/t/u/v", 200, "stripdeep /v"},
		{"", "/s/%2F/x", 200, "strip /%2F/x"},
		// No backends: 503, never 404.
		{"", "/empty/x", 503, "503 Service Unavailable\n"},
		{"only.test", "/only", 503, "503 Service Unavailable\n"},
	} {
		code, _, body := get(t, srv.Client(), srv.URL+tc.path, tc.host)
		if code != tc.code || body != tc.want {
			t.Errorf("Host %q %s: got %d %q, want %d %q", tc.host, tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestNoRouteIs404(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	code, _, body := get(t, srv.Client(), srv.URL+"/", "")
	if code != http.StatusServiceUnavailable || body != bodyUnavailable {
		t.Errorf("before any table: got %d %q, want 503", code, body)
	}
	mustApply(t, p, table(1, 1, rt("app", "", "/app", addr(namedBackend(t, "app")))))
	for _, path := range []string{"/", "/apple", "/ap", "/other/app"} {
		code, _, body := get(t, srv.Client(), srv.URL+path, "")
		if code != http.StatusNotFound || body != bodyNotFound {
			t.Errorf("%s: got %d %q, want 404 %q", path, code, body, bodyNotFound)
		}
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":     "example.com",
		"Example.COM:443": "example.com",
		"example.com.":    "example.com",
		"example.com.:80": "example.com",
		"10.0.0.1:8080":   "10.0.0.1",
		"[::1]:80":        "[::1]",
		"[::1]":           "[::1]",
		"":                "",
	} {
		if got := normalizeHost(in); got != want {
			t.Errorf("normalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}
