package proxy

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxTableBytes bounds a pushed routing table.
const MaxTableBytes = 8 << 20

// AdminHandler serves the admin API: PUT and GET /v1/routing-table (bearer
// token), /healthz, /readyz (ready once a table is served) and /metrics.
func (p *Proxy) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("PUT /v1/routing-table", p.authorized(http.HandlerFunc(p.putTable)))
	mux.Handle("GET /v1/routing-table", p.authorized(http.HandlerFunc(p.getTable)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if p.Current() == nil {
			http.Error(w, "no routing table loaded", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.gather, promhttp.HandlerOpts{}))
	return mux
}

// authorized admits requests that carry the admin token, compared in
// constant time.
func (p *Proxy) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(p.cfg.Token) == 0 {
			p.pushRejected(r, ReasonForbidden)
			writeError(w, http.StatusForbidden, ReasonForbidden, "the routing table API is disabled: the proxy has no admin token")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), p.cfg.Token) != 1 {
			p.pushRejected(r, ReasonUnauthorized)
			w.Header().Set("WWW-Authenticate", `Bearer realm="swarmgate"`)
			writeError(w, http.StatusUnauthorized, ReasonUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// pushRejected counts and logs a rejected PUT; GETs are not pushes.
func (p *Proxy) pushRejected(r *http.Request, reason string) {
	if r.Method != http.MethodPut {
		return
	}
	p.metrics.rejected(reason)
	p.log.Info("routing table rejected", "reason", reason, "remote", r.RemoteAddr)
}

func (p *Proxy) putTable(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxTableBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.pushRejected(r, ReasonTooLarge)
			writeError(w, http.StatusRequestEntityTooLarge, ReasonTooLarge,
				fmt.Sprintf("routing table larger than %d bytes", MaxTableBytes))
			return
		}
		p.pushRejected(r, ReasonBadRequest)
		writeError(w, http.StatusBadRequest, ReasonBadRequest, fmt.Sprintf("read body: %v", err))
		return
	}
	t, err := DecodeTable(data)
	if err != nil {
		p.metrics.rejected(ReasonBadRequest)
		p.log.Info("routing table rejected", "reason", ReasonBadRequest, "remote", r.RemoteAddr, "error", err.Error())
		writeError(w, http.StatusBadRequest, ReasonBadRequest, err.Error())
		return
	}
	served, err := p.apply(t)
	if err != nil {
		var stale *StaleError
		if errors.As(err, &stale) {
			writeJSON(w, http.StatusConflict, map[string]any{
				"error": stale.Error(), "reason": stale.Reason,
				"epoch": stale.Epoch, "generation": stale.Generation,
			})
			return
		}
		writeError(w, http.StatusInternalServerError, "Internal", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"epoch": served.Epoch, "generation": served.Generation})
}

func (p *Proxy) getTable(w http.ResponseWriter, _ *http.Request) {
	t := p.Current()
	if t == nil {
		writeError(w, http.StatusNotFound, ReasonNotFound, "no routing table loaded")
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func writeError(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, map[string]string{"error": msg, "reason": reason})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
