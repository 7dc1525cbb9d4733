// Command convox-aws is the part of the convox command that acts on an AWS
// account with the user's own AWS credentials: installing and uninstalling
// a rack. convox runs it for `convox rack install` and `convox rack
// uninstall`; everything else goes through a rack's API. It is a program
// of its own so that the AWS SDK's start-up cost is paid only by those two
// commands, not by every `convox` run.
//
// It reads one request as JSON on stdin and writes JSON lines on stdout:
// {"progress": "..."} for each line of the stack's progress, then the
// answer, or {"error": "...", "code": "..."} with exit status 1. Stderr is
// left to diagnostics (the AWS SDK's warnings), which convox passes on to
// its own stderr.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/install"
	"github.com/rackhq/rack/pkg/install/companion"
	"github.com/rackhq/rack/pkg/rack"
)

func main() {
	out := &lines{enc: json.NewEncoder(os.Stdout)}
	res, err := serve(context.Background(), os.Stdin, out)
	if err != nil {
		res = companion.Reply{Error: err.Error(), Code: rack.ErrorCode(err)}
	}
	out.flush()
	_ = out.enc.Encode(res)
	if err != nil {
		os.Exit(1)
	}
}

func serve(ctx context.Context, in io.Reader, progress io.Writer) (companion.Reply, error) {
	req, err := companion.ReadRequest(in)
	if err != nil {
		return companion.Reply{}, err
	}
	inst, cfg, err := installer(ctx, req.Region, progress)
	if err != nil {
		return companion.Reply{}, err
	}
	switch req.Op {
	case companion.OpInstall:
		o := install.Options(req.Install)
		if o.Password == "" {
			if o.Password, err = auth.GeneratePassword(); err != nil {
				return companion.Reply{}, err
			}
		}
		fmt.Fprintf(progress, "Installing rack %s in %s from %s and %s\n", o.Name, inst.Region, o.Template, o.CodeDir)
		out, err := inst.Install(ctx, o)
		if err != nil {
			return companion.Reply{}, fmt.Errorf("install %s: %w", o.Name, err)
		}
		return companion.Reply{Host: apiHost(cfg, out.Outputs), Password: o.Password}, nil
	case companion.OpDoomed:
		stacks, err := inst.Doomed(ctx, req.Name)
		return companion.Reply{Stacks: stacks}, err
	case companion.OpUninstall:
		if err := inst.Uninstall(ctx, req.Name); err != nil {
			return companion.Reply{}, fmt.Errorf("uninstall %s: %w", req.Name, err)
		}
	}
	return companion.Reply{}, nil
}

// installer loads the user's AWS configuration.
func installer(ctx context.Context, region string, progress io.Writer) (*install.Installer, aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, aws.Config{}, errors.New("no AWS region: give --region or set AWS_REGION")
	}
	return install.New(cfg, progress), cfg, nil
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

// lines turns what is written to it into {"progress": line} JSON lines.
type lines struct {
	mu      sync.Mutex
	enc     *json.Encoder
	partial []byte
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		if err := l.enc.Encode(companion.Reply{Progress: string(l.partial[:i])}); err != nil {
			return 0, err
		}
		l.partial = l.partial[i+1:]
	}
}

// flush sends a last line without its newline.
func (l *lines) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		_ = l.enc.Encode(companion.Reply{Progress: string(l.partial)})
		l.partial = nil
	}
}
