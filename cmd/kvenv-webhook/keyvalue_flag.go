package main

import (
	"fmt"
	"sort"
	"strings"
)

// keyValueFlag collects repeated KEY=VALUE flags into a map.
type keyValueFlag map[string]string

func (m keyValueFlag) String() string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (m keyValueFlag) Set(v string) error {
	key, value, ok := strings.Cut(v, "=")
	if !ok || key == "" {
		return fmt.Errorf("want KEY=VALUE, e.g. kvenv.io/allowed-vaults=myvault, got %q", v)
	}
	m[key] = value
	return nil
}
