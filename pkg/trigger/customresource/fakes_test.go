package customresource_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/trigger/customresource"
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

var _ customresource.S3API = (*fakeS3)(nil)

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

// fakeHashes keeps a password hash, counting its writes.
type fakeHashes struct {
	mu     sync.Mutex
	hash   []byte
	puts   int
	putErr error
}

var _ auth.HashStore = (*fakeHashes)(nil)

func (f *fakeHashes) PasswordHash(context.Context) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hash == nil {
		return nil, rack.Errorf(rack.ENOTFOUND, "no password hash")
	}
	return f.hash, nil
}

func (f *fakeHashes) SetPasswordHash(_ context.Context, hash []byte, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.putErr != nil {
		return f.putErr
	}
	f.hash = hash
	f.puts++
	return nil
}

// matches fails t unless password is the one whose hash is kept.
func (f *fakeHashes) matches(t *testing.T, password string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NoError(t, bcrypt.CompareHashAndPassword(f.hash, []byte(password)))
}

// cheap hashes at bcrypt's least cost, so that tests and fuzzing stay
// fast.
var cheap = auth.Hasher{Cost: bcrypt.MinCost}

// cheapPasswords makes RackPassword keep its hash in hashes, hashed
// cheaply.
func cheapPasswords(hashes auth.HashStore) customresource.Passwords {
	return customresource.Passwords{Hashes: hashes, Hasher: cheap}
}
