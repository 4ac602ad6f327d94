package v1alpha1

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	route0 := func(path string, port int) RouteSpec {
		return RouteSpec{PathPrefix: path, Port: port, PathLabel: "proxy.path"}
	}
	errP := func(label, value, reason string) Problem {
		return Problem{Service: "web", Label: label, Value: value, Reason: reason, Severity: SeverityError}
	}
	warnP := func(label, value, reason string) Problem {
		return Problem{Service: "web", Label: label, Value: value, Reason: reason, Severity: SeverityWarning}
	}
	const missing = "required to route this service, and missing"
	tests := []struct {
		name         string
		labels       map[string]string
		wantRoutes   []RouteSpec
		wantProblems []Problem
	}{
		{name: "no labels"},
		{name: "other namespaces only", labels: map[string]string{"com.example.x": "1", "proxyx.path": "/", "proxy": "/"}},
		{
			name:       "minimal route",
			labels:     map[string]string{"proxy.path": "/app", "proxy.port": "8080"},
			wantRoutes: []RouteSpec{route0("/app", 8080)},
		},
		{
			name:       "path is cleaned",
			labels:     map[string]string{"proxy.path": "/app/", "proxy.port": "80"},
			wantRoutes: []RouteSpec{route0("/app", 80)},
		},
		{
			name:         "path missing",
			labels:       map[string]string{"proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "", missing)},
		},
		{
			name:         "port missing",
			labels:       map[string]string{"proxy.path": "/"},
			wantProblems: []Problem{errP("proxy.port", "", missing)},
		},
		{
			name:         "only an unknown key still needs path and port",
			labels:       map[string]string{"proxy.paht": "/"},
			wantProblems: []Problem{warnP("proxy.paht", "/", "unknown label, ignored; did you mean proxy.path?")},
		},
		{
			name:         "path relative",
			labels:       map[string]string{"proxy.path": "app", "proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "app", `path must start with "/"`)},
		},
		{
			name:         "path with space",
			labels:       map[string]string{"proxy.path": "/a b", "proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "/a b", "path must not contain spaces")},
		},
		{
			name:         "path with dotdot",
			labels:       map[string]string{"proxy.path": "/a/../b", "proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "/a/../b", `path must not contain ".."`)},
		},
		{
			name:         "path with double slash",
			labels:       map[string]string{"proxy.path": "/a//b", "proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "/a//b", `path must not contain "//"`)},
		},
		{
			name:         "path with control character",
			labels:       map[string]string{"proxy.path": "/a\rb", "proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "/a\rb", "path must not contain control characters")},
		},
		{
			name:         "path with query",
			labels:       map[string]string{"proxy.path": "/a?x", "proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "/a?x", "path must not contain '?': a path prefix has no query or fragment")},
		},
		{
			name:         "path with fragment",
			labels:       map[string]string{"proxy.path": "/a#x", "proxy.port": "80"},
			wantProblems: []Problem{errP("proxy.path", "/a#x", "path must not contain '#': a path prefix has no query or fragment")},
		},
		{
			name:         "port zero",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "0"},
			wantProblems: []Problem{errP("proxy.port", "0", "must be a port number from 1 to 65535")},
		},
		{
			name:         "port too big",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "65536"},
			wantProblems: []Problem{errP("proxy.port", "65536", "must be a port number from 1 to 65535")},
		},
		{
			name:       "port bounds",
			labels:     map[string]string{"proxy.path": "/", "proxy.port": "65535", "proxy.1.path": "/one", "proxy.1.port": "1"},
			wantRoutes: []RouteSpec{route0("/", 65535), {Index: 1, PathPrefix: "/one", Port: 1, PathLabel: "proxy.1.path"}},
		},
		{
			name:   "hosts are split, cleaned, lowercased, deduplicated and sorted",
			labels: map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.host": "b.example.com, A.example.com,*.Example.com,a.example.com."},
			wantRoutes: []RouteSpec{{PathPrefix: "/", Port: 80, PathLabel: "proxy.path",
				Hosts: []string{"*.example.com", "a.example.com", "b.example.com"}}},
		},
		{
			name:         "host with port",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.host": "a.example.com,b.example.com:443"},
			wantProblems: []Problem{errP("proxy.host", "a.example.com,b.example.com:443", `host #2 "b.example.com:443" must be a hostname without a port`)},
		},
		{
			name:         "host not RFC 1123",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.host": "a_b.example.com"},
			wantProblems: []Problem{errP("proxy.host", "a_b.example.com", `host #1 "a_b.example.com" label "a_b" may only contain a-z, 0-9 and "-" (RFC 1123)`)},
		},
		{
			name:         "host with two wildcards",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.host": "*.*.example.com"},
			wantProblems: []Problem{errP("proxy.host", "*.*.example.com", `host #1 "*.*.example.com" may only have one "*." wildcard, at the start`)},
		},
		{
			name:         "host list with an empty item",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.host": "a.example.com,,b.example.com"},
			wantProblems: []Problem{errP("proxy.host", "a.example.com,,b.example.com", `host #2 "" must not be empty`)},
		},
		{
			name:       "strip-prefix true",
			labels:     map[string]string{"proxy.path": "/app", "proxy.port": "80", "proxy.strip-prefix": " true "},
			wantRoutes: []RouteSpec{{PathPrefix: "/app", Port: 80, PathLabel: "proxy.path", StripPrefix: true}},
		},
		{
			name:       "strip-prefix false",
			labels:     map[string]string{"proxy.path": "/app", "proxy.port": "80", "proxy.strip-prefix": "false"},
			wantRoutes: []RouteSpec{route0("/app", 80)},
		},
		{
			name:         "strip-prefix not a boolean",
			labels:       map[string]string{"proxy.path": "/app", "proxy.port": "80", "proxy.strip-prefix": "yes"},
			wantProblems: []Problem{errP("proxy.strip-prefix", "yes", "must be true or false")},
		},
		{
			name:   "network",
			labels: map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.network": "backend_net"},
			wantRoutes: []RouteSpec{{PathPrefix: "/", Port: 80, PathLabel: "proxy.path",
				Network: "backend_net", NetworkLabel: "proxy.network"}},
		},
		{
			name:         "network name invalid",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.network": "my net"},
			wantProblems: []Problem{errP("proxy.network", "my net", "must be a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)")},
		},
		{
			name:   "indexed routes, unindexed is route 0",
			labels: map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.2.path": "/two", "proxy.2.port": "82", "proxy.2.host": "two.example.com", "proxy.10.path": "/ten", "proxy.10.port": "90"},
			wantRoutes: []RouteSpec{
				route0("/", 80),
				{Index: 2, PathPrefix: "/two", Port: 82, Hosts: []string{"two.example.com"}, PathLabel: "proxy.2.path"},
				{Index: 10, PathPrefix: "/ten", Port: 90, PathLabel: "proxy.10.path"},
			},
		},
		{
			name:       "route 0 by its indexed name",
			labels:     map[string]string{"proxy.0.path": "/", "proxy.port": "80"},
			wantRoutes: []RouteSpec{{PathPrefix: "/", Port: 80, PathLabel: "proxy.0.path"}},
		},
		{
			name:         "route 0 named twice skips route 0 only",
			labels:       map[string]string{"proxy.path": "/", "proxy.0.path": "/", "proxy.port": "80", "proxy.1.path": "/one", "proxy.1.port": "81"},
			wantRoutes:   []RouteSpec{{Index: 1, PathPrefix: "/one", Port: 81, PathLabel: "proxy.1.path"}},
			wantProblems: []Problem{errP("proxy.path", "/", "path of route 0 is set twice, by proxy.0.path and proxy.path; keep one")},
		},
		{
			name:         "an invalid route is skipped, the others survive",
			labels:       map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.1.path": "/one", "proxy.1.port": "0", "proxy.2.path": "/two", "proxy.2.port": "82"},
			wantRoutes:   []RouteSpec{route0("/", 80), {Index: 2, PathPrefix: "/two", Port: 82, PathLabel: "proxy.2.path"}},
			wantProblems: []Problem{errP("proxy.1.port", "0", "must be a port number from 1 to 65535")},
		},
		{
			name:         "missing label of an indexed route is named with its index",
			labels:       map[string]string{"proxy.3.port": "80"},
			wantProblems: []Problem{errP("proxy.3.path", "", missing)},
		},
		{
			name:   "every error of a route is reported",
			labels: map[string]string{"proxy.path": "x", "proxy.port": "x", "proxy.host": "_", "proxy.strip-prefix": "x", "proxy.network": "-"},
			wantProblems: []Problem{
				errP("proxy.host", "_", `host #1 "_" label "_" may only contain a-z, 0-9 and "-" (RFC 1123)`),
				errP("proxy.network", "-", "must be a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"),
				errP("proxy.path", "x", `path must start with "/"`),
				errP("proxy.port", "x", "must be a port number from 1 to 65535"),
				errP("proxy.strip-prefix", "x", "must be true or false"),
			},
		},
		{
			name:       "route index out of range",
			labels:     map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.1000.path": "/x", "proxy.99999999999999999999.port": "1"},
			wantRoutes: []RouteSpec{route0("/", 80)},
			wantProblems: []Problem{
				errP("proxy.1000.path", "/x", "route index must be from 0 to 999"),
				errP("proxy.99999999999999999999.port", "1", "route index must be from 0 to 999"),
			},
		},
		{
			name:       "unknown keys are warnings with a suggestion",
			labels:     map[string]string{"proxy.path": "/", "proxy.port": "80", "proxy.paht": "/x", "proxy.1.prot": "1", "proxy.01.path": "/y", "proxy.+1.path": "/z", "proxy.weight": "3", "proxy.": "", "proxy.a.b.c": "1"},
			wantRoutes: []RouteSpec{route0("/", 80)},
			wantProblems: []Problem{
				warnP("proxy.", "", "unknown label, ignored; known fields are path, port, host, strip-prefix, network"),
				warnP("proxy.+1.path", "/z", "unknown label, ignored; known fields are path, port, host, strip-prefix, network"),
				warnP("proxy.01.path", "/y", "unknown label, ignored; did you mean proxy.1.path?"),
				warnP("proxy.1.prot", "1", "unknown label, ignored; did you mean proxy.1.port?"),
				warnP("proxy.a.b.c", "1", "unknown label, ignored; known fields are path, port, host, strip-prefix, network"),
				warnP("proxy.paht", "/x", "unknown label, ignored; did you mean proxy.path?"),
				warnP("proxy.weight", "3", "unknown label, ignored; known fields are path, port, host, strip-prefix, network"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes, problems := LabelSchema{}.Parse("web", tt.labels)
			if !reflect.DeepEqual(routes, tt.wantRoutes) {
				t.Errorf("routes:\n got %+v\nwant %+v", routes, tt.wantRoutes)
			}
			if !reflect.DeepEqual(problems, tt.wantProblems) {
				t.Errorf("problems:\n got %s\nwant %s", problemLines(problems), problemLines(tt.wantProblems))
			}
		})
	}
}

func TestParseCustomPrefix(t *testing.T) {
	s := LabelSchema{Prefix: "sg.v1"}
	routes, problems := s.Parse("web", map[string]string{
		"sg.v1.path": "/", "sg.v1.port": "80", "sg.v1.1.path": "/one", "sg.v1.1.port": "81",
		"sg.v1.pth": "/x", "proxy.path": "/ignored",
	})
	wantRoutes := []RouteSpec{
		{PathPrefix: "/", Port: 80, PathLabel: "sg.v1.path"},
		{Index: 1, PathPrefix: "/one", Port: 81, PathLabel: "sg.v1.1.path"},
	}
	if !reflect.DeepEqual(routes, wantRoutes) {
		t.Errorf("routes:\n got %+v\nwant %+v", routes, wantRoutes)
	}
	wantProblems := []Problem{{Service: "web", Label: "sg.v1.pth", Value: "/x", Severity: SeverityWarning,
		Reason: "unknown label, ignored; did you mean sg.v1.path?"}}
	if !reflect.DeepEqual(problems, wantProblems) {
		t.Errorf("problems:\n got %s\nwant %s", problemLines(problems), problemLines(wantProblems))
	}
	if got := s.Key(3, FieldHost); got != "sg.v1.3.host" {
		t.Errorf("Key(3, host) = %q, want sg.v1.3.host", got)
	}
}

func TestLabelSchemaKey(t *testing.T) {
	var s LabelSchema
	for _, tt := range []struct {
		index int
		field string
		want  string
	}{
		{0, FieldPath, "proxy.path"},
		{1, FieldPort, "proxy.1.port"},
		{42, FieldStripPrefix, "proxy.42.strip-prefix"},
	} {
		if got := s.Key(tt.index, tt.field); got != tt.want {
			t.Errorf("Key(%d, %q) = %q, want %q", tt.index, tt.field, got, tt.want)
		}
	}
}

func TestSelects(t *testing.T) {
	for _, tt := range []struct {
		labels map[string]string
		want   bool
	}{
		{nil, false},
		{map[string]string{"com.example": "x"}, false},
		{map[string]string{"proxy": "x", "proxyish.path": "/"}, false},
		{map[string]string{"proxy.paht": "/"}, true},
		{map[string]string{"a": "b", "proxy.port": "80"}, true},
	} {
		if got := (LabelSchema{}).Selects(tt.labels); got != tt.want {
			t.Errorf("Selects(%v) = %t, want %t", tt.labels, got, tt.want)
		}
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{Service: "web", Label: "proxy.port", Value: "0", Reason: "must be a port number from 1 to 65535"}
	want := `service "web" label proxy.port="0": must be a port number from 1 to 65535`
	if got := p.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func problemLines(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n  " + string(p.Severity) + " " + p.String())
	}
	return b.String()
}
