package leaderelection

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fakeDaemon serves the Docker Engine API 1.41 Config endpoints the way
// a Swarm manager answers them, errors included.
type fakeDaemon struct {
	mu      sync.Mutex
	configs map[string]*swarm.Config // by ID
	index   uint64
	// created is the spec of the last create request.
	created json.RawMessage
	// beforeUpdate, if set, runs once under mu when the next update
	// request arrives: another writer getting in first.
	beforeUpdate func(d *fakeDaemon)
}

func newFakeDaemon(t *testing.T) (*fakeDaemon, *client.Client) {
	t.Helper()
	d := &fakeDaemon{configs: map[string]*swarm.Config{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.41/configs/{id}", d.inspect)
	mux.HandleFunc("POST /v1.41/configs/create", d.create)
	mux.HandleFunc("POST /v1.41/configs/{id}/update", d.update)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := client.NewClientWithOpts(client.WithHost(srv.URL), client.WithHTTPClient(srv.Client()), client.WithVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return d, c
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// resolveLocked finds a config by ID or name; d.mu must be held.
func (d *fakeDaemon) resolveLocked(idOrName string) *swarm.Config {
	for _, c := range d.configs {
		if c.ID == idOrName || c.Spec.Name == idOrName {
			return c
		}
	}
	return nil
}

func (d *fakeDaemon) inspect(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.resolveLocked(r.PathValue("id"))
	if c == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("config %s not found", r.PathValue("id")))
		return
	}
	json.NewEncoder(w).Encode(c)
}

func (d *fakeDaemon) create(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var spec swarm.ConfigSpec
	if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if d.resolveLocked(spec.Name) != nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("rpc error: code = AlreadyExists desc = config %s already exists", spec.Name))
		return
	}
	d.created, _ = json.MarshalIndent(spec, "", "  ")
	d.index++
	c := &swarm.Config{ID: fmt.Sprintf("cfg%d", len(d.configs)+1), Spec: spec}
	c.Version.Index = d.index
	d.configs[c.ID] = c
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(swarm.ConfigCreateResponse{ID: c.ID})
}

func (d *fakeDaemon) update(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if fn := d.beforeUpdate; fn != nil {
		d.beforeUpdate = nil
		fn(d)
	}
	c := d.resolveLocked(r.PathValue("id"))
	if c == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("config %s not found", r.PathValue("id")))
		return
	}
	version, err := strconv.ParseUint(r.URL.Query().Get("version"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid config version")
		return
	}
	var spec swarm.ConfigSpec
	if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if version != c.Version.Index {
		writeError(w, http.StatusInternalServerError, "rpc error: code = Unknown desc = update out of sequence")
		return
	}
	if spec.Name != c.Spec.Name || (spec.Data != nil && string(spec.Data) != string(c.Spec.Data)) {
		writeError(w, http.StatusBadRequest, "rpc error: code = InvalidArgument desc = only updates to Labels are allowed")
		return
	}
	d.index++
	c.Spec.Labels = spec.Labels
	c.Version.Index = d.index
}

func (d *fakeDaemon) config(name string) swarm.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.resolveLocked(name); c != nil {
		return *c
	}
	return swarm.Config{}
}

// bumpLocked makes an unrelated write to a config; d.mu must be held.
func (d *fakeDaemon) bumpLocked(name string) {
	d.index++
	d.resolveLocked(name).Version.Index = d.index
}

func TestSwarmConfigLock(t *testing.T) {
	d, c := newFakeDaemon(t)
	lock, err := NewSwarmConfigLock(c, "", "node1-ctrl")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 6, 0, 0, 123456789, time.UTC)
	rec := LeaderElectionRecord{HolderIdentity: "node1-ctrl", LeaseDurationSeconds: 15, AcquireTime: at, RenewTime: at, Epoch: 1}

	if _, _, err := lock.Get(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Create: %v, want ErrNotFound", err)
	}
	if err := lock.Create(ctx, rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	golden(t, "create-request.golden.json", d.created)
	if err := lock.Create(ctx, rec); !errors.Is(err, ErrConflict) {
		t.Fatalf("second Create: %v, want ErrConflict", err)
	}
	got, version, err := lock.Get(ctx)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !got.equal(rec) {
		t.Fatalf("Get = %+v, want %+v", got, rec)
	}

	// An operator's label and the data survive an update.
	d.mu.Lock()
	d.resolveLocked(DefaultConfigName).Spec.Labels["owner"] = "ops"
	d.bumpLocked(DefaultConfigName)
	d.mu.Unlock()
	if err := lock.Update(ctx, rec, version); !errors.Is(err, ErrConflict) {
		t.Fatalf("Update after another write: %v, want ErrConflict", err)
	}
	_, version, err = lock.Get(ctx)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	renewed := rec
	renewed.RenewTime = at.Add(2 * time.Second)
	if err := lock.Update(ctx, renewed, version); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got, _, err := lock.Get(ctx); err != nil || !got.equal(renewed) {
		t.Fatalf("Get after Update = %+v, %v; want %+v", got, err, renewed)
	}
	cfg := d.config(DefaultConfigName)
	if cfg.Spec.Labels["owner"] != "ops" || string(cfg.Spec.Data) != string(configData) {
		t.Errorf("update lost the operator's label or the data: %+v", cfg.Spec)
	}

	// The daemon refuses a version that moved between Get and Update.
	_, version, err = lock.Get(ctx)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	d.mu.Lock()
	d.beforeUpdate = func(d *fakeDaemon) { d.bumpLocked(DefaultConfigName) }
	d.mu.Unlock()
	err = lock.Update(ctx, renewed, version)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "update out of sequence") {
		t.Errorf("Update racing another writer: %v, want ErrConflict from update out of sequence", err)
	}
}

func TestSwarmConfigLockBadRecord(t *testing.T) {
	at := "2026-11-23T06:00:00Z"
	good := map[string]string{
		LabelHolder: "a", LabelLeaseDurationSeconds: "15", LabelAcquireTime: at, LabelRenewTime: at, LabelEpoch: "3",
	}
	for _, tc := range []struct {
		key, value string // value "" with delete
		del        bool
		wantErr    string
	}{
		{key: LabelEpoch, del: true, wantErr: "label swarmgate.leader.epoch missing"},
		{key: LabelHolder, del: true, wantErr: "label swarmgate.leader.holder missing"},
		{key: LabelEpoch, value: "-1", wantErr: `label swarmgate.leader.epoch: "-1" is not a non-negative integer`},
		{key: LabelEpoch, value: "x", wantErr: `label swarmgate.leader.epoch: "x" is not a non-negative integer`},
		{key: LabelLeaseDurationSeconds, value: "0", wantErr: `label swarmgate.leader.leaseDurationSeconds: "0" is not a positive number of seconds`},
		{key: LabelRenewTime, value: "yesterday", wantErr: `label swarmgate.leader.renewTime: parsing time "yesterday"`},
		{key: LabelAcquireTime, value: "", wantErr: `label swarmgate.leader.acquireTime: parsing time ""`},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			d, c := newFakeDaemon(t)
			labels := map[string]string{}
			for k, v := range good {
				labels[k] = v
			}
			if tc.del {
				delete(labels, tc.key)
			} else {
				labels[tc.key] = tc.value
			}
			d.configs["cfg1"] = &swarm.Config{ID: "cfg1", Spec: swarm.ConfigSpec{Annotations: swarm.Annotations{Name: DefaultConfigName, Labels: labels}}}
			lock, err := NewSwarmConfigLock(c, "", "a")
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = lock.Get(context.Background())
			want := "config swarmgate-leader (cfg1): " + tc.wantErr
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Get error = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestSwarmConfigLockVersion(t *testing.T) {
	_, c := newFakeDaemon(t)
	lock, err := NewSwarmConfigLock(c, "other-lock", "a")
	if err != nil {
		t.Fatal(err)
	}
	if got := lock.Describe(); got != "swarm config other-lock" {
		t.Errorf("Describe = %q", got)
	}
	for _, v := range []string{"", "cfg1", "@3", "cfg1@x", "cfg1@-1"} {
		if err := lock.Update(context.Background(), LeaderElectionRecord{}, v); err == nil || !strings.Contains(err.Error(), "invalid swarm config lock version") {
			t.Errorf("Update with version %q: %v, want an invalid version error", v, err)
		}
	}
	if _, err := NewSwarmConfigLock(c, "", ""); err == nil {
		t.Error("NewSwarmConfigLock with an empty identity: want an error")
	}
}

// leading reports that an elector began leading: who, in which epoch.
type leading struct {
	id    string
	epoch int64
}

// runElector runs an elector on lock with the given timing on the real
// clock, reporting on started when it leads; the returned stop cancels it
// and returns Run's error.
func runElector(t *testing.T, lock Lock, lease, renew, retry time.Duration, release bool, started chan<- leading) (stop func() error) {
	t.Helper()
	e, err := NewElector(Config{
		Lock:            lock,
		LeaseDuration:   lease,
		RenewDeadline:   renew,
		RetryPeriod:     retry,
		ReleaseOnCancel: release,
		Callbacks: Callbacks{
			OnStartedLeading: func(_ context.Context, epoch int64) { started <- leading{lock.Identity(), epoch} },
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(logrContext(t))
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { stop() })
	return stop
}

// TestElectorsOnSwarmConfigLock runs two electors on the real clock against
// the fake daemon: the second takes over at once when the first releases.
func TestElectorsOnSwarmConfigLock(t *testing.T) {
	d, c := newFakeDaemon(t)
	started := make(chan leading, 2)
	run := func(id string) (stop func() error) {
		lock, err := NewSwarmConfigLock(c, "", id)
		if err != nil {
			t.Fatal(err)
		}
		return runElector(t, lock, time.Second, 500*time.Millisecond, 50*time.Millisecond, true, started)
	}

	stopA := run("a")
	if got := <-started; got != (leading{"a", 1}) {
		t.Fatalf("first leader %+v, want a in epoch 1", got)
	}
	run("b")
	if err := stopA(); err != nil {
		t.Fatalf("a: Run = %v", err)
	}
	select {
	case got := <-started:
		if got != (leading{"b", 2}) {
			t.Fatalf("second leader %+v, want b in epoch 2", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b did not take over")
	}
	if labels := d.config(DefaultConfigName).Spec.Labels; labels[LabelHolder] != "b" || labels[LabelEpoch] != "2" {
		t.Errorf("labels %v, want holder b in epoch 2", labels)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}
