package ccache_test

import (
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
)

// BenchmarkParseCCache reads the cache MIT kinit and kvno wrote: two
// configuration entries, a TGT and a service ticket.
func BenchmarkParseCCache(b *testing.B) {
	v := readVector(b, "testdata/mit/kinit-kvno-v4.txt")
	b.SetBytes(int64(len(v.data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ccache.Parse(v.data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalCCache writes it back.
func BenchmarkMarshalCCache(b *testing.B) {
	v := readVector(b, "testdata/mit/kinit-kvno-v4.txt")
	c, err := ccache.Parse(v.data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v.data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
