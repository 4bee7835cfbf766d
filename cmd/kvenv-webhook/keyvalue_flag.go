package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// keyValueFlag collects repeated KEY=VALUE flags into a map.
type keyValueFlag map[string]string

func (m keyValueFlag) String() string { return strings.Join(slices.Sorted(maps.Keys(m)), ",") }

func (m keyValueFlag) Set(v string) error {
	key, value, ok := strings.Cut(v, "=")
	if !ok || key == "" {
		return fmt.Errorf("want KEY=VALUE, e.g. kvenv.io/allowed-vaults=myvault, got %q", v)
	}
	m[key] = value
	return nil
}
