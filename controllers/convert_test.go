package controllers

import (
	"reflect"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmgate/swarmgate/reconcile"
)

func TestConvertServices(t *testing.T) {
	names := networkNames(testNetworks)
	global := service("svcg", "metrics", map[string]string{"proxy.path": "/m"})
	global.Spec.Mode = swarm.ServiceMode{Global: &swarm.GlobalService{}}
	global.Spec.TaskTemplate.Networks = []swarm.NetworkAttachmentConfig{
		{Target: testNetworkID}, {Target: "netother01"}, {Target: "byname"}}
	tests := []struct {
		name string
		in   swarm.Service
		want reconcile.Service
	}{{
		name: "network IDs resolved to names",
		in:   service("svc1", "web", map[string]string{"proxy.path": "/web"}),
		want: reconcile.Service{ID: "svc1", Name: "web", CreatedAt: testEpoch,
			Labels: map[string]string{"proxy.path": "/web"}, Networks: []string{testNetworkName}},
	}, {
		name: "global, several networks, an unknown reference kept as a name",
		in:   global,
		want: reconcile.Service{ID: "svcg", Name: "metrics", CreatedAt: testEpoch, Global: true,
			Labels: map[string]string{"proxy.path": "/m"}, Networks: []string{testNetworkName, "other", "byname"}},
	}, {
		name: "no networks",
		in:   swarm.Service{ID: "svc2", Meta: swarm.Meta{CreatedAt: testEpoch.Add(time.Hour)}, Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "lonely"}}},
		want: reconcile.Service{ID: "svc2", Name: "lonely", CreatedAt: testEpoch.Add(time.Hour)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convertServices([]swarm.Service{tt.in}, names)
			if !reflect.DeepEqual(got, []reconcile.Service{tt.want}) {
				t.Errorf("got  %+v\nwant %+v", got, []reconcile.Service{tt.want})
			}
		})
	}
}

func TestConvertTasks(t *testing.T) {
	names := networkNames(testNetworks)
	noSpec := running("t2", "svc1", 2, "10.0.1.6")
	noSpec.NetworksAttachments[0].Network.Spec = swarm.NetworkSpec{} // name left out by the daemon
	noSpec.NetworksAttachments = append(noSpec.NetworksAttachments, swarm.NetworkAttachment{
		Network: swarm.Network{ID: "netother01"}, Addresses: []string{"10.0.9.2/24"}})
	tests := []struct {
		name string
		in   swarm.Task
		want reconcile.Task
	}{{
		name: "running",
		in:   running("t1", "svc1", 1, "10.0.1.5"),
		want: reconcile.Task{ID: "t1", ServiceID: "svc1", NodeID: "node1", Slot: 1, DesiredState: "running", State: "running",
			Networks: []reconcile.NetworkAttachment{{Network: testNetworkName, Addresses: []string{"10.0.1.5/24"}}}},
	}, {
		name: "shutting down",
		in:   task("t3", "svc1", 3, swarm.TaskStateShutdown, swarm.TaskStateRunning, "10.0.1.7"),
		want: reconcile.Task{ID: "t3", ServiceID: "svc1", NodeID: "node1", Slot: 3, DesiredState: "shutdown", State: "running",
			Networks: []reconcile.NetworkAttachment{{Network: testNetworkName, Addresses: []string{"10.0.1.7/24"}}}},
	}, {
		name: "network names from IDs when the spec is missing",
		in:   noSpec,
		want: reconcile.Task{ID: "t2", ServiceID: "svc1", NodeID: "node1", Slot: 2, DesiredState: "running", State: "running",
			Networks: []reconcile.NetworkAttachment{
				{Network: testNetworkName, Addresses: []string{"10.0.1.6/24"}},
				{Network: "other", Addresses: []string{"10.0.9.2/24"}}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convertTasks([]swarm.Task{tt.in}, names)
			if !reflect.DeepEqual(got, []reconcile.Task{tt.want}) {
				t.Errorf("got  %+v\nwant %+v", got, []reconcile.Task{tt.want})
			}
		})
	}
}
