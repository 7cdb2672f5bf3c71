package ccache_test

import (
	"encoding/asn1"
	"flag"
	"fmt"
	"github.com/opengmsa/gmsa/internal/testvector"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

var update = flag.Bool("update", false, "rewrite testdata/mit from a fresh MIT KDC (needs the MIT tools)")

// The vector files in testdata/mit are MIT-written files in the shared
// testvector.File format (header fields, klist output, the bytes in hex).
type vector = testvector.File

const mitSource = "written by MIT krb5 1.20 "

func loadVectors(t testing.TB, want int) []vector {
	t.Helper()
	return testvector.LoadDir(t, filepath.Join("testdata", "mit"), want, mitSource)
}

func writeVector(t testing.TB, path string, fields [][2]string, data []byte) {
	t.Helper()
	testvector.WriteFile(t, path, fields, data)
}

// klistRecords reduces `klist -f -e -C -a` output to one line per entry —
// "config: key(principal) = value", or "start | end | server | renew until
// | flags | session key type | ticket type | addresses" — so that MIT's
// view of a cache can be compared with ours and between files.
func klistRecords(out string) string {
	var recs []string
	var block []string
	flush := func() {
		if len(block) == 0 {
			return
		}
		head, rest := block[0], strings.Join(block[1:], ", ")
		block = nil
		if strings.HasPrefix(head, "config: ") {
			recs = append(recs, head)
			return
		}
		find := func(re string) string {
			if m := regexp.MustCompile(re).FindStringSubmatch(rest); m != nil {
				return strings.Join(m[1:], " | ")
			}
			return "-"
		}
		f := strings.SplitN(head, "  ", 3)
		recs = append(recs, strings.Join([]string{f[0], f[1], f[2],
			find(`renew until (\S+ [^,\s]+)`), find(`Flags: ([^,\s]+)`),
			find(`Etype \(skey, tkt\): ([^,\s]+), ([^,\s]+)`), find(`Addresses: ([^,]+)`)}, " | "))
	}
	started := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "Valid starting"):
			started = true
		case !started || strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, "\t"):
			block = append(block, strings.TrimSpace(l))
		default:
			flush()
			block = []string{strings.TrimRight(l, " ")}
		}
	}
	flush()
	return strings.Join(recs, "\n")
}

// records renders a parsed cache the way klistRecords reduces klist's
// output (times in UTC).
func records(t testing.TB, c *ccache.Cache) string {
	t.Helper()
	ts := func(v time.Time) string { return v.UTC().Format("01/02/06 15:04:05") }
	var recs []string
	for _, cr := range c.Credentials {
		if key, princ, ok := cr.ConfigKey(); ok {
			if princ != "" {
				key += "(" + princ + ")"
			}
			var v strings.Builder
			for _, b := range cr.Ticket {
				if b >= 0x20 && b < 0x7f {
					v.WriteByte(b)
				} else {
					fmt.Fprintf(&v, "\\%03o", b) // as klist prints it
				}
			}
			recs = append(recs, "config: "+key+" = "+v.String())
			continue
		}
		start := cr.StartTime
		if start.IsZero() {
			start = cr.AuthTime
		}
		renew, flags := "-", "-"
		if !cr.RenewTill.IsZero() {
			renew = ts(cr.RenewTill)
		}
		if s := cr.Flags.String(); s != "" {
			flags = s
		}
		addrs := "(none)"
		if len(cr.Addresses) > 0 {
			addrs = fmt.Sprint(cr.Addresses)
		}
		recs = append(recs, strings.Join([]string{ts(start), ts(cr.EndTime), cr.Server.String(), renew, flags,
			cr.Key.Type.String() + " | " + ticketEncType(t, cr.Ticket).String(), addrs}, " | "))
	}
	return strings.Join(recs, "\n")
}

// ticketEncType decodes just enough of a DER Ticket (RFC 4120 §5.3) to
// return the encryption type of its enc-part.
func ticketEncType(t testing.TB, der []byte) crypto.EncType {
	t.Helper()
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil || outer.Class != asn1.ClassApplication || outer.Tag != 1 {
		t.Fatalf("not a Ticket: %v", err)
	}
	var body struct {
		Vno     int           `asn1:"explicit,tag:0"`
		Realm   asn1.RawValue `asn1:"explicit,tag:1"`
		SName   asn1.RawValue `asn1:"explicit,tag:2"`
		EncPart struct {
			EType  int    `asn1:"explicit,tag:0"`
			Kvno   int    `asn1:"optional,explicit,tag:1"`
			Cipher []byte `asn1:"explicit,tag:2"`
		} `asn1:"explicit,tag:3"`
	}
	if _, err := asn1.Unmarshal(outer.Bytes, &body); err != nil {
		t.Fatalf("Ticket body: %v", err)
	}
	return crypto.EncType(body.EncPart.EType)
}
