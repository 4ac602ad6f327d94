package leaderelection

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNewElectorValidation(t *testing.T) {
	valid := func(mutate func(*Config)) Config {
		cfg := Config{
			Lock: (&fakeStore{}).lock("a"),
			Callbacks: Callbacks{
				OnStartedLeading: func(context.Context, int64) {},
				OnStoppedLeading: func() {},
			},
		}
		if mutate != nil {
			mutate(&cfg)
		}
		return cfg
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "defaults", cfg: valid(nil)},
		{name: "explicit", cfg: valid(func(c *Config) {
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 2*time.Second, time.Second, 100*time.Millisecond
		})},
		{name: "no lock", cfg: valid(func(c *Config) { c.Lock = nil }), wantErr: "Lock is required"},
		{name: "no OnStartedLeading", cfg: valid(func(c *Config) { c.Callbacks.OnStartedLeading = nil }), wantErr: "OnStartedLeading is required"},
		{name: "no OnStoppedLeading", cfg: valid(func(c *Config) { c.Callbacks.OnStoppedLeading = nil }), wantErr: "OnStoppedLeading is required"},
		{
			name:    "lease not above renew deadline",
			cfg:     valid(func(c *Config) { c.LeaseDuration = 10 * time.Second }),
			wantErr: "LeaseDuration 10s must be greater than RenewDeadline 10s",
		},
		{
			name:    "renew deadline within one jittered retry",
			cfg:     valid(func(c *Config) { c.RetryPeriod = 9 * time.Second }),
			wantErr: "RenewDeadline 10s must be greater than RetryPeriod*JitterFactor 10.8s",
		},
		{
			name:    "lease not whole seconds",
			cfg:     valid(func(c *Config) { c.LeaseDuration = 15500 * time.Millisecond }),
			wantErr: "LeaseDuration 15.5s must be whole seconds",
		},
		{
			name:    "negative retry period",
			cfg:     valid(func(c *Config) { c.RetryPeriod = -time.Second }),
			wantErr: "RetryPeriod -1s must be positive",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewElector(tc.cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("NewElector: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("NewElector error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	store := &fakeStore{}
	a := startCandidate(t, store, newFakeClock(), "a", func(cfg *Config) { cfg.Registerer = reg })
	a.awaitTerm(t)
	if got := testutil.ToFloat64(a.elector.metrics.isLeader); got != 1 {
		t.Errorf("is_leader = %v while leading, want 1", got)
	}
	if got := testutil.ToFloat64(a.elector.metrics.epoch); got != 1 {
		t.Errorf("epoch = %v, want 1", got)
	}
	a.cancel()
	a.awaitDone(t, nil)
	if got := testutil.ToFloat64(a.elector.metrics.isLeader); got != 0 {
		t.Errorf("is_leader = %v after Run returned, want 0", got)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 2 {
		t.Errorf("gathered %d metrics (err %v), want 2", n, err)
	}
	if _, err := NewElector(Config{Lock: store.lock("b"), Registerer: reg, Callbacks: a.elector.cfg.Callbacks}); err == nil {
		t.Error("second elector on the same registry: want a registration error")
	}
}
