// Package logtest captures logr output in tests, so that a test can assert
// on what an operator would read in `docker service logs`.
package logtest

import (
	"slices"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// Sink collects the lines of the loggers it hands out, debug lines included.
// It is safe for concurrent use.
type Sink struct {
	mu    sync.Mutex
	lines []string
}

// Logger returns a logger that writes funcr-formatted lines
// (`"msg"="..." "key"=value ...`) into s, including V(1).
func (s *Sink) Logger() logr.Logger {
	return funcr.New(func(_, args string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lines = append(s.lines, args)
	}, funcr.Options{Verbosity: 1})
}

// Count returns how many lines contain every one of parts.
func (s *Sink) Count(parts ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
lines:
	for _, l := range s.lines {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue lines
			}
		}
		n++
	}
	return n
}

// Lines returns a copy of the lines collected so far.
func (s *Sink) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines)
}

// String returns every line, one per line, for failure messages.
func (s *Sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}
