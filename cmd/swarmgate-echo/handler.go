package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// echo serves the test endpoints. Its only state is the health switch.
type echo struct {
	hostname string
	healthy  atomic.Bool
}

// reply is what every plain request gets back: enough for a test to tell
// which task answered and what the proxy forwarded.
type reply struct {
	Hostname   string              `json:"hostname"`
	Method     string              `json:"method"`
	Host       string              `json:"host"`
	Path       string              `json:"path"`
	Query      string              `json:"query"`
	Proto      string              `json:"proto"`
	RemoteAddr string              `json:"remoteAddr"`
	Headers    map[string][]string `json:"headers"`
}

func (e *echo) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", e.health)
	mux.HandleFunc("POST /__echo/health", e.setHealth)
	mux.HandleFunc("/", e.echo)
	return mux
}

// echo answers with a reply after the optional ?sleep=DURATION. A request
// to a path ending in /stream streams ?n= chunks every ?interval=, and one to
// a path ending in /ws is upgraded to a WebSocket echo, wherever the proxy
// mounts the service (it may or may not strip its prefix).
func (e *echo) echo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if s := q.Get("sleep"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			http.Error(w, fmt.Sprintf("sleep: bad duration %q", s), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case hasSuffixSegment(r.URL.Path, "ws"):
		serveWebSocket(w, r)
	case hasSuffixSegment(r.URL.Path, "stream"):
		e.stream(w, r)
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e.reply(r))
	}
}

func (e *echo) reply(r *http.Request) reply {
	return reply{
		Hostname:   e.hostname,
		Method:     r.Method,
		Host:       r.Host,
		Path:       r.URL.Path,
		Query:      r.URL.RawQuery,
		Proto:      r.Proto,
		RemoteAddr: r.RemoteAddr,
		Headers:    r.Header,
	}
}

// hasSuffixSegment reports whether the last path segment of p is seg.
func hasSuffixSegment(p, seg string) bool {
	return p == "/"+seg || len(p) > len(seg)+1 && p[len(p)-len(seg)-1:] == "/"+seg
}

// stream writes ?n= (default 5) JSON lines, one every ?interval= (default
// 100ms), flushing each so a buffering proxy shows up as late chunks.
func (e *echo) stream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, interval := 5, 100*time.Millisecond
	if s := q.Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > 10000 {
			http.Error(w, fmt.Sprintf("n: want 0..10000, got %q", s), http.StatusBadRequest)
			return
		}
		n = v
	}
	if s := q.Get("interval"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			http.Error(w, fmt.Sprintf("interval: bad duration %q", s), http.StatusBadRequest)
			return
		}
		interval = v
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	for i := range n {
		if i > 0 {
			select {
			case <-time.After(interval):
			case <-r.Context().Done():
				return
			}
		}
		chunk := struct {
			Hostname string    `json:"hostname"`
			Seq      int       `json:"seq"`
			Sent     time.Time `json:"sent"`
		}{e.hostname, i, time.Now()}
		if err := enc.Encode(chunk); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func (e *echo) health(w http.ResponseWriter, _ *http.Request) {
	if !e.healthy.Load() {
		http.Error(w, "unhealthy (POST /__echo/health?fail=0 to heal)", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// setHealth flips /healthz: ?fail=1 makes it fail, ?fail=0 heals it.
func (e *echo) setHealth(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("fail") {
	case "1", "true":
		e.healthy.Store(false)
	case "0", "false":
		e.healthy.Store(true)
	default:
		http.Error(w, "fail: want 1 or 0", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
