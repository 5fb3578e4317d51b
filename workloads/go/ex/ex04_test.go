// Exercise 4 — defer Unlock() in a tight loop; the Go peer of
// workloads/ex04_defer_unlock.c.
//
// defer=open-coded: `mu.Lock(); defer mu.Unlock(); m[k]++` on a 64-entry
// array (one defer at function scope: the compiler open-codes it) against
// a manual Unlock. defer=in-loop: lock 4 shards in a loop with a defer
// each (deferproc/deferreturn: Go cannot open-code a defer in a loop),
// bump each shard's counter, against unlocking the shards by hand.
package ex

import (
	"sync"
	"testing"
)

const (
	ex04Keys   = 64
	ex04Shards = 4
)

var (
	ex04Mu sync.Mutex
	ex04M  [ex04Keys]uint64
	ex04S  [ex04Shards]struct {
		mu sync.Mutex
		m  [ex04Keys]uint64
	}
)

//go:noinline
func ex04IncDefer(k uint64) {
	ex04Mu.Lock()
	defer ex04Mu.Unlock()
	ex04M[k]++
}

//go:noinline
func ex04IncManual(k uint64) {
	ex04Mu.Lock()
	ex04M[k]++
	ex04Mu.Unlock()
}

//go:noinline
func ex04IncShardsDefer(k uint64) {
	for i := range ex04S {
		ex04S[i].mu.Lock()
		defer ex04S[i].mu.Unlock()
	}
	for i := range ex04S {
		ex04S[i].m[k]++
	}
}

//go:noinline
func ex04IncShardsManual(k uint64) {
	for i := range ex04S {
		ex04S[i].mu.Lock()
	}
	for i := range ex04S {
		ex04S[i].m[k]++
	}
	for i := len(ex04S) - 1; i >= 0; i-- {
		ex04S[i].mu.Unlock()
	}
}

func ex04Run(b *testing.B, f func(uint64)) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f(uint64(i) % ex04Keys)
	}
}

func BenchmarkEx04(b *testing.B) {
	b.Run("before/defer=open-coded", func(b *testing.B) { ex04Run(b, ex04IncDefer) })
	b.Run("after/defer=open-coded", func(b *testing.B) { ex04Run(b, ex04IncManual) })
	b.Run("before/defer=in-loop", func(b *testing.B) { ex04Run(b, ex04IncShardsDefer) })
	b.Run("after/defer=in-loop", func(b *testing.B) { ex04Run(b, ex04IncShardsManual) })
}
