package scenario

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
)

// Where in-cluster clients look for the API server: the kubernetes
// Service's ClusterIP, which the kubelet puts in KUBERNETES_SERVICE_HOST.
const (
	kubernetesServiceIP   = "10.96.0.1" // first address of the cluster's service range
	kubernetesServicePort = "443"
	nodeLink              = "kvenv0" // the link e2e/cluster gives the node IP
)

// kubernetesService stands in for kube-proxy for the one Service the kvenv
// chart needs: the cluster runs no kube-proxy, so the webhook's in-cluster
// client (10.96.0.1:443) would reach nothing. The ClusterIP is made a
// local address of the namespace, and connections to it are forwarded to
// the API server, whose certificate names that IP. The chart is installed
// unchanged, as on any cluster.
type kubernetesService struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool // set by Close: connections tracked later are cut at once
}

func serveKubernetesService(apiServerAddr string) (*kubernetesService, error) {
	if out, err := exec.Command("ip", "addr", "add", kubernetesServiceIP+"/32", "dev", nodeLink).CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "File exists") {
		return nil, fmt.Errorf("adding %s to %s: %w: %s", kubernetesServiceIP, nodeLink, err, out)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(kubernetesServiceIP, kubernetesServicePort))
	if err != nil {
		return nil, err
	}
	s := &kubernetesService{ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept(apiServerAddr)
	return s, nil
}

func (s *kubernetesService) accept(target string) {
	defer s.wg.Done()
	for {
		in, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Add(1)
		go s.forward(in, target)
	}
}

// forward copies both ways until either side closes.
func (s *kubernetesService) forward(in net.Conn, target string) {
	defer s.wg.Done()
	out, err := net.Dial("tcp", target)
	if err != nil {
		in.Close()
		return
	}
	s.track(in, out)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	in.Close()
	out.Close()
	<-done
	s.untrack(in, out)
}

func (s *kubernetesService) track(conns ...net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range conns {
		if s.closed {
			c.Close()
			continue
		}
		s.conns[c] = true
	}
}

func (s *kubernetesService) untrack(conns ...net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range conns {
		delete(s.conns, c)
	}
}

// Close stops accepting, cuts open connections (watches never end on
// their own) and removes the address.
func (s *kubernetesService) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if out, e := exec.Command("ip", "addr", "del", kubernetesServiceIP+"/32", "dev", nodeLink).CombinedOutput(); e != nil {
		err = errors.Join(err, fmt.Errorf("removing %s: %w: %s", kubernetesServiceIP, e, out))
	}
	return err
}
