package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/kvenv/kvenv/webhook"
)

// entrypointFlag collects --entrypoint CONTAINER=JSON: what the image of a
// container runs when the pod does not say, which the webhook reads from the
// registry, given by hand because render works offline. JSON is either the
// ENTRYPOINT alone as an argv, '["prog","arg"]', or both ENTRYPOINT and CMD,
// '{"entrypoint":["prog"],"cmd":["arg"]}'; an image may have only a CMD.
type entrypointFlag map[string]webhook.ImageCommand

// imageConfig is the object form: the two fields of an image config that
// the webhook reads, spelt as docker image inspect's .Config (JSON field
// names match regardless of case).
type imageConfig struct {
	Entrypoint []string `json:"entrypoint"`
	Cmd        []string `json:"cmd"`
}

func (e entrypointFlag) String() string { return strings.Join(slices.Sorted(maps.Keys(e)), ",") }

func (e entrypointFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf(`want CONTAINER='["prog","arg"]' or CONTAINER='{"entrypoint":[...],"cmd":[...]}', got %q`, v)
	}
	cmd, err := parseImageCommand(value)
	if err != nil {
		return fmt.Errorf("entrypoint of %s: %w", name, err)
	}
	e[name] = cmd
	return nil
}

// parseImageCommand reads either form into what the webhook gets from the
// registry: an argv is the ENTRYPOINT, with no CMD.
func parseImageCommand(value string) (webhook.ImageCommand, error) {
	if trimmed := strings.TrimSpace(value); strings.HasPrefix(trimmed, "{") {
		return parseImageConfig(trimmed)
	}
	var entrypoint []string
	if err := json.Unmarshal([]byte(value), &entrypoint); err != nil || len(entrypoint) == 0 {
		return webhook.ImageCommand{}, fmt.Errorf(`want a non-empty JSON array of strings like '["java","-jar","/app.jar"]', or an object like '{"entrypoint":["java"],"cmd":["-jar","/app.jar"]}'`)
	}
	return webhook.ImageCommand{Entrypoint: entrypoint}, nil
}

func parseImageConfig(value string) (webhook.ImageCommand, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(value)))
	dec.DisallowUnknownFields() // a misspelt "cmd" must not be dropped silently
	var c imageConfig
	if err := dec.Decode(&c); err != nil || !atEnd(dec) {
		return webhook.ImageCommand{}, fmt.Errorf(`want an object with only "entrypoint" and "cmd", each a JSON array of strings or null, like '{"entrypoint":["java"],"cmd":["-jar","/app.jar"]}'`)
	}
	if len(c.Entrypoint) == 0 && len(c.Cmd) == 0 {
		return webhook.ImageCommand{}, fmt.Errorf(`"entrypoint" and "cmd" are both empty: give at least one; with neither the webhook denies the pod unless it sets command`)
	}
	return webhook.ImageCommand{Entrypoint: c.Entrypoint, Cmd: c.Cmd}, nil
}

// atEnd reports whether nothing but white space follows the decoded value.
func atEnd(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err == io.EOF
}
