package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/controllers"
)

func init() {
	register(command{
		name:    "routes",
		summary: "Print the routes the controller pushes (or one proxy's own table)",
		run:     runRoutes,
	})
}

// maxRoutesResponse bounds what routes reads: a large table is a few MiB.
const maxRoutesResponse = 64 << 20

type routesFlags struct {
	controller string
	proxy      string
	tokenFile  string
	output     string
	timeout    time.Duration
}

func (f *routesFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.controller, "controller", "http://127.0.0.1:8080", "base URL of the controller's status listener (--metrics-listen)")
	fs.StringVar(&f.proxy, "proxy", "", "print this proxy's own table instead: its admin address, host:port or URL")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the proxy admin token (with --proxy)")
	fs.StringVar(&f.output, "o", "table", "output format: table or json")
	fs.StringVar(&f.output, "output", "table", "output format: table or json")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "give up after this long")
}

func runRoutes(ctx context.Context, args []string, stdout io.Writer) error {
	var f routesFlags
	fs := newFlagSet("routes")
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.output != "table" && f.output != "json" {
		return usageError{fmt.Errorf("-o: must be table or json, got %q", f.output)}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	if f.proxy != "" {
		if f.tokenFile == "" {
			return usageError{errors.New("--proxy needs --token-file: the proxy's table is behind its admin token")}
		}
		token, err := readToken(f.tokenFile)
		if err != nil {
			return err
		}
		body, err := fetch(ctx, baseURL(f.proxy)+"/v1/routing-table", token)
		if err != nil {
			return err
		}
		if f.output == "json" {
			return writeIndented(stdout, body)
		}
		var t v1alpha1.RoutingTable
		if err := json.Unmarshal(body, &t); err != nil {
			return fmt.Errorf("decode the proxy's routing table: %w", err)
		}
		return printTable(stdout, &t)
	}
	body, err := fetch(ctx, baseURL(f.controller)+"/status", nil)
	if err != nil {
		return err
	}
	if f.output == "json" {
		return writeIndented(stdout, body)
	}
	var s controllers.Status
	if err := json.Unmarshal(body, &s); err != nil {
		return fmt.Errorf("decode the controller's status: %w", err)
	}
	return printStatus(stdout, &s)
}

// baseURL accepts host:port as well as a URL.
func baseURL(addr string) string {
	if strings.Contains(addr, "://") {
		return strings.TrimSuffix(addr, "/")
	}
	return "http://" + addr
}

func fetch(ctx context.Context, url string, token []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", url, err)
	}
	if token != nil {
		req.Header.Set("Authorization", "Bearer "+string(token))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRoutesResponse))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func writeIndented(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return fmt.Errorf("answer is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := buf.WriteTo(w)
	return err
}

// routeName is how a route is shown: host and path prefix, like a URL
// without its scheme; a route for any host shows its path alone.
func routeName(r v1alpha1.Route) string { return r.Host + r.PathPrefix }

// printStatus prints the controller's routes in the style of kubectl get,
// then the label problems, then which term produced them.
func printStatus(w io.Writer, s *controllers.Status) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	if !s.IsLeader {
		fmt.Fprintf(tw, "No routes: controller %s is a standby", s.Identity)
		if s.Leader != "" {
			fmt.Fprintf(tw, "; ask the leader, %s", s.Leader)
		}
		fmt.Fprintln(tw, ".")
		return tw.Flush()
	}
	inSync := 0
	for _, r := range s.Replicas {
		if r.InSync {
			inSync++
		}
	}
	if len(s.Routes) == 0 {
		fmt.Fprintln(tw, "No routes.")
	} else {
		fmt.Fprintln(tw, "ROUTE\tSERVICE\tBACKENDS\tSYNCED")
		for _, r := range s.Routes {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d\n", routeName(r), r.Service, len(r.Backends), inSync, len(s.Replicas))
		}
	}
	if len(s.Problems) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "SERVICE\tLABEL\tVALUE\tSEVERITY\tPROBLEM")
		for _, p := range s.Problems {
			fmt.Fprintf(tw, "%s\t%s\t%q\t%s\t%s\n", p.Service, p.Label, p.Value, p.Severity, p.Reason)
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "Leader %s, epoch %d, generation %d; %d of %d proxy replicas in sync.\n",
		s.Identity, s.Epoch, s.Generation, inSync, len(s.Replicas))
	if s.ReconcileError != "" {
		fmt.Fprintf(tw, "The last reconcile failed, these routes may be stale: %s\n", s.ReconcileError)
	}
	return tw.Flush()
}

// printTable prints a proxy's own table.
func printTable(w io.Writer, t *v1alpha1.RoutingTable) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	if len(t.Routes) == 0 {
		fmt.Fprintln(tw, "No routes.")
	} else {
		fmt.Fprintln(tw, "ROUTE\tSERVICE\tBACKENDS\tSTRIP-PREFIX")
		for _, r := range t.Routes {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%t\n", routeName(r), r.Service, len(r.Backends), r.StripPrefix)
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "Epoch %d, generation %d.\n", t.Epoch, t.Generation)
	return tw.Flush()
}
