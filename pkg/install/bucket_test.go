package install

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

const account = "123456789012"

// fakeS3 is S3 with buckets owned by accounts. Like S3, it refuses a call
// whose ExpectedBucketOwner is not the bucket's owner (403), and records
// every call, so a test can see that each said whose bucket it expects.
type fakeS3 struct {
	mu      sync.Mutex
	owners  map[string]string            // bucket → account
	objects map[string]map[string][]byte // bucket → key → body
	calls   []string                     // "Op bucket expected-owner"
	keys    []string                     // the keys put, in order
}

var _ S3 = (*fakeS3)(nil)

func newFakeS3() *fakeS3 {
	return &fakeS3{owners: map[string]string{}, objects: map[string]map[string][]byte{}}
}

var errForbidden = &smithy.GenericAPIError{Code: "Forbidden", Message: "Forbidden"}

func (f *fakeS3) check(op string, bucket, owner *string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op+" "+aws.ToString(bucket)+" "+aws.ToString(owner))
	actual, ok := f.owners[aws.ToString(bucket)]
	switch {
	case !ok:
		return &s3types.NoSuchBucket{}
	case owner != nil && aws.ToString(owner) != actual:
		return errForbidden
	}
	return nil
}

func (f *fakeS3) HeadBucket(_ context.Context, in *s3.HeadBucketInput, _ ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	if err := f.check("HeadBucket", in.Bucket, in.ExpectedBucketOwner); err != nil {
		if _, missing := err.(*s3types.NoSuchBucket); missing {
			return nil, &s3types.NotFound{}
		}
		return nil, err
	}
	return &s3.HeadBucketOutput{}, nil
}

func (f *fakeS3) CreateBucket(_ context.Context, in *s3.CreateBucketInput, _ ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Bucket)
	f.calls = append(f.calls, "CreateBucket "+name+" ")
	switch f.owners[name] {
	case "":
		f.owners[name], f.objects[name] = account, map[string][]byte{}
	case account:
		return nil, &s3types.BucketAlreadyOwnedByYou{}
	default:
		return nil, &s3types.BucketAlreadyExists{}
	}
	return &s3.CreateBucketOutput{}, nil
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if err := f.check("PutObject", in.Bucket, in.ExpectedBucketOwner); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	f.objects[aws.ToString(in.Bucket)][aws.ToString(in.Key)] = body
	f.keys = append(f.keys, aws.ToString(in.Key))
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if err := f.check("ListObjectsV2", in.Bucket, in.ExpectedBucketOwner); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &s3.ListObjectsV2Output{}
	for k := range f.objects[aws.ToString(in.Bucket)] {
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k)})
	}
	return out, nil
}

func (f *fakeS3) DeleteObjects(_ context.Context, in *s3.DeleteObjectsInput, _ ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	if err := f.check("DeleteObjects", in.Bucket, in.ExpectedBucketOwner); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range in.Delete.Objects {
		delete(f.objects[aws.ToString(in.Bucket)], aws.ToString(o.Key))
	}
	return &s3.DeleteObjectsOutput{}, nil
}

func (f *fakeS3) DeleteBucket(_ context.Context, in *s3.DeleteBucketInput, _ ...func(*s3.Options)) (*s3.DeleteBucketOutput, error) {
	if err := f.check("DeleteBucket", in.Bucket, in.ExpectedBucketOwner); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.owners, aws.ToString(in.Bucket))
	return &s3.DeleteBucketOutput{}, nil
}

type fakeSTS struct{}

func (fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(account)}, nil
}

// codeDir is a directory with one function zip.
func codeDir(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "api.zip"), []byte("zip"), 0o644))
	return dir
}

const bucketName = "rack-artifacts-" + account + "-eu-west-1"

// version is what the tests upload.
func version(t *testing.T) Options {
	return Options{CodeDir: codeDir(t), Version: "1.2.3", Arch: "arm64"}
}

// TestUploadUsesOnlyTheAccountsBucket: every call on the artifacts bucket
// but its creation (which has no such field) says that the caller's
// account must own it.
func TestUploadUsesOnlyTheAccountsBucket(t *testing.T) {
	f := newFakeS3()
	i := &Installer{S3: f, STS: fakeSTS{}, Region: "eu-west-1"}
	a, err := i.upload(context.Background(), version(t), []byte(`{"Resources": {}}`))
	require.NoError(t, err)
	require.Equal(t, bucketName, a.Bucket)
	require.Equal(t, "https://s3.eu-west-1.amazonaws.com/"+bucketName+"/versions/1.2.3/arm64/rack.json", a.TemplateURL)
	require.Equal(t, []string{
		"HeadBucket " + bucketName + " " + account,
		"CreateBucket " + bucketName + " ",
		"PutObject " + bucketName + " " + account,
		"PutObject " + bucketName + " " + account,
	}, f.calls)

	// Uninstalling the last rack empties and deletes it the same way.
	f.calls = nil
	require.NoError(t, i.deleteBucket(context.Background(), bucket{name: bucketName, owner: account}))
	for _, c := range f.calls {
		require.True(t, strings.HasSuffix(c, " "+account), c)
	}
	require.NotContains(t, f.owners, bucketName)
	require.NoError(t, i.deleteBucket(context.Background(), bucket{name: bucketName, owner: account}), "a missing bucket is fine")
}

// TestForeignArtifactsBucket: a bucket of the artifacts bucket's name in
// someone else's account is a conflict; nothing is written to it and
// nothing of it is deleted.
func TestForeignArtifactsBucket(t *testing.T) {
	f := newFakeS3()
	f.owners[bucketName], f.objects[bucketName] = "999999999999", map[string][]byte{"theirs": []byte("x")}
	i := &Installer{S3: f, STS: fakeSTS{}, Region: "eu-west-1"}
	_, err := i.upload(context.Background(), version(t), []byte(`{}`))
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
	require.Contains(t, err.Error(), "the installer uses only a bucket of its own account")
	for _, c := range f.calls {
		require.False(t, strings.HasPrefix(c, "PutObject"), "wrote to the foreign bucket: %s", c)
	}

	err = i.deleteBucket(context.Background(), bucket{name: bucketName, owner: account})
	require.Error(t, err)
	require.Equal(t, "999999999999", f.owners[bucketName])
	require.Contains(t, f.objects[bucketName], "theirs")

	// The bucket name taken by another account as it is created.
	f = newFakeS3()
	i.S3 = &takenOnCreate{fakeS3: f}
	_, err = i.upload(context.Background(), version(t), []byte(`{}`))
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
	require.Contains(t, err.Error(), "belongs to another account")
}

// takenOnCreate answers CreateBucket as S3 does for a name another
// account holds.
type takenOnCreate struct{ *fakeS3 }

func (t *takenOnCreate) CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	return nil, &s3types.BucketAlreadyExists{}
}

// TestExpectedOwnerOnTheWire runs the real S3 client against a server
// that answers as S3 does for a bucket of another account: the header is
// sent, and the 403 of HeadBucket is a conflict, not a bucket to create.
func TestExpectedOwnerOnTheWire(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Expected-Bucket-Owner"))
		mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	client := s3.New(s3.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
	i := &Installer{S3: client, STS: fakeSTS{}, Region: "eu-west-1"}
	_, err := i.upload(context.Background(), version(t), []byte(`{}`))
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
	require.Equal(t, []string{"HEAD /" + bucketName + " " + account}, seen)
}

// TestUploadPlacesAVersion: a version's code goes under its own folder, in
// a folder named by the code's content, and its template last, beside it,
// saying where the code is; the rest of the template is as it was.
func TestUploadPlacesAVersion(t *testing.T) {
	f := newFakeS3()
	i := &Installer{S3: f, STS: fakeSTS{}, Region: "eu-west-1"}
	template := `{"Parameters": {
		"CodeBucket": {"Type": "String"}, "CodePrefix": {"Type": "String"},
		"Version": {"Type": "String", "Default": "dev"}, "Architecture": {"Type": "String", "Default": "arm64", "AllowedValues": ["arm64", "x86_64"]},
		"Count": {"Type": "Number", "Default": 10000000000000001}},
	  "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup"}}}`
	o := version(t)
	o.Arch = "x86_64"
	a, err := i.upload(context.Background(), o, []byte(template))
	require.NoError(t, err)
	require.Regexp(t, `^versions/1\.2\.3/x86_64/[0-9a-f]{16}/$`, a.CodePrefix)
	require.Equal(t, []string{a.CodePrefix + "api.zip", "versions/1.2.3/x86_64/rack.json"}, f.keys, "the template is written last")
	require.Equal(t, "zip", string(f.objects[bucketName][a.CodePrefix+"api.zip"]))

	var got map[string]any
	require.NoError(t, json.Unmarshal(f.objects[bucketName]["versions/1.2.3/x86_64/rack.json"], &got))
	var want map[string]any
	require.NoError(t, json.Unmarshal([]byte(template), &want))
	params := want["Parameters"].(map[string]any)
	params["CodeBucket"].(map[string]any)["Default"] = bucketName
	params["CodePrefix"].(map[string]any)["Default"] = a.CodePrefix
	params["Version"].(map[string]any)["Default"] = "1.2.3"
	params["Architecture"].(map[string]any)["Default"] = "x86_64"
	require.Equal(t, want, got)
	require.Contains(t, string(f.objects[bucketName]["versions/1.2.3/x86_64/rack.json"]), "10000000000000001", "numbers are kept as written")

	// New code of the same version: a new code folder, the same template key.
	require.NoError(t, os.WriteFile(filepath.Join(o.CodeDir, "api.zip"), []byte("new zip"), 0o644))
	b, err := i.upload(context.Background(), o, []byte(template))
	require.NoError(t, err)
	require.NotEqual(t, a.CodePrefix, b.CodePrefix)
	require.Equal(t, a.TemplateURL, b.TemplateURL)
}

func TestUploadRefusesBadVersionsAndArchitectures(t *testing.T) {
	f := newFakeS3()
	i := &Installer{S3: f, STS: fakeSTS{}, Region: "eu-west-1"}
	for _, o := range []Options{
		{Version: "", Arch: "arm64"}, {Version: "../x", Arch: "arm64"}, {Version: "1 2", Arch: "arm64"},
		{Version: "1.0", Arch: ""}, {Version: "1.0", Arch: "amd64"},
	} {
		o.CodeDir, o.Template = codeDir(t), filepath.Join(t.TempDir(), "none.json")
		_, err := i.Upload(context.Background(), o)
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "%+v: %v", o, err)
	}
	require.Empty(t, f.calls)
}
