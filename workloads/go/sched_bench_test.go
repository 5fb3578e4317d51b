// Package sched holds the Go peers of workloads/bench_sched.c: the same
// scheduler operations, with the same benchmark names, so `make bench` can
// print librt's ns/op beside Go's. Standard library only.
//
// Mapping to the C side:
//
//	GoroutineCreate   go f() + sync.WaitGroup   rt_go + rt_waitgroup
//	PingPong1P/2P     unbuffered chan round     unbuffered rt_chan round trip,
//	                  trip, GOMAXPROCS 1 or 2   RT_MAXPROCS=1 or 2
//	Gosched           runtime.Gosched           rt_gosched
//	MutexUncontended  sync.Mutex Lock+Unlock    rt_mutex_lock+unlock
//
// An unbuffered channel send to a parked receiver is a direct hand-off plus
// goready; with no receiver the sender gopark()s ("chan send"), on both
// sides.
package sched

import (
	"runtime"
	"sync"
	"testing"
)

// BenchmarkGoroutineCreate: one goroutine created, run and joined per op.
func BenchmarkGoroutineCreate(b *testing.B) {
	var wg sync.WaitGroup
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
		wg.Wait()
	}
}

// pingPong: one op is `ping <- v; <-pong` against a goroutine that answers.
func pingPong(b *testing.B, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	ping, pong := make(chan uint64), make(chan uint64)
	done := make(chan struct{})
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(done)
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- uint64(i)
		if <-pong != uint64(i)+1 {
			b.Fatal("pingpong: wrong value")
		}
	}
	b.StopTimer()
	close(ping)
	<-done
}

// BenchmarkPingPong1P: round trip between two goroutines on one P.
func BenchmarkPingPong1P(b *testing.B) { pingPong(b, 1) }

// BenchmarkPingPong2P: the same round trip with GOMAXPROCS=2.
func BenchmarkPingPong2P(b *testing.B) { pingPong(b, 2) }

// BenchmarkGosched: runtime.Gosched puts the goroutine on the global queue.
func BenchmarkGosched(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.Gosched()
	}
}

// BenchmarkMutexUncontended: Lock+Unlock with no other goroutine involved.
func BenchmarkMutexUncontended(b *testing.B) {
	var mu sync.Mutex
	for i := 0; i < b.N; i++ {
		mu.Lock()
		mu.Unlock()
	}
}
