package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kvenv/kvenv/webhook"
)

// entrypointFlag collects --entrypoint CONTAINER='["prog","arg"]': the image
// ENTRYPOINT that the webhook would read from the registry, given by hand
// because render works offline.
type entrypointFlag map[string]webhook.ImageCommand

func (e entrypointFlag) String() string {
	names := make([]string, 0, len(e))
	for n := range e {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func (e entrypointFlag) Set(v string) error {
	name, argv, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf(`want CONTAINER='["prog","arg"]', got %q`, v)
	}
	var entrypoint []string
	if err := json.Unmarshal([]byte(argv), &entrypoint); err != nil || len(entrypoint) == 0 {
		return fmt.Errorf(`entrypoint of %s: want a non-empty JSON array of strings like '["java","-jar","/app.jar"]'`, name)
	}
	e[name] = webhook.ImageCommand{Entrypoint: entrypoint}
	return nil
}
