package formation_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	rackssm "github.com/rackhq/rack/pkg/aws/ssm"
	"github.com/rackhq/rack/pkg/trigger/formation"
)

// fakeS3 keeps object versions and delete markers per bucket.
type fakeS3 struct {
	mu      sync.Mutex
	buckets map[string][]s3types.ObjectIdentifier
	// markers are the delete markers among the versions, by "key@version".
	markers map[string]bool
	// refuse makes DeleteObjects report an error for these keys.
	refuse  map[string]bool
	listErr error
	// ignoreDeletes makes DeleteObjects succeed without deleting.
	ignoreDeletes bool
	lists         int
	deletes       int
}

var _ formation.S3API = (*fakeS3)(nil)

func newFakeS3() *fakeS3 {
	return &fakeS3{buckets: map[string][]s3types.ObjectIdentifier{}, markers: map[string]bool{}, refuse: map[string]bool{}}
}

// put adds versions of key to bucket, the last one a delete marker when
// marker is set.
func (f *fakeS3) put(bucket, key string, versions int, marker bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range versions {
		v := fmt.Sprintf("v%d", i)
		f.buckets[bucket] = append(f.buckets[bucket], s3types.ObjectIdentifier{Key: aws.String(key), VersionId: aws.String(v)})
		if marker && i == versions-1 {
			f.markers[key+"@"+v] = true
		}
	}
}

func (f *fakeS3) count(bucket string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.buckets[bucket])
}

func noSuchBucket() error {
	return &smithy.GenericAPIError{Code: "NoSuchBucket", Message: "The specified bucket does not exist"}
}

func (f *fakeS3) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.listErr != nil {
		return nil, f.listErr
	}
	objs, ok := f.buckets[aws.ToString(in.Bucket)]
	if !ok {
		return nil, noSuchBucket()
	}
	limit := int(aws.ToInt32(in.MaxKeys))
	if limit == 0 || limit > 1000 {
		limit = 1000
	}
	out := &s3.ListObjectVersionsOutput{IsTruncated: aws.Bool(len(objs) > limit)}
	for _, o := range objs[:min(limit, len(objs))] {
		if f.markers[aws.ToString(o.Key)+"@"+aws.ToString(o.VersionId)] {
			out.DeleteMarkers = append(out.DeleteMarkers, s3types.DeleteMarkerEntry{Key: o.Key, VersionId: o.VersionId})
		} else {
			out.Versions = append(out.Versions, s3types.ObjectVersion{Key: o.Key, VersionId: o.VersionId})
		}
	}
	return out, nil
}

func (f *fakeS3) DeleteObjects(_ context.Context, in *s3.DeleteObjectsInput, _ ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes++
	bucket := aws.ToString(in.Bucket)
	objs, ok := f.buckets[bucket]
	if !ok {
		return nil, noSuchBucket()
	}
	if len(in.Delete.Objects) > 1000 {
		return nil, &smithy.GenericAPIError{Code: "MalformedXML"}
	}
	out := &s3.DeleteObjectsOutput{}
	gone := map[string]bool{}
	for _, id := range in.Delete.Objects {
		if f.refuse[aws.ToString(id.Key)] {
			out.Errors = append(out.Errors, s3types.Error{Key: id.Key, VersionId: id.VersionId, Code: aws.String("AccessDenied"), Message: aws.String("Access Denied")})
			continue
		}
		gone[aws.ToString(id.Key)+"@"+aws.ToString(id.VersionId)] = true
	}
	if f.ignoreDeletes {
		return out, nil
	}
	var kept []s3types.ObjectIdentifier
	for _, o := range objs {
		if !gone[aws.ToString(o.Key)+"@"+aws.ToString(o.VersionId)] {
			kept = append(kept, o)
		}
	}
	f.buckets[bucket] = kept
	return out, nil
}

// fakeImage is an image of a repository.
type fakeImage struct {
	digest string
	tags   []string
}

// fakeECR keeps the images of repositories.
type fakeECR struct {
	mu       sync.Mutex
	repos    map[string][]fakeImage
	failures map[string]ecrtypes.ImageFailureCode
	deletes  int
}

var _ formation.ECRAPI = (*fakeECR)(nil)

func newFakeECR() *fakeECR {
	return &fakeECR{repos: map[string][]fakeImage{}, failures: map[string]ecrtypes.ImageFailureCode{}}
}

func (f *fakeECR) count(repo string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.repos[repo])
}

func (f *fakeECR) ListImages(_ context.Context, in *ecr.ListImagesInput, _ ...func(*ecr.Options)) (*ecr.ListImagesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	images, ok := f.repos[aws.ToString(in.RepositoryName)]
	if !ok {
		return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String("no such repository")}
	}
	// One id per tag, as ECR lists them: an image with two tags twice.
	var ids []ecrtypes.ImageIdentifier
	for _, img := range images {
		if len(img.tags) == 0 {
			ids = append(ids, ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.digest)})
		}
		for _, tag := range img.tags {
			ids = append(ids, ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.digest), ImageTag: aws.String(tag)})
		}
	}
	limit := int(aws.ToInt32(in.MaxResults))
	out := &ecr.ListImagesOutput{ImageIds: ids}
	if limit > 0 && len(ids) > limit {
		out.ImageIds, out.NextToken = ids[:limit], aws.String("more")
	}
	return out, nil
}

func (f *fakeECR) BatchDeleteImage(_ context.Context, in *ecr.BatchDeleteImageInput, _ ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes++
	repo := aws.ToString(in.RepositoryName)
	images, ok := f.repos[repo]
	if !ok {
		return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String("no such repository")}
	}
	if len(in.ImageIds) > 100 {
		return nil, &ecrtypes.InvalidParameterException{Message: aws.String("too many image ids")}
	}
	out := &ecr.BatchDeleteImageOutput{}
	gone := map[string]bool{}
	for _, id := range in.ImageIds {
		d := aws.ToString(id.ImageDigest)
		if code, ok := f.failures[d]; ok {
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: &id, FailureCode: code, FailureReason: aws.String(string(code))})
			continue
		}
		gone[d] = true
		out.ImageIds = append(out.ImageIds, id)
	}
	var kept []fakeImage
	for _, img := range images {
		if !gone[img.digest] {
			kept = append(kept, img)
		}
	}
	f.repos[repo] = kept
	return out, nil
}

// fakeSSM keeps parameters.
type fakeSSM struct {
	mu      sync.Mutex
	params  map[string]string
	puts    int
	deletes int
	putErr  error
}

var _ rackssm.ParametersAPI = (*fakeSSM)(nil)

func newFakeSSM() *fakeSSM { return &fakeSSM{params: map[string]string{}} }

func (f *fakeSSM) value(t *testing.T, name string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.params[name]
	require.True(t, ok, "parameter %s not found", name)
	return v
}

func (f *fakeSSM) has(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.params[name]
	return ok
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

func (f *fakeSSM) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.putErr != nil {
		return nil, f.putErr
	}
	name := aws.ToString(in.Name)
	if _, ok := f.params[name]; ok && !aws.ToBool(in.Overwrite) {
		return nil, &ssmtypes.ParameterAlreadyExists{}
	}
	f.params[name] = aws.ToString(in.Value)
	f.puts++
	return &ssm.PutParameterOutput{}, nil
}

func (f *fakeSSM) DeleteParameter(_ context.Context, in *ssm.DeleteParameterInput, _ ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	if _, ok := f.params[name]; !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	delete(f.params, name)
	f.deletes++
	return &ssm.DeleteParameterOutput{}, nil
}

// cheap hashes at bcrypt's least cost, so that tests and fuzzing stay
// fast.
var cheap = auth.Hasher{Cost: bcrypt.MinCost}

// cheapPasswords makes RackPassword keep its hashes in client's parameters,
// hashed cheaply.
func cheapPasswords(client rackssm.ParametersAPI) formation.Passwords {
	return formation.Passwords{Parameters: rackssm.NewParameters(client), Hasher: cheap}
}
