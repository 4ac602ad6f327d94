package v1alpha1

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseLabels feeds Parse arbitrary labels. The fuzzer controls three
// keys and their values (joined as "k1=v1\nk2=v2..." so that one input can
// hold a whole label set). Whatever it sends, Parse must not panic, every
// problem must name its service and label, and every route it returns must be
// one that a proxy would accept.
func FuzzParseLabels(f *testing.F) {
	seeds := []string{
		"proxy.path=/app\nproxy.port=8080",
		"proxy.path=/app/\nproxy.port=80\nproxy.host=A.example.com,*.example.com,a.example.com\nproxy.strip-prefix=true",
		"proxy.path=/\nproxy.0.path=/\nproxy.port=80",
		"proxy.1.path=/one\nproxy.1.port=81\nproxy.1.network=backend\nproxy.2.port=82",
		"proxy.paht=/x\nproxy.01.path=/y\nproxy.+1.path=/z\nproxy.1000.path=/w",
		"proxy.path=/a//b\nproxy.port=0\nproxy.host=a_b,c:80\nproxy.strip-prefix=maybe\nproxy.network=-x",
		"proxy.path=/a\x00b\nproxy.port=65536\nproxy.host=*.*.x",
		"proxy.=\nproxy..=\nproxy.9999.=\nproxy.1.2.path=/",
	}
	for _, s := range seeds {
		f.Add("proxy", s)
	}
	f.Add("sg", "sg.path=/\nsg.port=1\nproxy.path=/ignored")

	f.Fuzz(func(t *testing.T, prefix, input string) {
		if prefix == "" || strings.ContainsAny(prefix, "\n=") {
			prefix = DefaultLabelPrefix
		}
		schema := LabelSchema{Prefix: prefix}
		labels := map[string]string{}
		for line := range strings.SplitSeq(input, "\n") {
			k, v, _ := strings.Cut(line, "=")
			labels[k] = v
		}
		routes, problems := schema.Parse("svc", labels)

		for _, p := range problems {
			if p.Service != "svc" || p.Reason == "" {
				t.Fatalf("problem without service or reason: %+v", p)
			}
			if _, isInput := labels[p.Label]; !isInput && !isRequiredKey(schema, p.Label) {
				t.Fatalf("problem names label %q, which is neither an input key nor a required key", p.Label)
			}
			if p.Severity != SeverityError && p.Severity != SeverityWarning {
				t.Fatalf("problem with severity %q", p.Severity)
			}
		}
		if !slices.IsSortedFunc(routes, func(a, b RouteSpec) int { return a.Index - b.Index }) {
			t.Fatalf("routes not ordered by index: %+v", routes)
		}
		for _, r := range routes {
			checkRouteSpec(t, labels, r)
		}
	})
}

// isRequiredKey reports whether key is the path or port key of some route:
// Parse names those when they are missing.
func isRequiredKey(s LabelSchema, key string) bool {
	rest, ok := strings.CutPrefix(key, s.prefix()+".")
	if !ok {
		return false
	}
	index, field, ok := splitIndex(rest)
	return ok && index <= maxRouteIndex && s.Key(index, field) == key && (field == FieldPath || field == FieldPort)
}

func checkRouteSpec(t *testing.T, labels map[string]string, r RouteSpec) {
	t.Helper()
	if p, err := CleanPathPrefix(r.PathPrefix); err != nil || p != r.PathPrefix {
		t.Fatalf("route %d path %q is not clean: %q, %v", r.Index, r.PathPrefix, p, err)
	}
	if r.Port < 1 || r.Port > 65535 {
		t.Fatalf("route %d port %d out of range", r.Index, r.Port)
	}
	if r.Index < 0 || r.Index > maxRouteIndex {
		t.Fatalf("route index %d out of range", r.Index)
	}
	if _, ok := labels[r.PathLabel]; !ok {
		t.Fatalf("route %d path label %q is not an input key", r.Index, r.PathLabel)
	}
	if !slices.IsSorted(r.Hosts) || len(slices.Compact(slices.Clone(r.Hosts))) != len(r.Hosts) {
		t.Fatalf("route %d hosts not sorted and unique: %q", r.Index, r.Hosts)
	}
	for _, h := range r.Hosts {
		if c, err := CleanHost(h); err != nil || c != h {
			t.Fatalf("route %d host %q is not clean: %q, %v", r.Index, h, c, err)
		}
	}
	if r.Network != "" {
		if err := checkNetworkName(r.Network); err != nil {
			t.Fatalf("route %d network %q: %v", r.Index, r.Network, err)
		}
		if _, ok := labels[r.NetworkLabel]; !ok {
			t.Fatalf("route %d network label %q is not an input key", r.Index, r.NetworkLabel)
		}
	}
	// The route must be routable: a table holding it alone validates.
	tbl := RoutingTable{APIVersion: APIVersion, Routes: []Route{{Service: "svc", PathPrefix: r.PathPrefix}}}
	if err := tbl.Validate(); err != nil {
		t.Fatalf("route %d does not validate: %v", r.Index, err)
	}
	for _, h := range r.Hosts {
		tbl.Routes[0].Host = h
		if err := tbl.Validate(); err != nil {
			t.Fatalf("route %d host %q does not validate: %v", r.Index, h, err)
		}
	}
}
