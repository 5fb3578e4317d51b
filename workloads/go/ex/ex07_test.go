// Exercise 7 — runtime.Gosched() "to give others a chance"; the Go peer of
// workloads/ex07_gosched.c.
//
// compute(data) over 100 000 float64s, summing math.Sqrt(v)*math.Sin(v),
// with runtime.Gosched() every 1000 iterations (before) or without
// (after), the seed's code. Run on GOMAXPROCS=1, as the C side (procs 1),
// with 0 or 1 CPU-bound goroutine competing for the P ("others=N"): alone,
// Gosched is pure overhead; with a competitor each yield waits out the
// competitor's time slice until sysmon preempts it (10 ms).
package ex

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	ex07Data []float64
	ex07Sink float64
	ex07Spin uint64
)

func ex07Init() {
	if ex07Data != nil {
		return
	}
	ex07Data = make([]float64, 100000)
	for i := range ex07Data {
		ex07Data[i] = float64(i%9973)*0.37 + 0.5
	}
}

//go:noinline
func ex07ComputeBefore(data []float64) float64 {
	sum := 0.0
	for i, v := range data {
		sum += math.Sqrt(v) * math.Sin(v)
		if i%1000 == 0 {
			runtime.Gosched() // "be nice"
		}
	}
	return sum
}

//go:noinline
func ex07ComputeAfter(data []float64) float64 {
	sum := 0.0
	for _, v := range data {
		sum += math.Sqrt(v) * math.Sin(v)
	}
	return sum
}

// ex07Competitors starts n CPU-bound goroutines; the returned function
// stops them and waits until they have ended.
func ex07Competitors(n int) func() {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(1)
			for !stop.Load() {
				for j := 0; j < 1000; j++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			atomic.AddUint64(&ex07Spin, x)
		}()
	}
	return func() { stop.Store(true); wg.Wait() }
}

func BenchmarkEx07(b *testing.B) {
	ex07Init()
	for _, v := range []string{"before", "after"} {
		for _, others := range []int{0, 1} {
			compute := ex07ComputeAfter
			if v == "before" {
				compute = ex07ComputeBefore
			}
			n := others
			b.Run(fmt.Sprintf("%s/others=%d", v, n), func(b *testing.B) {
				b.ReportAllocs()
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				stop := ex07Competitors(n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ex07Sink = compute(ex07Data)
				}
				b.StopTimer()
				stop()
			})
		}
	}
}
