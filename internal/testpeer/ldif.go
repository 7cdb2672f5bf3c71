package testpeer

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// parseLDIF reads the LDIF that `ldapsearch -LLL` prints (RFC 2849, content
// records only) into one map per entry, from attribute description (as the
// server spelled it, options such as ";range=0-*" included) to values. The
// entry's DN is under the key "dn". Folded lines (a continuation starts with
// one space) are joined, `attr:: base64` values are decoded, comment lines and
// records without a DN (the "version:" line, search references) are skipped.
func parseLDIF(data []byte) ([]map[string][][]byte, error) {
	// Unfold first: a line that starts with a space continues the one before.
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSuffix(l, "\r")
		if strings.HasPrefix(l, " ") && len(lines) > 0 && lines[len(lines)-1] != "" {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}

	var entries []map[string][][]byte
	var cur map[string][][]byte
	skipping := false
	for n, l := range lines {
		if l == "" { // end of record
			if cur != nil {
				entries = append(entries, cur)
			}
			cur, skipping = nil, false
			continue
		}
		if l[0] == '#' || skipping {
			continue
		}
		name, rest, ok := strings.Cut(l, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("ldif: line %d: no attribute name: %q", n+1, l)
		}
		var value []byte
		switch {
		case strings.HasPrefix(rest, ":"):
			v, err := base64.StdEncoding.DecodeString(strings.TrimLeft(rest[1:], " "))
			if err != nil {
				return nil, fmt.Errorf("ldif: line %d: attribute %s: bad base64: %w", n+1, name, err)
			}
			value = v
		case strings.HasPrefix(rest, "<"):
			return nil, fmt.Errorf("ldif: line %d: attribute %s: URL values are not supported", n+1, name)
		default:
			value = []byte(strings.TrimLeft(rest, " "))
		}
		if cur == nil {
			if !strings.EqualFold(name, "dn") {
				skipping = true // "version: 1", "ref: ldap://…"
				continue
			}
			cur = map[string][][]byte{}
			name = "dn"
		}
		cur[name] = append(cur[name], value)
	}
	if cur != nil {
		entries = append(entries, cur)
	}
	return entries, nil
}
