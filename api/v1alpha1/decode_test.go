package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// decodeStd is the reference DecodeRoutingTable is compared with:
// encoding/json as proxy.DecodeTable used it.
func decodeStd(data []byte) (*RoutingTable, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t RoutingTable
	if err := dec.Decode(&t); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the value")
	}
	return &t, nil
}

func TestDecodeRoutingTableAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     RoutingTable
	}{
		{
			name: "full",
			in: ` {"apiVersion":"swarmgate.io/v1alpha1","generation":4,"epoch":2,"routes":[` +
				`{"service":"web","host":"a.example.com","pathPrefix":"/app","stripPrefix":true,"backends":[{"address":"10.0.1.5:80","task":"t1"},{"address":"10.0.1.6:80","task":"t2"}]},` +
				`{"service":"api","host":"","pathPrefix":"/","stripPrefix":false,"backends":[]}]}` + "\r\n\t ",
			want: RoutingTable{APIVersion: APIVersion, Generation: 4, Epoch: 2, Routes: []Route{
				{Service: "web", Host: "a.example.com", PathPrefix: "/app", StripPrefix: true, Backends: []Backend{{"10.0.1.5:80", "t1"}, {"10.0.1.6:80", "t2"}}},
				{Service: "api", PathPrefix: "/", Backends: []Backend{}},
			}},
		},
		{name: "empty object", in: `{}`, want: RoutingTable{}},
		{name: "whitespace everywhere", in: "{ \"routes\" :\n[ { \"backends\" : [ { } ] , \"host\" : \"h\" } ] , \"epoch\" : 1 }",
			want: RoutingTable{Epoch: 1, Routes: []Route{{Host: "h", Backends: []Backend{{}}}}}},
		{name: "null routes", in: `{"routes":null}`, want: RoutingTable{}},
		{name: "empty routes", in: `{"routes":[]}`, want: RoutingTable{Routes: []Route{}}},
		{name: "null and absent backends", in: `{"routes":[{"backends":null},{}]}`, want: RoutingTable{Routes: []Route{{}, {}}}},
		{name: "only empty backends", in: `{"routes":[{"backends":[]}]}`, want: RoutingTable{Routes: []Route{{Backends: []Backend{}}}}},
		{name: "int64 limits", in: `{"generation":9223372036854775807,"epoch":-9223372036854775808}`,
			want: RoutingTable{Generation: 1<<63 - 1, Epoch: -1 << 63}},
		{name: "negative zero", in: `{"generation":-0}`, want: RoutingTable{}},
		{name: "escapes", in: `{"apiVersion":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00"}`,
			want: RoutingTable{APIVersion: "\"\\/\b\f\n\r\tAé😀"}},
		{name: "lone surrogate", in: `{"apiVersion":"\ud800x"}`, want: RoutingTable{APIVersion: "\ufffdx"}},
		{name: "valid UTF-8", in: `{"apiVersion":"héllo ☃ \ufffd"}`, want: RoutingTable{APIVersion: "héllo ☃ \ufffd"}},
		{name: "invalid UTF-8", in: "{\"apiVersion\":\"a\xffb\xed\xa0\x80\"}", want: RoutingTable{APIVersion: "a\ufffdb\ufffd\ufffd\ufffd"}},
		{name: "escaped field name", in: `{"\u0061piVersion":"v"}`, want: RoutingTable{APIVersion: "v"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeRoutingTable([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodeRoutingTable: %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", *got, tc.want)
			}
			std, err := decodeStd([]byte(tc.in))
			if err != nil {
				t.Fatalf("encoding/json rejects it: %v", err)
			}
			if !reflect.DeepEqual(got, std) {
				t.Errorf("encoding/json decodes %#v", *std)
			}
		})
	}
}

func TestDecodeRoutingTableRejects(t *testing.T) {
	const strict, plain = true, false
	for _, tc := range []struct {
		name, in string
		strict   bool
		want     string
	}{
		// Malformed JSON.
		{"empty", "", plain, "invalid JSON at offset 0: empty input"},
		{"blank", " \n", plain, "invalid JSON at offset 2: empty input"},
		{"not an object", `[]`, plain, "invalid JSON at offset 0: the routing table: expected an object, got an array"},
		{"bad literal", `nul`, plain, "invalid JSON at offset 0: the routing table: expected an object, got invalid character 'n'"},
		{"truncated", `{"epoch":1`, plain, "invalid JSON at offset 10: unexpected end of input in the routing table object"},
		{"truncated after colon", `{"epoch": `, plain, "invalid JSON at offset 10: unexpected end of input, expected the value of epoch"},
		{"truncated string", `{"apiVersion":"abc`, plain, "invalid JSON at offset 18: unexpected end of input in a string"},
		{"truncated escape", `{"apiVersion":"ab\`, plain, "invalid JSON at offset 18: unexpected end of input in a string"},
		{"missing comma", `{"epoch":1 "generation":2}`, plain, "invalid JSON at offset 11: expected ',' or '}' in the routing table object"},
		{"missing comma in route", `{"routes":[{"host":"a" "service":"b"}]}`, plain, "invalid JSON at offset 23: expected ',' or '}' in routes[0]"},
		{"missing comma in routes", `{"routes":[{} {}]}`, plain, "invalid JSON at offset 14: expected ',' or ']' in routes"},
		{"missing comma in backends", `{"routes":[{},{"backends":[{} {}]}]}`, plain, "invalid JSON at offset 30: expected ',' or ']' in routes[1].backends"},
		{"trailing comma", `{"epoch":1,}`, plain, "invalid JSON at offset 11: expected a field name in the routing table object"},
		{"trailing comma in array", `{"routes":[{},]}`, plain, "invalid JSON at offset 14: routes[1]: expected an object, got invalid character ']'"},
		{"missing colon", `{"epoch" 1}`, plain, `invalid JSON at offset 9: expected ':' after field name "epoch" in the routing table object`},
		{"unquoted name", `{epoch:1}`, plain, "invalid JSON at offset 1: expected a field name in the routing table object"},
		{"control character", "{\"apiVersion\":\"a\tb\"}", plain, "invalid JSON at offset 16: control character 0x09 in a string"},
		{"bad escape", `{"apiVersion":"a\xb"}`, plain, `invalid JSON at offset 14: invalid string: invalid character 'x' in string escape code`},
		{"bad unicode escape", `{"apiVersion":"\u12g4"}`, plain, `invalid JSON at offset 14: invalid string: invalid character 'g' in \u hexadecimal character escape`},
		{"data after", `{} {}`, plain, "invalid JSON at offset 3: data after the routing table object"},
		{"bad literal in value", `{"routes":[{"stripPrefix":tru}]}`, plain, "invalid JSON at offset 26: routes[0].stripPrefix: expected a boolean, got invalid character 't'"},
		{"literal run on", `{"routes":[{"stripPrefix":truex}]}`, plain, "invalid JSON at offset 30: expected ',' or '}' in routes[0]"},
		{"leading zero", `{"epoch":01}`, plain, "invalid JSON at offset 10: expected ',' or '}' in the routing table object"},
		{"plus sign", `{"epoch":+1}`, plain, "invalid JSON at offset 9: epoch: expected an integer, got invalid character '+'"},
		{"lone minus", `{"epoch":-}`, plain, "invalid JSON at offset 10: invalid number: expected a digit"},
		{"bare fraction", `{"epoch":1.}`, plain, "invalid JSON at offset 11: invalid number: expected a digit after '.'"},
		{"bare exponent", `{"epoch":1e+}`, plain, "invalid JSON at offset 12: invalid number: expected a digit in the exponent"},
		// Well-formed JSON that is not a routing table; encoding/json rejects it too.
		{"unknown field", `{"apiVersion":"x","routez":[]}`, plain, `invalid JSON at offset 18: unknown field "routez"`},
		{"unknown backend field", `{"routes":[{},{},{},{"backends":[{"adress":"x"}]}]}`, plain, `invalid JSON at offset 34: routes[3].backends[0]: unknown field "adress"`},
		{"string for integer", `{"generation":"1"}`, plain, "invalid JSON at offset 14: generation: expected an integer, got a string"},
		{"number for string", `{"routes":[{"host":1}]}`, plain, "invalid JSON at offset 19: routes[0].host: expected a string, got a number"},
		{"string for boolean", `{"routes":[{"stripPrefix":"true"}]}`, plain, "invalid JSON at offset 26: routes[0].stripPrefix: expected a boolean, got a string"},
		{"object for routes", `{"routes":{}}`, plain, "invalid JSON at offset 10: routes: expected an array, got an object"},
		{"string route", `{"routes":["a"]}`, plain, "invalid JSON at offset 11: routes[0]: expected an object, got a string"},
		{"array backend", `{"routes":[{"backends":[[]]}]}`, plain, "invalid JSON at offset 24: routes[0].backends[0]: expected an object, got an array"},
		{"fraction", `{"epoch":1.5}`, plain, "invalid JSON at offset 9: epoch: must be an integer, got 1.5"},
		{"integral fraction", `{"epoch":1.0}`, plain, "invalid JSON at offset 9: epoch: must be an integer, got 1.0"},
		{"exponent", `{"generation":1e3}`, plain, "invalid JSON at offset 14: generation: must be an integer, got 1e3"},
		{"overflow", `{"generation":9223372036854775808}`, plain, "invalid JSON at offset 14: generation: 9223372036854775808 overflows int64"},
		{"negative overflow", `{"epoch":-9223372036854775809}`, plain, "invalid JSON at offset 9: epoch: -9223372036854775809 overflows int64"},
		// Accepted by encoding/json, refused on purpose.
		{"null document", ` null`, strict, "invalid JSON at offset 1: null instead of the routing table object"},
		{"null string", `{"apiVersion":null}`, strict, "invalid JSON at offset 14: apiVersion: null instead of a string"},
		{"null integer", `{"epoch":null}`, strict, "invalid JSON at offset 9: epoch: null instead of an integer"},
		{"null boolean", `{"routes":[{"stripPrefix":null}]}`, strict, "invalid JSON at offset 26: routes[0].stripPrefix: null instead of a boolean"},
		{"null route", `{"routes":[{},null]}`, strict, "invalid JSON at offset 14: routes[1]: null instead of an object"},
		{"null backend", `{"routes":[{"backends":[null]}]}`, strict, "invalid JSON at offset 24: routes[0].backends[0]: null instead of an object"},
		{"duplicate field", `{"epoch":1,"epoch":2}`, strict, "invalid JSON at offset 11: epoch: duplicate field"},
		{"duplicate escaped field", `{"routes":[{"service":"a"},{"host":"a","\u0068ost":"b"}]}`, strict, "invalid JSON at offset 39: routes[1].host: duplicate field"},
		{"duplicate routes", `{"routes":[],"routes":null}`, strict, "invalid JSON at offset 13: routes: duplicate field"},
		{"case variant", `{"APIVersion":"x"}`, strict, `invalid JSON at offset 1: APIVersion: field "APIVersion" must be spelled "apiVersion"`},
		{"case variant in backend", `{"routes":[{"backends":[{"Address":"x"}]}]}`, strict, `invalid JSON at offset 25: routes[0].backends[0].Address: field "Address" must be spelled "address"`},
		{"long s", `{"routes":[{"ſervice":"x"}]}`, strict, `invalid JSON at offset 12: routes[0].ſervice: field "ſervice" must be spelled "service"`},
		{"kelvin sign", `{"routes":[{"backends":[{"tas\u212a":"x"}]}]}`, strict, "invalid JSON at offset 25: routes[0].backends[0].tas\u212a: field \"tas\u212a\" must be spelled \"task\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeRoutingTable([]byte(tc.in))
			if err == nil {
				t.Fatalf("accepted as %#v", *got)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			var se *StrictError
			if errors.As(err, &se) != tc.strict {
				t.Errorf("error is %T, want a StrictError: %t", err, tc.strict)
			}
			if _, stdErr := decodeStd([]byte(tc.in)); (stdErr == nil) != tc.strict {
				t.Errorf("encoding/json error %v; the test case says it accepts: %t", stdErr, tc.strict)
			}
		})
	}
}

// TestDecodeRoutingTableRoundTrip decodes what json.Marshal writes for
// random tables, strings with quotes, control characters, HTML characters
// (escaped by Marshal), non-ASCII, invalid UTF-8 (which Marshal replaces)
// and brackets included.
func TestDecodeRoutingTableRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for i := range 200 {
		tricky := i%2 == 0
		want := randomTable(rng, rng.IntN(20), tricky)
		data, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRoutingTable(data)
		if err != nil {
			t.Fatalf("table %d: %v\n%s", i, err, data)
		}
		// Marshal replaces invalid UTF-8: encoding/json says what it became.
		std, err := decodeStd(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, std) {
			t.Fatalf("table %d decodes differently from encoding/json:\n got %#v\nwant %#v", i, *got, *std)
		}
		if !tricky && !reflect.DeepEqual(got, want) {
			t.Fatalf("table %d changed in the round trip:\n got %#v\nwant %#v", i, *got, *want)
		}
	}
}

// randomTable makes a table with routes routes of up to 4 backends; tricky
// adds strings that need escapes or are not valid UTF-8.
func randomTable(rng *rand.Rand, routes int, tricky bool) *RoutingTable {
	pieces := []string{"a", "web", "/", ".", ":", "10.0.0.1:80", "-"}
	if tricky {
		// Brackets in strings also throw off DecodeRoutingTable's size guesses.
		pieces = append(pieces, `"`, `\`, "\n", "\x00", "\x1f", "<>&", "\u2028", "é", "😀", "\ufffd", "\xff", "\xed\xa0\x80", "[[[", "{", "]}")
	}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(5) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	t := &RoutingTable{APIVersion: str(), Generation: rng.Int64() - rng.Int64(), Epoch: rng.Int64N(100)}
	if routes > 0 || rng.IntN(2) == 0 {
		t.Routes = make([]Route, routes)
	}
	for i := range t.Routes {
		r := &t.Routes[i]
		*r = Route{Service: str(), Host: str(), PathPrefix: str(), StripPrefix: rng.IntN(2) == 0}
		if n := rng.IntN(5); n > 0 || rng.IntN(2) == 0 {
			r.Backends = make([]Backend, n)
		}
		for j := range r.Backends {
			r.Backends[j] = Backend{Address: str(), Task: str()}
		}
	}
	return t
}

// FuzzDecodeRoutingTable compares DecodeRoutingTable with encoding/json:
// what it accepts, encoding/json accepts as the same table; what
// encoding/json accepts and it refuses, it refuses with a StrictError.
func FuzzDecodeRoutingTable(f *testing.F) {
	seeds := []string{
		`{"apiVersion":"swarmgate.io/v1alpha1","generation":4,"epoch":2,"routes":[{"service":"web","host":"a.example.com","pathPrefix":"/app","stripPrefix":true,"backends":[{"address":"10.0.1.5:80","task":"t1"},{"address":"10.0.1.6:80","task":"t2"}]},{"service":"api","host":"","pathPrefix":"/","stripPrefix":false,"backends":[]}]}`,
		`{"routes":null}`, `{"routes":[{"backends":null},{}]}`, `null`, `{} {}`, `{"epoch":-0}`,
		`{"generation":9223372036854775807,"epoch":-9223372036854775808}`, `{"generation":1e3}`, `{"epoch":1.0}`,
		`{"apiVersion":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00\ud800\udc00x\ud800"}`,
		"{\"apiVersion\":\"a\xffb\xed\xa0\x80\xc0\xaf\"}",
		`{"\u0061piVersion":"v","APIVERSION":"w"}`, `{"routes":[{"ſervice":"x","backends":[{"tas\u212a":"y"}]}]}`,
		`{"epoch":1,"epoch":null}`, `{"routes":[null,{"stripPrefix":null}]}`,
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for i := range 3 {
		b, err := json.Marshal(randomTable(rng, 3, i > 0))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeRoutingTable(data)
		std, stdErr := decodeStd(data)
		switch {
		case err == nil && stdErr != nil:
			t.Fatalf("accepted what encoding/json rejects (%v): %#v", stdErr, *got)
		case err == nil && !reflect.DeepEqual(got, std):
			t.Fatalf("decoded differently from encoding/json:\n got %#v\nwant %#v", *got, *std)
		case err != nil && stdErr == nil && !errors.As(err, new(*StrictError)):
			t.Fatalf("refused what encoding/json accepts, without a StrictError: %v", err)
		case err != nil:
			checkDecodeError(t, err, len(data))
		}
	})
}

func checkDecodeError(t *testing.T, err error, size int) {
	t.Helper()
	var off int
	var de *DecodeError
	var se *StrictError
	switch {
	case errors.As(err, &de):
		off = de.Offset
	case errors.As(err, &se):
		off = se.Offset
	default:
		t.Fatalf("error of type %T: %v", err, err)
	}
	if off < 0 || off > size || !strings.HasPrefix(err.Error(), fmt.Sprintf("invalid JSON at offset %d: ", off)) {
		t.Fatalf("error %q: offset %d out of the input's %d bytes or not in the message", err, off, size)
	}
}

// benchTableJSON is a table as the controller pushes it: routes routes of
// 3 backends each.
func benchTableJSON(b *testing.B, routes int) []byte {
	t := RoutingTable{APIVersion: APIVersion, Generation: 12, Epoch: 3}
	for i := range routes {
		r := Route{Service: fmt.Sprintf("app%04d", i), Host: fmt.Sprintf("app%d.example.com", i), PathPrefix: fmt.Sprintf("/app%d", i)}
		for j := range 3 {
			r.Backends = append(r.Backends, Backend{
				Address: fmt.Sprintf("10.%d.%d.%d:8080", 1+i/250, i%250, 2+j), Task: fmt.Sprintf("x%024d", i*3+j)})
		}
		t.Routes = append(t.Routes, r)
	}
	t.Canonicalize()
	data, err := json.Marshal(t)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkDecodeRoutingTable(b *testing.B) {
	data := benchTableJSON(b, 2000)
	for _, impl := range []struct {
		name   string
		decode func([]byte) (*RoutingTable, error)
	}{
		{"fast", DecodeRoutingTable},
		{"encoding-json", decodeStd},
	} {
		b.Run(fmt.Sprintf("routes=2000/impl=%s", impl.name), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := impl.decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
