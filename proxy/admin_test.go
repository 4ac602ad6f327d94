package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

type adminReply struct {
	code int
	body map[string]any
}

func push(t *testing.T, admin http.Handler, token string, body []byte) adminReply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPut, "/v1/routing-table", bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	admin.ServeHTTP(rec, req)
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("reply %d is not JSON: %q", rec.Code, rec.Body.String())
	}
	return adminReply{rec.Code, m}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAdminPush(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	admin := p.AdminHandler()
	a, b := addr(namedBackend(t, "a")), addr(namedBackend(t, "b"))
	good := func(gen, epoch int64, backend string) []byte {
		return mustJSON(t, table(gen, epoch, rt("svc", "", "/", backend)))
	}
	big := append([]byte(`{"apiVersion":"swarmgate.io/v1alpha1","routes":[`), bytes.Repeat([]byte(" "), MaxTableBytes)...)

	// Each step runs against the state the previous ones left.
	for _, step := range []struct {
		name     string
		token    string
		body     []byte
		code     int
		reason   string
		errHas   string
		served   string // backend serving "/" afterwards
		epochGen [2]float64
	}{
		{name: "no token", body: good(1, 1, a), code: 401, reason: ReasonUnauthorized, errHas: "bearer token"},
		{name: "wrong token", token: "nope", body: good(1, 1, a), code: 401, reason: ReasonUnauthorized},
		{name: "first table", token: testToken, body: good(1, 1, a), code: 200, served: "a", epochGen: [2]float64{1, 1}},
		{name: "idempotent", token: testToken, body: good(1, 1, a), code: 200, served: "a", epochGen: [2]float64{1, 1}},
		{name: "same version, other routes", token: testToken, body: good(1, 1, b), code: 409, reason: ReasonGenerationConflict,
			errHas: "generation conflict", served: "a", epochGen: [2]float64{1, 1}},
		{name: "next generation", token: testToken, body: good(2, 1, b), code: 200, served: "b", epochGen: [2]float64{1, 2}},
		{name: "stale generation", token: testToken, body: good(1, 1, a), code: 409, reason: ReasonStaleGeneration,
			errHas: "generation 2 is served", served: "b", epochGen: [2]float64{1, 2}},
		{name: "new epoch, lower generation", token: testToken, body: good(1, 3, a), code: 200, served: "a", epochGen: [2]float64{3, 1}},
		{name: "stale epoch", token: testToken, body: good(9, 2, b), code: 409, reason: ReasonStaleEpoch,
			errHas: "epoch 3 has been seen", served: "a", epochGen: [2]float64{3, 1}},
		{name: "invalid JSON", token: testToken, body: []byte(`{"apiVersion":`), code: 400, reason: ReasonBadRequest,
			errHas: "invalid JSON", served: "a"},
		{name: "unknown field", token: testToken, body: []byte(`{"apiVersion":"swarmgate.io/v1alpha1","epoch":4,"route":[]}`),
			code: 400, reason: ReasonBadRequest, errHas: `unknown field "route"`, served: "a"},
		{name: "fails Validate", token: testToken, body: mustJSON(t, table(5, 4, rt("svc", "", "/x/", a))), code: 400,
			reason: ReasonBadRequest, errHas: `routes[0].pathPrefix: must be clean ("/x")`, served: "a"},
		{name: "too large", token: testToken, body: big, code: 413, reason: ReasonTooLarge, served: "a"},
	} {
		r := push(t, admin, step.token, step.body)
		if r.code != step.code || step.reason != "" && r.body["reason"] != step.reason {
			t.Fatalf("%s: got %d %v, want %d %s", step.name, r.code, r.body, step.code, step.reason)
		}
		if msg, _ := r.body["error"].(string); !strings.Contains(msg, step.errHas) {
			t.Errorf("%s: error %q does not mention %q", step.name, msg, step.errHas)
		}
		if step.code == 200 || step.code == 409 {
			if got := [2]float64{r.body["epoch"].(float64), r.body["generation"].(float64)}; got != step.epochGen {
				t.Errorf("%s: reply epoch/generation %v, want %v", step.name, got, step.epochGen)
			}
		}
		if step.served != "" {
			if _, who, _ := get(t, srv.Client(), srv.URL+"/", ""); who != step.served {
				t.Errorf("%s: served by %q, want %q (the old table must survive errors)", step.name, who, step.served)
			}
		}
	}
	if got := testutilCount(t, p, "swarmgate_proxy_routing_table_epoch"); got != 3 {
		t.Errorf("epoch gauge = %v, want 3", got)
	}
}

func TestAdminGetAndProbes(t *testing.T) {
	p, _ := newTestProxy(t, Config{})
	admin := p.AdminHandler()
	do := func(method, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, req)
		return rec
	}
	if rec := do("GET", "/readyz", ""); rec.Code != 503 {
		t.Errorf("readyz before a table: %d, want 503", rec.Code)
	}
	if rec := do("GET", "/v1/routing-table", testToken); rec.Code != 404 || !strings.Contains(rec.Body.String(), ReasonNotFound) {
		t.Errorf("GET before a table: %d %s, want 404 NotFound", rec.Code, rec.Body)
	}
	want := table(4, 2, rt("svc", "example.com", "/", "10.0.0.1:80"))
	mustApply(t, p, want)
	if rec := do("GET", "/healthz", ""); rec.Code != 200 {
		t.Errorf("healthz: %d", rec.Code)
	}
	if rec := do("GET", "/readyz", ""); rec.Code != 200 {
		t.Errorf("readyz with a table: %d, want 200", rec.Code)
	}
	if rec := do("GET", "/v1/routing-table", ""); rec.Code != 401 {
		t.Errorf("GET without token: %d, want 401 (the table reveals task IPs)", rec.Code)
	}
	rec := do("GET", "/v1/routing-table", testToken)
	got, err := DecodeTable(rec.Body.Bytes())
	if rec.Code != 200 || err != nil || got.Hash() != want.Hash() || got.Generation != 4 {
		t.Errorf("GET: %d %v %s", rec.Code, err, rec.Body)
	}
	rec = do("GET", "/metrics", "")
	body, _ := io.ReadAll(rec.Body)
	for _, m := range []string{"swarmgate_proxy_routing_table_generation 4", "swarmgate_proxy_routing_table_last_update_timestamp_seconds",
		`swarmgate_proxy_routing_table_updates_total{reason="",result="accepted"} 1`} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
}

func TestAdminWithoutToken(t *testing.T) {
	p, _ := newTestProxy(t, Config{Token: []byte{}})
	r := push(t, p.AdminHandler(), "", mustJSON(t, table(1, 1)))
	if r.code != http.StatusForbidden || r.body["reason"] != ReasonForbidden {
		t.Errorf("got %d %v, want 403 Forbidden", r.code, r.body)
	}
	r = push(t, p.AdminHandler(), "anything", mustJSON(t, table(1, 1)))
	if r.code != http.StatusForbidden {
		t.Errorf("with a token: got %d, want 403", r.code)
	}
	if p.Current() != nil {
		t.Error("a table was applied")
	}
}

func TestApplyCopiesAndValidates(t *testing.T) {
	p, _ := newTestProxy(t, Config{})
	tab := table(1, 1, rt("b", "", "/b", "10.0.0.1:80"), rt("a", "", "/a", "10.0.0.2:80"))
	mustApply(t, p, tab)
	tab.Routes[0].Service = "mutated"
	if cur := p.Current(); cur.Routes[0].Service != "a" || cur.Routes[1].Service != "b" {
		t.Errorf("Current is not a canonical copy: %+v", cur.Routes)
	}
	err := p.Apply(&v1alpha1.RoutingTable{APIVersion: "v0", Generation: 2, Epoch: 1})
	if err == nil || !strings.Contains(err.Error(), "apiVersion") {
		t.Errorf("invalid table: got %v", err)
	}
	if p.Current().Generation != 1 {
		t.Error("an invalid table replaced the served one")
	}
}

// The idempotence check compares canonical tables: a retried push whose
// routes come in another order is the table served, not a conflict.
func TestApplySameVersionInAnotherOrderIsIdempotent(t *testing.T) {
	p, _ := newTestProxy(t, Config{})
	x, y := rt("x", "x.example", "/", "10.0.0.1:80"), rt("y", "y.example", "/", "10.0.0.2:80")
	if err := p.Apply(table(4, 2, x, y)); err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(table(4, 2, y, x)); err != nil {
		t.Fatalf("Apply of the served routes in another order = %v, want nil", err)
	}
	var stale *StaleError
	if err := p.Apply(table(4, 2, x)); !errors.As(err, &stale) || stale.Reason != ReasonGenerationConflict {
		t.Fatalf("Apply of other routes under the served version = %v, want %s", err, ReasonGenerationConflict)
	}
	if got := len(p.Current().Routes); got != 2 {
		t.Errorf("served %d routes after the conflict, want the 2 of the old table", got)
	}
}
