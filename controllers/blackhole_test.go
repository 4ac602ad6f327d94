package controllers

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// blackHole accepts connections and never answers, like a replica whose
// node froze.
type blackHole struct {
	n     atomic.Int64
	mu    sync.Mutex
	conns []net.Conn
}

func (b *blackHole) accepted() int64 { return b.n.Load() }

func blackHoleListener(t testing.TB, ip string, port int) *blackHole {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			b.n.Add(1)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.conns {
			_ = c.Close()
		}
	})
	return b
}
