// Package install installs, updates and uninstalls racks from the user's
// machine, with the user's AWS credentials, as `convox rack install` does:
// it uploads the functions' code to an artifacts bucket, creates the rack
// stack from its template, shows the stack's events as they happen, and
// waits for the result.
package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// CloudFormation is the part of the CloudFormation client installs use.
type CloudFormation interface {
	CreateStack(context.Context, *cloudformation.CreateStackInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error)
	UpdateStack(context.Context, *cloudformation.UpdateStackInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error)
	DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
}

// S3 is the part of the S3 client installs use.
type S3 interface {
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	DeleteBucket(context.Context, *s3.DeleteBucketInput, ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
}

// STS tells whose credentials these are.
type STS interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Installer acts on racks in one account and region.
type Installer struct {
	CFN    CloudFormation
	S3     S3
	STS    STS
	Region string
	// Events receives one line per stack event while an operation runs.
	Events io.Writer
	// Poll is the pause between reads of a stack's events (default 2s).
	Poll time.Duration
	// Timeout bounds one stack operation (default 1h).
	Timeout time.Duration
}

// New returns an installer acting with cfg's credentials in its region,
// writing stack events to events. Against a custom endpoint (an emulator)
// S3 is addressed by path, as such endpoints serve it.
func New(cfg aws.Config, events io.Writer) *Installer {
	return &Installer{
		CFN:    cloudformation.NewFromConfig(cfg),
		S3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
		STS:    sts.NewFromConfig(cfg),
		Region: cfg.Region,
		Events: events,
	}
}

// Options describe an install.
type Options struct {
	Name     string            // the rack's (and its stack's) name
	Template string            // the rack template file
	CodeDir  string            // the directory of the functions' zips, <function>.zip
	Arch     string            // arm64 or x86_64, matching the zips
	Password string            // the API password
	Version  string            // the rack version
	Params   map[string]string // more stack parameters, by name
}

// Result is an installed rack.
type Result struct {
	Outputs map[string]string
}

// Install uploads the code and creates the rack stack, then waits for it.
func (i *Installer) Install(ctx context.Context, o Options) (Result, error) {
	if err := rack.ValidateRackName(o.Name); err != nil {
		return Result{}, err
	}
	if _, err := i.describe(ctx, o.Name); err == nil {
		return Result{}, rack.Errorf(rack.ECONFLICT, "rack %s already exists: use `convox rack params set` or uninstall it first", o.Name)
	} else if !rack.IsCode(err, rack.ENOTFOUND) {
		return Result{}, err
	}
	a, err := i.Upload(ctx, o)
	if err != nil {
		return Result{}, err
	}
	params := map[string]string{
		names.ParamCodeBucket: a.Bucket, names.ParamCodePrefix: a.CodePrefix, names.ParamArchitecture: o.Arch,
		names.ParamPassword: o.Password, names.ParamVersion: o.Version,
	}
	for k, v := range o.Params {
		params[k] = v
	}
	start := time.Now()
	_, err = i.CFN.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(o.Name),
		TemplateURL:  aws.String(a.TemplateURL),
		Parameters:   stackParams(params, nil),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
		Tags: []cfntypes.Tag{
			{Key: aws.String(names.TagRack), Value: aws.String(o.Name)},
			{Key: aws.String(names.TagType), Value: aws.String(names.TagTypeRack)},
		},
		OnFailure: cfntypes.OnFailureDelete,
	})
	// The stack was absent a moment ago: "already exists" is this very
	// request, retried by the SDK after a lost answer.
	var exists *cfntypes.AlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return Result{}, fmt.Errorf("create stack %s: %w", o.Name, err)
	}
	stack, err := i.wait(ctx, o.Name, start)
	if err != nil {
		return Result{}, err
	}
	if stack.StackStatus != cfntypes.StackStatusCreateComplete {
		return Result{}, rack.Errorf(rack.EINTERNAL, "rack %s: %s %s", o.Name, stack.StackStatus, aws.ToString(stack.StackStatusReason))
	}
	return Result{Outputs: outputs(stack)}, nil
}

// Artifacts are where one version's artifacts are in the artifacts bucket.
type Artifacts struct {
	Bucket      string
	CodePrefix  string // <prefix><function>.zip
	TemplateURL string
}

// Upload puts a version's artifacts where a rack's API looks for them to
// update to that version: the function zips of o.CodeDir and the template
// o.Template, under names.ArtifactsVersion(o.Version, o.Arch). Install and
// Update upload before they create or change the stack.
//
// The zips go under a folder named by their content, so that new code of
// the same version (a dev build uploaded again) gets a new key, which is
// what makes a stack update replace a function's code. The template is
// written last, so that one found means its code is there, and it records
// where that code is as the defaults of its CodeBucket and CodePrefix
// parameters (and its version and architecture as those of Version and
// Architecture). CloudFormation takes at most 51,200 bytes of template in a
// request, 1 MB from S3.
func (i *Installer) Upload(ctx context.Context, o Options) (Artifacts, error) {
	if err := rack.ValidateVersion(o.Version); err != nil {
		return Artifacts{}, err
	}
	if o.Arch != "arm64" && o.Arch != "x86_64" {
		return Artifacts{}, rack.Errorf(rack.EINVALID, "architecture %q: arm64 or x86_64", o.Arch)
	}
	template, err := os.ReadFile(o.Template)
	if err != nil {
		return Artifacts{}, rack.Errorf(rack.EINVALID, "read template: %v", err)
	}
	return i.upload(ctx, o, template)
}

func (i *Installer) upload(ctx context.Context, o Options, template []byte) (Artifacts, error) {
	var tmpl map[string]any
	dec := json.NewDecoder(bytes.NewReader(template))
	dec.UseNumber() // numbers stay as written
	if err := dec.Decode(&tmpl); err != nil {
		return Artifacts{}, rack.Errorf(rack.EINVALID, "template is not JSON: %v", err)
	}
	zips, err := filepath.Glob(filepath.Join(o.CodeDir, "*.zip"))
	if err != nil || len(zips) == 0 {
		return Artifacts{}, rack.Errorf(rack.EINVALID, "no function zips in %s: run make build", o.CodeDir)
	}
	sort.Strings(zips)
	h := sha256.New()
	contents := make([][]byte, len(zips))
	for n, z := range zips {
		data, err := os.ReadFile(z)
		if err != nil {
			return Artifacts{}, fmt.Errorf("read %s: %w", z, err)
		}
		contents[n] = data
		fmt.Fprintf(h, "%s %d\n", filepath.Base(z), len(data))
		h.Write(data)
	}
	bucket, err := i.artifacts(ctx)
	if err != nil {
		return Artifacts{}, err
	}
	if err := i.ensureBucket(ctx, bucket); err != nil {
		return Artifacts{}, err
	}
	folder := names.ArtifactsVersion(o.Version, o.Arch)
	prefix := folder + hex.EncodeToString(h.Sum(nil))[:16] + "/"
	for n, z := range zips {
		_, err := i.S3.PutObject(ctx, &s3.PutObjectInput{
			Bucket:              aws.String(bucket.name),
			ExpectedBucketOwner: aws.String(bucket.owner),
			Key:                 aws.String(prefix + filepath.Base(z)),
			Body:                bytes.NewReader(contents[n]),
		})
		if err != nil {
			return Artifacts{}, fmt.Errorf("upload %s: %w", filepath.Base(z), err)
		}
	}
	stampDefaults(tmpl, map[string]string{
		names.ParamCodeBucket: bucket.name, names.ParamCodePrefix: prefix, names.ParamVersion: o.Version, names.ParamArchitecture: o.Arch,
	})
	body, err := json.Marshal(tmpl)
	if err != nil {
		return Artifacts{}, fmt.Errorf("template: %w", err)
	}
	key := names.ArtifactsTemplate(o.Version, o.Arch)
	if _, err := i.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket.name), ExpectedBucketOwner: aws.String(bucket.owner), Key: aws.String(key), Body: bytes.NewReader(body),
	}); err != nil {
		return Artifacts{}, fmt.Errorf("upload template: %w", err)
	}
	return Artifacts{Bucket: bucket.name, CodePrefix: prefix, TemplateURL: names.ArtifactsURL(bucket.owner, i.Region, key)}, nil
}

// stampDefaults sets the defaults of those of the template's parameters
// that values names.
func stampDefaults(tmpl map[string]any, values map[string]string) {
	params, _ := tmpl["Parameters"].(map[string]any)
	for name, v := range values {
		if p, ok := params[name].(map[string]any); ok {
			p["Default"] = v
		}
	}
}

// bucket is the artifacts bucket of the caller's account: every call on it
// says which account must own it, so that a bucket of the same name in
// someone else's account is never written to, read or emptied.
type bucket struct {
	name, owner string
}

// artifacts is the caller's artifacts bucket in the installer's region.
func (i *Installer) artifacts(ctx context.Context) (bucket, error) {
	id, err := i.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return bucket{}, fmt.Errorf("who am I: %w", err)
	}
	account := aws.ToString(id.Account)
	return bucket{name: names.ArtifactsBucket(account, i.Region), owner: account}, nil
}

// ensureBucket makes the artifacts bucket unless the account has it. One
// of that name in another account is a conflict: the installer never uses
// it.
func (i *Installer) ensureBucket(ctx context.Context, b bucket) error {
	_, err := i.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.name), ExpectedBucketOwner: aws.String(b.owner)})
	switch {
	case err == nil:
		return nil
	case !isNotFound(err):
		// A 403: another account owns it, or this one may not read it.
		return rack.Errorf(rack.ECONFLICT, "the artifacts bucket %s is not one account %s can use (another account owns it, or access is denied): the installer uses only a bucket of its own account", b.name, b.owner)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(b.name)}
	if i.Region != "" && i.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(i.Region)}
	}
	_, err = i.S3.CreateBucket(ctx, in)
	var owned *s3types.BucketAlreadyOwnedByYou
	var taken *s3types.BucketAlreadyExists
	switch {
	case err == nil, errors.As(err, &owned):
		return nil
	case errors.As(err, &taken):
		return rack.Errorf(rack.ECONFLICT, "the artifacts bucket %s belongs to another account: the installer uses only a bucket of account %s", b.name, b.owner)
	}
	return fmt.Errorf("create bucket %s: %w", b.name, err)
}

// isNotFound reports whether err is S3's answer for a bucket that does
// not exist (HeadBucket has no body, so only its status tells).
func isNotFound(err error) bool {
	var missing *s3types.NotFound
	var noBucket *s3types.NoSuchBucket
	var api smithy.APIError
	return errors.As(err, &missing) || errors.As(err, &noBucket) || (errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchBucket"))
}

// stackParams turns values into stack parameters; keep names keep their
// previous values.
func stackParams(values map[string]string, keep []string) []cfntypes.Parameter {
	var out []cfntypes.Parameter
	for _, k := range slices.Sorted(maps.Keys(values)) {
		out = append(out, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(values[k])})
	}
	for _, k := range keep {
		if _, ok := values[k]; !ok {
			out = append(out, cfntypes.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)})
		}
	}
	return out
}

func outputs(s cfntypes.Stack) map[string]string {
	out := map[string]string{}
	for _, o := range s.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out
}

// describe reads a stack by name; a missing one is ENOTFOUND.
func (i *Installer) describe(ctx context.Context, name string) (cfntypes.Stack, error) {
	out, err := i.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var api smithy.APIError
	switch {
	case errors.As(err, &api) && api.ErrorCode() == "ValidationError":
		return cfntypes.Stack{}, rack.Errorf(rack.ENOTFOUND, "rack %s not found", name)
	case err != nil:
		return cfntypes.Stack{}, fmt.Errorf("describe stack %s: %w", name, err)
	case len(out.Stacks) == 0 || out.Stacks[0].StackStatus == cfntypes.StackStatusDeleteComplete:
		return cfntypes.Stack{}, rack.Errorf(rack.ENOTFOUND, "rack %s not found", name)
	}
	return out.Stacks[0], nil
}

// wait shows the stack's events from start on until it settles, and
// returns it as it settled. A stack gone (deleted) returns ENOTFOUND.
func (i *Installer) wait(ctx context.Context, name string, start time.Time) (cfntypes.Stack, error) {
	poll, timeout := i.Poll, i.Timeout
	if poll == 0 {
		poll = 2 * time.Second
	}
	if timeout == 0 {
		timeout = time.Hour
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	seen := map[string]bool{}
	var stackID string
	for {
		stack, err := i.describe(ctx, name)
		if err == nil {
			stackID = aws.ToString(stack.StackId)
		}
		if stackID != "" {
			i.showEvents(ctx, stackID, start, seen)
		}
		switch {
		case err != nil:
			return cfntypes.Stack{}, err
		case !strings.HasSuffix(string(stack.StackStatus), "_IN_PROGRESS"):
			return stack, nil
		}
		select {
		case <-ctx.Done():
			return cfntypes.Stack{}, fmt.Errorf("rack %s: still %s: %w", name, stack.StackStatus, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// showEvents writes the stack's new events since start, oldest first.
func (i *Installer) showEvents(ctx context.Context, stackID string, start time.Time, seen map[string]bool) {
	if i.Events == nil {
		return
	}
	var fresh []cfntypes.StackEvent
	var token *string
	for {
		out, err := i.CFN.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID), NextToken: token})
		if err != nil {
			return // events are for show; the status decides
		}
		done := false
		for _, e := range out.StackEvents {
			id := aws.ToString(e.EventId)
			if seen[id] || aws.ToTime(e.Timestamp).Before(start.Add(-time.Second)) {
				done = true
				continue
			}
			seen[id] = true
			fresh = append(fresh, e)
		}
		if done || out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	sort.SliceStable(fresh, func(a, b int) bool { return aws.ToTime(fresh[a].Timestamp).Before(aws.ToTime(fresh[b].Timestamp)) })
	for _, e := range fresh {
		line := fmt.Sprintf("%-28s %-40s %s", aws.ToString(e.ResourceType), aws.ToString(e.LogicalResourceId), e.ResourceStatus)
		if r := aws.ToString(e.ResourceStatusReason); r != "" {
			line += "  " + r
		}
		fmt.Fprintln(i.Events, strings.TrimRight(line, " "))
	}
}
