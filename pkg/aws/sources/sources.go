// Package sources keeps the sources users upload to build from, in the
// rack's bucket: uploaded with a presigned PUT, so that a source never
// passes through API Gateway or a function.
package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the S3 client the store reads with.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Store is the sources kept in one bucket; it satisfies service.Sources.
// It keeps the templates of app stack updates too large to send in the
// call.
type Store struct {
	api     API
	presign *s3.PresignClient
	bucket  string
	region  string
}

// New returns the sources kept in bucket.
func New(client *s3.Client, bucket string) *Store {
	return &Store{api: client, presign: s3.NewPresignClient(client), bucket: bucket, region: client.Options().Region}
}

// PutTemplate stores a template at key and returns the URL CloudFormation
// reads it from: path-style, which AWS and emulators both take.
func (s *Store) PutTemplate(ctx context.Context, key string, body []byte) (string, error) {
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return "", fmt.Errorf("keep template %s: %w", key, err)
	}
	return "https://s3." + s.region + ".amazonaws.com/" + s.bucket + "/" + key, nil
}

// UploadURL returns a URL that takes one PUT of key's content until ttl
// has passed.
func (s *Store) UploadURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	req, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	if req.Method != http.MethodPut {
		return "", fmt.Errorf("presign %s: got a %s", key, req.Method)
	}
	return req.URL, nil
}

// OpenSource reads what was uploaded at key; ENOTFOUND when nothing was.
func (s *Store) OpenSource(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	var missing *types.NoSuchKey
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &missing), errors.As(err, &apiErr) && apiErr.ErrorCode() == "NotFound":
		return nil, rack.NotFound("source", key)
	case err != nil:
		return nil, fmt.Errorf("read source %s: %w", key, err)
	}
	return out.Body, nil
}

// SourceURL names key as the builder fetches it.
func (s *Store) SourceURL(key string) string {
	return "s3://" + s.bucket + "/" + key
}
