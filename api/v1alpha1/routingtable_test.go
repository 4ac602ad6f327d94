package v1alpha1

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
)

// sampleTable is a valid canonical table with several hosts, prefixes and backends.
func sampleTable() RoutingTable {
	t := RoutingTable{
		APIVersion: APIVersion, Generation: 7, Epoch: 3,
		Routes: []Route{
			{Service: "web", Host: "", PathPrefix: "/", Backends: []Backend{{"10.0.1.6:80", "t2"}, {"10.0.1.5:80", "t1"}}},
			{Service: "api", Host: "", PathPrefix: "/api", StripPrefix: true, Backends: []Backend{{"10.0.1.7:8080", "t3"}}},
			{Service: "shop", Host: "shop.example.com", PathPrefix: "/", Backends: nil},
			{Service: "shop", Host: "*.example.com", PathPrefix: "/", Backends: []Backend{{"[fd00::1]:80", "t9"}, {"10.0.1.8:80", "t4"}, {"10.0.1.8:80", "t0"}}},
			{Service: "docs", Host: "shop.example.com", PathPrefix: "/docs", Backends: []Backend{}},
		},
	}
	t.Canonicalize()
	return t
}

func TestCanonicalizeOrder(t *testing.T) {
	got := sampleTable()
	var order []string
	for _, r := range got.Routes {
		order = append(order, r.Host+r.PathPrefix)
	}
	want := []string{"/", "/api", "*.example.com/", "shop.example.com/", "shop.example.com/docs"}
	if !slices.Equal(order, want) {
		t.Errorf("route order = %q, want %q", order, want)
	}
	wantBackends := []Backend{{"10.0.1.8:80", "t0"}, {"10.0.1.8:80", "t4"}, {"[fd00::1]:80", "t9"}}
	if !slices.Equal(got.Routes[2].Backends, wantBackends) {
		t.Errorf("backends = %v, want %v", got.Routes[2].Backends, wantBackends)
	}
	if got.Routes[3].Backends == nil {
		t.Error("nil backends not turned into an empty list: it would serialize as null")
	}
}

// TestCanonicalizePermutations shuffles routes and backends and expects
// byte-identical JSON and an equal hash after Canonicalize.
func TestCanonicalizePermutations(t *testing.T) {
	base := sampleTable()
	want, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 50 {
		p := base.DeepCopy()
		rng.Shuffle(len(p.Routes), func(i, j int) { p.Routes[i], p.Routes[j] = p.Routes[j], p.Routes[i] })
		for _, r := range p.Routes {
			rng.Shuffle(len(r.Backends), func(i, j int) { r.Backends[i], r.Backends[j] = r.Backends[j], r.Backends[i] })
		}
		p.Canonicalize()
		got, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("permuted table serializes differently:\n got %s\nwant %s", got, want)
		}
		if p.Hash() != base.Hash() {
			t.Fatal("permuted table hashes differently")
		}
	}
}

func TestCanonicalizeEmpty(t *testing.T) {
	var tbl RoutingTable
	tbl.Canonicalize()
	got, err := json.Marshal(tbl)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"swarmgate.io/v1alpha1","generation":0,"epoch":0,"routes":[]}`
	if string(got) != want {
		t.Errorf("empty table = %s, want %s", got, want)
	}
}

func TestWireFormat(t *testing.T) {
	in := `{"apiVersion":"swarmgate.io/v1alpha1","generation":4,"epoch":2,"routes":[{"service":"web","host":"","pathPrefix":"/app","stripPrefix":false,"backends":[{"address":"10.0.1.5:8000","task":"abc"}]}]}`
	var tbl RoutingTable
	if err := json.Unmarshal([]byte(in), &tbl); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	out, err := json.Marshal(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip changed the table:\n got %s\nwant %s", out, in)
	}
}

func TestHash(t *testing.T) {
	base := sampleTable()
	other := base.DeepCopy()
	other.Generation, other.Epoch = 100, 200
	if base.Hash() != other.Hash() {
		t.Error("Hash depends on Generation or Epoch")
	}
	changes := map[string]func(*RoutingTable){
		"service":     func(t *RoutingTable) { t.Routes[0].Service = "other" },
		"host":        func(t *RoutingTable) { t.Routes[4].Host = "docs.example.com" },
		"pathPrefix":  func(t *RoutingTable) { t.Routes[0].PathPrefix = "/x" },
		"stripPrefix": func(t *RoutingTable) { t.Routes[0].StripPrefix = !t.Routes[0].StripPrefix },
		"address":     func(t *RoutingTable) { t.Routes[0].Backends[0].Address = "10.9.9.9:80" },
		"task":        func(t *RoutingTable) { t.Routes[0].Backends[0].Task = "other" },
		"no backends": func(t *RoutingTable) { t.Routes[0].Backends = []Backend{} },
		"no route":    func(t *RoutingTable) { t.Routes = t.Routes[1:] },
	}
	for name, change := range changes {
		c := base.DeepCopy()
		change(c)
		if c.Hash() == base.Hash() {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func TestDeepCopy(t *testing.T) {
	base := sampleTable()
	c := base.DeepCopy()
	c.Routes[0].Service = "changed"
	c.Routes[0].Backends[0].Address = "10.9.9.9:80"
	if base.Routes[0].Service == "changed" || base.Routes[0].Backends[0].Address == "10.9.9.9:80" {
		t.Error("DeepCopy shares routes or backends with the original")
	}
}
