package ldapserver

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// Errors returned by [SearchWriter] methods: the handler stops its search.
var (
	ErrSizeLimitExceeded = errors.New("ldapserver: search size limit exceeded")
	ErrAbandoned         = errors.New("ldapserver: search abandoned, timed out or connection closed")
)

// SearchWriter sends the results of one search to the client (or buffers
// them for a paged search).
type SearchWriter struct {
	c        *Conn
	ctx      context.Context
	msgID    int64
	limit    int
	entries  int
	exceeded bool
	buffer   *[]*ber.Packet // paged: results kept for later pages
	failed   bool
}

// Entry sends one SearchResultEntry. It returns [ErrSizeLimitExceeded]
// when the entry would exceed the size limit (the entry is not sent) and
// [ErrAbandoned] when the operation's context is done or the client went
// away; the handler then stops.
func (w *SearchWriter) Entry(dn string, attrs []Attribute) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.entries >= w.limit {
		w.exceeded = true
		return ErrSizeLimitExceeded
	}
	w.entries++
	return w.send(entryPacket(dn, attrs))
}

// Reference sends one SearchResultReference with the given LDAP URLs.
func (w *SearchWriter) Reference(urls ...string) error {
	if err := w.check(); err != nil {
		return err
	}
	return w.send(referencePacket(urls))
}

func (w *SearchWriter) check() error {
	if w.failed || w.ctx.Err() != nil {
		return ErrAbandoned
	}
	if w.exceeded {
		return ErrSizeLimitExceeded
	}
	return nil
}

func (w *SearchWriter) send(op *ber.Packet) error {
	if w.buffer != nil {
		*w.buffer = append(*w.buffer, op)
		return nil
	}
	if err := w.c.send(envelope(w.msgID, op, nil), false); err != nil {
		w.failed = true
		return ErrAbandoned
	}
	return nil
}

// runSearch runs the handler's search and returns its final result, with
// the server's limits applied; ok is false when the search was abandoned
// (no response is due).
func (c *Conn) runSearch(op *operation, r *SearchRequest, buffer *[]*ber.Packet) (Result, int, bool) {
	limit := c.srv.maxEntries()
	if r.SizeLimit > 0 && r.SizeLimit < limit {
		limit = r.SizeLimit
	}
	ctx := op.ctx
	if r.TimeLimit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, secondsDuration(r.TimeLimit))
		defer cancel()
	}
	w := &SearchWriter{c: c, ctx: ctx, msgID: op.msg.ID, limit: limit, buffer: buffer}
	res := c.srv.Handler.Search(ctx, c, r, w)
	switch {
	case op.ctx.Err() != nil || w.failed:
		return res, w.entries, false
	case w.exceeded:
		res = Result{Code: SizeLimitExceeded, Message: "size limit exceeded"}
	case ctx.Err() != nil:
		res = Result{Code: TimeLimitExceeded, Message: "time limit exceeded"}
	}
	return res, w.entries, true
}

func (c *Conn) search(op *operation, r *SearchRequest) {
	c.log.Debug("ldap search", "msgid", op.msg.ID, "base", r.BaseDN, "scope", r.Scope, "filter", r.Filter.String())
	var paged *Control
	for i := range r.Controls {
		if r.Controls[i].OID == OIDPagedResults {
			paged = &r.Controls[i]
		}
	}
	if paged == nil {
		res, _, ok := c.runSearch(op, r, nil)
		if ok {
			c.respond(op, appSearchDone, res, nil)
		}
		return
	}
	size, cookie, err := decodePagedValue(paged.Value)
	if err != nil {
		c.respond(op, appSearchDone, Result{Code: ProtocolError, Message: err.Error()}, nil)
		return
	}
	key := searchKey(r)
	var st *pagedState
	if len(cookie) == 0 {
		if size == 0 {
			c.respond(op, appSearchDone, Result{Code: Success}, []Control{pagedControl(0, nil)})
			return
		}
		var items []*ber.Packet
		res, entries, ok := c.runSearch(op, r, &items)
		if !ok {
			return
		}
		if res.Code != Success && res.Code != SizeLimitExceeded && res.Code != TimeLimitExceeded {
			c.respond(op, appSearchDone, res, nil)
			return
		}
		st = &pagedState{key: key, items: items, entries: entries, final: res}
		cookie = make([]byte, 16)
		rand.Read(cookie)
		c.mu.Lock()
		c.paged[string(cookie)] = st
		c.pagedOrder = append(c.pagedOrder, string(cookie))
		for len(c.paged) > maxPagedPerConn {
			c.dropPagedLocked(c.pagedOrder[0])
		}
		c.mu.Unlock()
	} else {
		c.mu.Lock()
		st = c.paged[string(cookie)]
		if st != nil && (st.key != key || size == 0) {
			c.dropPagedLocked(string(cookie))
		}
		c.mu.Unlock()
		switch {
		case st == nil:
			c.respond(op, appSearchDone, Result{Code: UnwillingToPerform, Message: "unknown paged results cookie"}, nil)
			return
		case st.key != key:
			c.respond(op, appSearchDone, Result{Code: UnwillingToPerform, Message: "paged results cookie belongs to a different search"}, nil)
			return
		case size == 0:
			c.respond(op, appSearchDone, Result{Code: Success}, []Control{pagedControl(0, nil)})
			return
		}
	}
	c.mu.Lock()
	st.lastMsgID = op.msg.ID
	c.mu.Unlock()
	sent := 0
	for len(st.items) > 0 && sent < size {
		item := st.items[0]
		if op.ctx.Err() != nil {
			return
		}
		if err := c.send(envelope(op.msg.ID, item, nil), false); err != nil {
			return
		}
		st.items = st.items[1:]
		if item.Tag == appSearchEntry {
			sent++
		}
	}
	// Trailing references belong to this page.
	for len(st.items) > 0 && st.items[0].Tag == appSearchReference {
		if err := c.send(envelope(op.msg.ID, st.items[0], nil), false); err != nil {
			return
		}
		st.items = st.items[1:]
	}
	if len(st.items) > 0 {
		c.respond(op, appSearchDone, Result{Code: Success}, []Control{pagedControl(st.entries, cookie)})
		return
	}
	c.mu.Lock()
	c.dropPagedLocked(string(cookie))
	c.mu.Unlock()
	c.respond(op, appSearchDone, st.final, []Control{pagedControl(st.entries, nil)})
}

// dropPagedLocked frees a paged search; c.mu is held.
func (c *Conn) dropPagedLocked(cookie string) {
	delete(c.paged, cookie)
	if i := indexOf(c.pagedOrder, cookie); i >= 0 {
		c.pagedOrder = append(c.pagedOrder[:i], c.pagedOrder[i+1:]...)
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// searchKey identifies a search for the paged results rule that later
// requests repeat the first one (RFC 2696 §3).
func searchKey(r *SearchRequest) string {
	attrs := make([]string, len(r.Attributes))
	for i, a := range r.Attributes {
		attrs[i] = strings.ToLower(a)
	}
	return strings.Join([]string{strings.ToLower(r.BaseDN), string(rune('0' + r.Scope)), r.Filter.String(),
		strings.Join(attrs, ","), boolString(r.TypesOnly)}, "\x00")
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// decodePagedValue decodes realSearchControlValue (RFC 2696 §2).
func decodePagedValue(v []byte) (int, []byte, error) {
	p, err := ber.DecodePacketErr(v)
	if err != nil {
		return 0, nil, errf("paged results control value: %v", err)
	}
	if !is(p, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(p.Children) != 2 {
		return 0, nil, errf("paged results control value is %s, want SEQUENCE {size, cookie}", describe(p))
	}
	size, err := integer(p.Children[0], "paged results size")
	if err != nil {
		return 0, nil, err
	}
	if size < 0 || size > 1<<31-1 {
		return 0, nil, errf("paged results size %d out of range", size)
	}
	cookie, err := octets(p.Children[1], "paged results cookie")
	if err != nil {
		return 0, nil, err
	}
	return int(size), cookie, nil
}

func pagedControl(size int, cookie []byte) Control {
	p := ber.NewSequence("realSearchControlValue")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(size), "size"))
	p.AppendChild(octetString(string(cookie)))
	return Control{OID: OIDPagedResults, Value: p.Bytes()}
}
