package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/install"
	"github.com/rackhq/rack/pkg/rack"
)

// installer loads the user's AWS configuration, only when a command that
// acts on AWS runs.
func (c *cli) installer(region string) (*install.Installer, aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(c.ctx(), opts...)
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, aws.Config{}, usageError{fmt.Errorf("no AWS region: give --region or set AWS_REGION")}
	}
	return &install.Installer{
		CFN:    cloudformation.NewFromConfig(cfg),
		S3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
		STS:    sts.NewFromConfig(cfg),
		Region: cfg.Region,
		Events: c.stderr,
	}, cfg, nil
}

// apiHost is where the CLI reaches an installed rack's API. Behind a custom
// AWS endpoint (LocalStack or a compatible emulator) API Gateway answers
// on that endpoint's execute-api path rather than on the API's own host.
func apiHost(cfg aws.Config, outputs map[string]string) string {
	if cfg.BaseEndpoint != nil && outputs["ApiId"] != "" {
		return strings.TrimSuffix(*cfg.BaseEndpoint, "/") + "/_aws/execute-api/" + outputs["ApiId"] + "/$default"
	}
	return outputs["ApiUrl"]
}

func (c *cli) newRackInstall() *cobra.Command {
	var o install.Options
	var region string
	cmd := &cobra.Command{
		Use:   "install [Param=Value...]",
		Short: "Install a rack into your AWS account, with your AWS credentials",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := paramArgs(args)
			if err != nil {
				return err
			}
			o.Params = params
			if err := artifacts(&o); err != nil {
				return err
			}
			if o.Password == "" {
				if o.Password, err = auth.GeneratePassword(); err != nil {
					return err
				}
			}
			inst, cfg, err := c.installer(region)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Installing rack %s in %s...\n", o.Name, inst.Region)
			res, err := inst.Install(c.ctx(), o)
			if err != nil {
				return fmt.Errorf("install %s: %w", o.Name, err)
			}
			host := apiHost(cfg, res.Outputs)
			if err := c.loginWhenReady(host, o.Password); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Rack %s is installed; logged in to %s\n", o.Name, host)
			fmt.Fprintln(c.stdout, host)
			return nil
		},
	}
	artifactFlags(cmd, &o, &region)
	cmd.Flags().StringVar(&o.Password, "password", "", "API password (default: generated)")
	return cmd
}

// artifactFlags are the flags of what a rack is made from.
func artifactFlags(cmd *cobra.Command, o *install.Options, region *string) {
	cmd.Flags().StringVar(&o.Name, "name", "convox", "the rack's name (and its stack's)")
	cmd.Flags().StringVar(region, "region", "", "AWS region (default: your AWS configuration's)")
	cmd.Flags().StringVar(&o.Template, "template", filepath.Join("infra", "cdk.out", "Rack.template.json"), "the rack template (make synth)")
	cmd.Flags().StringVar(&o.CodeDir, "code", "", "directory of the functions' zips (default: dist/lambda/<arch>, from make build)")
	cmd.Flags().StringVar(&o.Arch, "arch", "arm64", "architecture of the functions: arm64 or x86_64")
	cmd.Flags().StringVar(&o.Version, "version", "", "rack version (default: this client's)")
}

// artifacts checks and completes the options of what a rack is made from.
func artifacts(o *install.Options) error {
	if err := install.ValidateName(o.Name); err != nil {
		return usageError{err}
	}
	if o.Arch != "arm64" && o.Arch != "x86_64" {
		return usageError{fmt.Errorf("--arch must be arm64 or x86_64")}
	}
	if o.CodeDir == "" {
		o.CodeDir = filepath.Join("dist", "lambda", map[string]string{"arm64": "arm64", "x86_64": "amd64"}[o.Arch])
	}
	if o.Version == "" {
		o.Version = version
	}
	return nil
}

func (c *cli) newRackUpdate() *cobra.Command {
	var o install.Options
	var region string
	cmd := &cobra.Command{
		Use:   "update [Param=Value...]",
		Short: "Update a rack to this template and code, keeping its parameters",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := paramArgs(args)
			if err != nil {
				return err
			}
			o.Params = params
			if err := artifacts(&o); err != nil {
				return err
			}
			inst, _, err := c.installer(region)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Updating rack %s...\n", o.Name)
			changed, err := inst.Update(c.ctx(), o)
			if err != nil {
				return fmt.Errorf("update %s: %w", o.Name, err)
			}
			if !changed {
				fmt.Fprintln(c.stderr, "No changes")
				return nil
			}
			fmt.Fprintln(c.stderr, "OK")
			return nil
		},
	}
	artifactFlags(cmd, &o, &region)
	return cmd
}

// loginWhenReady logs in to a new rack, retrying briefly while its API
// comes up.
func (c *cli) loginWhenReady(host, password string) error {
	client, err := c.clientFor(host, password)
	if err != nil {
		return err
	}
	deadline := c.now().Add(2 * time.Minute)
	for {
		_, err = client.Auth(c.ctx())
		if err == nil || c.now().After(deadline) {
			break
		}
		c.sleep(pollInterval)
	}
	if err != nil {
		return fmt.Errorf("log in to %s: %w", host, err)
	}
	sys, err := client.System(c.ctx())
	if err != nil {
		return fmt.Errorf("log in to %s: %w", host, err)
	}
	return c.saveLogin(host, password, sys.Name)
}

func (c *cli) newRackUninstall() *cobra.Command {
	var region string
	cmd := &cobra.Command{
		Use:   "uninstall <name>",
		Short: "Delete a rack, its apps and everything they hold",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inst, _, err := c.installer(region)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Uninstalling rack %s...\n", args[0])
			if err := inst.Uninstall(c.ctx(), args[0]); err != nil {
				return fmt.Errorf("uninstall %s: %w", args[0], err)
			}
			fmt.Fprintf(c.stderr, "Rack %s is uninstalled\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&region, "region", "", "AWS region (default: your AWS configuration's)")
	return cmd
}

func (c *cli) newRackParams() *cobra.Command {
	var region, name string
	cmd := c.addJSON(&cobra.Command{
		Use:   "params",
		Short: "Show a rack's parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inst, _, err := c.installer(region)
			if err != nil {
				return err
			}
			params, err := inst.Params(c.ctx(), name)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(c.stdout, params)
			}
			var pairs [][2]string
			for _, k := range slices.Sorted(maps.Keys(params)) {
				pairs = append(pairs, [2]string{k, params[k]})
			}
			return info(c.stdout, pairs)
		},
	})
	set := &cobra.Command{
		Use:   "set <Param=Value>...",
		Short: "Change rack parameters (a stack update that keeps every other value)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			values, err := paramArgs(args)
			if err != nil {
				return err
			}
			inst, _, err := c.installer(region)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Updating parameters of %s...\n", name)
			changed, err := inst.SetParams(c.ctx(), name, values)
			if err != nil {
				return err
			}
			if !changed {
				fmt.Fprintln(c.stderr, "No changes")
				return nil
			}
			fmt.Fprintln(c.stderr, "OK")
			return nil
		},
	}
	for _, cm := range []*cobra.Command{cmd, set} {
		cm.Flags().StringVar(&region, "region", "", "AWS region (default: your AWS configuration's)")
		cm.Flags().StringVar(&name, "name", "convox", "the rack's name")
	}
	cmd.AddCommand(set)
	return cmd
}

// paramArgs reads Param=Value arguments.
func paramArgs(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usageError{rack.Errorf(rack.EINVALID, "%q is not Param=Value", a)}
		}
		out[k] = v
	}
	return out, nil
}
