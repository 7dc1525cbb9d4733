package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

func (c *cli) newApps() *cobra.Command {
	cmd := c.addJSON(&cobra.Command{
		Use:   "apps",
		Short: "List apps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			apps, err := client.AppList(c.ctx())
			if err != nil {
				return explain(err)
			}
			if c.json {
				return printJSON(c.stdout, apps)
			}
			rows := make([][]string, 0, len(apps))
			for _, a := range apps {
				rows = append(rows, []string{a.Name, a.Status, a.Release})
			}
			return table(c.stdout, []string{"APP", "STATUS", "RELEASE"}, rows)
		},
	})
	cmd.AddCommand(c.newAppsCreate(), c.newAppsInfo(), c.newAppsDelete())
	return cmd
}

func (c *cli) newAppsCreate() *cobra.Command {
	var app string
	var wait bool
	cmd := &cobra.Command{
		Use:   "create [name]",
		Short: "Create an app",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := c.appName(app)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				name = args[0]
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Creating %s... ", name)
			if _, err := client.AppCreate(c.ctx(), name); err != nil {
				fmt.Fprintln(c.stderr, "FAILED")
				return explain(err)
			}
			if wait {
				if _, err := c.waitApp(client, name, rack.AppRunning); err != nil {
					fmt.Fprintln(c.stderr, "FAILED")
					return err
				}
			}
			fmt.Fprintln(c.stderr, "OK")
			return nil
		},
	}
	cmd.Flags().StringVarP(&app, "app", "a", "", "app name (default: the current directory's name)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the app is running")
	return cmd
}

func (c *cli) newAppsInfo() *cobra.Command {
	var app string
	cmd := c.addJSON(&cobra.Command{
		Use:   "info [name]",
		Short: "Describe an app",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := c.appName(app)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				name = args[0]
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			a, err := client.AppGet(c.ctx(), name)
			if err != nil {
				return explain(err)
			}
			if c.json {
				return printJSON(c.stdout, a)
			}
			return info(c.stdout, [][2]string{{"Name", a.Name}, {"Status", a.Status}, {"Release", a.Release}})
		},
	})
	cmd.Flags().StringVarP(&app, "app", "a", "", "app name (default: the current directory's name)")
	return cmd
}

func (c *cli) newAppsDelete() *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "delete <name>",
		Short: "Delete an app and everything of it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			client, err := c.client()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Deleting %s... ", name)
			if _, err := client.AppDelete(c.ctx(), name); err != nil {
				fmt.Fprintln(c.stderr, "FAILED")
				return explain(err)
			}
			if wait {
				if _, err := c.waitApp(client, name, ""); err != nil {
					fmt.Fprintln(c.stderr, "FAILED")
					return err
				}
			}
			fmt.Fprintln(c.stderr, "OK")
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the app is gone")
	return cmd
}

// waitTimeout bounds every --wait.
const waitTimeout = 30 * time.Minute

// waitApp polls an app until it has status want ("" means: until it is
// gone), failing when it fails.
func (c *cli) waitApp(client *sdk.Client, name string, want rack.AppStatus) (sdk.App, error) {
	deadline := c.now().Add(waitTimeout)
	for {
		a, err := client.AppGet(c.ctx(), name)
		switch {
		case want == "" && rack.IsCode(err, rack.ENOTFOUND):
			return sdk.App{}, nil
		case err != nil:
			return sdk.App{}, explain(err)
		case a.Status == string(want):
			return a, nil
		case a.Status == string(rack.AppFailed):
			return a, rack.Errorf(rack.EINTERNAL, "app %s failed", name)
		case c.now().After(deadline):
			return a, fmt.Errorf("app %s: still %s after %s", name, a.Status, waitTimeout)
		}
		c.sleep(pollInterval)
	}
}
