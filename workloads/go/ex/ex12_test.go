// Exercise 12 — runtime.NumGoroutine() polled in metrics; the Go peer of
// workloads/ex12_num_goroutine.c.
//
// One op is one scrape: NumGoroutine (gcount: O(GOMAXPROCS), no allgs
// walk) or an atomic in-flight counter, formatted as "goroutines %d\n".
// The sweep grows len(allgs) before the timer by a burst of goroutines that
// are all alive at once (dead Gs are reused: only peak concurrency grows
// allgs), and reports runtime.allglen (read through linkname: Go exports
// no len(allgs)) as "allgs".
package ex

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	_ "unsafe" // go:linkname
)

//go:linkname ex12Allglen runtime.allglen
var ex12Allglen uintptr

func ex12AllgLen() int {
	return int(atomic.LoadUintptr(&ex12Allglen))
}

// ex12Grow starts goroutines parked on one channel until len(allgs)
// reaches target, then releases them.
func ex12Grow(target int) {
	if ex12AllgLen() >= target {
		return
	}
	release := make(chan struct{})
	var wg sync.WaitGroup
	for ex12AllgLen() < target {
		wg.Add(1)
		go func() {
			<-release
			wg.Done()
		}()
	}
	close(release)
	wg.Wait()
}

var (
	ex12Inflight atomic.Int64 // the app's in-flight requests
	ex12W        bytes.Buffer // the response writer
)

//go:noinline
func ex12ScrapeBefore() {
	ex12W.Reset()
	n := runtime.NumGoroutine()
	fmt.Fprintf(&ex12W, "goroutines %d\n", n)
}

//go:noinline
func ex12ScrapeAfter() {
	ex12W.Reset()
	n := ex12Inflight.Load()
	fmt.Fprintf(&ex12W, "goroutines %d\n", n)
}

func BenchmarkEx12(b *testing.B) {
	params := []struct {
		name string
		n    int
	}{{"allgs=1k", 1000}, {"allgs=100k", 100000}, {"allgs=1M", 1000000}}
	variants := []struct {
		name   string
		scrape func()
	}{{"before", ex12ScrapeBefore}, {"after", ex12ScrapeAfter}}
	// allgs only grows: the sizes go outermost, ascending, so each
	// sub-benchmark sees the allgs its name says.
	for _, p := range params {
		for _, v := range variants {
			v, p := v, p
			b.Run(v.name+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				b.StopTimer()
				ex12Grow(p.n)
				allgs := ex12AllgLen()
				b.StartTimer()
				for i := 0; i < b.N; i++ {
					v.scrape()
				}
				b.StopTimer()
				b.ReportMetric(float64(allgs), "allgs")
			})
		}
	}
}
