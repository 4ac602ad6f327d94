package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// JitterFactor spreads acquisition attempts: candidates wait between
// RetryPeriod and RetryPeriod*(1+JitterFactor) so they do not retry in step.
const JitterFactor = 1.2

// Defaults applied to zero durations; the same as client-go's.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// Config configures an Elector.
type Config struct {
	// Lock stores the record. Required.
	Lock Lock
	// LeaseDuration is how long candidates wait after they last saw the
	// record change before taking over. Default 15s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps leading without a
	// successful renewal. Default 10s.
	RenewDeadline time.Duration
	// RetryPeriod is the interval between attempts to acquire or renew.
	// Default 2s.
	RetryPeriod time.Duration
	// Clock defaults to the system clock.
	Clock Clock
	// Callbacks; OnStartedLeading and OnStoppedLeading are required.
	Callbacks Callbacks
	// ReleaseOnCancel makes a leader whose Run context is cancelled clear
	// the holder so a successor takes over at once instead of after
	// LeaseDuration. Leadership lost to a failed renewal is not released.
	ReleaseOnCancel bool
	// Registerer, if not nil, receives the elector's metrics.
	Registerer prometheus.Registerer
}

// Callbacks are called by Run.
type Callbacks struct {
	// OnStartedLeading runs in its own goroutine when leadership is
	// acquired. ctx is cancelled when leadership ends; epoch identifies the
	// term and is the epoch to stamp on everything pushed during it, until
	// Elector.RaiseEpoch returns a higher one.
	OnStartedLeading func(ctx context.Context, epoch int64)
	// OnStoppedLeading is called once by Run after a term ended, before Run
	// returns. It is not called if leadership was never acquired.
	OnStoppedLeading func()
	// OnNewLeader, optional, is called synchronously from the elector loop
	// whenever the observed holder changes to a new non-empty identity,
	// including this candidate's own. It must return quickly.
	OnNewLeader func(identity string)
}

// withDefaults returns a copy of c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.LeaseDuration == 0 {
		c.LeaseDuration = DefaultLeaseDuration
	}
	if c.RenewDeadline == 0 {
		c.RenewDeadline = DefaultRenewDeadline
	}
	if c.RetryPeriod == 0 {
		c.RetryPeriod = DefaultRetryPeriod
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	return c
}

// validate checks the ordering client-go requires: the leader must give up
// (RenewDeadline) before candidates take over (LeaseDuration), and must get
// at least one jittered retry before giving up.
func (c Config) validate() error {
	var errs []error
	if c.Lock == nil {
		errs = append(errs, errors.New("Lock is required"))
	}
	if c.Callbacks.OnStartedLeading == nil {
		errs = append(errs, errors.New("Callbacks.OnStartedLeading is required"))
	}
	if c.Callbacks.OnStoppedLeading == nil {
		errs = append(errs, errors.New("Callbacks.OnStoppedLeading is required"))
	}
	if c.RetryPeriod < 0 {
		errs = append(errs, fmt.Errorf("RetryPeriod %v must be positive", c.RetryPeriod))
	}
	if c.LeaseDuration%time.Second != 0 {
		errs = append(errs, fmt.Errorf("LeaseDuration %v must be whole seconds: the record stores seconds", c.LeaseDuration))
	}
	if c.LeaseDuration <= c.RenewDeadline {
		errs = append(errs, fmt.Errorf("LeaseDuration %v must be greater than RenewDeadline %v", c.LeaseDuration, c.RenewDeadline))
	}
	if minDeadline := time.Duration(JitterFactor * float64(c.RetryPeriod)); c.RenewDeadline <= minDeadline {
		errs = append(errs, fmt.Errorf("RenewDeadline %v must be greater than RetryPeriod*JitterFactor %v", c.RenewDeadline, minDeadline))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid leader election config: %w", err)
	}
	return nil
}
