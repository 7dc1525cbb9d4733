package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/install/companion"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

// The rack commands. `rack install` and `rack uninstall` act on an AWS
// account with the user's AWS credentials; every other one goes through
// the logged-in rack's API, with its password only.
func (c *cli) rackCommands(root *cobra.Command) {
	c.command(root, "rack", "get information about the rack", spec{args: exactly(0), flags: []flagSpec{flagJSON}}, func(r *call) error {
		s, err := r.system()
		if err != nil {
			return err
		}
		return r.Show(s, func() error {
			i := r.Info()
			i.Add("Name", s.Name)
			i.Add("Provider", s.Provider)
			if s.Region != "" {
				i.Add("Region", s.Region)
			}
			if s.Domain != "" {
				i.Add("Router", s.Domain)
			}
			i.Add("Status", s.Status)
			i.Add("Version", s.Version)
			return i.Print()
		})
	})

	c.command(root, "rack params", "display rack parameters", spec{args: exactly(0), flags: []flagSpec{flagJSON}}, func(r *call) error {
		s, err := r.system()
		if err != nil {
			return err
		}
		return r.Show(s.Parameters, func() error {
			i := r.Info()
			for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
				i.Add(k, s.Parameters[k])
			}
			return i.Print()
		})
	})

	c.command(root, "rack params set", "set rack parameters", spec{usage: "<Key=Value> [Key=Value]...", args: atLeast(1), flags: []flagSpec{flagWait}}, func(r *call) error {
		params, err := paramArgs(r.Args)
		if err != nil {
			return err
		}
		client, err := r.Rack()
		if err != nil {
			return err
		}
		r.Startf("Updating parameters")
		return r.updateRack(client, sdk.SystemUpdateOptions{Parameters: params})
	})

	c.command(root, "rack update", "update the rack", spec{usage: "[version]", args: atMost(1), flags: []flagSpec{flagWait}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		// Convox updates to the next published version; until Rack
		// publishes versions, the default is this client's own.
		target := coalesce(r.Arg(0), version)
		r.Startf("Updating to %s", target)
		return r.updateRack(client, sdk.SystemUpdateOptions{Version: target})
	})

	c.command(root, "rack install", "install a rack", spec{
		usage: "[aws] [Parameter=Value]...", args: anyArgs,
		flags: []flagSpec{
			flagString("name", "n", "rack name (default: convox)"),
			flagString("version", "v", "rack version (default: this client's)"),
			flagString("region", "", "AWS region (default: your AWS configuration's)"),
			flagString("template", "", "rack template (default: "+templatePath+" of a Rack source tree)"),
			flagString("code", "", "directory of the functions' zips (default: dist/lambda/<arch> of a Rack source tree)"),
			flagString("arch", "", "architecture of the functions: arm64 (default) or x86_64"),
			flagString("password", "", "API password (default: generated)"),
		},
	}, func(r *call) error {
		args, err := providerArgs(r.Args)
		if err != nil {
			return err
		}
		params, err := paramArgs(args)
		if err != nil {
			return err
		}
		o, err := r.artifacts()
		if err != nil {
			return err
		}
		o.Params, o.Password = params, r.String("password")
		res, err := r.companion(companion.Request{Op: companion.OpInstall, Region: r.String("region"), Install: o})
		if err != nil {
			return err
		}
		if err := r.loginWhenReady(o.Name, res.Host, res.Password); err != nil {
			return err
		}
		r.Writef("Rack %s is installed at %s\n", o.Name, res.Host)
		return nil
	})

	c.command(root, "rack uninstall", "uninstall a rack", spec{
		usage: "[aws] <name>", args: func(n int) error {
			if n < 1 || n > 2 {
				return errors.New("1 arg required: the rack's name")
			}
			return nil
		},
		flags: []flagSpec{
			flagBool("force", "f", "do not ask; needed without a terminal"),
			flagString("region", "", "AWS region (default: your AWS configuration's)"),
		},
	}, func(r *call) error {
		args, err := providerArgs(r.Args)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return errors.New("1 arg required: the rack's name")
		}
		name := args[0]
		force := r.Bool("force")
		if !r.stdinIsTTY && !force {
			return errors.New("must use --force for non-interactive uninstall")
		}
		doomed, err := r.companion(companion.Request{Op: companion.OpDoomed, Region: r.String("region"), Name: name})
		if err != nil {
			return err
		}
		r.Writef("The following stacks will be deleted:\n")
		for _, s := range doomed.Stacks {
			r.Writef("  %s\n", s)
		}
		if !force {
			r.Writef("Delete everything? [y/N]: ")
			answer, err := bufio.NewReader(r.stdin).ReadString('\n')
			if err != nil && answer == "" {
				return errors.New("aborting")
			}
			if strings.ToLower(strings.TrimSpace(answer)) != "y" {
				return errors.New("aborting")
			}
		}
		if _, err := r.companion(companion.Request{Op: companion.OpUninstall, Region: r.String("region"), Name: name}); err != nil {
			return err
		}
		if s, err := r.settings(); err == nil {
			if err := s.forget(name); err != nil {
				return err
			}
		}
		r.Writef("Rack %s is uninstalled\n", name)
		return nil
	})
}

// updateRack asks the rack to update its own stack. Under --wait it ends
// the progress line, shows what CloudFormation is changing where Convox
// shows the rack's logs, waits until the stack has settled, then says OK.
func (r *call) updateRack(client *sdk.Client, o sdk.SystemUpdateOptions) error {
	res, err := client.SystemUpdate(r.ctx(), o)
	if err != nil {
		return err
	}
	if !r.Bool("wait") {
		return r.OK()
	}
	r.Writef("\n")
	for _, ch := range res.Changes {
		line := fmt.Sprintf("%s %s (%s)", ch.Action, ch.LogicalID, ch.Type)
		if ch.Replacement == "True" || ch.Replacement == "Conditional" {
			line += ", replacement: " + ch.Replacement
		}
		r.Writef("%s\n", line)
	}
	if len(res.Changes) > 0 {
		if err := r.waitRack(client, o); err != nil {
			return err
		}
	}
	return r.OK()
}

// system describes the rack a command acts on.
func (r *call) system() (sdk.System, error) {
	client, err := r.Rack()
	if err != nil {
		return sdk.System{}, err
	}
	return client.System(r.ctx())
}

// rolledBack is the stack status of an update CloudFormation undid: the
// rack reads running again, as it was before the change.
const rolledBack = "UPDATE_ROLLBACK_COMPLETE"

// waitRack polls the rack until its stack has settled with the change in
// place (a stack that has not started the update yet reads settled too, so
// the values are checked as well). The rack's status says whether it is
// still changing; a rollback, or a stack that failed, is an error with
// CloudFormation's reason.
func (r *call) waitRack(client *sdk.Client, o sdk.SystemUpdateOptions) error {
	deadline := r.now().Add(waitTimeout)
	for {
		s, err := client.System(r.ctx())
		if err != nil {
			return err
		}
		switch rack.SystemStatus(s.Status) {
		case rack.SystemRollback, rack.SystemFailed:
			return rack.Errorf(rack.EINTERNAL, "rack update failed: %s %s", s.StackStatus, s.StatusReason)
		case rack.SystemRunning:
			if s.StackStatus == rolledBack {
				return rack.Errorf(rack.EINTERNAL, "rack update failed: %s %s", s.StackStatus, s.StatusReason)
			}
			if applied(s, o) {
				return nil
			}
		}
		if r.now().After(deadline) {
			return fmt.Errorf("rack %s: still %s after %s", s.Name, s.StackStatus, waitTimeout)
		}
		r.sleep(pollInterval)
	}
}

// applied says whether the rack shows the change: its version, and the
// parameters' values (but those CloudFormation masks).
func applied(s sdk.System, o sdk.SystemUpdateOptions) bool {
	if o.Version != "" && s.Version != o.Version {
		return false
	}
	for k, v := range o.Parameters {
		if got := s.Parameters[k]; got != v && got != "****" {
			return false
		}
	}
	return true
}

// providerArgs drops Convox's provider argument ("aws", the only one).
func providerArgs(args []string) ([]string, error) {
	if len(args) > 0 && !strings.Contains(args[0], "=") {
		switch args[0] {
		case "aws":
			return args[1:], nil
		default:
			if len(args) == 1 {
				return args, nil // rack uninstall NAME
			}
			return nil, fmt.Errorf("unknown rack type: %s (Rack installs on aws)", args[0])
		}
	}
	return args, nil
}

// paramArgs reads Key=Value arguments.
func paramArgs(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("Key=Value expected: %s", a)
		}
		out[k] = v
	}
	return out, nil
}

// templatePath is where a Rack source tree's `make synth` writes the rack
// template.
var templatePath = filepath.Join("infra", "cdk.out", "Rack.template.json")

// artifacts says what the rack is made from. Until Rack publishes
// versions, a rack is installed from a source tree's build: its template
// and function zips, found in the working directory or beside this
// binary's bin/, or named by --template and --code.
func (r *call) artifacts() (companion.Install, error) {
	o := companion.Install{
		Name: coalesce(r.String("name"), "convox"), Version: coalesce(r.String("version"), version),
		Arch: coalesce(r.String("arch"), "arm64"), Template: r.String("template"), CodeDir: r.String("code"),
	}
	dir, ok := map[string]string{"arm64": "arm64", "x86_64": "amd64"}[o.Arch]
	if !ok {
		return o, errors.New("--arch must be arm64 or x86_64")
	}
	code := filepath.Join("dist", "lambda", dir)
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		roots = append(roots, wd)
	}
	if exe, err := os.Executable(); err == nil {
		roots = append(roots, filepath.Dir(filepath.Dir(exe)))
	}
	for _, root := range roots {
		if o.Template == "" && exists(filepath.Join(root, templatePath)) {
			o.Template = filepath.Join(root, templatePath)
		}
		if o.CodeDir == "" && exists(filepath.Join(root, code)) {
			o.CodeDir = filepath.Join(root, code)
		}
	}
	if o.Template == "" || o.CodeDir == "" {
		return o, fmt.Errorf("no rack template and code found: give --template FILE and --code DIR, "+
			"or run this from a Rack source tree after `make build synth` (it writes %s and %s); published versions are not available yet", templatePath, code)
	}
	return o, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// companionName is the program that acts on AWS for install and uninstall.
const companionName = "convox-aws"

// companion runs convox-aws (beside this program, else on the PATH) on one
// request; its progress lines go to the command's output.
func (r *call) companion(req companion.Request) (companion.Reply, error) {
	bin, err := r.cliIO.companion()
	if err != nil {
		return companion.Reply{}, err
	}
	in, err := json.Marshal(req)
	if err != nil {
		return companion.Reply{}, err
	}
	cmd := exec.Command(bin)
	cmd.Stdin, cmd.Stderr = bytes.NewReader(in), r.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return companion.Reply{}, err
	}
	if err := cmd.Start(); err != nil {
		return companion.Reply{}, fmt.Errorf("%s: %w", companionName, err)
	}
	var reply companion.Reply
	answered := false
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64*1024), 4<<20)
	for lines.Scan() {
		var line companion.Reply
		if err := json.Unmarshal(lines.Bytes(), &line); err != nil {
			continue // not ours: nothing but JSON lines is expected
		}
		if line.Progress != "" {
			r.Writef("%s\n", line.Progress)
			continue
		}
		reply, answered = line, true
	}
	runErr := cmd.Wait()
	switch {
	case reply.Error != "":
		return reply, rack.Errorf(coalesce(reply.Code, rack.EINTERNAL), "%s", reply.Error)
	case runErr != nil:
		return reply, fmt.Errorf("%s: %w", companionName, runErr)
	case !answered:
		return reply, fmt.Errorf("%s: no answer", companionName)
	}
	return reply, nil
}

func companionPath() (string, error) {
	name := companionName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(exe), name); exists(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found beside convox or on the PATH: it acts on AWS for rack install and uninstall, and comes with convox (make cli builds both)", companionName)
}

// loginWhenReady saves a new rack's password and name, as Convox's install
// does, once its API answers; it becomes the current rack when there is
// none.
func (r *call) loginWhenReady(name, host, password string) error {
	client, err := r.clientFor(host, password)
	if err != nil {
		return err
	}
	deadline := r.now().Add(2 * time.Minute)
	for {
		_, err = client.Auth(r.ctx())
		if err == nil || r.now().After(deadline) {
			break
		}
		r.sleep(pollInterval)
	}
	if err != nil {
		return fmt.Errorf("log in to %s: %w", host, err)
	}
	s, err := r.settings()
	if err != nil {
		return err
	}
	if err := s.setKey("auth", host, password); err != nil {
		return err
	}
	if err := s.remember(name, host); err != nil {
		return err
	}
	if cur, err := s.read("host"); err != nil || cur != "" {
		return err
	}
	return s.write("host", []byte(host))
}
