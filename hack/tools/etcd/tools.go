//go:build tools

// Package etcd pins the etcd server that kvenv's tests run for real. etcd's own
// go.mod replaces its sibling modules with local paths, so it cannot be
// `go install`ed; this module requires it at a published version instead.
package etcd

import _ "go.etcd.io/etcd/server/v3"
