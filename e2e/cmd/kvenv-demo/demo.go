package main

import (
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/e2e/cluster"
	"github.com/kvenv/kvenv/e2e/scenario"
)

// demo is the running scenario.
type demo struct {
	c   *cluster.Cluster
	s   *scenario.Scenario
	pod *corev1.Pod
}

func setUp() (*demo, error) {
	say("starting a single-node Kubernetes cluster (etcd, kube-apiserver, containerd, kubelet, ...)")
	c, err := cluster.Start(cluster.Options{Logf: say})
	if err != nil {
		return nil, err
	}
	say("setting up the tutorial: PostgreSQL, Key Vault and Entra ID fakes, kvenv from its Helm chart, the sample app")
	s, err := scenario.Up(c, say)
	if err != nil {
		c.Stop()
		return nil, err
	}
	pod, err := s.WaitAppPod()
	if err != nil {
		s.Close()
		c.Stop()
		return nil, err
	}
	return &demo{c: c, s: s, pod: pod}, nil
}

func (d *demo) tearDown() {
	d.s.Close()
	d.c.Stop()
}

// tutorial sends the tutorial's two requests and prints them as curl
// commands with the app's real answers.
func (d *demo) tutorial() error {
	url := scenario.AppURL(d.pod.Status.PodIP)
	say("\n== The tutorial (section 5.4), against the sample app's pod %s ==", d.pod.Name)
	say("The pod holds only references; kvenv-init fetched the values into memory:")
	annotations := d.s.Annotations()
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		say("  %s: %s", k, annotations[k])
	}
	post, err := scenario.PostTodo(url)
	if err != nil || post.Status != http.StatusCreated {
		return fmt.Errorf("POST %s: status %d, %v: %s", url, post.Status, err, post.Body)
	}
	say("\n# store a todo in the database\n$ %s\n%s", post.Curl, post.Body)
	get, err := scenario.GetTodos(url)
	if err != nil || get.Status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, %v: %s", url, get.Status, err, get.Body)
	}
	say("\n# read it back\n$ %s\n%s", get.Curl, get.Body)
	return nil
}

// explainAccess says how to reach the cluster, which lives in this
// process's private network namespace.
func (d *demo) explainAccess(pid int) {
	enter := fmt.Sprintf("nsenter --net=/proc/%d/ns/net", pid)
	kubectl := fmt.Sprintf("%s %s --kubeconfig %s", enter, filepath.Join(cluster.ToolsBinDir(), "kubectl"), d.c.Kubeconfig)
	lines := []string{
		"",
		"== The cluster keeps running until Ctrl-C ==",
		"It lives in a private network namespace; enter it with nsenter (as root), e.g.:",
		"  " + kubectl + " get pods -A",
		"  " + kubectl + " -n " + scenario.AppNamespace + " get pod " + d.pod.Name + " -o yaml   # references only",
		"  " + kubectl + " -n " + scenario.AppNamespace + " logs " + d.pod.Name + " -c kvenv-init",
		"  " + enter + " curl " + scenario.AppURL(d.pod.Status.PodIP),
	}
	say("%s", strings.Join(lines, "\n"))
}
