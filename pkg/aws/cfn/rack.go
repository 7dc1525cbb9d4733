package cfn

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// RackAPI is the part of the CloudFormation client the rack's own stack
// uses.
type RackAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	GetTemplateSummary(ctx context.Context, in *cloudformation.GetTemplateSummaryInput, opts ...func(*cloudformation.Options)) (*cloudformation.GetTemplateSummaryOutput, error)
	CreateChangeSet(ctx context.Context, in *cloudformation.CreateChangeSetInput, opts ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	DescribeChangeSet(ctx context.Context, in *cloudformation.DescribeChangeSetInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error)
	ExecuteChangeSet(ctx context.Context, in *cloudformation.ExecuteChangeSetInput, opts ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(ctx context.Context, in *cloudformation.DeleteChangeSetInput, opts ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
}

// Rack reads and changes a rack's own stack, the stack named as the rack,
// through change sets: CloudFormation previews each change, and the rack
// answers with the preview once the change has started.
type Rack struct {
	cfn  RackAPI
	name string
	// Role is the service role CloudFormation carries changes out with;
	// empty, it uses the caller's own permissions.
	Role string
	// Poll is how often a change set being made, and the stack it starts
	// changing, are read (default 500ms). Wait bounds one change (default
	// 20s): an API request must be answered well within the 29 s API
	// Gateway allows.
	Poll, Wait time.Duration
}

// NewRack returns the stack of the named rack.
func NewRack(client RackAPI, name string) *Rack {
	return &Rack{cfn: client, name: name}
}

// RackStack reads the stack. A stack that does not exist, or is deleted,
// is ENOTFOUND: a local API has none.
func (r *Rack) RackStack(ctx context.Context) (rack.RackStack, error) {
	stack, err := r.describe(ctx, r.name)
	if err != nil {
		return rack.RackStack{}, err
	}
	out := rack.RackStack{
		ID: aws.ToString(stack.StackId), Status: string(stack.StackStatus), Reason: aws.ToString(stack.StackStatusReason),
		Revision: revision(stack), Parameters: map[string]string{}, Outputs: map[string]string{},
	}
	for _, p := range stack.Parameters {
		out.Parameters[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	for _, o := range stack.Outputs {
		out.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out, nil
}

// describe reads a stack by name or id.
func (r *Rack) describe(ctx context.Context, stack string) (types.Stack, error) {
	out, err := r.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	switch {
	case isValidationError(err):
		// The only ValidationError of a DescribeStacks by a valid name.
		return types.Stack{}, r.noStack()
	case err != nil:
		return types.Stack{}, fmt.Errorf("describe stack %s: %w", stack, err)
	case len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete:
		return types.Stack{}, r.noStack()
	}
	return out.Stacks[0], nil
}

func (r *Rack) noStack() error {
	return rack.Errorf(rack.ENOTFOUND, "rack %s has no CloudFormation stack named %s in this account and region", r.name, r.name)
}

// revision tells one state of a stack from the next: the time of its last
// change.
func revision(s types.Stack) string {
	t := s.LastUpdatedTime
	if t == nil {
		t = s.CreationTime
	}
	return aws.ToTime(t).UTC().Format(time.RFC3339Nano)
}

// RackTemplate reads the template of version for arch where the installer
// puts it: in the artifacts bucket of the stack's account and region. One
// CloudFormation cannot read (it is not there) is ENOTFOUND.
func (r *Rack) RackTemplate(ctx context.Context, stackID, version, arch string) (rack.RackTemplate, error) {
	a, err := arn.Parse(stackID)
	if err != nil {
		return rack.RackTemplate{}, fmt.Errorf("stack id %q: %w", stackID, err)
	}
	key := names.ArtifactsTemplate(version, arch)
	url := names.ArtifactsURL(a.AccountID, a.Region, key)
	out, err := r.cfn.GetTemplateSummary(ctx, &cloudformation.GetTemplateSummaryInput{TemplateURL: aws.String(url)})
	switch {
	case isValidationError(err):
		// CloudFormation says "not found" or "access denied" alike, and
		// the API may read the whole versions/ folder: the object is not
		// there.
		return rack.RackTemplate{}, rack.Errorf(rack.ENOTFOUND,
			"version %s (%s) has not been uploaded: no template at s3://%s/%s. The installer puts a version's template and code there (`make dev`, or installing a rack from a source tree of that version); published versions are not fetched yet",
			version, arch, names.ArtifactsBucket(a.AccountID, a.Region), key)
	case err != nil:
		return rack.RackTemplate{}, fmt.Errorf("read template %s: %w", url, err)
	}
	t := rack.RackTemplate{URL: url, Parameters: map[string]string{}}
	for _, p := range out.Parameters {
		t.Parameters[aws.ToString(p.ParameterKey)] = aws.ToString(p.DefaultValue)
	}
	return t, nil
}

// ChangeRackStack makes a change set of u, waits until CloudFormation has
// made it, executes it, and returns its changes once the stack has
// started changing. A change set that changes nothing is not executed and
// returns no changes.
//
// The change set's name and token are a digest of u, which names the stack
// state it was decided on: the same request retried finds its change set,
// made or executed, rather than making another; a request after the stack
// changed makes a new one.
func (r *Rack) ChangeRackStack(ctx context.Context, u rack.RackStackUpdate) ([]rack.StackChange, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(r.Wait, 20*time.Second))
	defer cancel()
	name, err := changeSetName(r.name, u)
	if err != nil {
		return nil, err
	}
	in := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(u.StackID),
		ChangeSetName: aws.String(name),
		ChangeSetType: types.ChangeSetTypeUpdate,
		ClientToken:   aws.String(name),
		Description:   aws.String("rack " + r.name + " update through its API"),
		Parameters:    parameterList(u.Values, u.Keep),
		Capabilities:  []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam},
	}
	if u.TemplateURL != "" {
		in.TemplateURL = aws.String(u.TemplateURL)
	} else {
		in.UsePreviousTemplate = aws.Bool(true)
	}
	if r.Role != "" {
		in.RoleARN = aws.String(r.Role)
	}
	_, err = r.cfn.CreateChangeSet(ctx, in)
	var exists *types.AlreadyExistsException
	switch {
	case errors.As(err, &exists):
		// This very request, retried: its change set is there.
	case err != nil:
		return nil, r.refused(ctx, u.StackID, "create change set", err)
	}

	// The change set's other calls name the stack by name: the
	// emulator finds change sets by stack name only, and the name is the
	// rack's stack on AWS as well.
	set, err := r.made(ctx, name)
	if err != nil {
		return nil, err
	}
	switch {
	case set.Status == types.ChangeSetStatusFailed:
		// Failed sets are deleted, so that a retry asks CloudFormation
		// again; the deletion is tidying, and its failure no error.
		_, _ = r.cfn.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{StackName: aws.String(r.name), ChangeSetName: aws.String(name)})
		reason := aws.ToString(set.StatusReason)
		if noChanges(reason) {
			return []rack.StackChange{}, nil
		}
		return nil, rack.Errorf(rack.EINVALID, "CloudFormation refused the change: %s", reason)
	case set.ExecutionStatus == types.ExecutionStatusExecuteInProgress, set.ExecutionStatus == types.ExecutionStatusExecuteComplete,
		set.ExecutionStatus == types.ExecutionStatusExecuteFailed:
		// Executed already (a retry after the first answer was lost), or
		// executing: its changes are the answer.
		return set.changes, nil
	case set.ExecutionStatus != types.ExecutionStatusAvailable:
		// OBSOLETE: the stack changed after the set was made.
		return nil, rack.Errorf(rack.ECONFLICT, "the change set %s of rack %s can no longer be executed (%s): the rack changed meanwhile; send the request again", name, r.name, set.ExecutionStatus)
	}
	_, err = r.cfn.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{
		StackName: aws.String(r.name), ChangeSetName: aws.String(name), ClientRequestToken: aws.String(name),
	})
	var status *types.InvalidChangeSetStatusException
	if errors.As(err, &status) && r.executed(ctx, name) {
		// A copy of this request executed it meanwhile.
		err = nil
	}
	if err != nil {
		return nil, r.refused(ctx, u.StackID, "execute change set "+name, err)
	}
	r.started(ctx, u)
	return set.changes, nil
}

// executed reports whether the change set is executing or executed.
func (r *Rack) executed(ctx context.Context, name string) bool {
	set, err := r.describeChangeSet(ctx, name)
	return err == nil && (set.ExecutionStatus == types.ExecutionStatusExecuteInProgress || set.ExecutionStatus == types.ExecutionStatusExecuteComplete)
}

// changeSet is a change set as far as the rack reads it.
type changeSet struct {
	Status          types.ChangeSetStatus
	StatusReason    *string
	ExecutionStatus types.ExecutionStatus
	changes         []rack.StackChange
}

// made waits until CloudFormation has made the change set (or failed to),
// and reads its changes.
func (r *Rack) made(ctx context.Context, name string) (changeSet, error) {
	tick := time.NewTicker(cmp.Or(r.Poll, 500*time.Millisecond))
	defer tick.Stop()
	stillMaking := func(status types.ChangeSetStatus) error {
		return rack.Errorf(rack.ECONFLICT,
			"CloudFormation is still making the change set %s of rack %s (%s): send the same request again to carry on with it", name, r.name, status)
	}
	for {
		set, err := r.describeChangeSet(ctx, name)
		switch {
		case err != nil && ctx.Err() != nil:
			return changeSet{}, stillMaking(types.ChangeSetStatusCreateInProgress)
		case err != nil:
			return changeSet{}, err
		case set.Status == types.ChangeSetStatusCreateComplete, set.Status == types.ChangeSetStatusFailed:
			return set, nil
		}
		select {
		case <-ctx.Done():
			return changeSet{}, stillMaking(set.Status)
		case <-tick.C:
		}
	}
}

// describeChangeSet reads a change set and every page of its changes.
func (r *Rack) describeChangeSet(ctx context.Context, name string) (changeSet, error) {
	var set changeSet
	var token *string
	for {
		out, err := r.cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{
			StackName: aws.String(r.name), ChangeSetName: aws.String(name), NextToken: token,
		})
		if err != nil {
			return changeSet{}, fmt.Errorf("describe change set %s: %w", name, err)
		}
		set.Status, set.StatusReason, set.ExecutionStatus = out.Status, out.StatusReason, out.ExecutionStatus
		for _, c := range out.Changes {
			rc := c.ResourceChange
			if rc == nil {
				continue
			}
			set.changes = append(set.changes, rack.StackChange{
				Action: string(rc.Action), LogicalID: aws.ToString(rc.LogicalResourceId),
				Type: aws.ToString(rc.ResourceType), Replacement: string(rc.Replacement),
			})
		}
		if out.NextToken == nil {
			if set.changes == nil {
				set.changes = []rack.StackChange{}
			}
			return set, nil
		}
		token = out.NextToken
	}
}

// started waits, within the change's time, until the stack shows the
// change it was given, so that a client reading it next sees it changing
// (or changed), not as it was. Past the deadline the change has started
// all the same: it returns either way.
func (r *Rack) started(ctx context.Context, u rack.RackStackUpdate) {
	tick := time.NewTicker(cmp.Or(r.Poll, 500*time.Millisecond))
	defer tick.Stop()
	for {
		stack, err := r.describe(ctx, u.StackID)
		if err != nil || revision(stack) != u.Revision || strings.HasSuffix(string(stack.StackStatus), "_IN_PROGRESS") {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refused explains an error of CloudFormation's on a change: a stack that
// started changing meanwhile is ECONFLICT; the values of a change
// CloudFormation finds wrong (a value not allowed, a number out of range)
// are EINVALID, with its message; anything else is passed on.
func (r *Rack) refused(ctx context.Context, stackID, what string, err error) error {
	if stack, derr := r.describe(ctx, stackID); derr == nil && strings.HasSuffix(string(stack.StackStatus), "_IN_PROGRESS") {
		return rack.Errorf(rack.ECONFLICT, "rack %s is %s: wait until it is done, then try again", r.name, stack.StackStatus)
	}
	if isValidationError(err) {
		return rack.Errorf(rack.EINVALID, "CloudFormation refused the change: %s", apiMessage(err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// noChanges reports whether a failed change set's reason is CloudFormation
// saying there is nothing to change. It has no code for it, only these
// messages (the second from older stacks and UpdateStack).
func noChanges(reason string) bool {
	return strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates are to be performed")
}

// changeSetName names the change set of u: the rack's name, then a digest
// of everything in u, so a retried request names the same set.
func changeSetName(rackName string, u rack.RackStackUpdate) (string, error) {
	data, err := json.Marshal(u) // maps marshal with sorted keys
	if err != nil {
		return "", fmt.Errorf("change set name: %w", err)
	}
	sum := sha256.Sum256(data)
	return rackName + "-update-" + hex.EncodeToString(sum[:16]), nil
}

// parameterList is a change set's parameters: values, then the names in
// keep with their previous values.
func parameterList(values map[string]string, keep []string) []types.Parameter {
	out := parameters(values)
	for _, k := range keep {
		if _, set := values[k]; !set {
			out = append(out, types.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)})
		}
	}
	return out
}

// apiMessage is the message of an AWS error, without the SDK's wrapping
// (operation, request id).
func apiMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorMessage()
	}
	return err.Error()
}
