package proxy

import (
	"net"
	"syscall"
)

// connAlive reports whether a pooled connection is still open: a peek that
// would block means open; EOF, an error or unsolicited bytes mean it is not.
func connAlive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = rerr == syscall.EAGAIN
		return true
	})
	return err == nil && alive
}
