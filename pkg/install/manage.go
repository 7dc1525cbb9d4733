package install

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// Uninstall deletes a rack's app stacks, then the rack stack, then, when no
// rack is left in the region, the artifacts bucket: nothing is left behind.
// The stacks empty their own buckets and repositories on the way out.
func (i *Installer) Uninstall(ctx context.Context, name string) error {
	doomed, err := i.Doomed(ctx, name)
	if err != nil {
		return err
	}
	for _, stack := range doomed {
		if err := i.deleteStack(ctx, stack); err != nil {
			return err
		}
	}
	racks, err := i.stacks(ctx, func(tags map[string]string) bool { return tags[names.TagType] == names.TagTypeRack })
	if err != nil || len(racks) > 0 {
		return err
	}
	b, err := i.artifacts(ctx)
	if err != nil {
		return err
	}
	return i.deleteBucket(ctx, b)
}

// stacks names the live stacks whose tags match.
func (i *Installer) stacks(ctx context.Context, match func(map[string]string) bool) ([]string, error) {
	var names []string
	var token *string
	for {
		out, err := i.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list stacks: %w", err)
		}
		for _, s := range out.Stacks {
			if s.StackStatus == cfntypes.StackStatusDeleteComplete {
				continue
			}
			tags := map[string]string{}
			for _, t := range s.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if match(tags) {
				names = append(names, aws.ToString(s.StackName))
			}
		}
		if out.NextToken == nil {
			return names, nil
		}
		token = out.NextToken
	}
}

func (i *Installer) deleteStack(ctx context.Context, name string) error {
	start := time.Now()
	if _, err := i.CFN.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		return fmt.Errorf("delete stack %s: %w", name, err)
	}
	stack, err := i.wait(ctx, name, start)
	if rack.IsCode(err, rack.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	return rack.Errorf(rack.EINTERNAL, "delete stack %s: %s %s", name, stack.StackStatus, aws.ToString(stack.StackStatusReason))
}

// deleteBucket empties and deletes the artifacts bucket; a missing one is
// fine, and one of another account is never touched.
func (i *Installer) deleteBucket(ctx context.Context, b bucket) error {
	bucket, owner := aws.String(b.name), aws.String(b.owner)
	var token *string
	for {
		out, err := i.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, ExpectedBucketOwner: owner, ContinuationToken: token})
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", b.name, err)
		}
		if len(out.Contents) > 0 {
			var ids []s3types.ObjectIdentifier
			for _, o := range out.Contents {
				ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
			}
			if _, err := i.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, ExpectedBucketOwner: owner, Delete: &s3types.Delete{Objects: ids}}); err != nil {
				return fmt.Errorf("empty %s: %w", b.name, err)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		token = out.NextContinuationToken
	}
	if _, err := i.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket, ExpectedBucketOwner: owner}); err != nil {
		return fmt.Errorf("delete bucket %s: %w", b.name, err)
	}
	return nil
}

// Update replaces a rack's template and code, keeping its parameters but
// those the options set (architecture, version, and Params). It reports
// false when nothing changed.
func (i *Installer) Update(ctx context.Context, o Options) (bool, error) {
	stack, err := i.describe(ctx, o.Name)
	if err != nil {
		return false, err
	}
	a, err := i.Upload(ctx, o)
	if err != nil {
		return false, err
	}
	values := map[string]string{names.ParamCodeBucket: a.Bucket, names.ParamCodePrefix: a.CodePrefix, names.ParamArchitecture: o.Arch, names.ParamVersion: o.Version}
	maps.Copy(values, o.Params)
	var keep []string
	for _, p := range stack.Parameters {
		keep = append(keep, aws.ToString(p.ParameterKey))
	}
	start := time.Now()
	_, err = i.CFN.UpdateStack(ctx, &cloudformation.UpdateStackInput{
		StackName:    aws.String(o.Name),
		TemplateURL:  aws.String(a.TemplateURL),
		Parameters:   stackParams(values, keep),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
	})
	return i.finishUpdate(ctx, o.Name, start, err)
}

// finishUpdate waits for an update that UpdateStack started (or says that
// there was nothing to update).
func (i *Installer) finishUpdate(ctx context.Context, name string, start time.Time, err error) (bool, error) {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationError" && api.ErrorMessage() == "No updates are to be performed." {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("update stack %s: %w", name, err)
	}
	stack, err := i.wait(ctx, name, start)
	if err != nil {
		return false, err
	}
	if stack.StackStatus != cfntypes.StackStatusUpdateComplete {
		return false, rack.Errorf(rack.EINTERNAL, "rack %s: %s %s", name, stack.StackStatus, aws.ToString(stack.StackStatusReason))
	}
	return true, nil
}
