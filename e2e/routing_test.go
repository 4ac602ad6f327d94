//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// routeTimeout bounds how long a change may take to reach the proxy: Swarm
// starting a task and its first health check take a couple of seconds, the
// controller's part is meant to be about one.
const routeTimeout = 30 * time.Second

func TestServiceIsRouted(t *testing.T) {
	dumpOnFailure(t)
	createService(t, echoService{name: "e2e-routed", labels: []string{"proxy.path=/routed", "proxy.port=8000"}})
	eventually(t, routeTimeout, "/routed answers 200", statusIs("/routed/x?q=1", http.StatusOK))

	req, _ := http.NewRequest(http.MethodGet, baseURL+"/routed/x?q=1", nil)
	req.Host = "shop.example"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got echoReply
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	// No strip-prefix: the backend sees the full path, the query and the
	// client's Host, plus the forwarding headers.
	if got.Path != "/routed/x" || got.Query != "q=1" || got.Host != "shop.example" {
		t.Errorf("backend saw path %q, query %q, host %q", got.Path, got.Query, got.Host)
	}
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"} {
		if len(got.Headers[h]) == 0 {
			t.Errorf("backend saw no %s header; headers: %v", h, got.Headers)
		}
	}
	eventually(t, 5*time.Second, "an unrouted path answers 404", statusIs("/not-routed", http.StatusNotFound))
}

func TestScaleUpAndDown(t *testing.T) {
	dumpOnFailure(t)
	ctx := context.Background()
	createService(t, echoService{name: "e2e-scale", labels: []string{"proxy.path=/scale", "proxy.port=8000"}})
	eventually(t, routeTimeout, "one task answers", answeredBy(ctx, "/scale", "e2e-scale", 5))

	mustDocker(t, "service", "scale", "--detach", "e2e-scale=5")
	eventually(t, 60*time.Second, "5 containers run", func() (bool, string) {
		ids, err := containers(ctx, "e2e-scale", false)
		return err == nil && len(ids) == 5, fmt.Sprintf("%v %v", ids, err)
	})
	eventually(t, routeTimeout, "all 5 tasks answer through the proxy", answeredBy(ctx, "/scale", "e2e-scale", 25))

	mustDocker(t, "service", "scale", "--detach", "e2e-scale=1")
	eventually(t, 60*time.Second, "only the one remaining task answers", func() (bool, string) {
		ok, state := answeredBy(ctx, "/scale", "e2e-scale", 10)()
		if !ok {
			return false, state
		}
		ids, err := containers(ctx, "e2e-scale", false)
		return err == nil && len(ids) == 1, state
	})
}

func TestRemovedServiceIs404(t *testing.T) {
	dumpOnFailure(t)
	createService(t, echoService{name: "e2e-remove", labels: []string{"proxy.path=/remove", "proxy.port=8000"}})
	eventually(t, routeTimeout, "/remove answers 200", statusIs("/remove", http.StatusOK))
	mustDocker(t, "service", "rm", "e2e-remove")
	eventually(t, routeTimeout, "/remove answers 404", statusIs("/remove", http.StatusNotFound))
}

func TestLabelChangeMovesRoute(t *testing.T) {
	dumpOnFailure(t)
	createService(t, echoService{name: "e2e-move", labels: []string{"proxy.path=/before", "proxy.port=8000"}})
	eventually(t, routeTimeout, "/before answers 200", statusIs("/before", http.StatusOK))
	mustDocker(t, "service", "update", "--detach", "--label-add", "proxy.path=/after", "e2e-move")
	eventually(t, routeTimeout, "/after answers 200", statusIs("/after", http.StatusOK))
	eventually(t, 5*time.Second, "/before answers 404", statusIs("/before", http.StatusNotFound))
}

// problemLine is a controller log line about a label.
type problemLine struct {
	Msg     string `json:"msg"`
	Service string `json:"service"`
	Label   string `json:"label"`
	Value   string `json:"value"`
	Reason  string `json:"reason"`
}

// controllerProblems returns the label problems the controller logged since
// since.
func controllerProblems(ctx context.Context, since time.Time) ([]problemLine, error) {
	logs, err := serviceLogs(ctx, controllerService, since, "--raw")
	if err != nil {
		return nil, err
	}
	var out []problemLine
	for _, line := range strings.Split(logs, "\n") {
		var p problemLine
		if json.Unmarshal([]byte(line), &p) == nil && p.Service != "" && p.Label != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// problemLogged is a poll condition: the controller logged a problem about
// service's label whose reason contains every one of words.
func problemLogged(ctx context.Context, since time.Time, service, label string, words ...string) func() (bool, string) {
	return func() (bool, string) {
		problems, err := controllerProblems(ctx, since)
		if err != nil {
			return false, err.Error()
		}
		for _, p := range problems {
			if p.Service == service && p.Label == label && !strings.Contains(p.Msg, "resolved") &&
				!slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(p.Reason, w) }) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("problems logged: %+v", problems)
	}
}

func TestBadLabelsAreReportedAndIsolated(t *testing.T) {
	dumpOnFailure(t)
	ctx := context.Background()
	since := time.Now().Add(-time.Second)
	createService(t, echoService{name: "e2e-neighbour", labels: []string{"proxy.path=/neighbour", "proxy.port=8000"}})
	eventually(t, routeTimeout, "/neighbour answers 200", statusIs("/neighbour", http.StatusOK))

	createService(t, echoService{name: "e2e-bad-labels", labels: []string{
		"proxy.path=/bad", "proxy.port=eighty", // route 0: bad port
		"proxy.1.path=no-slash", "proxy.1.port=8000", // route 1: bad path
		"proxy.2.path=/bad-good", "proxy.2.port=8000", // route 2: fine
	}})
	eventually(t, routeTimeout, "the bad port is logged with service and label",
		problemLogged(ctx, since, "e2e-bad-labels", "proxy.port"))
	eventually(t, 5*time.Second, "the bad path is logged with service and label",
		problemLogged(ctx, since, "e2e-bad-labels", "proxy.1.path"))
	// Only the broken routes are skipped: the same service's valid route and
	// the neighbour keep working.
	eventually(t, routeTimeout, "the valid route of the same service answers 200", statusIs("/bad-good", http.StatusOK))
	eventually(t, 5*time.Second, "the route with a bad port is skipped (404)", statusIs("/bad", http.StatusNotFound))
	if status, _, body, err := get("/neighbour"); err != nil || status != http.StatusOK {
		t.Errorf("neighbour after the bad labels: %d %s %v", status, body, err)
	}
}

func TestConflictOlderServiceWins(t *testing.T) {
	dumpOnFailure(t)
	ctx := context.Background()
	since := time.Now().Add(-time.Second)
	createService(t, echoService{name: "e2e-claim-old", labels: []string{"proxy.path=/claimed", "proxy.port=8000"}})
	eventually(t, routeTimeout, "the older service answers", answeredBy(ctx, "/claimed", "e2e-claim-old", 3))

	createService(t, echoService{name: "e2e-claim-new", labels: []string{"proxy.path=/claimed", "proxy.port=8000"}})
	eventually(t, routeTimeout, "the conflict is logged naming both services",
		problemLogged(ctx, since, "e2e-claim-new", "proxy.path", "e2e-claim-old"))
	eventually(t, 60*time.Second, "the newer service runs", func() (bool, string) { return serviceRunning(ctx, "e2e-claim-new") })
	// The newer service's task runs now, and still only the older answers.
	if ok, state := answeredBy(ctx, "/claimed", "e2e-claim-old", 20)(); !ok {
		t.Errorf("/claimed after the newer service started: %s", state)
	}
}
