// Command cobra is the yardstick scripts/bench measures `convox version`
// against: a cobra root command with one subcommand, version, that prints
// one line. It is built from the module's go.mod with the flags `make cli`
// uses, so the difference between the two starts is what convox itself adds.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	root := &cobra.Command{Use: "cobra", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "client: %s\n", version)
			return err
		},
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
