package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
)

// tabler is a result that knows its table layout.
type tabler interface {
	table(w io.Writer)
}

// verbatim marks a result whose table layout is written as is, without
// column alignment: klist copies MIT's layout, literal tabs included.
type verbatim interface {
	tabler
	verbatim()
}

// render writes v in the chosen format. The whole output is built in memory
// first so that an error never leaves partial output behind. YAML is made
// from the JSON encoding, so both formats have the same field names and
// order.
func render(e *env, v tabler) error {
	var buf bytes.Buffer
	switch e.output {
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	case "yaml":
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var node yaml.Node
		if err := yaml.Unmarshal(j, &node); err != nil {
			return err
		}
		blockStyle(&node)
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(&node); err != nil {
			return err
		}
		enc.Close()
	default:
		if _, ok := v.(verbatim); ok {
			v.table(&buf) // a layout of its own, tabs included (klist)
			break
		}
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		v.table(tw)
		tw.Flush()
	}
	_, err := e.Out.Write(buf.Bytes())
	return err
}

// blockStyle turns the flow style that JSON input decodes to into YAML's
// block style, and drops quoting where YAML does not need it.
func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// rows writes "Key:\tvalue" lines for a tabwriter; empty values are skipped.
func rows(w io.Writer, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		fmt.Fprintf(w, "%s:\t%s\n", kv[i], kv[i+1])
	}
}

// indent prefixes every line.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
