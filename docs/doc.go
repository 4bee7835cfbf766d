// Package docs holds kvenv's user documentation. It has no code: its tests
// check every manifest and command the Markdown pages show (see
// docs_test.go), so that the pages cannot drift from what kvenv does.
package docs
