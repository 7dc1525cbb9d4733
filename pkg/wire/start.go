package wire

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// Function is how one Lambda function of the rack is made: the variables
// it needs, and how its handler is built from them.
type Function[H any] struct {
	Name string
	// Required are the environment variables (names.Env*) it cannot run
	// without.
	Required []string
	// Build makes the handler, building only the AWS clients it calls.
	Build func(env Env, cfg aws.Config, log *slog.Logger) (H, error)
	// Broken, when set, is the handler of a function that could not be
	// built, which must answer anyway; without it the process ends and
	// Lambda reports the error.
	Broken func(err error, log *slog.Logger) H
}

// Load builds the handler from the environment getenv reads, logging to
// log (nil: nowhere).
func (f Function[H]) Load(getenv func(string) string, log *slog.Logger) (H, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var h H
	env, err := ReadEnv(getenv, f.Required...)
	if err != nil {
		return h, err
	}
	cfg, err := AWS(getenv)
	if err != nil {
		return h, err
	}
	if h, err = f.Build(env, cfg, log); err != nil {
		return h, fmt.Errorf("build %s: %w", f.Name, err)
	}
	return h, nil
}

// Start builds the handler from the process's environment and runs it
// under Lambda.
func (f Function[H]) Start() {
	log := slog.New(Logger(os.Stdout, os.Getenv))
	h, err := f.Load(os.Getenv, log)
	if err != nil {
		log.Error(f.Name, "error", err.Error())
		if f.Broken == nil {
			os.Exit(1)
		}
		h = f.Broken(err, log)
	}
	lambda.Start(h)
}
