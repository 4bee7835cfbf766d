package migrate

import (
	"sort"

	yaml "go.yaml.in/yaml/v3"
)

// Small helpers over YAML node trees. Edits go through these so that a
// document keeps everything migrate did not mean to change.

// get returns the value of key in a mapping node, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// path follows keys through nested mappings.
func path(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		m = get(m, k)
	}
	return m
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// mapping returns the mapping under key, creating it (or replacing a null)
// when absent: at the start of m when first is set (metadata reads best
// before spec), else at the end.
func mapping(m *yaml.Node, key string, first bool) *yaml.Node {
	if v := get(m, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if get(m, key) == nil && first {
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
		m.Content = append([]*yaml.Node{k, v}, m.Content...)
		return v
	}
	setNode(m, key, v)
	return v
}

// setString sets key to a string value, quoted when YAML would otherwise
// read it as another type.
func setString(m *yaml.Node, key, value string) {
	setNode(m, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

func setNode(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	m.Content = append(m.Content, k, v)
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// removeItems deletes the given indexes from the sequence under key, and the
// key itself when nothing is left (an empty `env: []` says nothing).
func removeItems(m *yaml.Node, key string, indexes []int) {
	seq := get(m, key)
	if seq == nil || seq.Kind != yaml.SequenceNode || len(indexes) == 0 {
		return
	}
	desc := append([]int(nil), indexes...)
	sort.Sort(sort.Reverse(sort.IntSlice(desc)))
	for _, i := range desc {
		if i < len(seq.Content) {
			seq.Content = append(seq.Content[:i], seq.Content[i+1:]...)
		}
	}
	if len(seq.Content) == 0 {
		deleteKey(m, key)
	}
}
