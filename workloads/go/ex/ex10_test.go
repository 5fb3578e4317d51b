// Exercise 10 — runtime.SetFinalizer to close files; the Go peer of
// workloads/ex10_finalizer_close.c.
//
// Open("/dev/null") + one read per op; the before never closes and relies
// on a finalizer that closes the fd, the after calls Close, which disarms
// a finalizer that only warns on a leak (counted, not panicking), the
// seed's code. The soft RLIMIT_NOFILE is lowered to 1024 for the run (Go
// 1.19 raises it to the hard limit at start-up) and restored after; Opens
// that fail with EMFILE are counted and the loop goes on. Figures:
// peak-fds (this benchmark's opens minus closes at their peak) and emfile
// (1 if EMFILE was hit). After the timed loop the before's leftovers are
// collected (runtime.GC, then waiting for the finalizers).
package ex

import (
	"errors"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

type ex10File struct {
	fd     int
	closed bool
}

var (
	ex10Opened, ex10Closed, ex10Peak, ex10Leaked atomic.Int64
	ex10Emfile                                   atomic.Bool
	ex10SinkFile                                 *ex10File
)

func ex10NoteOpen() {
	cur := ex10Opened.Add(1) - ex10Closed.Load()
	for p := ex10Peak.Load(); cur > p && !ex10Peak.CompareAndSwap(p, cur); p = ex10Peak.Load() {
	}
}

func (f *ex10File) close() { // the before's finalizer
	syscall.Close(f.fd)
	ex10Closed.Add(1)
}

func ex10OpenBefore(path string) (*ex10File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := &ex10File{fd: fd}
	ex10NoteOpen()
	runtime.SetFinalizer(f, (*ex10File).close)
	return f, nil
}

func ex10OpenAfter(path string) (*ex10File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := &ex10File{fd: fd}
	ex10NoteOpen()
	runtime.SetFinalizer(f, func(f *ex10File) {
		if !f.closed {
			ex10Leaked.Add(1) // the seed's dev-only panic, counted
		}
	})
	return f, nil
}

func (f *ex10File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	runtime.SetFinalizer(f, nil) // disarm
	ex10Closed.Add(1)
	return syscall.Close(f.fd)
}

func ex10Drain() {
	ex10SinkFile = nil
	deadline := time.Now().Add(2 * time.Second)
	for ex10Opened.Load() > ex10Closed.Load() && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func BenchmarkEx10(b *testing.B) {
	for _, v := range []string{"before", "after"} {
		closes := v == "after"
		b.Run(v, func(b *testing.B) {
			b.ReportAllocs()
			ex10Drain()
			ex10Peak.Store(ex10Opened.Load() - ex10Closed.Load())
			ex10Emfile.Store(false)
			var saved syscall.Rlimit
			if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &saved); err != nil {
				b.Fatal(err)
			}
			lim := saved
			if lim.Cur > 1024 {
				lim.Cur = 1024
			}
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				b.Fatal(err)
			}
			defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved)
			buf := make([]byte, 64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var f *ex10File
				var err error
				if closes {
					f, err = ex10OpenAfter("/dev/null")
				} else {
					f, err = ex10OpenBefore("/dev/null")
				}
				if err != nil {
					if errors.Is(err, syscall.EMFILE) {
						ex10Emfile.Store(true)
					}
					continue
				}
				syscall.Read(f.fd, buf)
				ex10SinkFile = f
				if closes {
					f.Close()
				}
			}
			b.StopTimer()
			emfile := 0.0
			if ex10Emfile.Load() {
				emfile = 1
			}
			b.ReportMetric(float64(ex10Peak.Load()), "peak-fds")
			b.ReportMetric(emfile, "emfile")
			ex10Drain()
		})
	}
}
