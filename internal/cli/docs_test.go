package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestEveryCommandHasADocsPage: each runnable verb has docs/<path>.md, which
// mentions every one of its flags.
func TestEveryCommandHasADocsPage(t *testing.T) {
	t.Parallel()
	root := newRoot(&env{})
	var walk func(c *cobra.Command)
	checked := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			walk(sub)
		}
		if c == root || c.HasSubCommands() {
			return
		}
		checked++
		page := filepath.Join("..", "..", "docs", strings.ReplaceAll(c.CommandPath(), " ", "_")+".md")
		b, err := os.ReadFile(page)
		if err != nil {
			t.Errorf("%s has no docs page: %v", c.CommandPath(), err)
			return
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(string(b), "--"+f.Name) {
				t.Errorf("%s does not mention --%s", page, f.Name)
			}
		})
		if c.Example == "" && c.Name() != "version" {
			t.Errorf("%s has no examples in --help", c.CommandPath())
		}
	}
	walk(root)
	if checked < 4 {
		t.Fatalf("only %d commands checked", checked)
	}
}
