package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// DecodeTable parses a routing table as the admin API and --routes-file
// accept it: one JSON object, no unknown field, nothing after it, valid per
// Validate. The result is canonical.
func DecodeTable(data []byte) (*v1alpha1.RoutingTable, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t v1alpha1.RoutingTable
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("invalid JSON: empty body")
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the routing table object")
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("invalid routing table: %w", err)
	}
	t.Canonicalize()
	return &t, nil
}
