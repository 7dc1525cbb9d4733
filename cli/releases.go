package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

func (c *cli) newReleases() *cobra.Command {
	cmd := c.addJSON(&cobra.Command{
		Use:   "releases",
		Short: "List an app's releases, newest first",
		Args:  cobra.NoArgs,
	})
	app := appFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		client, name, err := c.envTarget(*app)
		if err != nil {
			return err
		}
		rs, err := client.ReleaseList(c.ctx(), name)
		if err != nil {
			return explain(err)
		}
		if c.json {
			return printJSON(c.stdout, rs)
		}
		rows := make([][]string, 0, len(rs))
		for _, r := range rs {
			rows = append(rows, []string{r.ID, r.Status, r.Build, ago(c.now(), r.Created), r.Description})
		}
		return table(c.stdout, []string{"ID", "STATUS", "BUILD", "CREATED", "DESCRIPTION"}, rows)
	}
	infoCmd := c.addJSON(&cobra.Command{
		Use:   "info <id>",
		Short: "Describe a release, with its environment",
		Args:  cobra.ExactArgs(1),
	})
	infoApp := appFlag(infoCmd)
	infoCmd.RunE = func(cmd *cobra.Command, args []string) error {
		client, name, err := c.envTarget(*infoApp)
		if err != nil {
			return err
		}
		r, err := client.ReleaseGet(c.ctx(), name, args[0])
		if err != nil {
			return explain(err)
		}
		if c.json {
			return printJSON(c.stdout, r)
		}
		var env []string
		for _, k := range slices.Sorted(maps.Keys(r.Env)) {
			env = append(env, k+"="+r.Env[k])
		}
		return c.infoLines([][2]string{
			{"Id", r.ID},
			{"Build", r.Build},
			{"Status", r.Status},
			{"Created", r.Created.UTC().Format("2006-01-02T15:04:05Z")},
			{"Description", r.Description},
			{"Env", strings.Join(env, "\n")},
		})
	}
	cmd.AddCommand(infoCmd)
	return cmd
}

// infoWith prints pairs; a multi-line value continues under its first line.
func (c *cli) infoLines(pairs [][2]string) error {
	var flat [][2]string
	for _, p := range pairs {
		lines := strings.Split(p[1], "\n")
		flat = append(flat, [2]string{p[0], lines[0]})
		for _, l := range lines[1:] {
			flat = append(flat, [2]string{"", l})
		}
	}
	return info(c.stdout, flat)
}
