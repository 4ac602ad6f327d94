package proxy

import (
	"strings"
	"testing"
)

func TestDecodeTable(t *testing.T) {
	valid := `{"apiVersion":"swarmgate.io/v1alpha1","generation":2,"epoch":1,"routes":[` +
		`{"service":"b","host":"","pathPrefix":"/b","stripPrefix":false,"backends":[{"address":"10.0.0.2:80","task":"t2"},{"address":"10.0.0.1:80","task":"t1"}]},` +
		`{"service":"a","host":"","pathPrefix":"/a","stripPrefix":true,"backends":[]}]}`
	tab, err := DecodeTable([]byte(valid))
	if err != nil {
		t.Fatalf("valid table: %v", err)
	}
	if tab.Routes[0].PathPrefix != "/a" || tab.Routes[1].Backends[0].Address != "10.0.0.1:80" {
		t.Errorf("table is not canonical: %+v", tab)
	}

	for name, tc := range map[string]struct{ body, wantErr string }{
		"empty":         {"", "invalid JSON: empty body"},
		"not json":      {"{routes", "invalid JSON: invalid character"},
		"unknown field": {`{"apiVersion":"swarmgate.io/v1alpha1","routez":[]}`, `invalid JSON: json: unknown field "routez"`},
		"trailing data": {valid + ` {}`, "invalid JSON: data after the routing table object"},
		"trailing junk": {valid + `x`, "invalid JSON: data after the routing table object"},
		"wrong type":    {`{"generation":"1"}`, "invalid JSON: json: cannot unmarshal string"},
		"null":          {`null`, `invalid routing table: apiVersion: must be "swarmgate.io/v1alpha1", got ""`},
		"bad path": {`{"apiVersion":"swarmgate.io/v1alpha1","routes":[{"service":"a","pathPrefix":"app","backends":[]}]}`,
			`invalid routing table: routes[0].pathPrefix: must start with "/"`},
		"bad backend": {`{"apiVersion":"swarmgate.io/v1alpha1","routes":[{"service":"a","pathPrefix":"/","backends":[{"address":"10.0.0.1"}]}]}`,
			"invalid routing table: routes[0].backends[0].address: must be host:port"},
	} {
		_, err := DecodeTable([]byte(tc.body))
		if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
			t.Errorf("%s: got error %v, want prefix %q", name, err, tc.wantErr)
		}
	}
}

// FuzzDecodeTable checks that the admin payload decoder never panics and
// accepts only tables that Validate.
func FuzzDecodeTable(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"swarmgate.io/v1alpha1","generation":1,"epoch":1,"routes":[{"service":"a","host":"*.example.com","pathPrefix":"/a","stripPrefix":true,"backends":[{"address":"10.0.0.1:80","task":"t"}]}]}`))
	f.Add([]byte(`{"apiVersion":"swarmgate.io/v1alpha1","routes":null}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"apiVersion":"swarmgate.io/v1alpha1"} []`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := DecodeTable(data)
		if err != nil {
			return
		}
		if err := tab.Validate(); err != nil {
			t.Fatalf("accepted a table that does not validate: %v", err)
		}
		canon := tab.DeepCopy()
		canon.Canonicalize()
		if canon.Hash() != tab.Hash() {
			t.Fatal("accepted table is not canonical")
		}
	})
}
