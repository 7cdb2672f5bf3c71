package store

import (
	"bytes"
	"slices"
	"strings"
)

// Attribute is one attribute of an entry: its name as first stored (case
// preserved; names compare case-insensitively) and its raw values.
type Attribute struct {
	Name   string
	Values [][]byte
}

// Entry is a directory entry: its DN as stored (case preserved) and its
// attributes in stored order.
type Entry struct {
	DN    string
	Attrs []Attribute
}

func (e *Entry) find(name string) int {
	for i := range e.Attrs {
		if strings.EqualFold(e.Attrs[i].Name, name) {
			return i
		}
	}
	return -1
}

// Get returns the values of the attribute name (case-insensitive), or nil.
// The slice is the entry's own.
func (e *Entry) Get(name string) [][]byte {
	if i := e.find(name); i >= 0 {
		return e.Attrs[i].Values
	}
	return nil
}

// First returns the first value of the attribute name, or nil.
func (e *Entry) First(name string) []byte {
	if v := e.Get(name); len(v) > 0 {
		return v[0]
	}
	return nil
}

// String returns the first value of the attribute name as a string, or "".
func (e *Entry) String(name string) string { return string(e.First(name)) }

// Set replaces the values of the attribute name, keeping the name's casing
// as first seen; with no values it removes the attribute.
func (e *Entry) Set(name string, values ...[]byte) {
	i := e.find(name)
	switch {
	case len(values) == 0 && i >= 0:
		e.Attrs = slices.Delete(e.Attrs, i, i+1)
	case len(values) == 0:
	case i >= 0:
		e.Attrs[i].Values = slices.Clone(values)
	default:
		e.Attrs = append(e.Attrs, Attribute{Name: name, Values: slices.Clone(values)})
	}
}

// Add appends values to the attribute name, creating it when absent.
func (e *Entry) Add(name string, values ...[]byte) {
	if len(values) == 0 {
		return
	}
	if i := e.find(name); i >= 0 {
		e.Attrs[i].Values = append(e.Attrs[i].Values, values...)
		return
	}
	e.Attrs = append(e.Attrs, Attribute{Name: name, Values: slices.Clone(values)})
}

// Remove deletes the listed values (byte-equal) from the attribute name;
// with no values listed it removes the whole attribute (as an LDAP modify
// delete without values does). An attribute left without values is removed.
func (e *Entry) Remove(name string, values ...[]byte) {
	i := e.find(name)
	if i < 0 {
		return
	}
	if len(values) > 0 {
		kept := e.Attrs[i].Values[:0:0]
		for _, v := range e.Attrs[i].Values {
			if !slices.ContainsFunc(values, func(r []byte) bool { return bytes.Equal(r, v) }) {
				kept = append(kept, v)
			}
		}
		e.Attrs[i].Values = kept
	}
	if len(values) == 0 || len(e.Attrs[i].Values) == 0 {
		e.Attrs = slices.Delete(e.Attrs, i, i+1)
	}
}

// Clone returns a deep copy of e.
func (e *Entry) Clone() *Entry {
	c := &Entry{DN: e.DN, Attrs: make([]Attribute, len(e.Attrs))}
	for i, a := range e.Attrs {
		vs := make([][]byte, len(a.Values))
		for j, v := range a.Values {
			vs[j] = bytes.Clone(v)
		}
		c.Attrs[i] = Attribute{Name: a.Name, Values: vs}
	}
	return c
}

// tidy returns a deep copy of e with attributes of the same name (in any
// case) merged under the first-seen name and attributes without values
// dropped: the form that is stored.
func (e *Entry) tidy() *Entry {
	c := &Entry{DN: e.DN, Attrs: make([]Attribute, 0, len(e.Attrs))}
	for _, a := range e.Attrs {
		if len(a.Values) == 0 {
			continue
		}
		vs := make([][]byte, len(a.Values))
		for j, v := range a.Values {
			vs[j] = bytes.Clone(v)
		}
		c.Add(a.Name, vs...)
	}
	return c
}
