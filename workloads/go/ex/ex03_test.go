// Exercise 3 — time.After in a select loop; the Go peer of
// workloads/ex03_time_after.c.
//
// A handler goroutine receives b.N messages on an unbuffered channel with
// a 5 s idle timeout: time.After in every select (before) or one Timer,
// Stop+drain+Reset after each message and Stop on exit (after). The
// handler returns when the channel is closed. Go exports no count of the
// timers in its heaps, so the C side's timers-left figure has no Go peer;
// B/op and allocs/op show the Timer and channel per message instead.
package ex

import (
	"testing"
	"time"
)

const ex03Timeout = 5 * time.Second

var ex03Sink uint64

func ex03AfterEach(ch chan uint64, done chan uint64) {
	var sum uint64
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				done <- sum
				return
			}
			sum = sum*31 + msg
		case <-time.After(ex03Timeout):
			done <- sum
			return
		}
	}
}

func ex03OneTimer(ch chan uint64, done chan uint64) {
	var sum uint64
	t := time.NewTimer(ex03Timeout)
	defer t.Stop()
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				done <- sum
				return
			}
			sum = sum*31 + msg
			if !t.Stop() {
				select { // drain without blocking, as the C side
				case <-t.C:
				default:
				}
			}
			t.Reset(ex03Timeout)
		case <-t.C:
			done <- sum
			return
		}
	}
}

func ex03Run(b *testing.B, handler func(chan uint64, chan uint64)) {
	b.ReportAllocs()
	ch, done := make(chan uint64), make(chan uint64, 1)
	go handler(ch, done)
	for i := 0; i < b.N; i++ {
		ch <- uint64(i) + 1
	}
	close(ch)
	ex03Sink = <-done
}

func BenchmarkEx03(b *testing.B) {
	b.Run("before", func(b *testing.B) { ex03Run(b, ex03AfterEach) })
	b.Run("after", func(b *testing.B) { ex03Run(b, ex03OneTimer) })
}
