package webhook_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// balancer stands in for the webhook's Service: a TCP proxy on the address
// the API server calls, spreading connections round robin over the replicas.
// A refused connect is tried on the next replica, as kube-proxy stops sending
// to a pod once its endpoint is removed; with no replica left the client's
// connection is reset, as a Service without endpoints rejects it.
type balancer struct {
	l net.Listener

	mu       sync.Mutex
	backends []string
	next     int
	open     map[string]int      // connections now open, by backend
	conns    map[net.Conn]string // both ends of each proxied connection, to their backend
}

func startBalancer(t *testing.T, addr string) *balancer {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the balancer cannot listen on the webhook address %s: %v", addr, err)
	}
	b := &balancer{l: l, open: map[string]int{}, conns: map[net.Conn]string{}}
	go b.serve()
	t.Cleanup(b.close)
	return b
}

func (b *balancer) setBackends(addrs ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = addrs
}

// busiest is the backend holding the most open connections: the API server
// multiplexes admissions over few HTTP/2 connections, so it is the replica
// that is serving now.
func (b *balancer) busiest() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	best := ""
	for addr, n := range b.open {
		if n > 0 && (best == "" || n > b.open[best]) {
			best = addr
		}
	}
	return best
}

func (b *balancer) serve() {
	for {
		c, err := b.l.Accept()
		if err != nil {
			return
		}
		go b.proxy(c)
	}
}

func (b *balancer) proxy(client net.Conn) {
	addr, backend := b.dial()
	if backend == nil {
		resetConn(client)
		return
	}
	b.track(addr, client, backend, 1)
	defer b.track(addr, client, backend, -1)
	done := make(chan struct{}, 2)
	go func() { io.Copy(backend, client); done <- struct{}{} }()
	go func() { io.Copy(client, backend); done <- struct{}{} }()
	<-done // either side ended: end both, as a NAT entry does
	client.Close()
	backend.Close()
	<-done
}

// dial tries each backend once, starting with the next in turn.
func (b *balancer) dial() (string, net.Conn) {
	b.mu.Lock()
	order := make([]string, 0, len(b.backends))
	for i := range b.backends {
		order = append(order, b.backends[(b.next+i)%len(b.backends)])
	}
	b.next++
	b.mu.Unlock()
	for _, addr := range order {
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			return addr, c
		}
	}
	return "", nil
}

func (b *balancer) track(addr string, client, backend net.Conn, delta int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open[addr] += delta
	if delta > 0 {
		b.conns[client], b.conns[backend] = addr, addr
	} else {
		delete(b.conns, client)
		delete(b.conns, backend)
	}
}

// crash makes a backend vanish as a dead node does: its connections are
// reset mid-flight and it gets no new ones.
func (b *balancer) crash(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var left []string
	for _, a := range b.backends {
		if a != addr {
			left = append(left, a)
		}
	}
	b.backends = left
	for c, a := range b.conns {
		if a == addr {
			resetConn(c)
		}
	}
}

func (b *balancer) close() {
	b.l.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.conns {
		c.Close()
	}
}

func resetConn(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	c.Close()
}

// replica is one webhook process: its own manager, port and metrics
// registry, serving the certificate the API server trusts.
type replica struct {
	addr string
	stop func() // graceful, as on SIGTERM: in-flight admissions complete
}

func startReplica(t *testing.T, api *testcluster.APIServer, port int, configure func(*webhook.ServerOptions)) *replica {
	t.Helper()
	// Replicas log nothing the tests read; without a logger controller-runtime
	// complains after 30s.
	quietLogs.Do(func() { ctrllog.SetLogger(logr.Discard()) })
	opts := serverOptions(api, "127.0.0.1", port)
	if configure != nil {
		configure(&opts)
	}
	r := &replica{}
	r.addr, r.stop = startManager(t, api, opts, replicaShutdown)
	return r
}

// replicaShutdown: the server drains for up to a minute.
var replicaShutdown = shutdown{within: 70 * time.Second, canceledIsClean: true}

var quietLogs sync.Once
