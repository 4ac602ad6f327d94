package controllers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/swarmgate/swarmgate/proxy"
)

func TestPushClient(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		stall      bool
		wantAck    ack
		wantReason string // "" for success
		wantErr    string
		wantHeld   ack // epoch and generation of a 409
	}{
		{name: "accepted", status: 200, body: `{"epoch":7,"generation":3}`, wantAck: ack{Epoch: 7, Generation: 3}},
		{name: "stale epoch", status: 409, body: `{"error":"epoch 7 is older than 9","reason":"StaleEpoch","epoch":9,"generation":1}`,
			wantReason: reasonStaleEpoch, wantErr: "409 StaleEpoch: epoch 7 is older than 9", wantHeld: ack{Epoch: 9, Generation: 1}},
		{name: "stale generation", status: 409, body: `{"error":"stale generation","reason":"StaleGeneration","epoch":7,"generation":5}`,
			wantReason: reasonStaleGeneration, wantErr: "409 StaleGeneration", wantHeld: ack{Epoch: 7, Generation: 5}},
		{name: "generation conflict", status: 409, body: `{"error":"generation conflict","reason":"GenerationConflict","epoch":7,"generation":3}`,
			wantReason: reasonGenerationConflict, wantErr: "409 GenerationConflict", wantHeld: ack{Epoch: 7, Generation: 3}},
		{name: "wrong token", status: 401, body: `{"error":"missing or wrong bearer token","reason":"Unauthorized"}`,
			wantReason: "Unauthorized", wantErr: "401 Unauthorized: missing or wrong bearer token"},
		{name: "not the admin API", status: 502, body: "<html>bad gateway</html>", wantReason: "HTTP502", wantErr: "502 HTTP502: Bad Gateway"},
		{name: "garbled acceptance", status: 200, body: "ok", wantReason: "BadAnswer", wantErr: "decode answer"},
		{name: "black hole", stall: true, wantReason: reasonUnreachable, wantErr: "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPut || r.URL.Path != "/v1/routing-table" || r.Header.Get("Authorization") != "Bearer "+string(testToken) {
					t.Errorf("request %s %s, Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
				}
				if body, _ := io.ReadAll(r.Body); string(body) != `{"table":1}` {
					t.Errorf("body %q", body)
				}
				if tt.stall {
					<-release
					return
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			defer close(release)
			c := newPushClient(testToken, 50*time.Millisecond)
			got, err := c.push(context.Background(), strings.TrimPrefix(srv.URL, "http://"), []byte(`{"table":1}`))
			if tt.wantReason == "" {
				if err != nil || got != tt.wantAck {
					t.Fatalf("push = %+v, %v; want %+v", got, err, tt.wantAck)
				}
				return
			}
			var pe *pushError
			if !errors.As(err, &pe) || pe.reason != tt.wantReason || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("push error = %v (reason %q); want reason %q and %q", err, errorReason(err), tt.wantReason, tt.wantErr)
			}
			if held := (ack{Epoch: pe.held.Epoch, Generation: pe.held.Generation}); held != tt.wantHeld {
				t.Errorf("held = %+v, want %+v", held, tt.wantHeld)
			}
		})
	}
}

// The controller keeps its own copy of the admin API's reasons so that it
// does not depend on the data plane's package; they must agree.
func TestReasonsMatchTheProxy(t *testing.T) {
	for ours, theirs := range map[string]string{
		reasonStaleEpoch:         proxy.ReasonStaleEpoch,
		reasonStaleGeneration:    proxy.ReasonStaleGeneration,
		reasonGenerationConflict: proxy.ReasonGenerationConflict,
	} {
		if ours != theirs {
			t.Errorf("reason %q; the proxy sends %q", ours, theirs)
		}
	}
}
