package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

type versionResult struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

func (v versionResult) table(w io.Writer) {
	fmt.Fprintf(w, "gmsa %s (%s, %s)\n", v.Version, v.GoVersion, v.Platform)
}

func newVersionCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of gmsa",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			v := versionResult{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v.Version = bi.Main.Version
			}
			return render(e, v)
		},
	}
}
