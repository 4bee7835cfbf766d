package azurefake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
)

// IMDSHost is the link-local address of the instance metadata service, which
// the SDK hard-codes and no environment variable moves.
const IMDSHost = "169.254.169.254"

// IMDSTransport answers requests for IMDSHost in process with imds and sends
// every other request to next, so one client can reach both a fake vault and
// the fake IMDS. A nil next refuses other requests.
func IMDSTransport(imds http.Handler, next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Hostname() == IMDSHost {
			rec := httptest.NewRecorder()
			imds.ServeHTTP(rec, r)
			resp := rec.Result()
			resp.Request = r
			return resp, nil
		}
		if next == nil {
			return nil, fmt.Errorf("IMDS transport refuses %s: only %s is served", r.URL.Host, IMDSHost)
		}
		return next.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
