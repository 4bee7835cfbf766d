package azurefake

import "sync"

// KeyVaultCounts counts the answers a fake vault gave, by kind.
type KeyVaultCounts struct {
	Challenges   int // 401 to a request without a token
	Unauthorized int // 401 to a request with an unknown, expired or wrong-audience token
	Secrets      int // 200 with a value
	Forbidden    int // 403: the identity may not read the secret
	NotFound     int // 404: no such secret or version
	Throttled    int // 429, injected or from the budget
	Faults       int // other injected answers (5xx, 403 refusals by Fault.Code)
	MaxInFlight  int // most requests held at once, to check the client's concurrency bound
}

type counters struct {
	mu                                                                        sync.Mutex
	challenges, unauthorized, secrets, forbidden, notFound, throttled, faults int
	inFlight, maxInFlight                                                     int
}

func (c *counters) add(field *int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*field++
}

// enter marks a request in flight and returns the func that marks it done.
func (c *counters) enter() func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight++
	c.maxInFlight = max(c.maxInFlight, c.inFlight)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.inFlight--
	}
}

func (c *counters) snapshot() KeyVaultCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return KeyVaultCounts{
		Challenges: c.challenges, Unauthorized: c.unauthorized, Secrets: c.secrets,
		Forbidden: c.forbidden, NotFound: c.notFound, Throttled: c.throttled,
		Faults: c.faults, MaxInFlight: c.maxInFlight,
	}
}
