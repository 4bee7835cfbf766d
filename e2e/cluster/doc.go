// Package cluster runs a real single-node Kubernetes cluster for kvenv's
// end-to-end tests and demo: etcd, kube-apiserver, kube-scheduler,
// kube-controller-manager, containerd with runc, a kubelet with bridge
// networking, and an in-process image registry, all built from source by
// `hack/build-tools.sh cluster`.
//
// # A private network namespace
//
// The cluster's addresses (node 10.99.0.1, pods 10.88.0.0/24) and ports must
// exist only for the test. So the test binary, built outside (where the
// module proxy is reachable), first builds the static Go binaries of the
// images, then runs itself again in a new network namespace, where the tests
// run. Use it from TestMain:
//
//	func TestMain(m *testing.M) { cluster.RunInNetns(m) }
//
// and from a command (the demo) with cluster.Main. `go test ./e2e/...` then
// works as usual; it needs root. Extra Go binaries for images (the kvenv
// binaries, a sample app) are listed as GoBinary arguments and found inside
// with GoBinaryPath. Start refuses to run in a namespace that holds links
// kvenv did not create.
//
// # Starting and stopping
//
// Start(Options{}) returns once the node is Ready and the default service
// account exists; StartForTest wraps it for tests (skip when the machine
// lacks a prerequisite, failure instead under KVENV_REQUIRE_E2E, log tails
// and copies on failure). Stop deletes the pods (so the kubelet stops their
// sandboxes and the shims exit), stops the components, kills anything left
// in the cluster's pod cgroup or running from its directory, unmounts
// everything below it, removes its cgroups and what it left in the shared
// host directories (the kubelet's container log links in
// /var/log/containers, shim sockets in /run/containerd/s, CNI results in
// /var/lib/cni/results: only entries that point into, name or derive from
// its directory), then removes the directory. After the child exits, for
// instance after a test timeout panic, the parent runs the same reaping.
//
// Each component logs to Dir/logs/<name>.log; StartForTest copies them to
// $KVENV_E2E_ARTIFACTS/<test>, or after a failure to e2e/_artifacts/<test>.
//
// # Images
//
// The registry serves Registry (host:port, plain HTTP) to containerd and to
// pods. Images holds the pause and busybox images by digest; PushImage adds
// more from an images.Spec.
//
// # Limits
//
// No kube-proxy and no DNS: Service ClusterIPs do not route, but the API
// server calls webhook Services at their endpoints
// (--enable-aggregator-routing). One cluster per process at a time (fixed
// ports in the namespace). Stopping leaves shared host state that cannot be
// told apart from another cluster's: the directories /var/log/containers,
// /run/containerd/s, /var/lib/cni/results and /var/lib/kubelet/device-plugins
// (made by the first cluster, then kept), and in the last the kubelet's
// device-plugin socket, at a fixed path shared by every kubelet of the
// machine.
package cluster
