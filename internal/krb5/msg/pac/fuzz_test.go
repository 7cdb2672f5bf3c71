package pac

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// The fuzz targets are seeded from the vectors and the table tests, so
// every case a person thought of is a starting point. Each asserts that
// rejected input returns an *Error and nothing else, and that accepted
// input re-marshals to bytes that parse to the same value and marshal to
// the same bytes again. (That accepted vectors re-marshal to exactly their
// own bytes is TestVectorsReencodeToTheSameBytes.)

func pacSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{validPACBytes(tb)}
	for _, v := range loadVectors(tb) {
		if v.has("pac") {
			seeds = append(seeds, v.hex(tb, "pac"))
		}
	}
	for _, tc := range parseErrorCases {
		seeds = append(seeds, tc.mutate(validPACBytes(tb)))
	}
	signed, err := validPAC().Sign(testKey(tb, crypto.AES256CTSHMACSHA196, 1), testKey(tb, crypto.RC4HMAC, 2))
	if err != nil {
		tb.Fatal(err)
	}
	return append(seeds, signed, []byte{}, make([]byte, 8))
}

func logonInfoSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{validLogonInfoBytes(tb)}
	for _, v := range loadVectors(tb) {
		switch {
		case v.has("logon-info"):
			seeds = append(seeds, v.hex(tb, "logon-info"))
		case v.has("pac"):
			seeds = append(seeds, dataOf(v.hex(tb, "pac"), BufferLogonInfo))
		}
	}
	for _, tc := range logonInfoErrorCases {
		seeds = append(seeds, tc.mutate(tb, validLogonInfoBytes(tb)))
	}
	return seeds
}

// smallTypes are the buffer types FuzzBuffer decodes, indexed by its first
// argument.
var smallTypes = []BufferType{BufferClientInfo, BufferUPNDNSInfo, BufferAttributesInfo, BufferRequestor, BufferServerSignature}

type bufferSeed struct {
	typ  byte
	data []byte
}

func bufferSeeds(tb testing.TB) []bufferSeed {
	var seeds []bufferSeed
	for _, raw := range pacSeeds(tb) {
		p, err := Parse(raw)
		if err != nil {
			continue
		}
		for _, b := range p.Buffers {
			for i, t := range smallTypes {
				if b.Type == t || (t == BufferServerSignature && b.Type == BufferKDCSignature) {
					seeds = append(seeds, bufferSeed{byte(i), b.Data})
				}
			}
		}
	}
	return seeds
}

func TestFuzzSeedsAreNotEmpty(t *testing.T) {
	t.Parallel()
	if n := len(pacSeeds(t)); n < 20 {
		t.Errorf("%d PAC seeds", n)
	}
	if n := len(logonInfoSeeds(t)); n < 20 {
		t.Errorf("%d logon info seeds", n)
	}
	covered := map[byte]bool{}
	for _, s := range bufferSeeds(t) {
		covered[s.typ] = true
	}
	if len(covered) != len(smallTypes) {
		t.Errorf("buffer seeds cover %d of %d types", len(covered), len(smallTypes))
	}
}

// withoutDecodedData is p with the bytes of the buffers it decodes dropped:
// those are what Marshal rewrites.
func withoutDecodedData(p *PAC) *PAC {
	q := *p
	q.Buffers = make([]Buffer, len(p.Buffers))
	for i, b := range p.Buffers {
		q.Buffers[i] = b
		if decoded(b.Type) {
			q.Buffers[i].Data = nil
		}
	}
	return &q
}

func checkError(t *testing.T, err error, result any) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *pac.Error", err, err)
	}
	if !reflect.ValueOf(result).IsNil() {
		t.Fatalf("error %v with a non-nil result", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range pacSeeds(f) {
		f.Add(s)
	}
	server := testKey(f, crypto.AES256CTSHMACSHA196, 1)
	kdc := testKey(f, crypto.RC4HMAC, 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		// Neither may panic, whatever the PAC.
		_ = Verify(b, server)
		_ = VerifyKDC(b, kdc)

		p, err := Parse(b)
		if err != nil {
			checkError(t, err, p)
			return
		}
		m, err := p.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed PAC: %v", err)
		}
		q, err := Parse(m)
		if err != nil {
			t.Fatalf("Parse of a marshalled PAC: %v", err)
		}
		if !reflect.DeepEqual(withoutDecodedData(q), withoutDecodedData(p)) {
			t.Fatalf("round trip changed the PAC:\n got %+v\nwant %+v", q, p)
		}
		m2, err := q.Marshal()
		if err != nil || !bytes.Equal(m2, m) {
			t.Fatalf("Marshal is not stable: %v", err)
		}
	})
}

func FuzzLogonInfo(f *testing.F) {
	for _, s := range logonInfoSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		li, err := ParseLogonInfo(b)
		if err != nil {
			checkError(t, err, li)
			return
		}
		m, err := li.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed logon info: %v", err)
		}
		again, err := ParseLogonInfo(m)
		if err != nil {
			t.Fatalf("ParseLogonInfo of a marshalled logon info: %v", err)
		}
		if !reflect.DeepEqual(again, li) {
			t.Fatalf("round trip changed the logon info:\n got %+v\nwant %+v", again, li)
		}
		if m2, err := again.Marshal(); err != nil || !bytes.Equal(m2, m) {
			t.Fatalf("Marshal is not stable: %v", err)
		}
	})
}

// FuzzBuffer drives the decoders of the small buffers directly: client
// info, UPN DNS info, attributes, requestor and signature.
func FuzzBuffer(f *testing.F) {
	for _, s := range bufferSeeds(f) {
		f.Add(s.typ, s.data)
	}
	f.Fuzz(func(t *testing.T, typ byte, b []byte) {
		var v, again any
		var m []byte
		var err *Error
		switch smallTypes[int(typ)%len(smallTypes)] {
		case BufferClientInfo:
			var c *ClientInfo
			if c, err = parseClientInfo(b); err == nil {
				if m, err = c.marshal(); err == nil {
					v = c
					again, err = parseClientInfo(m)
				}
			}
		case BufferUPNDNSInfo:
			var u *UPNDNSInfo
			if u, err = parseUPNDNSInfo(b); err == nil {
				if m, err = u.marshal(); err == nil {
					v = u
					again, err = parseUPNDNSInfo(m)
				}
			}
		case BufferAttributesInfo:
			var a *AttributesInfo
			if a, err = parseAttributesInfo(b); err == nil {
				if m, err = a.marshal(); err == nil {
					v = a
					again, err = parseAttributesInfo(m)
				}
			}
		case BufferRequestor:
			var s adtypes.SID
			if s, err = parseRequestor(b); err == nil {
				if m, err = marshalRequestor(s); err == nil {
					v = s
					again, err = parseRequestor(m)
				}
			}
		case BufferServerSignature:
			var s *Signature
			if s, err = parseSignature(b, "PAC_SIGNATURE_DATA"); err == nil {
				if m, err = s.marshal("PAC_SIGNATURE_DATA"); err == nil {
					v = s
					again, err = parseSignature(m, "PAC_SIGNATURE_DATA")
				}
			}
		}
		if v == nil {
			if err == nil || err.Op != "parse" {
				t.Fatalf("rejected with %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("accepted input failed to round-trip: %v", err)
		}
		if !reflect.DeepEqual(again, v) {
			t.Fatalf("round trip changed the value:\n got %+v\nwant %+v", again, v)
		}
	})
}
