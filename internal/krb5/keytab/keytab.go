package keytab

import (
	"fmt"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Keytab is the content of a keytab file: its entries in file order.
type Keytab struct {
	Entries []Entry
}

// Entry is one key of one principal.
type Entry struct {
	Principal Principal
	// Timestamp is when the key was written, in whole seconds; the zero
	// Time stands for 0 in the file. The caller chooses it (Marshal never
	// reads a clock); klist -t shows it.
	Timestamp time.Time
	// KVNO is the key version number, which must equal the KDC's
	// (msDS-KeyVersionNumber in Active Directory).
	KVNO uint32
	Key  crypto.Key

	// opaque holds the key bytes of an encryption type that crypto does not
	// implement, so that Marshal writes the entry back; Key then has the
	// type and no bytes. A func, like crypto.Key's, so that fmt never
	// prints the bytes.
	opaque func() []byte
}

// Find returns the entry for principal and realm with key version kvno and
// encryption type e:
//
//   - principal is "name" or "service/host", optionally with "@REALM", in
//     the syntax of [ParsePrincipal]; components and realm match
//     case-insensitively, so "WebApp01$" finds "webapp01$";
//   - realm, if not empty, is the realm to match; if both it and principal's
//     realm are empty, any realm matches;
//   - kvno 0 means the highest key version held for the principal (and e);
//   - e 0 means any encryption type: the first entry in file order among
//     those with the chosen key version.
//
// Entries whose encryption type [crypto] does not implement are passed
// over. The error is an [*Error] wrapping [ErrNotFound] when nothing
// matches.
func (k *Keytab) Find(principal, realm string, kvno uint32, e crypto.EncType) (Entry, error) {
	want, err := ParsePrincipal(principal)
	if err != nil {
		return Entry{}, &Error{Op: "find", Offset: -1, Reason: fmt.Sprintf("principal %q: %s", principal, err.(*Error).Reason), Err: ErrMalformed}
	}
	if realm != "" {
		want.Realm = realm
	}
	best := -1
	for i, ent := range k.Entries {
		if !ent.usable() {
			continue
		}
		if e != 0 && ent.Key.Type != e {
			continue
		}
		if kvno != 0 && ent.KVNO != kvno {
			continue
		}
		if !matches(ent.Principal, want) {
			continue
		}
		if best < 0 || ent.KVNO > k.Entries[best].KVNO {
			best = i
		}
	}
	if best < 0 {
		what := want.String()
		if want.Realm == "" {
			what += " (any realm)"
		}
		if kvno != 0 {
			what += fmt.Sprintf(" kvno %d", kvno)
		}
		if e != 0 {
			what += " " + e.String()
		}
		return Entry{}, &Error{Op: "find", Offset: -1, Reason: "no key for " + what, Err: ErrNotFound}
	}
	return k.Entries[best], nil
}

func matches(have, want Principal) bool {
	if want.Realm == "" {
		want.Realm = have.Realm
	}
	return have.Equal(want)
}

// usable reports whether the entry's key has bytes crypto can use.
func (ent *Entry) usable() bool { return ent.Key.Bytes() != nil }

// keyBytes returns the bytes Marshal writes for the entry's key: Key's, or
// those of an encryption type crypto does not implement, kept by Parse
// (possibly none). ok is false when the entry has no key at all.
func (ent *Entry) keyBytes() (b []byte, ok bool) {
	if b := ent.Key.Bytes(); b != nil {
		return b, true
	}
	if ent.opaque != nil {
		return ent.opaque(), true
	}
	return nil, false
}
