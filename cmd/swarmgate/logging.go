package main

import (
	"flag"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logFlags are the logging flags every long-running subcommand shares.
type logFlags struct {
	format string
	level  string
}

func (f *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "log-format", "json", "log format: json or console")
	fs.StringVar(&f.level, "log-level", "info", "log level: debug, info or error (debug enables V(1))")
}

// build returns a logr.Logger backed by zap, writing to stderr so that
// `docker service logs` shows it, and a flush function to call on exit.
func (f *logFlags) build() (logr.Logger, func(), error) {
	var cfg zap.Config
	switch f.format {
	case "json":
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.TimeKey = "ts"
		cfg.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	case "console":
		cfg = zap.NewDevelopmentConfig()
	default:
		return logr.Discard(), nil, usageError{fmt.Errorf("--log-format: must be json or console, got %q", f.format)}
	}
	switch f.level {
	case "debug":
		cfg.Level = zap.NewAtomicLevelAt(zapcore.DebugLevel)
	case "info":
		cfg.Level = zap.NewAtomicLevelAt(zapcore.InfoLevel)
	case "error":
		cfg.Level = zap.NewAtomicLevelAt(zapcore.ErrorLevel)
	default:
		return logr.Discard(), nil, usageError{fmt.Errorf("--log-level: must be debug, info or error, got %q", f.level)}
	}
	cfg.Sampling = nil // reconcile events are rare and each one matters
	cfg.DisableStacktrace = true
	z, err := cfg.Build()
	if err != nil {
		return logr.Discard(), nil, fmt.Errorf("build logger: %w", err)
	}
	return zapr.NewLogger(z), func() { _ = z.Sync() }, nil
}
