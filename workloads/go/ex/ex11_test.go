// Exercise 11 — interface{} boxing in a hot path; the Go peer of
// workloads/ex11_iface_boxing.c.
//
// before: Logger{buf []any}.Logf(format, args ...any) keeps the format and
// the boxed args in a bounded ring (convTstring for the format, convT64 for
// i >= 256 and for the float64); after: a typed Attr API that keeps the
// values inline. Logf and Log are not inlined, as in the C side, so each
// call is a call and the boxing happens at the call site.
package ex

import "testing"

const ex11Ring = 4096 // a debug ring logger's size, as the C side's

type ex11Logger struct {
	buf  [ex11Ring]any
	next uint64
}

//go:noinline
func (l *ex11Logger) Logf(format string, args ...any) {
	l.buf[l.next%ex11Ring] = format
	l.next++
	for _, a := range args {
		l.buf[l.next%ex11Ring] = a
		l.next++
	}
}

const (
	ex11KindInt uint8 = iota + 1
	ex11KindFloat
	ex11KindStr
)

type ex11Attr struct {
	Key   string
	Kind  uint8
	Int   int64
	Float float64
	Str   string
}

func ex11Int(key string, v int) ex11Attr {
	return ex11Attr{Key: key, Kind: ex11KindInt, Int: int64(v)}
}

func ex11Float(key string, v float64) ex11Attr {
	return ex11Attr{Key: key, Kind: ex11KindFloat, Float: v}
}

type ex11AttrLogger struct {
	buf  [ex11Ring]ex11Attr
	next uint64
}

//go:noinline
func (l *ex11AttrLogger) Log(msg string, attrs ...ex11Attr) {
	l.buf[l.next%ex11Ring] = ex11Attr{Key: "msg", Kind: ex11KindStr, Str: msg}
	l.next++
	for _, a := range attrs {
		switch a.Kind {
		case ex11KindInt, ex11KindFloat, ex11KindStr:
			l.buf[l.next%ex11Ring] = a
			l.next++
		}
	}
}

// Package-level, as the C side's globals: what the rings hold escapes.
var (
	ex11Before ex11Logger
	ex11After  ex11AttrLogger
)

func BenchmarkEx11(b *testing.B) {
	b.Run("before", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ex11Before.Logf("iter=%d val=%f", i, float64(i)*1.5)
		}
	})
	b.Run("after", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ex11After.Log("iter", ex11Int("i", i), ex11Float("val", float64(i)*1.5))
		}
	})
}
