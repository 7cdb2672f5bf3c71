package agent

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkLeaseCreate times lease creation against the lab DC (in this
// process, over loopback): cold is the first lease of a gMSA (LDAPS
// connection and bind, msDS-ManagedPassword read, key derivation, AS
// exchange, files, state), warm another lease of a gMSA already held (files
// and state only). Each reports its p50 and p99.
func BenchmarkLeaseCreate(b *testing.B) {
	tl := startLab(b)
	ctx := context.Background()
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(b *testing.B) {
			a := newAgent(b, tl.options(b, b.TempDir()))
			sp := spec(b, "WebApp01")
			if warm {
				if _, err := a.Create(ctx, root, CreateRequest{ID: "keep", CredentialSpec: sp}); err != nil {
					b.Fatal(err)
				}
			}
			var times []time.Duration
			i := 0
			for b.Loop() {
				id := "l" + strconv.Itoa(i)
				i++
				start := time.Now()
				if _, err := a.Create(ctx, root, CreateRequest{ID: id, CredentialSpec: sp}); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
				if !warm {
					b.StopTimer()
					if err := a.Delete(root, id); err != nil { // the gMSA leaves memory: the next create is cold
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
			if warm && a.metrics.passwordReads.Load() != 1 {
				b.Errorf("warm leases read the password %d times", a.metrics.passwordReads.Load())
			}
		})
	}
}
