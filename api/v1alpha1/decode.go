package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DecodeRoutingTable parses one JSON object of the RoutingTable schema,
// surrounded by optional whitespace and followed by nothing. A proxy decodes
// every pushed table, thousands of routes each, so this is a hand-written
// parser for the fixed schema instead of encoding/json's reflection: one copy
// of the input serves as the backing store of every string without escapes,
// and all backends of the table share one array.
//
// Where it accepts, the result equals what encoding/json (a Decoder with
// DisallowUnknownFields, nothing after the value) produces, including null
// routes or backends (a nil slice) and strings with escapes or invalid UTF-8.
// It is stricter on purpose, answering a *StrictError where encoding/json
// would accept:
//   - field names must match exactly; encoding/json also takes case variants
//     ("Host", "HOST", and Unicode case folds such as "ſervice"),
//   - a field may appear only once; encoding/json keeps the last one,
//   - null is allowed only for routes and backends; encoding/json ignores
//     null for the other fields, for a route or backend element and for the
//     whole document.
//
// Every other rejection is a *DecodeError, which encoding/json rejects too:
// malformed JSON, a value of the wrong type, an unknown field, an integer
// that overflows int64, or generation and epoch written with a fraction or
// an exponent (1.0, 1e3).
//
// The decoded strings share one copy of data, so the table keeps len(data)
// bytes alive for as long as any of its strings lives.
func DecodeRoutingTable(data []byte) (*RoutingTable, error) {
	d := decoder{data: data, src: string(data)}
	d.skipSpace()
	if d.pos == len(data) {
		return nil, decodeErr(d.pos, "empty input")
	}
	switch {
	case data[d.pos] == '{':
		d.pos++
	case d.literal("null"):
		return nil, strictErr(d.pos-len("null"), "null instead of the routing table object")
	default:
		return nil, d.typeErr(d.pos, "the routing table", "object")
	}
	d.sizeHints()
	t, err := d.table()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(data) {
		return nil, decodeErr(d.pos, "data after the routing table object")
	}
	return t, nil
}

// DecodeError reports input that is not a routing table document: malformed
// JSON, a value of the wrong type, an unknown field. encoding/json rejects it
// as well.
type DecodeError struct {
	Offset int // of the byte where the problem is
	Msg    string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// StrictError reports a construct that encoding/json accepts but
// DecodeRoutingTable refuses by design: a field name in another case, a
// repeated field, or null where the schema has a string, number, boolean or
// object.
type StrictError struct {
	Offset int // of the field name or the null
	Msg    string
}

func (e *StrictError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// The fields of each object, for the case-variant check of unknown names.
var (
	tableFields   = []string{"apiVersion", "generation", "epoch", "routes"}
	routeFields   = []string{"service", "host", "pathPrefix", "stripPrefix", "backends"}
	backendFields = []string{"address", "task"}
)

type decoder struct {
	data []byte
	src  string // string(data): strings without escapes are slices of it
	pos  int

	// backends holds the backends of all routes in input order; spans
	// says which of them belong to which route.
	backends []Backend
	spans    []span

	// routesHint is a guess at the number of routes, from sizeHints.
	routesHint int
}

// minBackendBytes is the smallest a backend can be written with both
// fields: the backends guess never exceeds what the input could hold.
const minBackendBytes = len(`{"address":"","task":""},`)

// sizeHints guesses the number of routes and of backends from the
// brackets in the input, to allocate the routes and the backends arrays
// once: in a table as the controller writes it there is one '[' per route
// plus one, and one '{' per route and per backend plus one. A bracket in a
// string makes the guess too large, a route without backends too small:
// either only costs memory or an append. The caps keep a hostile input from
// reserving more than a few times its size.
func (d *decoder) sizeHints() {
	objects := bytes.Count(d.data, []byte("{")) - 1
	arrays := bytes.Count(d.data, []byte("[")) - 1
	d.routesHint = max(0, min(arrays, objects, MaxRoutes))
	backends := max(0, min(objects-d.routesHint, len(d.data)/minBackendBytes))
	d.backends = make([]Backend, 0, backends) // never nil: a route's [] stays non-nil
	d.spans = make([]span, 0, d.routesHint)
}

// span locates a route's backends in decoder.backends; set is false when
// the route has no backends array (absent or null: a nil slice).
type span struct {
	start, end int
	set        bool
}

// loc is the object being decoded, for error messages: route and backend
// are indices, -1 above that level.
type loc struct{ route, backend int }

var top = loc{route: -1, backend: -1}

// path is the JSON path of the object ("" for the table itself).
func (l loc) path() string {
	switch {
	case l.backend >= 0:
		return fmt.Sprintf("routes[%d].backends[%d]", l.route, l.backend)
	case l.route >= 0:
		return fmt.Sprintf("routes[%d]", l.route)
	}
	return ""
}

// field is the JSON path of one of the object's fields.
func (l loc) field(name string) string {
	if p := l.path(); p != "" {
		return p + "." + name
	}
	return name
}

// in names the object for a syntax error inside it.
func (l loc) in() string {
	if p := l.path(); p != "" {
		return "in " + p
	}
	return "in the routing table object"
}

func (d *decoder) table() (*RoutingTable, error) {
	t := &RoutingTable{}
	var seen uint8
	for first := true; ; first = false {
		name, off, ok, err := d.member(top, first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch name {
		case "apiVersion":
			err = d.once(&seen, 1<<0, top, name, off)
			if err == nil {
				t.APIVersion, err = d.stringValue(top, name)
			}
		case "generation":
			err = d.once(&seen, 1<<1, top, name, off)
			if err == nil {
				t.Generation, err = d.intValue(top, name)
			}
		case "epoch":
			err = d.once(&seen, 1<<2, top, name, off)
			if err == nil {
				t.Epoch, err = d.intValue(top, name)
			}
		case "routes":
			err = d.once(&seen, 1<<3, top, name, off)
			if err == nil {
				t.Routes, err = d.routes()
			}
		default:
			err = d.unknown(top, name, off, tableFields)
		}
		if err != nil {
			return nil, err
		}
	}
	d.attachBackends(t.Routes)
	return t, nil
}

// routes decodes the routes array (or null), d.pos at its first byte.
func (d *decoder) routes() ([]Route, error) {
	if d.literal("null") {
		return nil, nil
	}
	if err := d.expectValue('[', top, "routes", "array"); err != nil {
		return nil, err
	}
	routes := make([]Route, 0, d.routesHint)
	for i := 0; ; i++ {
		more, err := d.element(i, top, "routes")
		if err != nil {
			return nil, err
		}
		if !more {
			return routes, nil
		}
		l := loc{route: i, backend: -1}
		if err := d.expectValue('{', l, "", "object"); err != nil {
			return nil, err
		}
		routes = append(routes, Route{})
		d.spans = append(d.spans, span{})
		if err := d.route(l, &routes[i], &d.spans[i]); err != nil {
			return nil, err
		}
	}
}

// route decodes the members of a route object, d.pos after its '{'.
func (d *decoder) route(l loc, r *Route, sp *span) error {
	var seen uint8
	for first := true; ; first = false {
		name, off, ok, err := d.member(l, first)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch name {
		case "service":
			err = d.once(&seen, 1<<0, l, name, off)
			if err == nil {
				r.Service, err = d.stringValue(l, name)
			}
		case "host":
			err = d.once(&seen, 1<<1, l, name, off)
			if err == nil {
				r.Host, err = d.stringValue(l, name)
			}
		case "pathPrefix":
			err = d.once(&seen, 1<<2, l, name, off)
			if err == nil {
				r.PathPrefix, err = d.stringValue(l, name)
			}
		case "stripPrefix":
			err = d.once(&seen, 1<<3, l, name, off)
			if err == nil {
				r.StripPrefix, err = d.boolValue(l, name)
			}
		case "backends":
			err = d.once(&seen, 1<<4, l, name, off)
			if err == nil {
				err = d.backendList(l, sp)
			}
		default:
			err = d.unknown(l, name, off, routeFields)
		}
		if err != nil {
			return err
		}
	}
}

// backendList decodes a route's backends array (or null) into d.backends,
// d.pos at its first byte.
func (d *decoder) backendList(l loc, sp *span) error {
	if d.literal("null") {
		return nil
	}
	if err := d.expectValue('[', l, "backends", "array"); err != nil {
		return err
	}
	sp.start, sp.set = len(d.backends), true
	for j := 0; ; j++ {
		more, err := d.element(j, l, "backends")
		if err != nil {
			return err
		}
		if !more {
			sp.end = len(d.backends)
			return nil
		}
		bl := loc{route: l.route, backend: j}
		if err := d.expectValue('{', bl, "", "object"); err != nil {
			return err
		}
		d.backends = append(d.backends, Backend{})
		if err := d.backend(bl, &d.backends[len(d.backends)-1]); err != nil {
			return err
		}
	}
}

// backend decodes the members of a backend object, d.pos after its '{'.
func (d *decoder) backend(l loc, b *Backend) error {
	var seen uint8
	for first := true; ; first = false {
		name, off, ok, err := d.member(l, first)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch name {
		case "address":
			err = d.once(&seen, 1<<0, l, name, off)
			if err == nil {
				b.Address, err = d.stringValue(l, name)
			}
		case "task":
			err = d.once(&seen, 1<<1, l, name, off)
			if err == nil {
				b.Task, err = d.stringValue(l, name)
			}
		default:
			err = d.unknown(l, name, off, backendFields)
		}
		if err != nil {
			return err
		}
	}
}

// attachBackends points each route at its part of the shared backends
// array, capped so that an append to one route cannot overwrite the next.
// It runs last because d.backends moves while it grows.
func (d *decoder) attachBackends(routes []Route) {
	for i, sp := range d.spans {
		if sp.set {
			routes[i].Backends = d.backends[sp.start:sp.end:sp.end]
		}
	}
}

// member moves to the next member of an object and past the ':' after its
// name, returning the name and its offset; ok is false at the closing '}'.
// first tells whether a member has been read yet.
func (d *decoder) member(l loc, first bool) (name string, off int, ok bool, err error) {
	d.skipSpace()
	if d.pos == len(d.data) {
		return "", 0, false, decodeErr(d.pos, "unexpected end of input "+l.in())
	}
	switch c := d.data[d.pos]; {
	case c == '}':
		d.pos++
		return "", 0, false, nil
	case first:
	case c == ',':
		d.pos++
		d.skipSpace()
	default:
		return "", 0, false, decodeErr(d.pos, "expected ',' or '}' "+l.in())
	}
	if d.pos == len(d.data) || d.data[d.pos] != '"' {
		return "", 0, false, decodeErr(d.pos, "expected a field name "+l.in())
	}
	off = d.pos
	if name, err = d.str(); err != nil {
		return "", 0, false, err
	}
	d.skipSpace()
	if d.pos == len(d.data) || d.data[d.pos] != ':' {
		return "", 0, false, decodeErr(d.pos, fmt.Sprintf("expected ':' after field name %q %s", name, l.in()))
	}
	d.pos++
	d.skipSpace()
	if d.pos == len(d.data) {
		return "", 0, false, decodeErr(d.pos, "unexpected end of input, expected the value of "+l.field(name))
	}
	return name, off, true, nil
}

// element moves to the next element of the array in field name of l, d.pos
// after its '[' when i is 0; more is false at the closing ']'. On return
// with more, d.pos is at the element's first byte.
func (d *decoder) element(i int, l loc, name string) (more bool, err error) {
	d.skipSpace()
	if d.pos == len(d.data) {
		return false, decodeErr(d.pos, "unexpected end of input in "+l.field(name))
	}
	switch c := d.data[d.pos]; {
	case c == ']':
		d.pos++
		return false, nil
	case i == 0:
	case c == ',':
		d.pos++
		d.skipSpace()
		if d.pos == len(d.data) {
			return false, decodeErr(d.pos, "unexpected end of input in "+l.field(name))
		}
	default:
		return false, decodeErr(d.pos, "expected ',' or ']' in "+l.field(name))
	}
	return true, nil
}

// once records that the field at bit was seen, refusing a second time.
func (d *decoder) once(seen *uint8, bit uint8, l loc, name string, off int) error {
	if *seen&bit != 0 {
		return strictErr(off, fmt.Sprintf("%s: duplicate field", l.field(name)))
	}
	*seen |= bit
	return nil
}

// unknown refuses a field name that is not in fields: as a StrictError when
// encoding/json would take it for one of them (it matches names with
// bytes.EqualFold when no name matches exactly).
func (d *decoder) unknown(l loc, name string, off int, fields []string) error {
	for _, f := range fields {
		if strings.EqualFold(name, f) {
			return strictErr(off, fmt.Sprintf("%s: field %q must be spelled %q", l.field(name), name, f))
		}
	}
	msg := fmt.Sprintf("unknown field %q", name)
	if p := l.path(); p != "" {
		msg = p + ": " + msg
	}
	return decodeErr(off, msg)
}

// stringValue decodes a string, d.pos at its first byte.
func (d *decoder) stringValue(l loc, name string) (string, error) {
	if d.data[d.pos] != '"' {
		return "", d.wrongValue(l, name, "string")
	}
	return d.str()
}

// str decodes the string literal at d.pos. A string without escapes and
// with valid UTF-8 is a slice of d.src; any other goes through
// encoding/json, so that escapes and invalid UTF-8 come out exactly as
// encoding/json decodes them.
func (d *decoder) str() (string, error) {
	start := d.pos
	i := start + 1
	for i < len(d.data) && plainString[d.data[i]] {
		i++
	}
	if i < len(d.data) && d.data[i] == '"' {
		d.pos = i + 1
		return d.src[start+1 : i], nil
	}
	return d.slowStr(start)
}

// plainString tells the bytes that str copies as they are: printable ASCII
// other than '"' and '\\'.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (d *decoder) slowStr(start int) (string, error) {
	escaped := false
	end := -1
	for i := start + 1; i < len(d.data) && end < 0; i++ {
		switch c := d.data[i]; {
		case c == '"':
			end = i + 1
		case c == '\\':
			escaped = true
			i++ // the escaped byte cannot end the string
		case c < 0x20:
			return "", decodeErr(i, fmt.Sprintf("control character %#02x in a string", c))
		}
	}
	if end < 0 {
		return "", decodeErr(len(d.data), "unexpected end of input in a string")
	}
	d.pos = end
	if !escaped && utf8.Valid(d.data[start+1:end-1]) {
		return d.src[start+1 : end-1], nil
	}
	var s string
	if err := json.Unmarshal(d.data[start:end], &s); err != nil {
		return "", decodeErr(start, fmt.Sprintf("invalid string: %v", err))
	}
	return s, nil
}

// boolValue decodes true or false, d.pos at its first byte.
func (d *decoder) boolValue(l loc, name string) (bool, error) {
	switch {
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	}
	return false, d.wrongValue(l, name, "boolean")
}

// intValue decodes an integer in int64 range, d.pos at its first byte. It
// accepts what strconv.ParseInt does among JSON numbers, as encoding/json
// does: no fraction, no exponent, "-0" is 0.
func (d *decoder) intValue(l loc, name string) (int64, error) {
	start := d.pos
	if c := d.data[start]; c != '-' && (c < '0' || c > '9') {
		return 0, d.wrongValue(l, name, "integer")
	}
	end, integer, err := d.number()
	if err != nil {
		return 0, err
	}
	lit := d.data[start:end]
	if !integer {
		return 0, decodeErr(start, fmt.Sprintf("%s: must be an integer, got %s", l.field(name), lit))
	}
	neg := lit[0] == '-'
	digits := lit
	if neg {
		digits = lit[1:]
	}
	limit := uint64(1<<63 - 1)
	if neg {
		limit = 1 << 63
	}
	var n uint64
	for _, c := range digits {
		v := uint64(c - '0')
		if n > (limit-v)/10 {
			return 0, decodeErr(start, fmt.Sprintf("%s: %s overflows int64", l.field(name), lit))
		}
		n = n*10 + v
	}
	d.pos = end
	if neg {
		return int64(-n), nil // -(1<<63) wraps to itself: exactly math.MinInt64
	}
	return int64(n), nil
}

// number scans the JSON number at d.pos and returns where it ends and
// whether it has neither fraction nor exponent.
func (d *decoder) number() (end int, integer bool, err error) {
	i := d.pos
	if d.data[i] == '-' {
		i++
	}
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
	case i < len(d.data) && isDigit(d.data[i]):
		i = d.digits(i)
	default:
		return 0, false, decodeErr(i, "invalid number: expected a digit")
	}
	integer = true
	if i < len(d.data) && d.data[i] == '.' {
		integer = false
		if i++; i == len(d.data) || !isDigit(d.data[i]) {
			return 0, false, decodeErr(i, "invalid number: expected a digit after '.'")
		}
		i = d.digits(i)
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		integer = false
		if i++; i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if i == len(d.data) || !isDigit(d.data[i]) {
			return 0, false, decodeErr(i, "invalid number: expected a digit in the exponent")
		}
		i = d.digits(i)
	}
	return i, integer, nil
}

func (d *decoder) digits(i int) int {
	for i < len(d.data) && isDigit(d.data[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// expectValue consumes the opening byte of an object or array value.
func (d *decoder) expectValue(open byte, l loc, name, want string) error {
	if d.data[d.pos] != open {
		return d.wrongValue(l, name, want)
	}
	d.pos++
	return nil
}

// wrongValue explains why the value at d.pos is not the wanted kind; name
// is the field, or "" for an array element (l is then the element).
func (d *decoder) wrongValue(l loc, name, want string) error {
	path := l.path()
	if name != "" {
		path = l.field(name)
	}
	if d.literal("null") {
		return strictErr(d.pos-len("null"), fmt.Sprintf("%s: null instead of %s", path, article(want)))
	}
	return d.typeErr(d.pos, path, want)
}

func (d *decoder) typeErr(off int, path, want string) error {
	return decodeErr(off, fmt.Sprintf("%s: expected %s, got %s", path, article(want), d.describe(off)))
}

// describe names the JSON value that starts at off.
func (d *decoder) describe(off int) string {
	switch c := d.data[off]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case strings.HasPrefix(d.src[off:], "true"), strings.HasPrefix(d.src[off:], "false"):
		return "a boolean"
	case strings.HasPrefix(d.src[off:], "null"):
		return "null"
	case c == '-' || isDigit(c):
		return "a number"
	default:
		return fmt.Sprintf("invalid character %q", c)
	}
}

func article(kind string) string {
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "an " + kind
	}
	return "a " + kind
}

// literal consumes lit if the input continues with it. What follows is
// checked by the caller, which expects a separator.
func (d *decoder) literal(lit string) bool {
	if !strings.HasPrefix(d.src[d.pos:], lit) {
		return false
	}
	d.pos += len(lit)
	return true
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func decodeErr(off int, msg string) error {
	return &DecodeError{Offset: off, Msg: msg}
}

func strictErr(off int, msg string) error {
	return &StrictError{Offset: off, Msg: msg}
}
