package sources_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/aws/sources"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

// TestUploadAndReadOnEmulator: a presigned PUT takes a source with no
// other credentials, and the store reads it back; a key never uploaded
// is ENOTFOUND.
func TestUploadAndReadOnEmulator(t *testing.T) {
	cfg := emulatortest.Config(t)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := emulatortest.Name("sources")
	_, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	store := sources.New(client, bucket)

	key := "sources/web/0123456789abcdef0123456789abcdef.tgz"
	url, err := store.UploadURL(t.Context(), key, 15*time.Minute)
	require.NoError(t, err)
	require.Contains(t, url, "X-Amz-Expires=900")
	data := bytes.Repeat([]byte("source "), 1<<16)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, url, bytes.NewReader(data))
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req) // no AWS credentials: the URL is the permission
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	r, err := store.OpenSource(t.Context(), key)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, data, got)
	require.Equal(t, "s3://"+bucket+"/"+key, store.SourceURL(key))

	_, err = store.OpenSource(t.Context(), "sources/web/ffffffffffffffffffffffffffffffff.tgz")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
}
