package wire

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rackhq/rack/pkg/rack"
)

// AWS returns a function's SDK configuration from its environment, as
// Lambda sets it: the region in AWS_REGION, the role's credentials in
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the
// endpoints in AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), which it reads as the SDK's
// own configuration does. It reads no file and asks no metadata service:
// the SDK's default chain (profiles, SSO, the instance metadata service,
// STS) is not linked into the functions, which saves each of them about
// half a megabyte (docs/layout.md). Tools on a user's machine use the
// default chain.
func AWS(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case region == "":
		return aws.Config{}, rack.Errorf(rack.EINVALID, "configuration: AWS_REGION not set")
	case key == "" || secret == "":
		return aws.Config{}, rack.Errorf(rack.EINVALID, "configuration: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set")
	}
	endpoints := envEndpoints{getenv: getenv}
	cfg := aws.Config{
		Region:        region,
		Credentials:   credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN")),
		HTTPClient:    awshttp.NewBuildableClient(),
		ConfigSources: []any{endpoints},
	}
	if url := getenv("AWS_ENDPOINT_URL"); url != "" && !endpoints.ignored() {
		cfg.BaseEndpoint = aws.String(url)
	}
	return cfg, nil
}

// envEndpoints is a configuration source of the SDK's service clients:
// they ask it for AWS_ENDPOINT_URL_<SERVICE> when building.
type envEndpoints struct {
	getenv func(string) string
}

func (e envEndpoints) ignored() bool {
	return strings.EqualFold(e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
}

// GetIgnoreConfiguredEndpoints tells the clients whether configured
// endpoints are ignored.
func (e envEndpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return e.ignored(), e.ignored(), nil
}

// GetServiceBaseEndpoint gives a service's own endpoint: the variable's
// name is the service id in upper case with spaces as underscores
// (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_CLOUDFORMATION).
func (e envEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	url := e.getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_")))
	return url, url != "", nil
}
