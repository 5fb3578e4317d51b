// Go peers of workloads/bench_chan.c: the same channel, select and timer
// operations, with the same benchmark names, so `make bench` can print
// librt beside Go. Standard library only.
//
// Mapping to the C side:
//
//	ChanPingPong        unbuffered ping/pong round   rt_chan_send/recv,
//	                    trip between two goroutines  cap 0
//	ChanBuffered        c <- v; <-c, cap 128         the same, one goroutine
//	Select2OneReady     2-case select, one ready,    rt_select, 2 cases,
//	                    then the refill send         + rt_chan_send
//	SelectDefaultEmpty  select { case <-c: default: }  rt_chan_tryrecv
//	                    (selectnbrecv), c empty
//	TimerNewStop        time.NewTimer(time.Hour)     rt_timer_new +
//	                    + Stop                       rt_timer_stop
//	TimerReset          t.Reset(time.Hour)           rt_timer_reset
//	AfterLoop           select { case <-ch:          rt_select on ch and
//	                    case <-time.After(5s): }     rt_after(5 s)
//	ResetLoop           t.Reset(5s) + the select     rt_timer_reset +
//	                    on ch and t.C                rt_select
//
// AfterLoop vs ResetLoop is Ex3 of the seed: each time.After leaves a timer
// in the heap for 5 s (Go 1.19 here, as Go <= 1.22), one Reset does not.
package sched

import (
	"testing"
	"time"
)

// BenchmarkChanPingPong: one op is `ping <- v; <-pong` against a goroutine
// that answers.
func BenchmarkChanPingPong(b *testing.B) {
	b.ReportAllocs()
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
			b.Fatal("ChanPingPong: wrong value")
		}
	}
	b.StopTimer()
	close(ping)
	<-done
}

// BenchmarkChanBuffered: a send then a receive on a chan of 128, one
// goroutine.
func BenchmarkChanBuffered(b *testing.B) {
	b.ReportAllocs()
	c := make(chan uint64, 128)
	var v uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c <- uint64(i)
		v = <-c
	}
	b.StopTimer()
	if v != uint64(b.N)-1 {
		b.Fatal("ChanBuffered: wrong value")
	}
}

// BenchmarkSelect2OneReady: a 2-case select whose first case is ready (c
// holds a value), then the send that refills c.
func BenchmarkSelect2OneReady(b *testing.B) {
	b.ReportAllocs()
	c := make(chan uint64, 1)
	never := make(chan uint64)
	var v uint64
	c <- v
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		select {
		case v = <-c:
		case v = <-never:
			b.Fatal("Select2OneReady: wrong case")
		}
		c <- v
	}
}

// BenchmarkSelectDefaultEmpty: a select with a default on an empty channel;
// the compiler makes it selectnbrecv.
func BenchmarkSelectDefaultEmpty(b *testing.B) {
	b.ReportAllocs()
	c := make(chan uint64)
	for i := 0; i < b.N; i++ {
		select {
		case <-c:
			b.Fatal("SelectDefaultEmpty: received")
		default:
		}
	}
}

// BenchmarkTimerNewStop: time.NewTimer then Stop.
func BenchmarkTimerNewStop(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		t := time.NewTimer(time.Hour)
		if !t.Stop() {
			b.Fatal("TimerNewStop: timer not active")
		}
	}
}

// BenchmarkTimerReset: Reset of one active timer.
func BenchmarkTimerReset(b *testing.B) {
	b.ReportAllocs()
	t := time.NewTimer(time.Hour)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Reset(time.Hour)
	}
	b.StopTimer()
	t.Stop()
}

// BenchmarkAfterLoop: `select { case <-ch: case <-time.After(5s): }` with ch
// always ready: a new timer and channel per op, left in the heap.
func BenchmarkAfterLoop(b *testing.B) {
	b.ReportAllocs()
	ch := make(chan uint64, 1)
	for i := 0; i < b.N; i++ {
		ch <- uint64(i)
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			b.Fatal("AfterLoop: timer fired")
		}
	}
}

// BenchmarkResetLoop: the same select with one timer Reset each op.
func BenchmarkResetLoop(b *testing.B) {
	b.ReportAllocs()
	ch := make(chan uint64, 1)
	t := time.NewTimer(5 * time.Second)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch <- uint64(i)
		t.Reset(5 * time.Second)
		select {
		case <-ch:
		case <-t.C:
			b.Fatal("ResetLoop: timer fired")
		}
	}
	b.StopTimer()
	t.Stop()
}
