// Package params keeps apps' environment values as SSM Parameter Store
// SecureString parameters, which ECS reads into containers by reference
// (a task definition's `secrets`): no value is ever in a template, a task
// definition or a stack parameter. Standard parameters cost nothing, so an
// app's environment has no monthly cost.
//
// A value is kept as /<rack>/apps/<app>/env/<NAME>/<release>, the release
// that first needed it: a later release with the same value of the same
// name refers to the same parameter, and a release's references never
// change under it (a rollback finds its values as they were).
package params

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the SSM client the values use.
type API interface {
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, opts ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameters(ctx context.Context, in *ssm.DeleteParametersInput, opts ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error)
}

// Values keeps the environment values of one rack's apps.
type Values struct {
	ssm  API
	rack string
}

// New returns the environment values of the named rack.
func New(client API, rack string) *Values {
	return &Values{ssm: client, rack: rack}
}

// StoreEnv makes sure each non-empty value of env has a parameter, and
// returns by name the parameter's name ("" for an empty value, which SSM
// cannot hold). One paged read finds the values kept already; only new
// values are written.
func (v *Values) StoreEnv(ctx context.Context, app, release string, env rack.Environment) (map[string]string, error) {
	kept, err := v.kept(ctx, app)
	if err != nil {
		return nil, err
	}
	refs := make(map[string]string, len(env))
	for _, k := range env.Keys() {
		value := env[k]
		if value == "" {
			refs[k] = ""
			continue
		}
		if ref, ok := kept[k][value]; ok {
			refs[k] = ref
			continue
		}
		name := names.EnvParameter(v.rack, app, k, release)
		_, err := v.ssm.PutParameter(ctx, &ssm.PutParameterInput{
			Name:  aws.String(name),
			Type:  types.ParameterTypeSecureString,
			Value: aws.String(value),
			Tier:  types.ParameterTierStandard,
			// A retried promotion of the same release writes the same
			// value again.
			Overwrite:   aws.Bool(true),
			Description: aws.String(fmt.Sprintf("%s of app %s, from release %s", k, app, release)),
		})
		if err != nil {
			return nil, fmt.Errorf("keep %s of app %s: %w", k, app, err)
		}
		refs[k] = name
	}
	return refs, nil
}

// kept reads app's kept values: by variable name, each value's parameter.
func (v *Values) kept(ctx context.Context, app string) (map[string]map[string]string, error) {
	path := names.EnvParameterPath(v.rack, app)
	kept := map[string]map[string]string{}
	in := &ssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true)}
	for {
		out, err := v.ssm.GetParametersByPath(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read environment of app %s: %w", app, err)
		}
		for _, p := range out.Parameters {
			name := aws.ToString(p.Name)
			key, _, ok := strings.Cut(strings.TrimPrefix(name, path), "/")
			if !ok {
				continue
			}
			if kept[key] == nil {
				kept[key] = map[string]string{}
			}
			if _, dup := kept[key][aws.ToString(p.Value)]; !dup {
				kept[key][aws.ToString(p.Value)] = name
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return kept, nil
		}
		in.NextToken = out.NextToken
	}
}

// DeleteEnv removes every value kept for app: what deleting the app
// leaves of its environment.
func (v *Values) DeleteEnv(ctx context.Context, app string) error {
	path := names.EnvParameterPath(v.rack, app)
	in := &ssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(true)}
	var all []string
	for {
		out, err := v.ssm.GetParametersByPath(ctx, in)
		if err != nil {
			return fmt.Errorf("read environment of app %s: %w", app, err)
		}
		for _, p := range out.Parameters {
			all = append(all, aws.ToString(p.Name))
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	var errs []error
	for len(all) > 0 {
		batch := all[:min(len(all), 10)] // DeleteParameters takes 10 at a time
		all = all[len(batch):]
		if _, err := v.ssm.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: batch}); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete environment of app %s: %w", app, err)
	}
	return nil
}
