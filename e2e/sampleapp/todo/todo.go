// Package todo is the sample app of kvenv's end-to-end scenario: the
// tutorial's Spring Data JDBC quickstart redone in Go. POST / stores a todo
// in PostgreSQL, GET / lists them. It reads the database settings from
// SPRING_DATASOURCE_URL, _USERNAME and _PASSWORD, the variables kvenv sets.
package todo

import (
	"encoding/json"
	"fmt"
)

// Environment variables the app reads, as Spring Boot names them.
const (
	EnvURL      = "SPRING_DATASOURCE_URL"
	EnvUsername = "SPRING_DATASOURCE_USERNAME"
	EnvPassword = "SPRING_DATASOURCE_PASSWORD"
)

// Port is where the app listens for HTTP, as the tutorial's app does.
const Port = 8080

// GracefulExitCode is what the app exits with after a SIGTERM: a code no
// runtime or signal produces, so a test reading the container's terminated
// state knows the app itself handled the signal.
const GracefulExitCode = 42

// StopLine is logged when the app stops on SIGTERM.
const StopLine = "sampleapp: SIGTERM received, stopped gracefully"

// Todo is one stored item, in the tutorial's JSON shape.
type Todo struct {
	ID          int64    `json:"id"`
	Description string   `json:"description"`
	Details     string   `json:"details"`
	Done        FlexBool `json:"done"`
}

// FlexBool accepts true/false and, as the tutorial's curl sends it, "true"/"false".
type FlexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	var v bool
	if err := json.Unmarshal(data, &v); err == nil {
		*b = FlexBool(v)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("done: want true, false, \"true\" or \"false\"")
	}
	switch s {
	case "true":
		*b = true
	case "false":
		*b = false
	default:
		return fmt.Errorf("done: want true, false, \"true\" or \"false\", got %q", s)
	}
	return nil
}
