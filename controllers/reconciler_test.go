package controllers

import (
	"reflect"
	"testing"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// sameRoutes compares Route field by field: a field added to Route must be
// added there too, or a change of it alone would not be pushed.
func TestSameRoutesCoversEveryField(t *testing.T) {
	if n := reflect.TypeFor[v1alpha1.Route]().NumField(); n != 5 {
		t.Fatalf("v1alpha1.Route has %d fields; update sameRoutes and this test", n)
	}
	if n := reflect.TypeFor[v1alpha1.Backend]().NumField(); n != 2 {
		t.Fatalf("v1alpha1.Backend has %d fields; check that it is still comparable with ==", n)
	}
	base := v1alpha1.Route{Service: "web", Host: "a.example", PathPrefix: "/", Backends: []v1alpha1.Backend{{Address: "10.0.1.5:80", Task: "t1"}}}
	tests := []struct {
		name   string
		change func(*v1alpha1.Route)
	}{
		{"service", func(r *v1alpha1.Route) { r.Service = "api" }},
		{"host", func(r *v1alpha1.Route) { r.Host = "b.example" }},
		{"pathPrefix", func(r *v1alpha1.Route) { r.PathPrefix = "/x" }},
		{"stripPrefix", func(r *v1alpha1.Route) { r.StripPrefix = true }},
		{"backend address", func(r *v1alpha1.Route) { r.Backends = []v1alpha1.Backend{{Address: "10.0.1.6:80", Task: "t1"}} }},
		{"backend task", func(r *v1alpha1.Route) { r.Backends = []v1alpha1.Backend{{Address: "10.0.1.5:80", Task: "t2"}} }},
		{"backend added", func(r *v1alpha1.Route) { r.Backends = append(r.Backends, v1alpha1.Backend{Address: "10.0.1.7:80"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := base
			changed.Backends = append([]v1alpha1.Backend(nil), base.Backends...)
			tt.change(&changed)
			if sameRoutes([]v1alpha1.Route{base}, []v1alpha1.Route{changed}) {
				t.Error("a changed route compares equal")
			}
		})
	}
	same := base
	same.Backends = append([]v1alpha1.Backend(nil), base.Backends...)
	if !sameRoutes([]v1alpha1.Route{base}, []v1alpha1.Route{same}) {
		t.Error("equal routes compare different")
	}
	if sameRoutes([]v1alpha1.Route{base}, []v1alpha1.Route{base, same}) {
		t.Error("a route added compares equal")
	}
}
