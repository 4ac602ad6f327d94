package proxy

import "testing"

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
		"empty":         {"", "invalid JSON at offset 0: empty input"},
		"not json":      {"{routes", "invalid JSON at offset 1: expected a field name in the routing table object"},
		"unknown field": {`{"apiVersion":"swarmgate.io/v1alpha1","routez":[]}`, `invalid JSON at offset 38: unknown field "routez"`},
		"trailing data": {valid + ` {}`, "invalid JSON at offset 305: data after the routing table object"},
		"trailing junk": {valid + `x`, "invalid JSON at offset 304: data after the routing table object"},
		"wrong type":    {`{"generation":"1"}`, "invalid JSON at offset 14: generation: expected an integer, got a string"},
		"null":          {`null`, "invalid JSON at offset 0: null instead of the routing table object"},
		"no apiVersion": {`{}`, `invalid routing table: apiVersion: must be "swarmgate.io/v1alpha1", got ""`},
		"bad path": {`{"apiVersion":"swarmgate.io/v1alpha1","routes":[{"service":"a","pathPrefix":"app","backends":[]}]}`,
			`invalid routing table: routes[0].pathPrefix: must start with "/"`},
		"bad backend": {`{"apiVersion":"swarmgate.io/v1alpha1","routes":[{"service":"a","pathPrefix":"/","backends":[{"address":"10.0.0.1"}]}]}`,
			"invalid routing table: routes[0].backends[0].address: must be host:port: address 10.0.0.1: missing port in address"},
	} {
		_, err := DecodeTable([]byte(tc.body))
		if err == nil || err.Error() != tc.wantErr {
			t.Errorf("%s: got error %v, want %q", name, err, tc.wantErr)
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
