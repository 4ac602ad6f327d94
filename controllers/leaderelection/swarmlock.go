package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/swarm"
)

// DefaultConfigName is the Swarm Config SwarmConfigLock uses by default.
const DefaultConfigName = "swarmgate-leader"

// Labels of the lock Config that hold the record.
const (
	LabelHolder               = "swarmgate.leader.holder"
	LabelLeaseDurationSeconds = "swarmgate.leader.leaseDurationSeconds"
	LabelAcquireTime          = "swarmgate.leader.acquireTime"
	LabelRenewTime            = "swarmgate.leader.renewTime"
	LabelEpoch                = "swarmgate.leader.epoch"
)

// configData is the lock Config's content. Config data is immutable, so
// the record lives in the labels; this only tells a curious operator why.
var configData = []byte("swarmgate leader election lock: the record is in the labels; do not remove\n")

// ConfigAPI is the part of *github.com/docker/docker/client.Client that
// SwarmConfigLock uses.
type ConfigAPI interface {
	ConfigInspectWithRaw(ctx context.Context, id string) (swarm.Config, []byte, error)
	ConfigCreate(ctx context.Context, config swarm.ConfigSpec) (swarm.ConfigCreateResponse, error)
	ConfigUpdate(ctx context.Context, id string, version swarm.Version, config swarm.ConfigSpec) error
}

// SwarmConfigLock is a Lock stored in the labels of a Swarm Config and
// updated with the Config's version for optimistic concurrency.
type SwarmConfigLock struct {
	api      ConfigAPI
	name     string
	identity string
}

// NewSwarmConfigLock returns a lock on the Config named name (empty means
// DefaultConfigName) for the candidate identity.
func NewSwarmConfigLock(api ConfigAPI, name, identity string) (*SwarmConfigLock, error) {
	if api == nil {
		return nil, errors.New("swarm config lock: nil ConfigAPI")
	}
	if identity == "" {
		return nil, errors.New("swarm config lock: empty identity")
	}
	if name == "" {
		name = DefaultConfigName
	}
	return &SwarmConfigLock{api: api, name: name, identity: identity}, nil
}

// Identity implements Lock.
func (l *SwarmConfigLock) Identity() string { return l.identity }

// Describe implements Lock.
func (l *SwarmConfigLock) Describe() string { return "swarm config " + l.name }

// Get implements Lock. The version is "<config ID>@<index>".
func (l *SwarmConfigLock) Get(ctx context.Context) (*LeaderElectionRecord, string, error) {
	cfg, err := l.inspect(ctx)
	if err != nil {
		return nil, "", err
	}
	rec, err := decodeRecord(cfg.Spec.Labels)
	if err != nil {
		return nil, "", fmt.Errorf("config %s (%s): %w", l.name, cfg.ID, err)
	}
	return &rec, formatVersion(cfg.ID, cfg.Version.Index), nil
}

// Create implements Lock.
func (l *SwarmConfigLock) Create(ctx context.Context, rec LeaderElectionRecord) error {
	spec := swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: l.name, Labels: encodeRecord(nil, rec)},
		Data:        configData,
	}
	if _, err := l.api.ConfigCreate(ctx, spec); err != nil {
		if cerrdefs.IsConflict(err) || strings.Contains(err.Error(), "AlreadyExists") {
			return fmt.Errorf("create config %s: %w: %w", l.name, ErrConflict, err)
		}
		return fmt.Errorf("create config %s: %w", l.name, err)
	}
	return nil
}

// Update implements Lock. It keeps the Config's other labels, its data and
// its templating: Swarm allows only labels to change.
func (l *SwarmConfigLock) Update(ctx context.Context, rec LeaderElectionRecord, version string) error {
	id, index, err := parseVersion(version)
	if err != nil {
		return err
	}
	cfg, err := l.inspect(ctx)
	if err != nil {
		return err
	}
	if cfg.ID != id || cfg.Version.Index != index {
		return fmt.Errorf("update config %s: %w: at %s, not %s", l.name, ErrConflict, formatVersion(cfg.ID, cfg.Version.Index), version)
	}
	spec := cfg.Spec
	spec.Labels = encodeRecord(cfg.Spec.Labels, rec)
	if err := l.api.ConfigUpdate(ctx, id, swarm.Version{Index: index}, spec); err != nil {
		switch {
		case strings.Contains(err.Error(), "update out of sequence"):
			return fmt.Errorf("update config %s: %w: %w", l.name, ErrConflict, err)
		case cerrdefs.IsNotFound(err):
			return fmt.Errorf("update config %s: %w: %w", l.name, ErrNotFound, err)
		}
		return fmt.Errorf("update config %s: %w", l.name, err)
	}
	return nil
}

// inspect reads the Config by name. Docker also resolves an ID prefix, so
// the name is checked.
func (l *SwarmConfigLock) inspect(ctx context.Context) (swarm.Config, error) {
	cfg, _, err := l.api.ConfigInspectWithRaw(ctx, l.name)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return swarm.Config{}, fmt.Errorf("inspect config %s: %w: %w", l.name, ErrNotFound, err)
		}
		return swarm.Config{}, fmt.Errorf("inspect config %s: %w", l.name, err)
	}
	if cfg.Spec.Name != l.name {
		return swarm.Config{}, fmt.Errorf("inspect config %s: %w: resolved to config %s named %q", l.name, ErrNotFound, cfg.ID, cfg.Spec.Name)
	}
	return cfg, nil
}

func formatVersion(id string, index uint64) string { return id + "@" + strconv.FormatUint(index, 10) }

func parseVersion(v string) (id string, index uint64, err error) {
	id, idx, ok := strings.Cut(v, "@")
	if ok {
		index, err = strconv.ParseUint(idx, 10, 64)
	}
	if !ok || id == "" || err != nil {
		return "", 0, fmt.Errorf("invalid swarm config lock version %q: want <config ID>@<index>", v)
	}
	return id, index, nil
}

// encodeRecord returns a copy of labels with the record's labels set.
func encodeRecord(labels map[string]string, rec LeaderElectionRecord) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = make(map[string]string, 5)
	}
	out[LabelHolder] = rec.HolderIdentity
	out[LabelLeaseDurationSeconds] = strconv.Itoa(rec.LeaseDurationSeconds)
	out[LabelAcquireTime] = rec.AcquireTime.UTC().Format(time.RFC3339Nano)
	out[LabelRenewTime] = rec.RenewTime.UTC().Format(time.RFC3339Nano)
	out[LabelEpoch] = strconv.FormatInt(rec.Epoch, 10)
	return out
}

// decodeRecord reads the record's labels; every one must be present and
// well formed, and the error names the first that is not.
func decodeRecord(labels map[string]string) (LeaderElectionRecord, error) {
	for _, key := range []string{LabelHolder, LabelLeaseDurationSeconds, LabelAcquireTime, LabelRenewTime, LabelEpoch} {
		if _, ok := labels[key]; !ok {
			return LeaderElectionRecord{}, fmt.Errorf("label %s missing", key)
		}
	}
	lease, err := strconv.Atoi(labels[LabelLeaseDurationSeconds])
	if err != nil || lease <= 0 {
		return LeaderElectionRecord{}, fmt.Errorf("label %s: %q is not a positive number of seconds", LabelLeaseDurationSeconds, labels[LabelLeaseDurationSeconds])
	}
	acquire, err := time.Parse(time.RFC3339Nano, labels[LabelAcquireTime])
	if err != nil {
		return LeaderElectionRecord{}, fmt.Errorf("label %s: %w", LabelAcquireTime, err)
	}
	renew, err := time.Parse(time.RFC3339Nano, labels[LabelRenewTime])
	if err != nil {
		return LeaderElectionRecord{}, fmt.Errorf("label %s: %w", LabelRenewTime, err)
	}
	epoch, err := strconv.ParseInt(labels[LabelEpoch], 10, 64)
	if err != nil || epoch < 0 {
		return LeaderElectionRecord{}, fmt.Errorf("label %s: %q is not a non-negative integer", LabelEpoch, labels[LabelEpoch])
	}
	return LeaderElectionRecord{
		HolderIdentity:       labels[LabelHolder],
		LeaseDurationSeconds: lease,
		AcquireTime:          acquire,
		RenewTime:            renew,
		Epoch:                epoch,
	}, nil
}
