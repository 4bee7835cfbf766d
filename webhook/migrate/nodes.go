package migrate

import (
	"fmt"
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

// maxAliasExpansion bounds the nodes one decode may copy for aliases: real
// manifests share a few labels or env lists, a crafted one could otherwise
// expand exponentially (aliases of aliases) or forever (an alias inside the
// node it stands for).
const maxAliasExpansion = 1 << 16

// expandAliases copies n with every alias replaced by a copy of the node it
// stands for, so that a part of a document (a pod template, a List item)
// decodes on its own although it names an anchor defined outside it.
func expandAliases(n *yaml.Node) (*yaml.Node, error) {
	budget := maxAliasExpansion
	return expandNode(n, &budget, false)
}

func expandNode(n *yaml.Node, budget *int, inAlias bool) (*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: alias *%s names no anchor", n.Line, n.Value)
		}
		n, inAlias = n.Alias, true
	}
	if inAlias {
		if *budget--; *budget < 0 {
			return nil, fmt.Errorf("line %d: YAML aliases expand to more than %d nodes", n.Line, maxAliasExpansion)
		}
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		var err error
		if c.Content[i], err = expandNode(child, budget, inAlias); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// aliasTargets are the nodes that aliases of root stand for, except aliases
// inside skip (nil skips nothing).
func aliasTargets(root, skip *yaml.Node) map[*yaml.Node]bool {
	targets := map[*yaml.Node]bool{}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		switch {
		case n == skip:
		case n.Kind == yaml.AliasNode:
			targets[n.Alias] = true
		default:
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	walk(root)
	return targets
}

// sharesNodes reports whether n, a part of the document root, takes part in
// a YAML alias: it holds an alias, or it, a node in it or a node around it
// is what an alias stands for. An edit of n would then also change what the
// alias says elsewhere, or delete an anchor an alias still names.
func sharesNodes(root, n *yaml.Node) bool {
	targets := aliasTargets(root, nil)
	return len(targets) > 0 && (holdsAlias(n, targets) || insideTarget(root, n, targets, false))
}

// holdsAlias: n or a node in it is an alias or what one stands for.
func holdsAlias(n *yaml.Node, targets map[*yaml.Node]bool) bool {
	return anyNode(n, func(x *yaml.Node) bool { return x.Kind == yaml.AliasNode || targets[x] })
}

// anyNode reports whether is holds for n or a node in it.
func anyNode(n *yaml.Node, is func(*yaml.Node) bool) bool {
	if is(n) {
		return true
	}
	for _, c := range n.Content {
		if anyNode(c, is) {
			return true
		}
	}
	return false
}

// insideTarget: n lies in a node, found on the way down from x, that an
// alias stands for.
func insideTarget(x, n *yaml.Node, targets map[*yaml.Node]bool, under bool) bool {
	under = under || targets[x]
	if x == n {
		return under
	}
	for _, c := range x.Content {
		if insideTarget(c, n, targets, under) {
			return true
		}
	}
	return false
}

// anchorsUsedOutside reports whether n holds an anchor that an alias outside
// n names: removing n would leave that alias naming nothing.
func anchorsUsedOutside(root, n *yaml.Node) bool {
	targets := aliasTargets(root, n)
	return len(targets) > 0 && anyNode(n, func(x *yaml.Node) bool { return targets[x] })
}
