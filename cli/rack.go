package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (c *cli) newRack() *cobra.Command {
	cmd := c.addJSON(&cobra.Command{
		Use:   "rack",
		Short: "Describe the rack",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			sys, err := client.System(c.ctx())
			if err != nil {
				return explain(err)
			}
			if c.json {
				return printJSON(c.stdout, sys)
			}
			return info(c.stdout, [][2]string{
				{"Name", sys.Name},
				{"Provider", sys.Provider},
				{"Region", sys.Region},
				{"Router", sys.Domain},
				{"Status", sys.Status},
				{"Version", sys.Version},
				{"Count", fmt.Sprint(sys.Count)},
				{"Type", sys.Type},
			})
		},
	})
	cmd.AddCommand(c.newRackInstall(), c.newRackUpdate(), c.newRackUninstall(), c.newRackParams())
	return cmd
}
