package lab

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/lab/store"
	"github.com/opengmsa/gmsa/internal/managedpassword"

	"github.com/opengmsa/gmsa/internal/atomicfile"
)

// DBFile is the database's name in the data directory.
const DBFile = "lab.db"

// metaDomain is the store metadata key of the domain's identity.
const metaDomain = "domain"

// metaNextRID holds the next relative ID to allocate, decimal.
const metaNextRID = "next-rid"

// Domain is the identity of a lab domain, fixed at `gmsa lab init`.
type Domain struct {
	DNSName string       `json:"dnsName"` // contoso.com
	NetBIOS string       `json:"netbios"` // CONTOSO
	SID     adtypes.SID  `json:"sid"`     // S-1-5-21-a-b-c
	GUID    adtypes.GUID `json:"guid"`    // objectGUID of the domain head
	DCName  string       `json:"dcName"`  // dc1.contoso.com
	Created time.Time    `json:"created"`
}

// Realm is the Kerberos realm: the DNS name in upper case.
func (d *Domain) Realm() string { return strings.ToUpper(d.DNSName) }

// DN is the domain naming context, DC=contoso,DC=com.
func (d *Domain) DN() string {
	labels := strings.Split(d.DNSName, ".")
	for i, l := range labels {
		labels[i] = "DC=" + l
	}
	return strings.Join(labels, ",")
}

// ConfigDN is the configuration naming context.
func (d *Domain) ConfigDN() string { return "CN=Configuration," + d.DN() }

// SchemaDN is the schema naming context.
func (d *Domain) SchemaDN() string { return "CN=Schema," + d.ConfigDN() }

// DCShortName is the DC's host name without the domain, upper case (DC1).
func (d *Domain) DCShortName() string {
	short, _, _ := strings.Cut(d.DCName, ".")
	return strings.ToUpper(short)
}

// DCDN is the DC's computer object.
func (d *Domain) DCDN() string { return "CN=" + d.DCShortName() + ",OU=Domain Controllers," + d.DN() }

// ServerDN is the DC's server object in the configuration NC.
func (d *Domain) ServerDN() string {
	return "CN=" + d.DCShortName() + ",CN=Servers,CN=Default-First-Site-Name,CN=Sites," + d.ConfigDN()
}

// DSServiceName is the rootDSE's dsServiceName: the DC's NTDS Settings.
func (d *Domain) DSServiceName() string { return "CN=NTDS Settings," + d.ServerDN() }

// RootKeysDN is the container of the KDS root keys.
func (d *Domain) RootKeysDN() string {
	return "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services," + d.ConfigDN()
}

// Options configure a [Directory].
type Options struct {
	// Now is the real clock (default time.Now).
	Now func() time.Time
	// Rand is the source of GUIDs, keys and passwords (default crypto/rand).
	Rand io.Reader
	// Logger receives structured logs (default: discard).
	Logger *slog.Logger
	// ClockOffsetFile, when set, is re-read (on change) for the KDS clock
	// offset, so `gmsa lab clock-offset` can move a running lab.
	ClockOffsetFile string
}

// Directory is an open lab domain: the database and the AD rules over it.
// It is safe for concurrent use.
type Directory struct {
	db     *store.Store
	dom    Domain
	now    func() time.Time
	rand   io.Reader
	log    *slog.Logger
	offset atomic.Int64 // KDS clock offset, ns

	offsetFile  string
	offsetMu    sync.Mutex
	offsetStamp time.Time

	deriver *managedpassword.Deriver
	rootMu  sync.Mutex // serialises password-ID maintenance writes
}

// ErrNotInitialized: the data directory has no lab database.
var ErrNotInitialized = errors.New("no lab domain in this data directory")

// Open opens the lab domain in dir (created by [Init]).
func Open(dir string, opt Options) (*Directory, error) {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist (run gmsa lab init --data %s)", ErrNotInitialized, path, dir)
		}
		return nil, err
	}
	opt = opt.withDefaults()
	db, err := store.Open(path, store.Options{Now: opt.Now, Rand: opt.Rand})
	if err != nil {
		return nil, err
	}
	d, err := newDirectory(db, opt)
	if err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func newDirectory(db *store.Store, opt Options) (*Directory, error) {
	d := &Directory{db: db, now: opt.Now, rand: opt.Rand, log: opt.Logger, offsetFile: opt.ClockOffsetFile,
		deriver: managedpassword.NewDeriver(1024)}
	err := db.View(func(tx *store.Tx) error {
		b := tx.Meta(metaDomain)
		if b == nil {
			return fmt.Errorf("%w: the database has no domain record", ErrNotInitialized)
		}
		return json.Unmarshal(b, &d.dom)
	})
	if err != nil {
		return nil, err
	}
	d.refreshOffset()
	return d, nil
}

// Close closes the database.
func (d *Directory) Close() error { return d.db.Close() }

// Domain returns the domain's identity.
func (d *Directory) Domain() Domain { return d.dom }

// Store gives the database to other parts of the lab (the KDC).
func (d *Directory) Store() *store.Store { return d.db }

// Now is the real clock.
func (d *Directory) Now() time.Time { return d.now() }

// KDSNow is the KDS clock: the real clock plus the clock offset.
func (d *Directory) KDSNow() time.Time {
	d.refreshOffset()
	return d.now().Add(time.Duration(d.offset.Load()))
}

// ClockOffset returns the KDS clock offset.
func (d *Directory) ClockOffset() time.Duration {
	d.refreshOffset()
	return time.Duration(d.offset.Load())
}

// SetClockOffset sets the KDS clock offset (and writes it to the offset
// file, when there is one, so that it survives a restart).
func (d *Directory) SetClockOffset(off time.Duration) error {
	d.offset.Store(int64(off))
	if d.offsetFile == "" {
		return nil
	}
	if err := WriteClockOffset(d.offsetFile, off); err != nil {
		return err
	}
	d.offsetMu.Lock()
	if fi, err := os.Stat(d.offsetFile); err == nil {
		d.offsetStamp = fi.ModTime()
	}
	d.offsetMu.Unlock()
	return nil
}

// refreshOffset re-reads the offset file when it changed.
func (d *Directory) refreshOffset() {
	if d.offsetFile == "" {
		return
	}
	d.offsetMu.Lock()
	defer d.offsetMu.Unlock()
	fi, err := os.Stat(d.offsetFile)
	if err != nil {
		return
	}
	if fi.ModTime().Equal(d.offsetStamp) {
		return
	}
	off, err := ReadClockOffset(d.offsetFile)
	if err != nil {
		d.log.Warn("clock offset file unreadable; keeping the previous offset", "file", d.offsetFile, "err", err)
		return
	}
	d.offsetStamp = fi.ModTime()
	if old := time.Duration(d.offset.Swap(int64(off))); old != off {
		d.log.Info("KDS clock offset changed", "offset", off.String(), "previous", old.String())
	}
}

// ClockOffsetFile is the name of the offset file in the data directory.
const ClockOffsetFile = "clock-offset"

// ReadClockOffset reads an offset file: one Go duration ("744h", "-10h").
func ReadClockOffset(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	off, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("clock offset file %s: %q is not a duration", path, s)
	}
	return off, nil
}

// WriteClockOffset writes an offset file atomically.
func WriteClockOffset(path string, off time.Duration) error {
	return writeFileAtomic(path, []byte(off.String()+"\n"), 0o644)
}

// writeFileAtomic replaces path with data (internal/atomicfile).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}
