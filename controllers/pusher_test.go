package controllers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// A push that is under way when a new proxy task takes the replica's IP
// reached the old task: its acknowledgement must not mark the new task as
// holding the table, or the new task would never be pushed to.
func TestPushToReplacedTaskDoesNotCount(t *testing.T) {
	received, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(received)
		<-release
		fmt.Fprint(w, `{"epoch":1,"generation":1}`)
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().(*net.TCPAddr)
	ip, _ := netip.AddrFromSlice(addr.IP)
	ip = ip.Unmap()

	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p := newPusher(newPushClient(testToken, 10*time.Second), addr.Port, 4, time.Hour, RealClock{}, m, func(int64) {})
	p.setReplicas(map[netip.Addr]string{ip: "old-task"})
	p.setTable(&v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion, Epoch: 1, Generation: 1, Routes: []v1alpha1.Route{}}, time.Now())

	snap, batch := p.claim()
	if len(batch) != 1 {
		t.Fatalf("claimed %d replicas, want 1", len(batch))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.fanOut(context.Background(), snap, batch)
	}()
	<-received
	p.setReplicas(map[netip.Addr]string{ip: "new-task"}) // the old task died, a new one got its IP
	close(release)
	<-done

	if _, batch := p.claim(); len(batch) != 1 {
		_, status := p.snapshot()
		t.Fatalf("after the old task's acknowledgement, %d replicas need the table, want 1 (the new task): %+v", len(batch), status)
	}
	if _, status := p.snapshot(); status[0].InSync {
		t.Errorf("replica reported in sync with the acknowledgement of its previous task: %+v", status[0])
	}
}
