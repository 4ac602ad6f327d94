package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// loadState serves the table persisted in the state file, if there is one.
// A state file that cannot be used is logged and ignored: the controller's
// next push replaces it, and a proxy that refused to start would serve nothing.
func (p *Proxy) loadState() {
	data, err := os.ReadFile(p.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		var t *v1alpha1.RoutingTable
		if t, err = DecodeTable(data); err == nil {
			_, err = p.apply(t)
		}
	}
	if err != nil {
		p.log.Error(err, "ignoring state file", "stateFile", p.cfg.StateFile)
	}
}

// writeState writes t to path atomically: a crash leaves the old file or
// the new one, never a torn one.
func writeState(path string, t *v1alpha1.RoutingTable) error {
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("marshal routing table: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write state file: %w", err)
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
