package scenario

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
)

// TutorialTodo is what the tutorial POSTs, byte for byte ("done" as a string).
const TutorialTodo = `{"description":"configuration","details":"congratulations, you have set up JDBC correctly!","done": "true"}`

// Exchange is one request of the tutorial: the curl command a person would
// type and what the app answered.
type Exchange struct {
	Curl   string
	Status int
	Body   string
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// AppURL is the app's address: its pod IP, which this process reaches
// from inside the cluster's network namespace.
func AppURL(podIP string) string {
	return "http://" + net.JoinHostPort(podIP, strconv.Itoa(todo.Port))
}

// PostTodo stores the tutorial's todo, as its first curl does.
func PostTodo(appURL string) (Exchange, error) {
	curl := fmt.Sprintf(`curl --header "Content-Type: application/json" --request POST --data '%s' %s`, TutorialTodo, appURL)
	resp, err := httpClient.Post(appURL, "application/json", strings.NewReader(TutorialTodo))
	return exchange(curl, resp, err)
}

// GetTodos lists the todos, as the tutorial's second curl does.
func GetTodos(appURL string) (Exchange, error) {
	resp, err := httpClient.Get(appURL)
	return exchange("curl "+appURL, resp, err)
}

func exchange(curl string, resp *http.Response, err error) (Exchange, error) {
	x := Exchange{Curl: curl}
	if err != nil {
		return x, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	x.Status, x.Body = resp.StatusCode, strings.TrimSpace(string(body))
	return x, err
}
