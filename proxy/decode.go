package proxy

import (
	"fmt"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// DecodeTable parses a routing table as the admin API and --routes-file
// accept it: one JSON object of the RoutingTable schema, no unknown field,
// nothing after it, valid per Validate (see v1alpha1.DecodeRoutingTable for
// what it refuses beyond encoding/json). The result is canonical.
func DecodeTable(data []byte) (*v1alpha1.RoutingTable, error) {
	t, err := v1alpha1.DecodeRoutingTable(data)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("invalid routing table: %w", err)
	}
	t.Canonicalize()
	return t, nil
}
