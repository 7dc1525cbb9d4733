package cfn

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

// These tests run the real SDK client against canned CloudFormation
// answers, so that the errors the adapter recognises are the ones the SDK
// really decodes from the wire.

// answer is one canned response of the query protocol.
type answer struct {
	status int
	body   string
}

// errorBody is the query protocol's error document; the codes and messages
// put in it need no XML escaping.
const errorBody = `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>b5a3f2c1-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>`

func apiError(code, message string) answer {
	return answer{http.StatusBadRequest, fmt.Sprintf(errorBody, code, message)}
}

// wireStacks returns stacks whose client talks to a server answering each
// action from answers, and the forms the server received.
func wireStacks(t *testing.T, answers map[string]answer) (*Stacks, *[]url.Values) {
	t.Helper()
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		forms = append(forms, r.PostForm)
		a, ok := answers[r.PostForm.Get("Action")]
		if !ok {
			t.Errorf("unexpected action %q", r.PostForm.Get("Action"))
			a = apiError("InternalFailure", "unexpected action")
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	client := cloudformation.New(cloudformation.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		// One attempt: a throttled call must reach the adapter now, not
		// after the SDK's backoff.
		RetryMaxAttempts: 1,
	})
	return New(client, "prod"), &forms
}

func TestWireCreateAlreadyExists(t *testing.T) {
	s, forms := wireStacks(t, map[string]answer{
		"CreateStack": apiError("AlreadyExistsException", "Stack [prod-web] already exists"),
	})
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))

	require.Len(t, *forms, 1)
	form := (*forms)[0]
	require.Equal(t, "prod-web", form.Get("StackName"))
	require.Equal(t, appTemplate, form.Get("TemplateBody"))
	require.Equal(t, paramRepositoryName, form.Get("Parameters.member.1.ParameterKey"))
	require.Equal(t, "prod/web", form.Get("Parameters.member.1.ParameterValue"))
	require.Equal(t, "Type", form.Get("Tags.member.3.Key"))
	require.Equal(t, "app", form.Get("Tags.member.3.Value"))
}

func TestWireDescribeMissing(t *testing.T) {
	s, _ := wireStacks(t, map[string]answer{
		"DescribeStacks": apiError("ValidationError", "Stack with id prod-web does not exist"),
	})
	_, _, err := s.AppStackStatus(t.Context(), "web")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
	require.Equal(t, "app web has no stack", rack.ErrorMessage(err))
}

func TestWireDescribeFailed(t *testing.T) {
	s, _ := wireStacks(t, map[string]answer{
		"DescribeStacks": {http.StatusOK, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackName>prod-web</StackName>
        <StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/prod-web/5a1b2c3d-0000-4000-8000-000000000000</StackId>
        <CreationTime>2026-11-01T10:00:00.000Z</CreationTime>
        <StackStatus>ROLLBACK_COMPLETE</StackStatus>
        <StackStatusReason>The following resource(s) failed to create: [Repository].</StackStatusReason>
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>b5a3f2c1-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</DescribeStacksResponse>`},
	})
	status, reason, err := s.AppStackStatus(t.Context(), "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppFailed, status)
	require.Equal(t, "The following resource(s) failed to create: [Repository].", reason)
}

func TestWireThrottled(t *testing.T) {
	s, _ := wireStacks(t, map[string]answer{
		"CreateStack":    apiError("Throttling", "Rate exceeded"),
		"DescribeStacks": apiError("Throttling", "Rate exceeded"),
		"DeleteStack":    apiError("Throttling", "Rate exceeded"),
	})
	_, _, describeErr := s.AppStackStatus(t.Context(), "web")
	for _, err := range []error{
		s.CreateAppStack(t.Context(), "web"),
		describeErr,
		s.DeleteAppStack(t.Context(), "web"),
	} {
		require.Error(t, err)
		var api smithy.APIError
		require.True(t, errors.As(err, &api), "%v", err)
		require.Equal(t, "Throttling", api.ErrorCode())
		require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
	}
}

func TestWireDelete(t *testing.T) {
	s, forms := wireStacks(t, map[string]answer{
		"DeleteStack": {http.StatusOK, `<DeleteStackResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <ResponseMetadata><RequestId>b5a3f2c1-0000-4000-8000-000000000002</RequestId></ResponseMetadata>
</DeleteStackResponse>`},
	})
	require.NoError(t, s.DeleteAppStack(t.Context(), "web"))
	require.Len(t, *forms, 1)
	require.Equal(t, "prod-web", (*forms)[0].Get("StackName"))
}
