// Command infra synthesizes the rack stack: `cd infra && go run .` (or
// `cdk synth` from the repository root) writes cdk.out/Rack.template.json,
// the template `convox rack install` deploys.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app, err := newApp()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
	NewRack(app, "Rack", &RackProps{Version: version(app)})
	app.Synth(nil)
}

// newApp makes the CDK app with the context of ../cdk.json, which
// `go run` does not read by itself, so feature flags match `cdk synth`.
func newApp() (awscdk.App, error) {
	data, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		return nil, fmt.Errorf("read cdk.json: %w", err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("read cdk.json: %w", err)
	}
	outdir := os.Getenv("CDK_OUTDIR")
	if outdir == "" {
		outdir = "cdk.out"
	}
	return awscdk.NewApp(&awscdk.AppProps{
		Context: &cfg.Context,
		Outdir:  jsii.String(outdir),
		// No bootstrap stack: the template has no assets, its code comes
		// from parameters.
		DefaultStackSynthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
	}), nil
}

// version is the rack version to stamp as the Version parameter's default.
func version(app awscdk.App) string {
	if v, ok := app.Node().TryGetContext(jsii.String("version")).(string); ok && v != "" {
		return v
	}
	return "dev"
}
