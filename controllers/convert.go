package controllers

import (
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmgate/swarmgate/reconcile"
)

// networkNames maps network IDs to names. A service spec names its networks
// by ID (the CLI resolves names at create time), but labels and the
// --proxy-network flag use names.
func networkNames(nets []network.Summary) map[string]string {
	names := make(map[string]string, len(nets))
	for _, n := range nets {
		names[n.ID] = n.Name
	}
	return names
}

// convertServices turns Docker services into reconcile's view of them.
func convertServices(in []swarm.Service, netNames map[string]string) []reconcile.Service {
	out := make([]reconcile.Service, 0, len(in))
	for _, s := range in {
		var nets []string
		for _, n := range s.Spec.TaskTemplate.Networks {
			nets = append(nets, networkName(n.Target, netNames))
		}
		out = append(out, reconcile.Service{
			ID:        s.ID,
			Name:      s.Spec.Name,
			CreatedAt: s.CreatedAt,
			Labels:    s.Spec.Labels,
			Networks:  nets,
			Global:    s.Spec.Mode.Global != nil || s.Spec.Mode.GlobalJob != nil,
		})
	}
	return out
}

// networkName resolves a network reference that is either an ID or, when
// the API was given a name and kept it, already a name.
func networkName(ref string, netNames map[string]string) string {
	if name, ok := netNames[ref]; ok {
		return name
	}
	return ref
}

// convertTasks turns Docker tasks into reconcile's view of them. A task's
// attachment carries its network's spec, so its name needs no lookup unless
// the daemon left the spec out. Every poll converts every task, so the
// attachments share one allocation.
func convertTasks(in []swarm.Task, netNames map[string]string) []reconcile.Task {
	out := make([]reconcile.Task, 0, len(in))
	n := 0
	for i := range in {
		n += len(in[i].NetworksAttachments)
	}
	all := make([]reconcile.NetworkAttachment, 0, n)
	for _, t := range in {
		start := len(all)
		for _, a := range t.NetworksAttachments {
			name := a.Network.Spec.Name
			if name == "" {
				name = networkName(a.Network.ID, netNames)
			}
			all = append(all, reconcile.NetworkAttachment{Network: name, Addresses: a.Addresses})
		}
		atts := all[start:len(all):len(all)]
		out = append(out, reconcile.Task{
			ID:           t.ID,
			ServiceID:    t.ServiceID,
			NodeID:       t.NodeID,
			Slot:         t.Slot,
			DesiredState: string(t.DesiredState),
			State:        string(t.Status.State),
			Networks:     atts,
		})
	}
	return out
}
