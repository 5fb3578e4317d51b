// Exercise 1 — channel send in a hot loop where an atomic would do; the Go
// peer of workloads/ex01_chan_counter.c.
//
// before: the seed's Counter (chan int64, cap 1024, a reducer goroutine
// ranging over it), Inc = c.ch <- 1; after: atomic.Int64.Add. The sweep
// splits b.N Incs over 1 or 2 producer goroutines; the reducer is closed
// and drained after the timer stops.
package ex

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

type ex01Counter struct {
	ch   chan int64
	done chan int64
}

func ex01NewCounter() *ex01Counter {
	c := &ex01Counter{ch: make(chan int64, 1024), done: make(chan int64, 1)}
	go func() {
		var sum int64
		for v := range c.ch {
			sum += v // reduce
		}
		c.done <- sum
	}()
	return c
}

func (c *ex01Counter) Inc() { c.ch <- 1 }

var (
	ex01Sink   int64
	ex01Atomic atomic.Int64
)

// ex01Split runs n calls of inc over procs goroutines and waits for them.
func ex01Split(n, procs int, inc func()) {
	var wg sync.WaitGroup
	for p := 0; p < procs; p++ {
		k := n / procs
		if p == 0 {
			k += n % procs
		}
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for i := 0; i < k; i++ {
				inc()
			}
		}(k)
	}
	wg.Wait()
}

func BenchmarkEx01(b *testing.B) {
	for _, procs := range []int{1, 2} {
		name := fmt.Sprintf("producers=%d", procs)
		b.Run("before/"+name, func(b *testing.B) {
			b.ReportAllocs()
			c := ex01NewCounter()
			b.ResetTimer()
			ex01Split(b.N, procs, c.Inc)
			b.StopTimer()
			close(c.ch)
			ex01Sink = <-c.done
			if ex01Sink != int64(b.N) {
				b.Fatalf("count %d, want %d", ex01Sink, b.N)
			}
		})
		b.Run("after/"+name, func(b *testing.B) {
			b.ReportAllocs()
			ex01Atomic.Store(0)
			b.ResetTimer()
			ex01Split(b.N, procs, func() { ex01Atomic.Add(1) })
			b.StopTimer()
			ex01Sink = ex01Atomic.Load()
			if ex01Sink != int64(b.N) {
				b.Fatalf("count %d, want %d", ex01Sink, b.N)
			}
		})
	}
}
