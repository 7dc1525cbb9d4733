package customresource

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TypeEmptyBucket empties an S3 bucket when it is deleted, so that the
// stack can then delete the bucket: CloudFormation refuses to delete one
// that holds objects. Its physical id is the bucket's name.
//
// Properties: BucketName; EmptyOnDelete ("true"); MaxKeysPerBatch (1000).
const TypeEmptyBucket = "Custom::EmptyBucket"

// S3API is the part of the S3 client EmptyBucket uses.
type S3API interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// bucketName is what S3 takes for a general purpose bucket's name.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

type emptyBucketProps struct {
	bucket        string
	emptyOnDelete bool
	batch         int
}

func decodeEmptyBucket(p Properties) (emptyBucketProps, error) {
	var v emptyBucketProps
	var errs []error
	var err error
	if v.bucket, err = p.String("BucketName"); err != nil {
		errs = append(errs, err)
	} else if !bucketName.MatchString(v.bucket) {
		errs = append(errs, propertyError("BucketName", "%s is not an S3 bucket name", quote(v.bucket)))
	}
	if v.emptyOnDelete, err = p.Bool("EmptyOnDelete", true); err != nil {
		errs = append(errs, err)
	}
	if v.batch, err = p.Int("MaxKeysPerBatch", 1000, 1, 1000); err != nil {
		errs = append(errs, err)
	}
	return v, errors.Join(errs...)
}

// EmptyBucket is the Custom::EmptyBucket resource.
func EmptyBucket(client S3API) Resource {
	upsert := func(_ context.Context, req Request) (Result, error) {
		v, err := decodeEmptyBucket(req.Properties())
		if err != nil {
			return Result{}, err
		}
		// Another bucket is another resource: CloudFormation deletes the
		// old one, emptying its bucket, once the update succeeds.
		return Result{PhysicalID: v.bucket}, nil
	}
	return Resource{
		Create: upsert,
		Update: upsert,
		Delete: func(ctx context.Context, req Request) error {
			v, err := decodeEmptyBucket(req.Properties())
			if err != nil {
				return err
			}
			if !v.emptyOnDelete {
				return nil
			}
			// The physical id names the bucket this resource was made
			// for, even where the properties changed since.
			return emptyBucket(ctx, client, req.PhysicalResourceID, v.batch)
		},
	}
}

// emptyBucket deletes every object version and delete marker of bucket,
// batch keys at a time; a bucket that is already gone is empty.
func emptyBucket(ctx context.Context, client S3API, bucket string, batch int) error {
	var last []s3types.ObjectIdentifier
	for {
		// Each page is listed from the start: what the last one held is
		// gone, and whatever was written meanwhile is found too.
		out, err := client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{
			Bucket:  aws.String(bucket),
			MaxKeys: aws.Int32(int32(batch)),
		})
		if isAPIError(err, "NoSuchBucket") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("empty bucket %s: list objects: %w", bucket, err)
		}
		ids := make([]s3types.ObjectIdentifier, 0, len(out.Versions)+len(out.DeleteMarkers))
		for _, v := range out.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			return nil
		}
		if slices.EqualFunc(ids, last, sameObject) {
			return fmt.Errorf("empty bucket %s: %d objects are still listed after they were deleted", bucket, len(ids))
		}
		res, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if isAPIError(err, "NoSuchBucket") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("empty bucket %s: delete %d objects: %w", bucket, len(ids), err)
		}
		if n := len(res.Errors); n > 0 {
			e := res.Errors[0]
			return fmt.Errorf("empty bucket %s: %d of %d objects not deleted, the first %s: %s: %s",
				bucket, n, len(ids), quote(aws.ToString(e.Key)), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		last = ids
	}
}

func sameObject(a, b s3types.ObjectIdentifier) bool {
	return aws.ToString(a.Key) == aws.ToString(b.Key) && aws.ToString(a.VersionId) == aws.ToString(b.VersionId)
}

// isAPIError reports whether err is an AWS error with one of the codes.
func isAPIError(err error, codes ...string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.ErrorCode())
}
