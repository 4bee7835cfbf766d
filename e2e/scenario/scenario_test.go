package scenario

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/kvenv/kvenv/e2e/cluster"
	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
)

// TestTutorial replays the tutorial on a real cluster and then checks, one
// subtest per claim, that kvenv kept its promises. The subtests share one
// cluster and run in order: later ones change the app's pod.
func TestTutorial(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	events := recordTaskEvents(t, c)
	s, err := Up(c, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	pod, err := s.WaitAppPod()
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		test func(t *testing.T)
	}{
		{"tutorial POST and GET", func(t *testing.T) { testTutorialRequests(t, AppURL(pod.Status.PodIP)) }},
		{"pod spec holds references only", func(t *testing.T) { testReferencesOnly(t, s, pod) }},
		{"init container timing", func(t *testing.T) { testInitTiming(t, pod, events) }},
		{"shell form sees the value", func(t *testing.T) { testShellForm(t, s) }},
		{"Job completes with the wrapper", func(t *testing.T) { testJob(t, s) }},
		{"namespace without the label untouched", func(t *testing.T) { testUntouchedNamespace(t, s) }},
		{"service account without access gets 403", func(t *testing.T) { testForbidden(t, s) }},
		{"crash restarts without a new fetch", func(t *testing.T) { testRestartWithoutFetch(t, s, pod) }},
		{"SIGTERM reaches the app", func(t *testing.T) { testGracefulStop(t, s, pod) }},
		{"nothing leaked", func(t *testing.T) {
			replacement, err := s.WaitAppPod()
			if err != nil {
				t.Fatal(err)
			}
			testNothingLeaked(t, s, replacement)
		}},
		{"leak scans find a planted canary", func(t *testing.T) { testScansFindCanary(t, s) }},
	}
	for _, step := range steps {
		begin := time.Now()
		t.Run(step.name, step.test)
		t.Logf("kvenv-e2e: %s took %s", step.name, time.Since(begin).Round(time.Millisecond))
	}
}

// testTutorialRequests is the tutorial's two curl commands: the app could
// only store and list the todo with the database credentials from Key Vault.
func testTutorialRequests(t *testing.T, appURL string) {
	post, err := PostTodo(appURL)
	if err != nil || post.Status != http.StatusCreated {
		t.Fatalf("POST %s: status %d, error %v, body %s", appURL, post.Status, err, post.Body)
	}
	testTutorialList(t, appURL)
}

// testTutorialList checks GET / lists exactly the tutorial's todo.
func testTutorialList(t *testing.T, appURL string) {
	t.Helper()
	get, err := GetTodos(appURL)
	if err != nil || get.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d, error %v, body %s", appURL, get.Status, err, get.Body)
	}
	var todos []todo.Todo
	if err := json.Unmarshal([]byte(get.Body), &todos); err != nil {
		t.Fatalf("GET body %q: %v", get.Body, err)
	}
	want := todo.Todo{ID: 1, Description: "configuration", Details: "congratulations, you have set up JDBC correctly!", Done: true}
	if len(todos) != 1 || todos[0] != want {
		t.Fatalf("GET / = %s, want [%+v]", get.Body, want)
	}
}
