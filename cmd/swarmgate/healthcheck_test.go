package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/unready", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	// Hangs until the client gives up and the server sees the connection close.
	mux.HandleFunc("/hang", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// A port nothing listens on: bind one, note it, close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/healthz"
	l.Close()

	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
		usage   bool
	}{
		{name: "2xx is healthy", args: []string{"--url", srv.URL + "/ok"}, wantOut: srv.URL + "/ok: 204\n"},
		{name: "redirect followed to 2xx", args: []string{"--url", srv.URL + "/redirect"}, wantOut: srv.URL + "/redirect: 204\n"},
		{name: "503 is unhealthy", args: []string{"--url", srv.URL + "/unready"}, wantErr: "unhealthy status 503"},
		{name: "refused", args: []string{"--url", closed}, wantErr: "connection refused"},
		{name: "timeout", args: []string{"--url", srv.URL + "/hang", "--timeout", "50ms"}, wantErr: "context deadline exceeded"},
		{name: "bad url", args: []string{"--url", "://nope"}, wantErr: "--url", usage: true},
		{name: "bad timeout", args: []string{"--timeout", "0s"}, wantErr: "--timeout: must be positive", usage: true},
		{name: "extra args", args: []string{"extra"}, wantErr: "unexpected arguments", usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out bytes.Buffer
			err := runHealthcheck(ctx, tt.args, &out)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("runHealthcheck: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				var ue usageError
				if got := errors.As(err, &ue); got != tt.usage {
					t.Fatalf("usage error = %v, want %v (err %v)", got, tt.usage, err)
				}
			}
			if got := out.String(); got != tt.wantOut {
				t.Fatalf("stdout = %q, want %q", got, tt.wantOut)
			}
		})
	}
}
