package bench

import (
	"runtime"
	"testing"

	"github.com/eseal/eseal/verify"
)

// BenchmarkVerifyConcurrent is verification as a server sees it: eight verifiers at once, each
// taking the next licence, on however many cores there are. Its figure is the time per
// verification across all of them (b.N verifications in all), so 1/ns is the throughput.
func BenchmarkVerifyConcurrent(b *testing.B) {
	f := getFixture(b, "licence")
	for _, cached := range []bool{false, true} {
		name := "licence/8-verifiers"
		var cache *verify.Cache
		if cached {
			name, cache = name+"-cached", verify.NewCache()
		}
		b.Run(name, func(b *testing.B) {
			opts := verifyOptions(f)
			opts.Cache = cache
			b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				file, size := openSized(b, f.sm2)
				defer file.Close()
				for pb.Next() {
					esealVerifyWith(b, opts, file, size)
				}
			})
		})
	}
}
