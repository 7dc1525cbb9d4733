// Package emulatortest connects tests to the AWS emulator that
// AWS_ENDPOINT_URL names, exactly as the AWS SDK reads it, so the same tests
// run against MiniStack, LocalStack or anything compatible.
//
// Without AWS_ENDPOINT_URL a test that needs the emulator is skipped and
// says why. Under `make test`, which starts an emulator and sets
// RACK_TEST_EMULATOR=required, a missing or unreachable emulator fails the
// test instead: there, nothing is skipped.
package emulatortest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/rackhq/rack/pkg/aws/dynamo"
)

// RequiredVar, set to "required", turns a missing emulator into a failure.
const RequiredVar = "RACK_TEST_EMULATOR"

// Endpoint returns the emulator's URL, or skips (or fails, when required)
// the test if there is none.
func Endpoint(t testing.TB) string {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	required := os.Getenv(RequiredVar) == "required"
	if endpoint == "" {
		if required {
			t.Fatalf("%s=required but AWS_ENDPOINT_URL is unset: start the emulator with scripts/emulator start", RequiredVar)
		}
		t.Skip("needs an AWS emulator and AWS_ENDPOINT_URL is unset; `make test` starts one (or: eval $(scripts/emulator env))")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		t.Fatalf("AWS_ENDPOINT_URL=%q is not a URL", endpoint)
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	conn, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Fatalf("the emulator at %s does not answer: %v", endpoint, err)
	}
	_ = conn.Close()
	return endpoint
}

// Config returns an AWS configuration for the emulator. The SDK itself
// reads AWS_ENDPOINT_URL; only region and credentials get defaults here,
// since an emulator accepts any.
func Config(t testing.TB) aws.Config {
	t.Helper()
	Endpoint(t)
	opts := []func(*config.LoadOptions) error{}
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		opts = append(opts, config.WithRegion("us-east-1"))
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	}
	// The emulator closes idle connections the SDK still pools: under the
	// suite's load three attempts in a row can each pick a dead one
	// ("use of closed network connection"). Tests' clients try ten times.
	if os.Getenv("AWS_MAX_ATTEMPTS") == "" {
		opts = append(opts, config.WithRetryMaxAttempts(10))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatalf("load AWS config: %v", err)
	}
	return cfg
}

// Name returns a new name for a resource of one test: prefix plus random
// lowercase letters, so parallel tests and earlier runs never collide.
func Name(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:12])
}

// NewTable creates a rack table on the emulator, from the same definition
// the store uses, and deletes it when the test ends.
func NewTable(t testing.TB, db *dynamodb.Client) string {
	t.Helper()
	name := Name("rack-test")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.CreateTable(ctx, db, name); err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		_, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		if !Deleted(err) {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	return name
}

// String is for messages: the emulator a test ran against.
func String() string {
	return fmt.Sprintf("emulator at %s", os.Getenv("AWS_ENDPOINT_URL"))
}

// Under the whole suite's load the emulator now and then drops a
// connection after it applied a request; the SDK then retries the request,
// and a create finds what it made itself, a delete finds nothing. For names
// unique to one test, those answers mean success.
var (
	createdCodes = map[string]bool{
		"ResourceInUseException": true, "RepositoryAlreadyExistsException": true, "BucketAlreadyOwnedByYou": true,
		"AlreadyExistsException": true, "ParameterAlreadyExists": true, "ResourceConflictException": true,
	}
	deletedCodes = map[string]bool{
		"ResourceNotFoundException": true, "RepositoryNotFoundException": true, "NoSuchBucket": true,
		"NotFoundException": true, "ParameterNotFound": true,
	}
)

// Created fails t unless err is nil or says that the uniquely named thing
// a test just created exists.
func Created(t testing.TB, err error) {
	t.Helper()
	if err != nil && !createdCodes[apiCode(err)] {
		t.Fatalf("create: %v", err)
	}
}

// Deleted reports whether err is nil or says that the thing deleted is
// gone.
func Deleted(err error) bool {
	return err == nil || deletedCodes[apiCode(err)]
}

func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
