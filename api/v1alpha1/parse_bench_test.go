package v1alpha1

import "testing"

// BenchmarkParse measures the labels of a typical routed service; the
// controller parses every routed service on every reconcile.
func BenchmarkParse(b *testing.B) {
	labels := map[string]string{
		"proxy.path": "/api/42", "proxy.port": "8080", "proxy.host": "svc42.example.com",
		"com.docker.stack.namespace": "bench",
	}
	var s LabelSchema
	b.ReportAllocs()
	for b.Loop() {
		if routes, _ := s.Parse("svc", labels); len(routes) != 1 {
			b.Fatalf("got %d routes, want 1", len(routes))
		}
	}
}
