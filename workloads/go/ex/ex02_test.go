// Exercise 2 — select with default in a spin loop; the Go peer of
// workloads/ex02_select_default.c.
//
// One producer sends b.N messages on a channel with 64 slots, sleeping
// 20 ms before each block of 1000; 1 or 2 consumers receive with
// `select { case x, ok := <-ch: …; case <-stop: …; default: polls++ }`
// (before) or the same select without default (after). Figures: cpu-%
// (process CPU / wall over the run) and idle-cpu-% (the same over the
// producer's sleeps only), from getrusage.
package ex

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	ex02Burst   = 1000
	ex02Gap     = 20 * time.Millisecond
	ex02ChanCap = 64
)

var (
	ex02DefaultWork atomic.Uint64
	ex02Sink        atomic.Uint64
)

func ex02CPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ex02Spin(ch chan uint64, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	var sum, polls uint64
	for {
		select {
		case x, ok := <-ch:
			if !ok {
				ex02DefaultWork.Add(polls)
				ex02Sink.Add(sum)
				return
			}
			sum += x * 2654435761
		case <-stop:
			ex02DefaultWork.Add(polls)
			ex02Sink.Add(sum)
			return
		default:
			polls++
		}
	}
}

func ex02Block(ch chan uint64, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	var sum uint64
	for {
		select {
		case x, ok := <-ch:
			if !ok {
				ex02Sink.Add(sum)
				return
			}
			sum += x * 2654435761
		case <-stop:
			ex02Sink.Add(sum)
			return
		}
	}
}

func ex02Run(b *testing.B, spin bool, spinners int) {
	b.ReportAllocs()
	ch := make(chan uint64, ex02ChanCap)
	stop := make(chan struct{}) // the stop signal; nothing cancels here
	var wg sync.WaitGroup
	var idleCPU, idleWall time.Duration
	w0, c0 := time.Now(), ex02CPU()
	for i := 0; i < spinners; i++ {
		wg.Add(1)
		if spin {
			go ex02Spin(ch, stop, &wg)
		} else {
			go ex02Block(ch, stop, &wg)
		}
	}
	for i := 0; i < b.N; i++ {
		if i%ex02Burst == 0 {
			t, c := time.Now(), ex02CPU()
			time.Sleep(ex02Gap)
			idleCPU += ex02CPU() - c
			idleWall += time.Since(t)
		}
		ch <- uint64(i) + 1
	}
	close(ch)
	wg.Wait()
	wall, cpu := time.Since(w0), ex02CPU()-c0
	b.StopTimer()
	b.ReportMetric(100*float64(cpu)/float64(wall), "cpu-%")
	b.ReportMetric(100*float64(idleCPU)/float64(idleWall), "idle-cpu-%")
}

func BenchmarkEx02(b *testing.B) {
	for _, n := range []int{1, 2} {
		name := fmt.Sprintf("spinners=%d", n)
		b.Run("before/"+name, func(b *testing.B) { ex02Run(b, true, n) })
		b.Run("after/"+name, func(b *testing.B) { ex02Run(b, false, n) })
	}
}
