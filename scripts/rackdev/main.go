// Command rackdev is the dev loop's own tool, run by scripts/api and
// scripts/export-env:
//
//	rackdev api [-listen ADDR] [-local NAME] [-password PW] [-sweep D]
//	    the local API over the resources the environment names (a .env), or
//	    over those of a rack NAME of its own (on the emulator); it runs the
//	    releases and builds functions' reconcile sweeps every D, as no
//	    schedule does here
//	rackdev export-env STACK
//	    the environment of a deployed rack, from its stack
//	rackdev relay RACK
//	    on an emulator, which emits no AWS events, hands each new status of
//	    the rack's app stacks to its releases function, as CloudFormation's
//	    events would, and a sweep to its builds and releases functions every
//	    2 s (make dev runs it beside the dev rack)
//	rackdev update-rack -name NAME -template FILE -code DIR -arch ARCH -version V
//	    updates a rack to a source tree's build with AWS credentials, as make
//	    dev does on a re-run (a user runs convox rack update, through the
//	    rack's API, once the version is uploaded; on the emulator a request
//	    whose update replaces the api function itself is cut off)
//
// It reads AWS configuration as the AWS CLI does (profiles, AWS_ENDPOINT_URL).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	rackevents "github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/install"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/apifn"
	"github.com/rackhq/rack/pkg/wire/buildsfn"
	"github.com/rackhq/rack/pkg/wire/local"
	"github.com/rackhq/rack/pkg/wire/releasesfn"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: rackdev api|export-env|relay|update-rack"))
	}
	var err error
	switch os.Args[1] {
	case "api":
		err = serve(os.Args[2:])
	case "export-env":
		err = exportEnv(os.Args[2:])
	case "relay":
		err = relay(os.Args[2:])
	case "update-rack":
		err = updateRack(os.Args[2:])
	default:
		err = fmt.Errorf("rackdev: no command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rackdev:", err)
	os.Exit(1)
}

// serve runs the local API. With a password it first prepares the table,
// key and password hash the environment names, as the rack stack would.
func serve(args []string) error {
	flags := flag.NewFlagSet("api", flag.ContinueOnError)
	listen := flags.String("listen", "127.0.0.1:5443", "address to listen on")
	password := flags.String("password", "", "the API password to store when none is")
	own := flags.String("local", "", "the name of a local rack whose resources to use")
	every := flags.Duration("sweep", 2*time.Second, "how often to bring apps current with their stacks")
	if err := flags.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	getenv := os.Getenv
	if *own != "" {
		getenv = localEnv(*own)
	}
	env, err := wire.ReadEnv(getenv, apifn.Function.Required...)
	if err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	if *password != "" {
		if _, err := local.Prepare(ctx, env, cfg, auth.Hasher{}, *password); err != nil {
			return err
		}
	}
	log := wire.Logger(os.Stdout, getenv)
	// No stack or build events and no schedule reach a local API: the
	// sweeps of the releases and builds functions, run here, bring apps
	// and builds current.
	sweepApps, err := releasesfn.Function.Build(env, cfg, slog.New(log))
	if err != nil {
		return err
	}
	sweepBuilds, err := buildsfn.Function.Build(env, cfg, slog.New(log))
	if err != nil {
		return err
	}
	go func() {
		tick := events.CloudWatchEvent{Source: rackevents.ScheduledEventSource, DetailType: rackevents.ScheduledEventDetailType}
		for range time.Tick(*every) {
			for _, sweep := range []func(context.Context, events.CloudWatchEvent) error{sweepApps, sweepBuilds} {
				if err := sweep(ctx, tick); err != nil {
					slog.New(log).Error("sweep", "error", err.Error())
				}
			}
		}
	}()
	slog.New(log).Info("local API listening", "addr", *listen, "rack", env.Rack)
	return http.ListenAndServe(*listen, apifn.NewServer(env, cfg, log))
}

// relay delivers the stack events of the rack named in args until the
// emulator goes away.
func relay(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: rackdev relay RACK")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	log := slog.New(wire.Logger(os.Stdout, os.Getenv))
	log.Info("relaying stack events, build and release sweeps", "rack", args[0])
	for _, fn := range []string{"Builds", "Releases"} {
		go func() {
			if err := local.Sweeps(ctx, cfg, args[0], fn, 2*time.Second, log); err != nil {
				log.Error("sweeps", "function", fn, "error", err.Error())
			}
		}()
	}
	return local.StackEvents(ctx, cfg, args[0], time.Second, log)
}

// localEnv is the environment of a local rack: its table, key alias and
// password parameter are named after it.
func localEnv(rack string) func(string) string {
	env := map[string]string{
		names.EnvRack:      rack,
		names.EnvTable:     "rack-" + rack,
		names.EnvKey:       "alias/rack-" + rack,
		names.EnvVersion:   os.Getenv("VERSION"),
		names.EnvBucket:    "rack-" + rack,
		names.EnvBuilder:   "rack-" + rack,
		names.EnvBuildLogs: "/aws/codebuild/rack-" + rack,
		names.EnvRegistry:  "000000000000.dkr.ecr.us-east-1.amazonaws.com",
		// Where its apps' stacks put their services: the emulator checks
		// none of these, and runs no task.
		names.EnvCluster: "rack-" + rack,
		names.EnvVPC:     "vpc-00000000000000001",
		names.EnvSubnets: "subnet-00000000000000001,subnet-00000000000000002",
	}
	return func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

// exportEnv prints the environment of the rack whose stack is named in
// args, from the stack's outputs and parameters, as shell assignments.
func exportEnv(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: rackdev export-env STACK")
	}
	stack := args[0]
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return err
	}
	if len(out.Stacks) == 0 {
		return fmt.Errorf("no stack %s", stack)
	}
	outputs, params := map[string]string{}, map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, p := range out.Stacks[0].Parameters {
		params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	env := map[string]string{
		names.EnvRack:     stack,
		names.EnvTable:    outputs[names.OutputTableName],
		names.EnvKey:      outputs[names.OutputKeyArn],
		names.EnvEventBus: outputs[names.OutputEventBusName],
		names.EnvVersion:  params["Version"],
		"AWS_REGION":      cfg.Region,
	}
	var missing []string
	for k, v := range env {
		if v == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("stack %s lacks %s: is it a rack?", stack, strings.Join(missing, ", "))
	}
	// What builds need; a rack older than its builds has none of it.
	for name, value := range map[string]string{
		names.EnvBucket: outputs[names.OutputBucketName], names.EnvBuilder: outputs[names.OutputBuildProject],
		names.EnvBuildLogs: outputs[names.OutputBuildLogs],
	} {
		if value != "" {
			env[name] = value
		}
	}
	if endpoint := os.Getenv("AWS_ENDPOINT_URL"); endpoint != "" {
		env["AWS_ENDPOINT_URL"] = endpoint
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s=%s\n", k, shellQuote(env[k]))
	}
	return nil
}

// shellQuote quotes s for a POSIX shell, leaving plain words as they are.
func shellQuote(s string) string {
	plain := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./-_", c)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// updateRack updates a rack's stack to a build's template and code.
func updateRack(args []string) error {
	flags := flag.NewFlagSet("update-rack", flag.ContinueOnError)
	var o install.Options
	flags.StringVar(&o.Name, "name", "", "the rack")
	flags.StringVar(&o.Template, "template", "", "the rack template")
	flags.StringVar(&o.CodeDir, "code", "", "the directory of the functions' zips")
	flags.StringVar(&o.Arch, "arch", "arm64", "arm64 or x86_64")
	flags.StringVar(&o.Version, "version", "dev", "the version to call it")
	if err := flags.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	inst := install.New(cfg, os.Stdout)
	changed, err := inst.Update(ctx, o)
	if err != nil {
		return fmt.Errorf("update %s: %w", o.Name, err)
	}
	if !changed {
		fmt.Println("No changes")
	}
	return nil
}
