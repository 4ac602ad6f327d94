package proxy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStateFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "table.json")
	backend := addr(namedBackend(t, "persisted"))

	p1, _ := newTestProxy(t, Config{StateFile: state})
	mustApply(t, p1, table(7, 3, rt("svc", "", "/", backend)))
	p1.Close()

	// A restarted proxy serves the persisted table before any push, and
	// keeps fencing at its epoch.
	p2, srv := newTestProxy(t, Config{StateFile: state})
	if cur := p2.Current(); cur == nil || cur.Generation != 7 || cur.Epoch != 3 {
		t.Fatalf("after restart: %+v", cur)
	}
	if code, who, _ := get(t, srv.Client(), srv.URL+"/", ""); code != 200 || who != "persisted" {
		t.Errorf("after restart: got %d from %q", code, who)
	}
	if err := p2.Apply(table(8, 2, rt("svc", "", "/", backend))); err == nil {
		t.Error("a stale epoch was accepted after restart")
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".*tmp*")); len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestStateFileUnusable(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"garbage": "{not json", "invalid": `{"apiVersion":"v0"}`} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// The proxy starts without a table and waits for a push.
		p, _ := newTestProxy(t, Config{StateFile: path})
		if p.Current() != nil {
			t.Errorf("%s: a table was loaded", name)
		}
	}
}
