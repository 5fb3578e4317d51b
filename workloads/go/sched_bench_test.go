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
//	NumGoroutineFew   runtime.NumGoroutine      rt_num_goroutine, likewise
//	NumGoroutine1000  the same with 1,000       the same with 1,000 parked
//	                  goroutines parked in a    rt_go goroutines
//	                  channel receive
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

var numGoroutineSink int

// numGoroutine: one runtime.NumGoroutine per op while parked goroutines
// wait in a channel receive. NumGoroutine is gcount, O(GOMAXPROCS): the
// count of live goroutines should not change its cost.
func numGoroutine(b *testing.B, parked int) {
	stop := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(parked)
	done.Add(parked)
	for i := 0; i < parked; i++ {
		go func() {
			started.Done()
			<-stop
			done.Done()
		}()
	}
	started.Wait()
	if n := runtime.NumGoroutine(); n < parked+1 {
		b.Fatalf("NumGoroutine: %d < %d", n, parked+1)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		numGoroutineSink = runtime.NumGoroutine()
	}
	b.StopTimer()
	close(stop)
	done.Wait()
}

// BenchmarkNumGoroutineFew: NumGoroutine with only the benchmark's (and
// the testing package's) goroutines alive.
func BenchmarkNumGoroutineFew(b *testing.B) { numGoroutine(b, 0) }

// BenchmarkNumGoroutine1000: the same with 1,000 more goroutines parked.
func BenchmarkNumGoroutine1000(b *testing.B) { numGoroutine(b, 1000) }
