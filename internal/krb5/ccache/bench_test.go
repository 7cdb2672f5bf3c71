package ccache_test

import (
	"github.com/opengmsa/gmsa/internal/testvector"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
)

// BenchmarkParseCCache reads the cache MIT kinit and kvno wrote: two
// configuration entries, a TGT and a service ticket.
func BenchmarkParseCCache(b *testing.B) {
	v := testvector.ReadFile(b, "testdata/mit/kinit-kvno-v4.txt", mitSource)
	b.SetBytes(int64(len(v.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ccache.Parse(v.Data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalCCache writes it back.
func BenchmarkMarshalCCache(b *testing.B) {
	v := testvector.ReadFile(b, "testdata/mit/kinit-kvno-v4.txt", mitSource)
	c, err := ccache.Parse(v.Data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
