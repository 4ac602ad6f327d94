package v1alpha1

import "fmt"

// Severity says whether a Problem cost a route (Error) or is only a hint (Warning).
type Severity string

const (
	// SeverityError: the route the label belongs to is skipped.
	SeverityError Severity = "error"
	// SeverityWarning: nothing is skipped, but the label is probably a mistake.
	SeverityWarning Severity = "warning"
)

// Problem is one thing wrong with one service's labels, precise enough that
// the user can fix it from the log line alone.
type Problem struct {
	Service  string   `json:"service"`
	Label    string   `json:"label"`
	Value    string   `json:"value,omitempty"`
	Reason   string   `json:"reason"`
	Severity Severity `json:"severity"`
}

func (p Problem) String() string {
	return fmt.Sprintf("service %q label %s=%q: %s", p.Service, p.Label, p.Value, p.Reason)
}
