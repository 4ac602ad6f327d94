package v1alpha1

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DefaultLabelPrefix is the label namespace swarmgate reads: proxy.path, ...
const DefaultLabelPrefix = "proxy"

// Label fields, after "<prefix>." or "<prefix>.<n>.".
const (
	FieldPath        = "path"
	FieldPort        = "port"
	FieldHost        = "host"
	FieldStripPrefix = "strip-prefix"
	FieldNetwork     = "network"
)

var knownFields = [...]string{FieldPath, FieldPort, FieldHost, FieldStripPrefix, FieldNetwork}

// maxRouteIndex bounds <n> in proxy.<n>.path; more routes than this on one
// service is certainly a mistake.
const maxRouteIndex = 999

// RouteSpec is one route a service asks for through its labels.
type RouteSpec struct {
	// Index is <n> of proxy.<n>.*; unindexed labels are route 0.
	Index int
	// Hosts are clean hostnames; empty means any host.
	Hosts       []string
	PathPrefix  string
	Port        int
	StripPrefix bool
	// Network names the network whose task IP to use; empty means the proxy network.
	Network string
	// PathLabel is the label that declared the path, for problems about the route.
	PathLabel string
	// NetworkLabel is the label that declared Network, empty if none did.
	NetworkLabel string
}

// LabelSchema reads routes from service labels under Prefix.
type LabelSchema struct {
	Prefix string
}

// Key returns the label key of field for route index, as a user would write it.
func (s LabelSchema) Key(index int, field string) string {
	if index == 0 {
		return s.prefix() + "." + field
	}
	return s.prefix() + "." + strconv.Itoa(index) + "." + field
}

func (s LabelSchema) prefix() string {
	if s.Prefix == "" {
		return DefaultLabelPrefix
	}
	return s.Prefix
}

// Selects reports whether labels hold any key under the prefix, i.e. whether
// the service asked to be routed at all.
func (s LabelSchema) Selects(labels map[string]string) bool {
	p := s.prefix() + "."
	for k := range labels {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// rawRoute is one route's labels before validation, by field position in
// knownFields. Arrays rather than maps: Parse runs for every routed service on
// every reconcile, and a service has a handful of labels.
type rawRoute struct {
	index  int
	fields [len(knownFields)]labelKV
}

// labelKV is one label of a route. It is poisoned (set, with an empty key)
// when the field was declared twice: the route is then skipped.
type labelKV struct {
	key, value string
	set        bool
}

func (g *rawRoute) get(field string) (labelKV, bool) {
	kv := g.fields[slices.Index(knownFields[:], field)]
	return kv, kv.set
}

// group returns the rawRoute of index in groups, adding it if missing.
// The pointer is valid until the next call.
func group(groups []rawRoute, index int) ([]rawRoute, *rawRoute) {
	for i := range groups {
		if groups[i].index == index {
			return groups, &groups[i]
		}
	}
	groups = append(groups, rawRoute{index: index})
	return groups, &groups[len(groups)-1]
}

// Parse reads the routes that service declares in labels. Every problem names
// the service and the label; a route with an error is skipped while the
// service's other routes are still returned. Unknown keys under the prefix are
// warnings with a suggestion, never errors. The result is ordered by index.
func (s LabelSchema) Parse(service string, labels map[string]string) ([]RouteSpec, []Problem) {
	var problems []Problem
	report := func(sev Severity, key, value, format string, args ...any) {
		problems = append(problems, Problem{Service: service, Label: key, Value: value,
			Reason: fmt.Sprintf(format, args...), Severity: sev})
	}

	// Most services declare one or two routes: those stay on the stack.
	groups := make([]rawRoute, 0, 2)
	prefix := s.prefix() + "."
	for key, value := range labels {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		index, field, ok := splitIndex(rest)
		f := slices.Index(knownFields[:], field)
		if !ok || f < 0 {
			report(SeverityWarning, key, value, "unknown label, ignored%s", s.suggest(key))
			continue
		}
		if index > maxRouteIndex {
			report(SeverityError, key, value, "route index must be from 0 to %d", maxRouteIndex)
			continue
		}
		var g *rawRoute
		groups, g = group(groups, index)
		if prev := g.fields[f]; prev.set {
			// proxy.path and proxy.0.path both name route 0: which one is
			// meant is a guess, so neither is, and the route is skipped.
			if prev.key != "" {
				k1, k2 := min(prev.key, key), max(prev.key, key)
				report(SeverityError, k2, labels[k2], "%s of route %d is set twice, by %s and %s; keep one", field, index, k1, k2)
			}
			g.fields[f] = labelKV{set: true} // poisoned: the route is skipped
			continue
		}
		g.fields[f] = labelKV{key: key, value: value, set: true}
	}
	slices.SortFunc(groups, func(a, b rawRoute) int { return cmp.Compare(a.index, b.index) })

	var routes []RouteSpec
	for i := range groups {
		r, ok := s.parseRoute(&groups[i], report)
		if ok {
			routes = append(routes, r)
		}
	}
	SortProblems(problems)
	return routes, problems
}

type reportFunc func(sev Severity, key, value, format string, args ...any)

func (s LabelSchema) parseRoute(g *rawRoute, report reportFunc) (RouteSpec, bool) {
	index := g.index
	r := RouteSpec{Index: index}
	ok := true
	for _, kv := range g.fields {
		if kv.set && kv.key == "" {
			ok = false // declared twice, already reported
		}
	}
	fail := func(kv labelKV, format string, args ...any) {
		report(SeverityError, kv.key, kv.value, format, args...)
		ok = false
	}

	if kv, has := g.get(FieldPath); !has {
		report(SeverityError, s.Key(index, FieldPath), "", "required to route this service, and missing")
		ok = false
	} else if kv.key != "" {
		r.PathLabel = kv.key
		p, err := CleanPathPrefix(kv.value)
		if err != nil {
			fail(kv, "path %s", err)
		}
		r.PathPrefix = p
	}

	if kv, has := g.get(FieldPort); !has {
		report(SeverityError, s.Key(index, FieldPort), "", "required to route this service, and missing")
		ok = false
	} else if kv.key != "" {
		port, err := ParsePort(kv.value)
		if err != nil {
			fail(kv, "%s", err)
		}
		r.Port = port
	}

	if kv, has := g.get(FieldHost); has && kv.key != "" {
		hosts, err := parseHosts(kv.value)
		if err != nil {
			fail(kv, "%s", err)
		}
		r.Hosts = hosts
	}

	if kv, has := g.get(FieldStripPrefix); has && kv.key != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(kv.value))
		if err != nil {
			fail(kv, "must be true or false")
		}
		r.StripPrefix = b
	}

	if kv, has := g.get(FieldNetwork); has && kv.key != "" {
		n := strings.TrimSpace(kv.value)
		if err := checkNetworkName(n); err != nil {
			fail(kv, "%s", err)
		}
		r.Network = n
		r.NetworkLabel = kv.key
	}
	return r, ok
}

// parseHosts parses a comma-separated host list into sorted, unique, clean hosts.
func parseHosts(v string) ([]string, error) {
	var hosts []string
	i := 0
	for h := range strings.SplitSeq(v, ",") {
		i++
		c, err := CleanHost(h)
		if err != nil {
			return nil, fmt.Errorf("host #%d %q %s", i, strings.TrimSpace(h), err)
		}
		hosts = append(hosts, c)
	}
	slices.Sort(hosts)
	return slices.Compact(hosts), nil
}

// splitIndex splits "3.path" into (3, "path") and "path" into (0, "path").
// Indexes are plain decimals without leading zeros, so each route has one name.
func splitIndex(rest string) (index int, field string, ok bool) {
	head, tail, found := strings.Cut(rest, ".")
	if !found {
		return 0, rest, true
	}
	n, ok := parseIndex(head)
	if !ok || len(head) > 1 && head[0] == '0' {
		return 0, "", false
	}
	return n, tail, true
}

// parseIndex parses a route index made of ASCII digits only (strconv.Atoi
// would also take "+1" and "-0"). An index too long to be valid comes back as
// maxRouteIndex+1 so that the caller reports it as out of range.
func parseIndex(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	if len(s) > len(strconv.Itoa(maxRouteIndex)) {
		return maxRouteIndex + 1, true
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

// suggest names the known key nearest to an unknown one, if any is near.
func (s LabelSchema) suggest(key string) string {
	rest := strings.TrimPrefix(key, s.prefix()+".")
	indexPart := ""
	if head, tail, found := strings.Cut(rest, "."); found {
		// Suggest the index in its one valid spelling: proxy.01.path -> proxy.1.path.
		if n, ok := parseIndex(head); ok && n <= maxRouteIndex {
			indexPart, rest = strconv.Itoa(n)+".", tail
		}
	}
	best, bestDist := "", 3 // suggest only within two edits
	for _, f := range knownFields {
		if d := editDistance(rest, f); d < bestDist {
			best, bestDist = f, d
		}
	}
	if best == "" {
		return fmt.Sprintf("; known fields are %s", strings.Join(knownFields[:], ", "))
	}
	return fmt.Sprintf("; did you mean %s%s?", s.prefix()+"."+indexPart, best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// SortProblems puts problems in their canonical order: by service, label, reason.
func SortProblems(ps []Problem) {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Label, b.Label),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Value, b.Value))
	})
}
