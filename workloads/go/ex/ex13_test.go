// Exercise 13 — runtime.ReadMemStats per request; the Go peer of
// workloads/ex13_read_memstats.c. It also holds the victim goroutine that
// ex14 shares (workloads/victim.h on the C side).
//
// handleRequest = serve() (a 512-byte response built on the stack) + either
// ReadMemStats (stopTheWorld("read mem stats")) or metrics.Read of
// objects+unused (HeapInuse), no stop. The sweep is the other P: idle, or
// a CPU-bound victim that every stop must preempt; the victim reports its
// worst delay as "victim-max-ns". Go 1.19 keeps no count of
// stop-the-worlds by reason, so the STW figures of the C side have no peer.
package ex

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	_ "unsafe" // go:linkname
)

//go:linkname exNanotime runtime.nanotime
func exNanotime() int64

// exVictim is a goroutine that only computes and records the largest gap
// between consecutive iterations (see workloads/victim.h).
type exVictim struct {
	stop   atomic.Bool
	epoch  atomic.Uint64
	done   chan struct{}
	maxGap int64
	minGap int64
	iters  uint64
	sink   uint64
}

//go:noinline
func exVictimWork(x uint64) uint64 {
	for i := 0; i < 2000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func (v *exVictim) loop() {
	x := uint64(0x9E3779B97F4A7C15)
	epoch := v.epoch.Load()
	maxGap, minGap, iters := int64(0), int64(1<<62), uint64(0)
	last := exNanotime()
	for !v.stop.Load() {
		x = exVictimWork(x)
		now := exNanotime()
		if e := v.epoch.Load(); e != epoch {
			epoch, maxGap, minGap, iters, last = e, 0, 1<<62, 0, now
			continue
		}
		gap := now - last
		last = now
		iters++
		if gap > maxGap {
			maxGap = gap
		}
		if gap < minGap {
			minGap = gap
		}
	}
	v.maxGap, v.minGap, v.iters, v.sink = maxGap, minGap, iters, x
	close(v.done)
}

func exVictimStart() *exVictim {
	v := &exVictim{done: make(chan struct{})}
	go v.loop()
	return v
}

func (v *exVictim) mark() { v.epoch.Add(1) }

// stopLat ends the victim; its worst delay since the mark, or -1.
func (v *exVictim) stopLat() int64 {
	v.stop.Store(true)
	<-v.done
	if v.iters < 2 {
		return -1
	}
	return v.maxGap - v.minGap
}

const ex13RespSize = 512

var (
	ex13Resp      [ex13RespSize / 8]uint64
	ex13HeapInuse uint64 // the tracer's gauge
	ex13Digest    uint64
)

//go:noinline
func ex13Serve(req uint64) uint64 {
	var resp [ex13RespSize / 8]uint64
	h := uint64(0xcbf29ce484222325)
	for i := range resp {
		resp[i] = req*0x9E3779B97F4A7C15 + uint64(i)
		h = (h ^ resp[i]) * 0x100000001b3
	}
	ex13Resp = resp
	return h
}

//go:noinline
func ex13HandleBefore(req uint64) uint64 {
	d := ex13Serve(req)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ex13HeapInuse = ms.HeapInuse
	return d
}

//go:noinline
func ex13HandleAfter(req uint64) uint64 {
	d := ex13Serve(req)
	s := [2]metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	metrics.Read(s[:])
	ex13HeapInuse = s[0].Value.Uint64() + s[1].Value.Uint64()
	return d
}

func BenchmarkEx13(b *testing.B) {
	params := []struct {
		name string
		busy bool
	}{{"otherP=idle", false}, {"otherP=busy", true}}
	variants := []struct {
		name   string
		handle func(uint64) uint64
	}{{"before", ex13HandleBefore}, {"after", ex13HandleAfter}}
	for _, v := range variants {
		for _, p := range params {
			v, p := v, p
			b.Run(v.name+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				b.StopTimer()
				var vic *exVictim
				if p.busy {
					vic = exVictimStart()
					vic.mark()
				}
				b.StartTimer()
				d := uint64(0)
				for i := 0; i < b.N; i++ {
					d += v.handle(uint64(i))
				}
				b.StopTimer()
				ex13Digest = d
				if vic != nil {
					if lat := vic.stopLat(); lat >= 0 {
						b.ReportMetric(float64(lat), "victim-max-ns")
					}
				}
			})
		}
	}
}
