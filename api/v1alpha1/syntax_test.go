package v1alpha1

import (
	"strings"
	"testing"
)

func TestCleanPathPrefix(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "/", want: "/"},
		{in: "/app", want: "/app"},
		{in: "/app/", want: "/app"},
		{in: "/app/./v1/", want: "/app/v1"},
		{in: "/.", want: "/"},
		{in: "/a-b_c~d%20e", want: "/a-b_c~d%20e"},
		{in: "", wantErr: "must not be empty"},
		{in: "app", wantErr: `must start with "/"`},
		{in: " /app", wantErr: `must start with "/"`},
		{in: "/my app", wantErr: "must not contain spaces"},
		{in: "/app/..", wantErr: `must not contain ".."`},
		{in: "/a..b", wantErr: `must not contain ".."`},
		{in: "//app", wantErr: `must not contain "//"`},
		{in: "/a//b", wantErr: `must not contain "//"`},
		{in: "/a\x00b", wantErr: "must not contain control characters"},
		{in: "/a\nb", wantErr: "must not contain control characters"},
		{in: "/a\x7fb", wantErr: "must not contain control characters"},
		{in: "/a?b", wantErr: `must not contain '?'`},
		{in: "/a#b", wantErr: `must not contain '#'`},
		{in: `/a\b`, wantErr: `must not contain "\"`},
		{in: "/café", wantErr: "must be ASCII"},
		{in: "/" + strings.Repeat("a", maxPathLen), wantErr: "must be at most 1024 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := CleanPathPrefix(tt.in)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("CleanPathPrefix(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if err == nil {
				if again, err := CleanPathPrefix(got); err != nil || again != got {
					t.Errorf("CleanPathPrefix is not idempotent on %q: %q, %v", got, again, err)
				}
			}
		})
	}
}

func TestCleanHost(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "example.com", want: "example.com"},
		{in: " Example.COM ", want: "example.com"},
		{in: "example.com.", want: "example.com"},
		{in: "localhost", want: "localhost"},
		{in: "a-1.b2.example", want: "a-1.b2.example"},
		{in: "*.example.com", want: "*.example.com"},
		{in: "*.Example.com", want: "*.example.com"},
		{in: "10.0.0.1", want: "10.0.0.1"},
		{in: "", wantErr: "must not be empty"},
		{in: "  ", wantErr: "must not be empty"},
		{in: "example.com:80", wantErr: "without a port"},
		{in: "[::1]", wantErr: "without a port"},
		{in: "*.*.example.com", wantErr: `only have one "*." wildcard`},
		{in: "a.*.example.com", wantErr: `only have one "*." wildcard`},
		{in: "*example.com", wantErr: `only have one "*." wildcard`},
		{in: "*", wantErr: `only have one "*." wildcard`},
		{in: "*.", wantErr: "must not have an empty label"},
		{in: "*.10.0.0.1", wantErr: "wildcard in front of an IP address"},
		{in: "a..b", wantErr: "must not have an empty label"},
		{in: ".example.com", wantErr: "must not have an empty label"},
		{in: "-a.example.com", wantErr: `must not start or end with "-"`},
		{in: "a-.example.com", wantErr: `must not start or end with "-"`},
		{in: "my_app.example.com", wantErr: "RFC 1123"},
		{in: "ex ample.com", wantErr: "RFC 1123"},
		{in: "exämple.com", wantErr: "RFC 1123"},
		{in: strings.Repeat("a", 64) + ".com", wantErr: "longer than 63"},
		{in: strings.Repeat("a.", 127) + "com", wantErr: "at most 253"},
		{in: strings.Repeat("a.", 126) + "c.", want: strings.Repeat("a.", 126) + "c"}, // 253 + the root dot
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := CleanHost(tt.in)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("CleanHost(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if err == nil {
				if again, err := CleanHost(got); err != nil || again != got {
					t.Errorf("CleanHost is not idempotent on %q: %q, %v", got, again, err)
				}
			}
		})
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{in: "1", want: 1},
		{in: "8080", want: 8080},
		{in: "65535", want: 65535},
		{in: " 80 ", want: 80},
		{in: "0", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "65536", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
		{in: "80a", wantErr: true},
		{in: "http", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePort(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePort(%q) = %d, %v; want %d, error %t", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCheckNetworkName(t *testing.T) {
	for _, ok := range []string{"swarmgate", "a", "my_net.v2-x", "N1"} {
		if err := checkNetworkName(ok); err != nil {
			t.Errorf("checkNetworkName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "-net", "_net", ".net", "my net", "net/x", "néť"} {
		if err := checkNetworkName(bad); err == nil {
			t.Errorf("checkNetworkName(%q) = nil, want an error", bad)
		}
	}
}

// checkErr fails t unless err contains wantErr, or is nil when wantErr is "".
func checkErr(t *testing.T, err error, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case wantErr != "" && err == nil:
		t.Fatalf("got no error, want one containing %q", wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Fatalf("got error %q, want one containing %q", err, wantErr)
	}
}
