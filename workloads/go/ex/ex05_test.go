// Exercise 5 — a goroutine per item; the Go peer of
// workloads/ex05_goroutine_per_item.c.
//
// Enrich(rows): one goroutine per row + WaitGroup (before) or a pool of
// min(GOMAXPROCS, len(rows)) workers fed by a channel (after), the seed's
// code. enrich is the same ~100-200 ns hash as the C side. One op is one
// Enrich call. After the timed calls, one more call samples
// runtime.NumGoroutine and /memory/classes/heap/stacks:bytes after each
// spawn or send: peak-goroutines and peak-stack-B.
package ex

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
)

type ex05Row struct {
	ID, A, B uint64
	Name     [16]byte
}

type ex05Enriched struct{ ID, Score uint64 }

func ex05Enrich(r ex05Row) ex05Enriched {
	h := r.ID ^ 0x9E3779B97F4A7C15
	for i := 0; i < 48; i++ {
		h ^= h >> 29
		h *= 0xBF58476D1CE4E5B9
		h ^= r.A + uint64(r.Name[i&15])
		h += r.B
	}
	return ex05Enriched{r.ID, h}
}

type ex05Peak struct {
	gs    int
	stack uint64
	s     []metrics.Sample
}

func (pk *ex05Peak) sample() {
	if pk == nil {
		return
	}
	if n := runtime.NumGoroutine(); n > pk.gs {
		pk.gs = n
	}
	metrics.Read(pk.s)
	if v := pk.s[0].Value.Uint64(); v > pk.stack {
		pk.stack = v
	}
}

func ex05PerItem(rows []ex05Row, pk *ex05Peak) []ex05Enriched {
	out := make([]ex05Enriched, len(rows))
	var wg sync.WaitGroup
	for i, r := range rows {
		wg.Add(1)
		go func(i int, r ex05Row) {
			defer wg.Done()
			out[i] = ex05Enrich(r)
		}(i, r)
		pk.sample()
	}
	wg.Wait()
	return out
}

func ex05Pool(rows []ex05Row, pk *ex05Peak) []ex05Enriched {
	out := make([]ex05Enriched, len(rows))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(rows) {
		workers = len(rows)
	}
	type job struct {
		i int
		r ex05Row
	}
	ch := make(chan job, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				out[j.i] = ex05Enrich(j.r)
			}
		}()
	}
	for i, r := range rows {
		ch <- job{i, r}
		pk.sample()
	}
	close(ch)
	wg.Wait()
	return out
}

func ex05Rows(n int) []ex05Row {
	rows := make([]ex05Row, n)
	for i := range rows {
		rows[i] = ex05Row{ID: uint64(i) + 1, A: uint64(i) * 7919, B: uint64(i) ^ 0x5bd1e995}
		copy(rows[i].Name[:], fmt.Sprintf("row-%d", i))
	}
	return rows
}

var ex05Sink []ex05Enriched

func ex05Run(b *testing.B, n int, enrich func([]ex05Row, *ex05Peak) []ex05Enriched) {
	b.ReportAllocs()
	rows := ex05Rows(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ex05Sink = enrich(rows, nil)
	}
	b.StopTimer()
	pk := &ex05Peak{s: []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}}}
	ex05Sink = enrich(rows, pk)
	b.ReportMetric(float64(pk.gs), "peak-goroutines")
	b.ReportMetric(float64(pk.stack), "peak-stack-B")
}

func BenchmarkEx05(b *testing.B) {
	for _, n := range []int{10000, 50} {
		name := fmt.Sprintf("rows=%d", n)
		b.Run("before/"+name, func(b *testing.B) { ex05Run(b, n, ex05PerItem) })
		b.Run("after/"+name, func(b *testing.B) { ex05Run(b, n, ex05Pool) })
	}
}
