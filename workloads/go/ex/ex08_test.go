// Exercise 8 — runtime.LockOSThread for no reason; the Go peer of
// workloads/ex08_lock_os_thread.c.
//
// A pool of GOMAXPROCS workers (GOMAXPROCS=2, as the C side's procs) ranges
// over a jobs channel; each worker calls runtime.LockOSThread (and defers
// UnlockOSThread) first (before) or not (after), the seed's code. The
// producer (the benchmark goroutine) sends b.N jobs, closes the channel and
// waits; process(job) is the same ~200 ns integer mixing as the C side.
// One op is one job. The channel is unbuffered ("jobs=unbuffered": every
// job a hand-off to a parked worker, where a locked worker's M must sleep
// and wake with it) or buffered ("jobs=buffered128").
package ex

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

var ex08Sink uint64

type ex08Job struct{ id, seed uint64 }

//go:noinline
func ex08Process(j ex08Job) uint64 {
	x := j.id ^ j.seed
	for i := 0; i < 64; i++ {
		x ^= x >> 31
		x *= 0x7fb5d329728ea185
		x ^= x >> 27
		x += uint64(i)
	}
	return x
}

func ex08Pool(njobs int, capacity int, locked bool) uint64 {
	jobs := make(chan ex08Job, capacity)
	var wg sync.WaitGroup
	var total uint64
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if locked {
				runtime.LockOSThread() // "to stay on the same thread"
				defer runtime.UnlockOSThread()
			}
			var sum uint64
			for j := range jobs {
				sum += ex08Process(j)
			}
			atomic.AddUint64(&total, sum)
		}()
	}
	for i := 0; i < njobs; i++ {
		jobs <- ex08Job{uint64(i), 0x9e3779b97f4a7c15}
	}
	close(jobs)
	wg.Wait()
	return total
}

func BenchmarkEx08(b *testing.B) {
	params := []struct {
		name string
		cap  int
	}{{"jobs=unbuffered", 0}, {"jobs=buffered128", 128}}
	for _, v := range []string{"before", "after"} {
		for _, p := range params {
			locked := v == "before"
			capacity := p.cap
			b.Run(v+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
				ex08Sink = ex08Pool(b.N, capacity, locked)
			})
		}
	}
}
