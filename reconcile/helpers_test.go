package reconcile

import (
	"fmt"
	"time"
)

// epoch is when the oldest test service was created; age n is n minutes later.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const proxyNet = "swarmgate"

var defaultOpts = Options{ProxyNetwork: proxyNet}

// svc returns a service created age minutes after epoch, attached to networks.
func svc(id, name string, age int, labels map[string]string, networks ...string) Service {
	return Service{ID: id, Name: name, CreatedAt: epoch.Add(time.Duration(age) * time.Minute), Labels: labels, Networks: networks}
}

// task returns a task of serviceID in the given desired and observed states.
func task(id, serviceID, desired, state string, attachments ...NetworkAttachment) Task {
	return Task{ID: id, ServiceID: serviceID, NodeID: "node1", Slot: 1, DesiredState: desired, State: state, Networks: attachments}
}

// running returns a task that should receive traffic, at ip on the proxy network.
func running(id, serviceID, ip string) Task {
	return task(id, serviceID, TaskStateRunning, TaskStateRunning, on(proxyNet, ip+"/24"))
}

func on(network string, addresses ...string) NetworkAttachment {
	return NetworkAttachment{Network: network, Addresses: addresses}
}

// labels builds a label map from key=value pairs.
func labels(kv ...string) map[string]string {
	if len(kv)%2 != 0 {
		panic(fmt.Sprintf("labels: odd number of arguments %q", kv))
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// web is the minimal routed service: proxy.path=/ and proxy.port=8080.
func web(id, name string, age int, extra ...string) Service {
	return svc(id, name, age, labels(append([]string{"proxy.path", "/", "proxy.port", "8080"}, extra...)...), proxyNet)
}
