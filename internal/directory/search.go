package directory

import (
	"context"
	"fmt"
	"strconv"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// pageSize is the page size of subtree searches (AD's MaxPageSize is 1000).
const pageSize = 500

// searchOpt is one LDAP search.
type searchOpt struct {
	base   string
	scope  int // ldap.ScopeBaseObject, ScopeSingleLevel, ScopeWholeSubtree
	filter string
	attrs  []string
	paged  bool
}

// search runs one search. A base object that does not exist gives an empty
// result, not an error: callers say what was missing.
func (c *Conn) search(ctx context.Context, o searchOpt) ([]*ldap.Entry, error) {
	if o.filter == "" {
		o.filter = "(objectClass=*)"
	}
	req := &ldap.SearchRequest{
		BaseDN:       o.base,
		Scope:        o.scope,
		DerefAliases: ldap.NeverDerefAliases,
		Filter:       o.filter,
		Attributes:   o.attrs,
	}
	var res *ldap.SearchResult
	err := c.do(ctx, func() error {
		var err error
		if o.paged {
			res, err = c.l.SearchWithPaging(req, pageSize)
		} else {
			res, err = c.l.Search(req)
		}
		return err
	})
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return res.Entries, nil
}

// entry wraps an *ldap.Entry with decoders that record the first problem,
// so that a reader lists its fields and checks one error at the end.
type entry struct {
	*ldap.Entry
	err error
}

func (e *entry) has(name string) bool {
	return len(e.GetEqualFoldRawAttributeValues(name)) > 0
}

func (e *entry) str(name string) string { return e.GetEqualFoldAttributeValue(name) }

func (e *entry) strs(name string) []string { return e.GetEqualFoldAttributeValues(name) }

func (e *entry) raw(name string) []byte {
	v := e.GetEqualFoldRawAttributeValue(name)
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}

func (e *entry) fail(name, value, why string) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: %s %s: %s", ErrMalformed, name, value, why)
	}
}

// int64 decodes an Integer (or Large Integer) attribute; absent gives def.
func (e *entry) int64(name string, def int64) int64 {
	v := e.str(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		e.fail(name, strconv.Quote(v), "not an integer")
	}
	return n
}

// uint32 decodes a 32-bit Integer attribute. AD writes flag words such as
// userAccountControl as signed 32-bit values: -2147483648 is bit 31.
func (e *entry) uint32(name string) uint32 {
	n := e.int64(name, 0)
	if n < -1<<31 || n > 1<<32-1 {
		e.fail(name, strconv.FormatInt(n, 10), "out of 32-bit range")
	}
	return uint32(n)
}

// fileTime decodes a Large Integer holding a FILETIME.
func (e *entry) fileTime(name string) adtypes.FileTime {
	v := e.str(name)
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		e.fail(name, strconv.Quote(v), "not a FILETIME")
	}
	return adtypes.FileTime(n)
}

// generalizedTime decodes a GeneralizedTime such as whenCreated
// ("20261127231400.0Z").
func (e *entry) generalizedTime(name string) time.Time {
	v := e.str(name)
	if v == "" {
		return time.Time{}
	}
	t, err := ber.ParseGeneralizedTime([]byte(v))
	if err != nil {
		e.fail(name, strconv.Quote(v), "not a GeneralizedTime")
	}
	return t.UTC()
}

func (e *entry) sid(name string) adtypes.SID {
	b := e.raw(name)
	if b == nil {
		return adtypes.SID{}
	}
	s, err := adtypes.SIDFromBytes(b)
	if err != nil {
		e.fail(name, fmt.Sprintf("%x", b), err.Error())
	}
	return s
}

func (e *entry) guid(name string) adtypes.GUID {
	b := e.raw(name)
	if b == nil {
		return adtypes.GUID{}
	}
	g, err := adtypes.GUIDFromBytes(b)
	if err != nil {
		e.fail(name, fmt.Sprintf("%x", b), err.Error())
	}
	return g
}
