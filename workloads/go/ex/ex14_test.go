// Exercise 14 — runtime.Stack(buf, true) always-on dump; the Go peer of
// workloads/ex14_stack_dump.c.
//
// before: per request a 1 MiB buffer, runtime.Stack(buf, true) (stops the
// world, formats every goroutine), string(buf[:n]) into a log sink, then
// serve(); after: serve() under a deferred recover that dumps only on a
// panic. Background goroutines (10, 1000) park on a channel under 8 frames
// of their own; a CPU-bound victim (ex13_test.go) runs on the other P and
// reports its worst delay as "victim-max-ns".
package ex

import (
	"runtime"
	"sync"
	"testing"
)

var (
	ex14Log    string // the log's last record
	ex14Digest uint64
)

//go:noinline
func ex14BgFrame(quit chan struct{}, depth int) {
	if depth > 1 {
		ex14BgFrame(quit, depth-1)
		return
	}
	<-quit
}

//go:noinline
func ex14HandleBefore(req uint64) uint64 {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	ex14Log = string(buf[:n])
	return ex13Serve(req)
}

//go:noinline
func ex14HandleAfter(req uint64) uint64 {
	defer func() {
		if rv := recover(); rv != nil {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			ex14Log = string(buf[:n])
		}
	}()
	return ex13Serve(req)
}

func BenchmarkEx14(b *testing.B) {
	params := []struct {
		name string
		n    int
	}{{"goroutines=10", 10}, {"goroutines=1000", 1000}}
	variants := []struct {
		name   string
		handle func(uint64) uint64
	}{{"before", ex14HandleBefore}, {"after", ex14HandleAfter}}
	for _, v := range variants {
		for _, p := range params {
			v, p := v, p
			b.Run(v.name+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				b.StopTimer()
				quit := make(chan struct{})
				var wg sync.WaitGroup
				for i := 0; i < p.n; i++ {
					wg.Add(1)
					go func() {
						ex14BgFrame(quit, 8)
						wg.Done()
					}()
				}
				vic := exVictimStart()
				vic.mark()
				b.StartTimer()
				d := uint64(0)
				for i := 0; i < b.N; i++ {
					d += v.handle(uint64(i))
				}
				b.StopTimer()
				ex14Digest = d
				if lat := vic.stopLat(); lat >= 0 {
					b.ReportMetric(float64(lat), "victim-max-ns")
				}
				close(quit)
				wg.Wait()
			})
		}
	}
}
