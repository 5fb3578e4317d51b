// Go peers of workloads/bench_mem.c: the same memory operations, with the
// same benchmark names, so `make bench` can print librt beside Go.
//
// Mapping to the C side:
//
//	AllocSmall      make([]byte, 64), escaping      rt_mallocgc(64, NOSCAN)
//	Alloc64KiB      make([]byte, 64<<10), escaping  rt_mallocgc(65536, NOSCAN)
//	PoolGetPut      sync.Pool Get+Put of *[]byte    rt_pool_get+rt_pool_put
//	GC64MiB         runtime.GC, 64 MiB of 64-byte   rt_gc, the same list
//	                list nodes live
//	ReadMemStats    runtime.ReadMemStats            rt_read_memstats
//	MetricsReadOne  metrics.Read, one sample        rt_metrics_read, one
//
// Allocations go to package-level sinks so they escape, as rt_mallocgc's
// results do. GC64MiB reports the STW pause per cycle as "pause-ns/op"
// from MemStats.PauseTotalNs, as the C side does from rt_read_memstats.
package sched

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
)

var sink []byte

// BenchmarkAllocSmall: one 64-byte pointer-free heap object per op.
func BenchmarkAllocSmall(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = make([]byte, 64)
	}
}

// BenchmarkAlloc64KiB: one 64 KiB object (a large object) per op.
func BenchmarkAlloc64KiB(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = make([]byte, 64<<10)
	}
}

var pool = sync.Pool{New: func() any {
	buf := make([]byte, 64)
	return &buf
}}

// BenchmarkPoolGetPut: Get then Put of a *[]byte, one goroutine.
func BenchmarkPoolGetPut(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p := pool.Get().(*[]byte)
		pool.Put(p)
	}
}

// node is 64 bytes with one pointer, as bench_mem.c's struct node.
type node struct {
	next *node
	_    [7]uint64
}

const gcLiveBytes = 64 << 20

var gcRoot *node

func buildList() {
	if gcRoot != nil {
		return
	}
	for i := 0; i < gcLiveBytes/64; i++ {
		gcRoot = &node{next: gcRoot}
	}
}

// BenchmarkGC64MiB: one full runtime.GC per op with 64 MiB live.
func BenchmarkGC64MiB(b *testing.B) {
	b.ReportAllocs()
	b.StopTimer()
	buildList()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	pause0 := ms.PauseTotalNs
	b.StartTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.PauseTotalNs-pause0)/float64(b.N), "pause-ns/op")
}

var memStatsSink runtime.MemStats

// BenchmarkReadMemStats: runtime.ReadMemStats, which stops the world.
func BenchmarkReadMemStats(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		runtime.ReadMemStats(&memStatsSink)
	}
}

// BenchmarkMetricsReadOne: metrics.Read of "/gc/heap/allocs:bytes".
func BenchmarkMetricsReadOne(b *testing.B) {
	b.ReportAllocs()
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	for i := 0; i < b.N; i++ {
		metrics.Read(s)
	}
	if s[0].Value.Kind() != metrics.KindUint64 {
		b.Fatal("/gc/heap/allocs:bytes unsupported")
	}
}
