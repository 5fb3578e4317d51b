// Exercise 6 — runtime.GC() after every request; the Go peer of
// workloads/ex06_manual_gc.c.
//
// handleRequest = serve() (a 4 KiB body and 8 headers of two objects each,
// ~4.6 KiB in 18 objects, as the C side) then runtime.GC() (before) or not
// (after). The swept live heap is a cache of 64-byte entries indexed by one
// pointer table, built once outside the timer and kept reachable from a
// package variable, so every cycle marks it all. Figures, as the C side:
// peak-heap-B (the largest /memory/classes/heap/objects:bytes, sampled
// every 16 requests), pause-ns/op (MemStats.PauseTotalNs delta per op),
// max-stw-ns (the longest MemStats.PauseNs among the run's cycles) and
// gc/op (NumGC delta per op).
package ex

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

type ex06Header struct {
	name  string
	value []byte
	next  *ex06Header
}

type ex06Response struct {
	status  int
	headers *ex06Header
	body    []byte
}

var ex06HeaderNames = [8]string{"Content-Type", "Content-Length",
	"Cache-Control", "Date", "Server", "Vary", "X-Request-Id", "Connection"}

var (
	ex06SinkResp   *ex06Response
	ex06SinkDigest uint64
)

func ex06Mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

//go:noinline
func ex06Serve(id uint64) uint64 {
	r := &ex06Response{status: 200}
	for i := 0; i < 8; i++ {
		h := &ex06Header{name: ex06HeaderNames[i], value: make([]byte, 32)}
		v := ex06Mix(id*8 + uint64(i))
		for j := 0; j < 31; j++ {
			h.value[j] = byte('a' + (v>>(j%60))%26)
		}
		h.next = r.headers
		r.headers = h
	}
	r.body = make([]byte, 4096)
	x := id + 1
	d := uint64(r.status)
	for i := 0; i < 4096/8; i++ {
		x = ex06Mix(x + uint64(i))
		for k := 0; k < 8; k++ {
			r.body[i*8+k] = byte(x >> (8 * k))
		}
		d = (d ^ x) * 0x100000001b3
	}
	for h := r.headers; h != nil; h = h.next {
		d = (d ^ uint64(h.value[0])) * 0x100000001b3
	}
	ex06SinkResp = r
	return d
}

type ex06Entry struct {
	key  uint64
	val  [5]uint64
	next *ex06Entry
}

var ex06Live struct {
	bytes int
	table []*ex06Entry
}

func ex06BuildLive(bytes int) {
	if ex06Live.bytes == bytes {
		return
	}
	ex06Live.table = nil
	n := bytes / (64 + 8)
	t := make([]*ex06Entry, n)
	for i := 0; i < n; i++ {
		e := &ex06Entry{key: uint64(i)}
		for j := 0; j < 5; j++ {
			e.val[j] = ex06Mix(uint64(i*5 + j))
		}
		if i%8 != 0 {
			e.next = t[i-1]
		}
		t[i] = e
	}
	ex06Live.table = t
	ex06Live.bytes = bytes
}

func BenchmarkEx06(b *testing.B) {
	params := []struct {
		name  string
		bytes int
	}{{"live=150KB", 150 << 10}, {"live=8MB", 8 << 20}, {"live=64MB", 64 << 20}}
	// Drop the live structure at the end, so that the next benchmarks in
	// this process do not run with its heap goal.
	defer func() { ex06Live.table, ex06Live.bytes = nil, 0 }()
	for _, v := range []string{"before", "after"} {
		for _, p := range params {
			force := v == "before"
			bytes := p.bytes
			b.Run(v+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				ex06BuildLive(bytes)
				runtime.GC()
				sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				metrics.Read(sample)
				peak := sample[0].Value.Uint64()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ex06SinkDigest = ex06Serve(uint64(i))
					if force {
						runtime.GC() // "to keep memory bounded"
					}
					if i%16 == 0 {
						metrics.Read(sample)
						if h := sample[0].Value.Uint64(); h > peak {
							peak = h
						}
					}
				}
				b.StopTimer()
				metrics.Read(sample)
				if h := sample[0].Value.Uint64(); h > peak {
					peak = h
				}
				runtime.ReadMemStats(&ms1)
				cycles := ms1.NumGC - ms0.NumGC
				var maxPause uint64
				for k := uint32(0); k < cycles && k < 256; k++ {
					if p := ms1.PauseNs[(ms1.NumGC-1-k+256)%256]; p > maxPause {
						maxPause = p
					}
				}
				n := float64(b.N)
				b.ReportMetric(float64(peak), "peak-heap-B")
				b.ReportMetric(float64(ms1.PauseTotalNs-ms0.PauseTotalNs)/n, "pause-ns/op")
				b.ReportMetric(float64(maxPause), "max-stw-ns")
				b.ReportMetric(float64(cycles)/n, "gc/op")
			})
		}
	}
}
