package ldapserver

import "strings"

// SelectAttributes picks from all the attributes a search asked for (RFC
// 4511 §4.5.1.8): an empty list or "*" means every user attribute, "+"
// every operational attribute (isOperational decides which are), "1.1"
// alone means none, and other names select that attribute, compared
// case-insensitively and without options. Attributes keep the entry's order
// and casing; typesOnly drops the values.
func SelectAttributes(requested []string, all []Attribute, isOperational func(name string) bool, typesOnly bool) []Attribute {
	allUser := len(requested) == 0
	allOp := false
	names := make(map[string]bool, len(requested))
	for _, r := range requested {
		switch r = strings.TrimSpace(r); r {
		case "*":
			allUser = true
		case "+":
			allOp = true
		case "1.1":
			// only meaningful alone; ignored with other names (RFC 4511 §4.5.1.8)
		default:
			names[strings.ToLower(BaseAttr(r))] = true
		}
	}
	var out []Attribute
	for _, a := range all {
		op := isOperational != nil && isOperational(a.Name)
		if !(allUser && !op) && !(allOp && op) && !names[strings.ToLower(BaseAttr(a.Name))] {
			continue
		}
		if typesOnly {
			a = Attribute{Name: a.Name}
		}
		out = append(out, a)
	}
	return out
}
