package lab

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/lab/store"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// ErrNoRootKey: no KDS root key is usable yet for a new gMSA. The LDAP
// answer carries Samba's "8009000D" text so that clients that recognise a
// Samba DC's refusal recognise the lab's too.
var ErrNoRootKey = errors.New("8009000D: failed to find a suitable root key")

// rootKeys reads every msKds-ProvRootKey in the configuration NC.
func (d *Directory) rootKeys(tx *store.Tx) ([]*gkdi.RootKey, error) {
	var keys []*gkdi.RootKey
	err := tx.Walk(d.dom.RootKeysDN(), store.ScopeOne, func(e *store.Entry) error {
		if !hasClass(e.Get("objectClass"), "msKds-ProvRootKey") {
			return nil
		}
		k, err := decodeRootKey(e)
		if err != nil {
			d.log.Warn("skipping unusable KDS root key", "dn", e.DN, "err", err)
			return nil
		}
		keys = append(keys, k)
		return nil
	})
	return keys, err
}

func decodeRootKey(e *store.Entry) (*gkdi.RootKey, error) {
	id, err := adtypes.ParseGUID(e.String("cn"))
	if err != nil {
		return nil, fmt.Errorf("cn: %w", err)
	}
	num := func(name string) (uint64, error) {
		v, err := strconv.ParseUint(e.String(name), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %q: not a number", name, e.String(name))
		}
		return v, nil
	}
	version, err := num("msKds-Version")
	if err != nil {
		return nil, err
	}
	created, err := num("msKds-CreateTime")
	if err != nil {
		return nil, err
	}
	useStart, err := num("msKds-UseStartTime")
	if err != nil {
		return nil, err
	}
	h := gkdi.SHA256
	if p := e.First("msKds-KDFParam"); p != nil {
		if h, err = gkdi.ParseKDFParameters(p); err != nil {
			return nil, err
		}
	}
	k := &gkdi.RootKey{ID: id, Version: uint32(version), Data: append([]byte(nil), e.First("msKds-RootKeyData")...),
		Hash: h, Created: adtypes.FileTime(created), UseStart: adtypes.FileTime(useStart)}
	return k, k.Validate()
}

// kdsNow is the KDS clock as a FILETIME.
func (d *Directory) kdsNow() adtypes.FileTime {
	ft, err := adtypes.FileTimeOf(d.KDSNow())
	if err != nil {
		return 0
	}
	return ft
}

// creationRootKey is the root key a new gMSA's first password ID names: the
// newest whose use-start lies at least 10 h 05 min before the KDS clock.
func (d *Directory) creationRootKey(tx *store.Tx) (*gkdi.RootKey, error) {
	keys, err := d.rootKeys(tx)
	if err != nil {
		return nil, err
	}
	limit, err := adtypes.FileTimeOf(d.KDSNow().Add(-newUseStartDelay))
	if err != nil {
		return nil, err
	}
	k := gkdi.Newest(keys, limit)
	if k == nil {
		return nil, ErrNoRootKey
	}
	return k, nil
}

// gmsaAccount reads what password derivation needs from a gMSA entry.
func gmsaAccount(e *store.Entry) (managedpassword.Account, error) {
	a := managedpassword.Account{SID: entrySID(e), IntervalDays: managedpassword.DefaultIntervalDays}
	if a.SID.IsZero() {
		return a, fmt.Errorf("gMSA %s has no objectSid", e.DN)
	}
	created, err := parseGeneralizedTime(e.String("whenCreated"))
	if err != nil {
		return a, fmt.Errorf("gMSA %s whenCreated: %w", e.DN, err)
	}
	if a.Created, err = adtypes.FileTimeOf(created); err != nil {
		return a, err
	}
	if s := e.String("msDS-ManagedPasswordInterval"); s != "" {
		if a.IntervalDays, err = strconv.ParseInt(s, 10, 64); err != nil {
			return a, fmt.Errorf("gMSA %s msDS-ManagedPasswordInterval %q: not a number", e.DN, s)
		}
	}
	for _, f := range []struct {
		name string
		dst  **gkdi.KeyEnvelope
	}{{"msDS-ManagedPasswordId", &a.PasswordID}, {"msDS-ManagedPasswordPreviousId", &a.PreviousID}} {
		if b := e.First(f.name); b != nil {
			env, err := gkdi.ParseKeyEnvelope(b)
			if err != nil {
				return a, fmt.Errorf("gMSA %s %s: %w", e.DN, f.name, err)
			}
			*f.dst = env
		}
	}
	return a, nil
}

// parseGeneralizedTime parses AD's "20061231235959.0Z".
func parseGeneralizedTime(s string) (time.Time, error) {
	for _, layout := range []string{"20060102150405.0Z", "20060102150405Z", "20060102150405.000Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a generalized time", s)
}

// ManagedPassword computes a gMSA's msDS-ManagedPassword at the KDS clock.
// The caller has checked access.
func (d *Directory) ManagedPassword(tx *store.Tx, e *store.Entry) (*managedpassword.Blob, *managedpassword.Schedule, error) {
	a, err := gmsaAccount(e)
	if err != nil {
		return nil, nil, err
	}
	keys, err := d.rootKeys(tx)
	if err != nil {
		return nil, nil, err
	}
	return d.deriver.Blob(d.kdsNow(), a, keys)
}

// maintainPasswordID does what a writable DC does when it finds a gMSA's
// password ID out of date: store the ID of the password now in force,
// keep the old one as msDS-ManagedPasswordPreviousId and increment
// msDS-KeyVersionNumber. It reports whether it wrote.
func (d *Directory) maintainPasswordID(dn string) (bool, error) {
	d.rootMu.Lock()
	defer d.rootMu.Unlock()
	wrote := false
	err := d.db.Update(func(tx *store.Tx) error {
		e, err := tx.Get(dn)
		if err != nil {
			return err
		}
		a, err := gmsaAccount(e)
		if err != nil {
			return err
		}
		keys, err := d.rootKeys(tx)
		if err != nil {
			return err
		}
		sch, err := managedpassword.PlanAt(d.kdsNow(), a, keys)
		if err != nil || !sch.Stale {
			return err
		}
		// In the last 5 minutes of a period Current is already the next
		// period's key; the one in force is Previous.
		ref := sch.Current
		if sch.LookAhead && sch.Previous != nil {
			ref = *sch.Previous
		}
		if ref.RootKey == nil {
			return ErrNoRootKey
		}
		env := &gkdi.KeyEnvelope{Version: ref.RootKey.Version, Flags: gkdi.FlagKeyMayEncryptNewData, GKID: ref.GKID,
			RootKeyID: ref.RootKey.ID, Domain: d.dom.DNSName, Forest: d.dom.DNSName}
		b, err := env.Marshal()
		if err != nil {
			return err
		}
		if old := e.First("msDS-ManagedPasswordId"); old != nil {
			e.Set("msDS-ManagedPasswordPreviousId", old)
		}
		e.Set("msDS-ManagedPasswordId", b)
		kvno, _ := strconv.ParseUint(e.String("msDS-KeyVersionNumber"), 10, 32)
		e.Set("msDS-KeyVersionNumber", []byte(strconv.FormatUint(kvno+1, 10)))
		wrote = true
		return tx.Put(e)
	})
	if wrote {
		d.log.Info("gMSA password rolled over", "dn", dn)
	}
	return wrote, err
}

// isGMSAEntry reports whether e is a group managed service account.
func isGMSAEntry(e *store.Entry) bool {
	return hasClass(e.Get("objectClass"), "msDS-GroupManagedServiceAccount")
}

// gmsaSalt is the Kerberos salt of a gMSA (a machine account).
func (d *Directory) gmsaSalt(e *store.Entry) string {
	return accountSalt(&d.dom, e.String("sAMAccountName"), true)
}

// lowerDN normalises a DN for map keys and comparisons; a DN that does not
// parse is lower-cased.
func lowerDN(dn string) string {
	if n, err := store.NormalizeDN(dn); err == nil {
		return n
	}
	return strings.ToLower(dn)
}
