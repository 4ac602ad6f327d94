package v1alpha1

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
)

// Limits that keep a single label or pushed field from being absurd.
const (
	maxPathLen     = 1024
	maxHostnameLen = 253
	maxDNSLabelLen = 63
)

// CleanPathPrefix validates a route's path prefix and returns its clean form:
// absolute, without "." segments or a trailing slash ("/" stays "/").
// Spaces, "..", "//", '?', '#', '\' and control characters are rejected rather
// than repaired, because a prefix that needs repair is most likely a typo.
func CleanPathPrefix(p string) (string, error) {
	switch {
	case p == "":
		return "", errors.New("must not be empty")
	case p[0] != '/':
		return "", errors.New(`must start with "/"`)
	case len(p) > maxPathLen:
		return "", fmt.Errorf("must be at most %d characters", maxPathLen)
	case strings.Contains(p, "//"):
		return "", errors.New(`must not contain "//"`)
	case strings.Contains(p, ".."):
		return "", errors.New(`must not contain ".."`)
	}
	for _, c := range []byte(p) {
		switch {
		case c == ' ':
			return "", errors.New("must not contain spaces")
		case c < 0x20 || c == 0x7f:
			return "", errors.New("must not contain control characters")
		case c == '?' || c == '#':
			return "", fmt.Errorf("must not contain %q: a path prefix has no query or fragment", c)
		case c == '\\':
			return "", errors.New(`must not contain "\"`)
		case c >= 0x80:
			return "", errors.New("must be ASCII; percent-encode other characters")
		}
	}
	return path.Clean(p), nil
}

// CleanHost validates one hostname: RFC 1123 labels, optionally behind a
// single leading "*." wildcard. It returns the lowercase form.
func CleanHost(h string) (string, error) {
	h = strings.ToLower(strings.TrimSpace(h))
	if h == "" {
		return "", errors.New("must not be empty")
	}
	if strings.Contains(h, ":") {
		return "", errors.New("must be a hostname without a port")
	}
	name := strings.TrimPrefix(h, "*.")
	if strings.Contains(name, "*") {
		return "", errors.New(`may only have one "*." wildcard, at the start`)
	}
	// A trailing dot (a fully qualified name) is not part of the limit.
	if len(strings.TrimSuffix(h, ".")) > maxHostnameLen {
		return "", fmt.Errorf("must be at most %d characters", maxHostnameLen)
	}
	if net.ParseIP(name) != nil {
		if name != h {
			return "", errors.New(`must not put a "*." wildcard in front of an IP address`)
		}
		return h, nil // an IP literal is a legitimate Host header
	}
	for l := range strings.SplitSeq(strings.TrimSuffix(name, "."), ".") {
		if err := checkDNSLabel(l); err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(h, "."), nil
}

func checkDNSLabel(l string) error {
	if l == "" {
		return errors.New("must not have an empty label (\"..\" or a leading \".\")")
	}
	if len(l) > maxDNSLabelLen {
		return fmt.Errorf("label %q is longer than %d characters", l, maxDNSLabelLen)
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return fmt.Errorf("label %q must not start or end with \"-\"", l)
	}
	for _, c := range []byte(l) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("label %q may only contain a-z, 0-9 and \"-\" (RFC 1123)", l)
		}
	}
	return nil
}

// ParsePort parses a TCP port number, 1 to 65535.
func ParsePort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.New("must be a port number from 1 to 65535")
	}
	return n, nil
}

// checkNetworkName mirrors Docker's rule for object names.
func checkNetworkName(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	for i, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '_' || c == '.' || c == '-')
		if !ok {
			return errors.New("must be a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)")
		}
	}
	return nil
}

// checkBackendAddress accepts host:port with a valid port and a non-empty host.
func checkBackendAddress(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("must be host:port: %v", err)
	}
	if host == "" {
		return errors.New("must have a host")
	}
	if _, err := ParsePort(port); err != nil {
		return fmt.Errorf("port %s", err)
	}
	return nil
}
