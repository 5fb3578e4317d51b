// Exercise 9 — make([]byte, 64 KiB) per call vs sync.Pool; the Go peer of
// workloads/ex09_buffer_pool.c.
//
// decode(data): a fresh make([]byte, size) per call (before) or a buffer
// from a sync.Pool of *[]byte keyed on size, reset and put back (after),
// the seed's code. The input is the C side's: a length-prefixed, masked
// frame (unpack copies and unmasks it into the buffer) holding a
// protobuf-like message {1: id, 2: name, 3: packed varints} that parse
// decodes into a *Message. "buf=64KiB" decodes ~1 KiB messages (the
// seed), "buf=512B" 384 B ones (the seed's premature case). Figure: gc/op
// (NumGC delta per op, /gc/cycles/total:gc-cycles on the C side).
package ex

import (
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"testing"
)

type ex09Message struct {
	ID      uint64
	Name    [32]byte
	NValues uint32
	Flags   uint32
	Sum     uint64
	Digest  uint64
}

var ex09Sink *ex09Message

var errEx09 = errors.New("ex09: malformed")

func ex09Encode(size int, k uint64, name string) []byte {
	pl := make([]byte, 0, 2048)
	pl = append(pl, 1<<3|0)
	pl = binary.AppendUvarint(pl, 1000+k)
	pl = append(pl, 2<<3|2)
	pl = binary.AppendUvarint(pl, uint64(len(name)))
	pl = append(pl, name...)
	room := 0
	if size > len(pl)+3 {
		room = size - len(pl) - 3
	}
	vals := make([]byte, 0, 2048)
	for i := uint64(0); len(vals)+3 <= room; i++ {
		vals = binary.AppendUvarint(vals, (k*131+i*37)%20000)
	}
	pl = append(pl, 3<<3|2)
	pl = binary.AppendUvarint(pl, uint64(len(vals)))
	pl = append(pl, vals...)
	mask := 0x5bd1e995 ^ uint32(k)
	out := make([]byte, 8, 8+len(pl))
	binary.LittleEndian.PutUint32(out, uint32(len(pl)))
	binary.LittleEndian.PutUint32(out[4:], mask)
	for i := range pl {
		pl[i] ^= byte(mask >> (8 * (i % 4)))
	}
	return append(out, pl...)
}

func ex09Unpack(data, buf []byte) (int, error) {
	if len(data) < 8 {
		return 0, errEx09
	}
	n := int(binary.LittleEndian.Uint32(data))
	mask := binary.LittleEndian.Uint32(data[4:])
	if n > len(data)-8 || n > len(buf) {
		return 0, errEx09
	}
	pl := data[8 : 8+n]
	i := 0
	for ; i+4 <= n; i += 4 {
		binary.LittleEndian.PutUint32(buf[i:], binary.LittleEndian.Uint32(pl[i:])^mask)
	}
	for ; i < n; i++ {
		buf[i] = pl[i] ^ byte(mask>>(8*(i%4)))
	}
	return n, nil
}

func ex09Parse(b []byte) (*ex09Message, error) {
	m := &ex09Message{}
	d := uint64(0xcbf29ce484222325)
	for pos := 0; pos < len(b); {
		key, k := binary.Uvarint(b[pos:])
		if k <= 0 {
			return nil, errEx09
		}
		pos += k
		switch key {
		case 1<<3 | 0:
			v, k := binary.Uvarint(b[pos:])
			if k <= 0 {
				return nil, errEx09
			}
			m.ID = v
			pos += k
		case 2<<3 | 2:
			l, k := binary.Uvarint(b[pos:])
			if k <= 0 || l > uint64(len(b)-pos-k) {
				return nil, errEx09
			}
			pos += k
			copy(m.Name[:31], b[pos:pos+int(l)])
			pos += int(l)
		case 3<<3 | 2:
			l, k := binary.Uvarint(b[pos:])
			if k <= 0 || l > uint64(len(b)-pos-k) {
				return nil, errEx09
			}
			pos += k
			end := pos + int(l)
			for pos < end {
				v, k := binary.Uvarint(b[pos:end])
				if k <= 0 {
					return nil, errEx09
				}
				pos += k
				m.Sum += v
				m.NValues++
				d = (d ^ v) * 0x100000001b3
			}
		default:
			return nil, errEx09
		}
	}
	m.Digest = d
	return m, nil
}

//go:noinline
func ex09DecodeBefore(data []byte, size int) (*ex09Message, error) {
	buf := make([]byte, size)
	n, err := ex09Unpack(data, buf)
	if err != nil {
		return nil, err
	}
	return ex09Parse(buf[:n])
}

var ex09Pools = map[int]*sync.Pool{
	64 << 10: {New: func() any { b := make([]byte, 64<<10); return &b }},
	512:      {New: func() any { b := make([]byte, 512); return &b }},
}

//go:noinline
func ex09DecodeAfter(data []byte, pool *sync.Pool) (*ex09Message, error) {
	bp := pool.Get().(*[]byte)
	buf := *bp
	n, err := ex09Unpack(data, buf)
	var m *ex09Message
	if err == nil {
		m, err = ex09Parse(buf[:n])
	}
	for i := 0; i < n; i++ { // reset: clear what this request wrote
		buf[i] = 0
	}
	pool.Put(bp)
	return m, err
}

func BenchmarkEx09(b *testing.B) {
	params := []struct {
		name string
		size int
	}{{"buf=64KiB", 64 << 10}, {"buf=512B", 512}}
	for _, v := range []string{"before", "after"} {
		for _, p := range params {
			size := p.size
			pooled := v == "after"
			b.Run(v+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				in := size * 3 / 4
				if in > 1024 {
					in = 1024
				}
				var inputs [16][]byte
				for k := range inputs {
					inputs[k] = ex09Encode(in-8, uint64(k), "user-0042")
				}
				pool := ex09Pools[size]
				runtime.GC()
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				b.ResetTimer()
				var err error
				for i := 0; i < b.N; i++ {
					if pooled {
						ex09Sink, err = ex09DecodeAfter(inputs[i%16], pool)
					} else {
						ex09Sink, err = ex09DecodeBefore(inputs[i%16], size)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				runtime.ReadMemStats(&ms1)
				b.ReportMetric(float64(ms1.NumGC-ms0.NumGC)/float64(b.N), "gc/op")
			})
		}
	}
}
