package testpeer

import (
	"reflect"
	"testing"
)

func TestParseLDIF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []map[string][][]byte
		err  bool
	}{{
		name: "plain values, two entries, several values of one attribute",
		in: "dn: CN=a,DC=x\nobjectClass: top\nobjectClass: person\ncn: a\n\n" +
			"dn: CN=b,DC=x\ncn: b\n",
		want: []map[string][][]byte{
			{"dn": {[]byte("CN=a,DC=x")}, "objectClass": {[]byte("top"), []byte("person")}, "cn": {[]byte("a")}},
			{"dn": {[]byte("CN=b,DC=x")}, "cn": {[]byte("b")}},
		},
	}, {
		name: "base64 values are decoded, binary bytes kept",
		in:   "dn: CN=a,DC=x\nobjectGUID:: AAEC/w==\ncn:: w6k=\n",
		want: []map[string][][]byte{
			{"dn": {[]byte("CN=a,DC=x")}, "objectGUID": {{0, 1, 2, 0xff}}, "cn": {[]byte("é")}},
		},
	}, {
		name: "folded lines are joined, in base64 values and in the DN",
		in: "dn: CN=a long name,CN=Managed Servi\n ce Accounts,DC=x\n" +
			"blob:: AQAAACIB\n AAAQAAAA\n\n",
		want: []map[string][][]byte{
			{"dn": {[]byte("CN=a long name,CN=Managed Service Accounts,DC=x")},
				"blob": {{1, 0, 0, 0, 0x22, 1, 0, 0, 0x10, 0, 0, 0}}},
		},
	}, {
		name: "base64 DN, comments, version line and search references are handled",
		in: "version: 1\n\n# a comment\n#  folded\ndn:: Q049w6ksREM9eA==\ncn: e\n\n" +
			"# search reference\nref: ldap://x/CN=Configuration,DC=x\n\n",
		want: []map[string][][]byte{
			{"dn": {[]byte("CN=é,DC=x")}, "cn": {[]byte("e")}},
		},
	}, {
		name: "empty value and CRLF line ends",
		in:   "dn: CN=a\r\ndescription:\r\ninfo: x\r\n",
		want: []map[string][][]byte{
			{"dn": {[]byte("CN=a")}, "description": {{}}, "info": {[]byte("x")}},
		},
	}, {
		name: "empty input has no entries",
		in:   "",
		want: nil,
	}, {
		name: "bad base64 is an error",
		in:   "dn: CN=a\nblob:: !!!\n",
		err:  true,
	}, {
		name: "a line without a colon is an error",
		in:   "dn: CN=a\nnonsense\n",
		err:  true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseLDIF([]byte(tt.in))
			if tt.err {
				if err == nil {
					t.Fatalf("parseLDIF() = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseLDIF(): %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseLDIF() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
