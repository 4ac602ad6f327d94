package controllers

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestDiscoveryUnionsDNSAndTasks(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p := newPusher(newPushClient(testToken, time.Second), 8081, 1, time.Hour, newFakeClock(), m, func(int64) {})
	resolver := &fakeResolver{}
	d := newDiscovery(resolver, testProxyName, time.Second, newFakeClock(), p)
	ctx := context.Background()
	known := func() []string {
		_, replicas := p.snapshot()
		var out []string
		for _, r := range replicas {
			out = append(out, r.Address+"="+r.Task)
		}
		return out
	}
	steps := []struct {
		name string
		act  func()
		want []string
	}{
		{"nothing resolves", func() { d.resolve(ctx) }, nil},
		{"dns answers two", func() { resolver.set("10.0.0.3", "10.0.0.4"); d.resolve(ctx) },
			[]string{"10.0.0.3:8081=", "10.0.0.4:8081="}},
		{"task list knows one of them and a third", func() {
			d.setTasks(map[netip.Addr]string{netip.MustParseAddr("10.0.0.4"): "p2", netip.MustParseAddr("10.0.0.5"): "p3"})
		}, []string{"10.0.0.3:8081=", "10.0.0.4:8081=p2", "10.0.0.5:8081=p3"}},
		{"dns fails: its last answer is kept", func() {
			resolver.fail(&net.DNSError{Err: "server misbehaving", Name: "tasks." + testProxyName, IsTemporary: true})
			d.resolve(ctx)
		}, []string{"10.0.0.3:8081=", "10.0.0.4:8081=p2", "10.0.0.5:8081=p3"}},
		{"dns says no such host: only tasks remain", func() { resolver.fail(nil); resolver.set(); d.resolve(ctx) },
			[]string{"10.0.0.4:8081=p2", "10.0.0.5:8081=p3"}},
		{"tasks gone too", func() { d.setTasks(nil) }, nil},
	}
	for _, s := range steps {
		s.act()
		if got := known(); !slices.Equal(got, s.want) {
			t.Errorf("%s: replicas %v, want %v", s.name, got, s.want)
		}
	}
}
