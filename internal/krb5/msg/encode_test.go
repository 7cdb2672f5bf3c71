package msg

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Each case changes one field of a valid value so that it cannot be
// encoded.
func TestEncodingRefusesValuesRFC4120Cannot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   func() interface{ Marshal() ([]byte, error) }
		wantErr error
		wantMsg string
	}{
		{"a valid KRB-ERROR encodes", func() interface{ Marshal() ([]byte, error) } { return sampleError() }, nil, ""},
		{"a zero required time is refused", func() interface{ Marshal() ([]byte, error) } {
			e := sampleError()
			e.STime = time.Time{}
			return e
		}, ErrMissingField, "KRB-ERROR.stime"},
		{"a time after 9999 is refused", func() interface{ Marshal() ([]byte, error) } {
			e := sampleEncTktPart()
			e.EndTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
			return e
		}, ErrBadValue, "EncTicketPart.endtime"},
		{"a time before 1970 is refused", func() interface{ Marshal() ([]byte, error) } {
			return &PAEncTSEnc{PATimestamp: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)}
		}, ErrBadValue, "PA-ENC-TS-ENC.patimestamp"},
		{"microseconds of a million are refused", func() interface{ Marshal() ([]byte, error) } {
			return &EncAPRepPart{CTime: sampleTime, CUSec: 1000000}
		}, ErrBadValue, "EncAPRepPart.cusec"},
		{"negative microseconds are refused", func() interface{ Marshal() ([]byte, error) } {
			return &PAEncTSEnc{PATimestamp: sampleTime, PAUSec: new(int32(-1))}
		}, ErrBadValue, "PA-ENC-TS-ENC.pausec"},
		{"a KDC-REQ with a reply's msg-type is refused", func() interface{ Marshal() ([]byte, error) } {
			return sampleKDCReq(MsgTypeASRep, sampleKDCReqBody(), nil)
		}, ErrBadValue, "KDC-REQ.msg-type"},
		{"a KDC-REP with a request's msg-type is refused", func() interface{ Marshal() ([]byte, error) } {
			return sampleKDCRep(MsgTypeTGSReq)
		}, ErrBadValue, "KDC-REP.msg-type"},
		{"a KRB-ERROR with both METHOD-DATA and raw e-data is refused", func() interface{ Marshal() ([]byte, error) } {
			e := sampleError()
			e.MethodData = samplePAData()
			return e
		}, ErrBadValue, "KRB-ERROR.e-data"},
		{"an empty ETYPE-INFO2 is refused", func() interface{ Marshal() ([]byte, error) } { return ETypeInfo2{} }, ErrBadValue, "ETYPE-INFO2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := tc.value().Marshal()
			if tc.wantErr == nil {
				if err != nil || len(b) == 0 {
					t.Fatalf("got %x, %v", b, err)
				}
				return
			}
			if b != nil || !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got %x, %v; want %v mentioning %q", b, err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

func TestNestedEncodingErrorsReachTheTop(t *testing.T) {
	t.Parallel()
	body := sampleKDCReqBody()
	body.Till = time.Time{}
	r := sampleKDCReq(MsgTypeTGSReq, body, nil)
	if _, err := r.Marshal(); !errors.Is(err, ErrMissingField) || !strings.Contains(err.Error(), "KDC-REQ-BODY.till") {
		t.Fatalf("got %v", err)
	}
}

func TestTimesAreWrittenInUTCAndTruncatedToTheSecond(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CEST", 2*3600)
	ts := &PAEncTSEnc{PATimestamp: time.Date(1994, 6, 10, 8, 3, 17, 999_999_999, paris)}
	b := mustMarshal(t, ts)
	got, err := ParsePAEncTSEnc(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.PATimestamp.Equal(sampleTime) || got.PATimestamp.Location() != time.UTC {
		t.Errorf("got %v, want %v", got.PATimestamp, sampleTime)
	}
	if !strings.Contains(string(b), "19940610060317Z") {
		t.Errorf("encoding %x lacks 19940610060317Z", b)
	}
}

func TestKerberosFlagsAreAlways32Bits(t *testing.T) {
	t.Parallel()
	for _, f := range []APOptions{0, APOptionMutualRequired, 1} {
		b := mustMarshal(t, &APReq{APOptions: f, Ticket: sampleTicket(), Authenticator: sampleEncData()})
		n := parseTree(t, b).at(0).field(t, 2).at(0)
		if n.tag != 0x03 || len(n.val) != 5 || n.val[0] != 0 {
			t.Errorf("%v: BIT STRING %x", f, n.val)
		}
	}
}

func TestOptionalFieldsAreOmittedNotEncodedEmpty(t *testing.T) {
	t.Parallel()
	// Every OPTIONAL field of an Authenticator absent: only [0], [1], [2],
	// [4], [5] are written.
	a := &Authenticator{CRealm: "R", CName: samplePrincipal(), CTime: sampleTime}
	var tags []byte
	for _, k := range parseTree(t, mustMarshal(t, a)).at(0).kids {
		tags = append(tags, k.tag)
	}
	if string(tags) != "\xa0\xa1\xa2\xa4\xa5" {
		t.Errorf("fields %x, want a0 a1 a2 a4 a5", tags)
	}
	// A present empty SEQUENCE OF is written, and read back non-nil.
	a.AuthorizationData = AuthorizationData{}
	got, err := ParseAuthenticator(mustMarshal(t, a))
	if err != nil {
		t.Fatal(err)
	}
	if got.AuthorizationData == nil || len(got.AuthorizationData) != 0 {
		t.Errorf("authorization-data %#v, want empty non-nil", got.AuthorizationData)
	}
}
