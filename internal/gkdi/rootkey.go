package gkdi

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// RootKeyDataLen is the length of msKds-RootKeyData (GKDI_KEY_LEN). Samba
// refuses other lengths, and so do we.
const RootKeyDataLen = 64

// SupportedRootKeyVersion is the only msKds-Version a root key may have.
const SupportedRootKeyVersion = 1

// RootKey is a KDS root key: the msKds-ProvRootKey object of [MS-ADSC] 2.159
// reduced to what gMSA password derivation reads. Data is the secret; the
// type never prints it (String, GoString, Format and LogValue redact).
type RootKey struct {
	ID       adtypes.GUID     // cn of the object
	Version  uint32           // msKds-Version
	Data     []byte           // msKds-RootKeyData, 64 bytes
	Hash     Hash             // from msKds-KDFParam
	Created  adtypes.FileTime // msKds-CreateTime
	UseStart adtypes.FileTime // msKds-UseStartTime
}

// Validate checks what Samba checks before deriving from a root key: version
// 1, 64 bytes of data, a known hash (failures are ErrNotSupported).
func (k *RootKey) Validate() error {
	switch {
	case k.Version != SupportedRootKeyVersion:
		return errorf(ErrNotSupported, "root key "+k.ID.String()+" msKds-Version", strconv.FormatUint(uint64(k.Version), 10), "only version 1 is supported")
	case len(k.Data) != RootKeyDataLen:
		return errorf(ErrNotSupported, "root key "+k.ID.String()+" msKds-RootKeyData", fmt.Sprintf("(%d bytes)", len(k.Data)), "must be exactly %d bytes", RootKeyDataLen)
	case !k.Hash.valid():
		return errorf(ErrNotSupported, "root key "+k.ID.String()+" msKds-KDFParam", strconv.Itoa(int(k.Hash)), "unknown KDF hash")
	}
	return nil
}

// String describes the key without its secret.
func (k RootKey) String() string {
	return fmt.Sprintf("root key %s (version %d, %s, use start %s, data [REDACTED])", k.ID, k.Version, k.Hash, k.UseStart.Time().Format("2006-01-02T15:04:05Z"))
}

// GoString redacts as String does, so %#v cannot leak the key.
func (k RootKey) GoString() string { return k.String() }

// Format redacts for every verb, including %x and %v on the struct.
func (k RootKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue keeps the secret out of structured logs.
func (k RootKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID.String()), slog.String("hash", k.Hash.String()), slog.String("data", "[REDACTED]"))
}

// Newest returns, among keys whose use-start time is at or before t, the one
// created last — the rule a DC applies when it picks a root key for a gMSA
// password (Samba gmsa_nonspecific_password / gmsa_generate_blobs). Ties on
// creation time go to the key that comes first in keys. It returns nil when no
// key is usable at t.
func Newest(keys []*RootKey, t adtypes.FileTime) *RootKey {
	var best *RootKey
	for _, k := range keys {
		if k.UseStart > t {
			continue
		}
		if best == nil || k.Created > best.Created {
			best = k
		}
	}
	return best
}
