package v1alpha1

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*RoutingTable)
		wantErr string // empty: valid
	}{
		{name: "valid", change: func(*RoutingTable) {}},
		{name: "route without backends", change: func(t *RoutingTable) { t.Routes[0].Backends = nil }},
		{name: "IPv6 backend", change: func(t *RoutingTable) { t.Routes[0].Backends[0].Address = "[fd00::1]:80" }},
		{name: "missing apiVersion", change: func(t *RoutingTable) { t.APIVersion = "" }, wantErr: `apiVersion: must be "swarmgate.io/v1alpha1", got ""`},
		{name: "wrong apiVersion", change: func(t *RoutingTable) { t.APIVersion = "swarmgate.io/v2" }, wantErr: "apiVersion: "},
		{name: "negative generation", change: func(t *RoutingTable) { t.Generation = -1 }, wantErr: "generation: must not be negative"},
		{name: "negative epoch", change: func(t *RoutingTable) { t.Epoch = -1 }, wantErr: "epoch: must not be negative"},
		{name: "too many routes", change: func(t *RoutingTable) { t.Routes = make([]Route, MaxRoutes+1) }, wantErr: "routes: at most 100000 routes"},
		{name: "empty service", change: func(t *RoutingTable) { t.Routes[1].Service = "" }, wantErr: "routes[1].service: must not be empty"},
		{name: "bad host", change: func(t *RoutingTable) { t.Routes[2].Host = "a_b.example.com" }, wantErr: "routes[2].host: "},
		{name: "host not canonical", change: func(t *RoutingTable) { t.Routes[2].Host = "Shop.Example.com" }, wantErr: `routes[2].host: must be in canonical form "shop.example.com"`},
		{name: "empty pathPrefix", change: func(t *RoutingTable) { t.Routes[0].PathPrefix = "" }, wantErr: "routes[0].pathPrefix: must not be empty"},
		{name: "relative pathPrefix", change: func(t *RoutingTable) { t.Routes[0].PathPrefix = "api" }, wantErr: `routes[0].pathPrefix: must start with "/"`},
		{name: "pathPrefix with dotdot", change: func(t *RoutingTable) { t.Routes[0].PathPrefix = "/a/.." }, wantErr: `routes[0].pathPrefix: must not contain ".."`},
		{name: "pathPrefix not clean", change: func(t *RoutingTable) { t.Routes[1].PathPrefix = "/api/" }, wantErr: `routes[1].pathPrefix: must be clean ("/api")`},
		{name: "too many backends", change: func(t *RoutingTable) {
			t.Routes[0].Backends = make([]Backend, MaxBackendsInRoute+1)
		}, wantErr: "routes[0].backends: at most 10000 backends"},
		{name: "backend without port", change: func(t *RoutingTable) { t.Routes[0].Backends[1].Address = "10.0.1.5" }, wantErr: "routes[0].backends[1].address: must be host:port"},
		{name: "backend without host", change: func(t *RoutingTable) { t.Routes[0].Backends[0].Address = ":80" }, wantErr: "routes[0].backends[0].address: must have a host"},
		{name: "backend port zero", change: func(t *RoutingTable) { t.Routes[0].Backends[0].Address = "10.0.1.5:0" }, wantErr: "routes[0].backends[0].address: port must be a port number"},
		{name: "backend IPv6 without brackets", change: func(t *RoutingTable) { t.Routes[0].Backends[0].Address = "fd00::1:80" }, wantErr: "routes[0].backends[0].address: must be host:port"},
		{name: "duplicate host and path", change: func(t *RoutingTable) {
			t.Routes[4].Host, t.Routes[4].PathPrefix = "shop.example.com", "/"
		}, wantErr: `routes[4]: host "shop.example.com" and pathPrefix "/" are already routed by routes[3]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl := sampleTable()
			tt.change(&tbl)
			err := tbl.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
