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

	"github.com/rackhq/rack/pkg/appstack"
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

// describeAnswer is DescribeStacks' answer for the stack prod-App-web in
// status, with the rack's tags when tagged.
func describeAnswer(status, reason string, tagged bool) answer {
	tags := ""
	if tagged {
		tags = `<Tags>
          <member><Key>App</Key><Value>web</Value></member>
          <member><Key>Rack</Key><Value>prod</Value></member>
          <member><Key>Type</Key><Value>app</Value></member>
        </Tags>`
	}
	return answer{http.StatusOK, fmt.Sprintf(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackName>prod-App-web</StackName>
        <StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/prod-App-web/5a1b2c3d-0000-4000-8000-000000000000</StackId>
        <CreationTime>2026-11-01T10:00:00.000Z</CreationTime>
        <StackStatus>%s</StackStatus>
        <StackStatusReason>%s</StackStatusReason>
        %s
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>b5a3f2c1-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</DescribeStacksResponse>`, status, reason, tags)}
}

func TestWireCreateAlreadyExists(t *testing.T) {
	s, forms := wireStacks(t, map[string]answer{
		"CreateStack":    apiError("AlreadyExistsException", "Stack [prod-App-web] already exists"),
		"DescribeStacks": describeAnswer("CREATE_COMPLETE", "", true),
	})
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))

	require.Len(t, *forms, 2)
	form := (*forms)[0]
	require.Equal(t, "prod-App-web", form.Get("StackName"))
	require.Equal(t, appstack.CreateTemplate, form.Get("TemplateBody"))
	require.Equal(t, appstack.ParamLogGroupName, form.Get("Parameters.member.1.ParameterKey"))
	require.Equal(t, "/convox/prod/web", form.Get("Parameters.member.1.ParameterValue"))
	require.Equal(t, "Type", form.Get("Tags.member.3.Key"))
	require.Equal(t, "app", form.Get("Tags.member.3.Value"))
	require.Equal(t, "prod-App-web", (*forms)[1].Get("StackName"))
}

// TestWireForeignStack: tags read off the wire tell a stack of the same
// name that the rack did not make; it is neither taken nor deleted.
func TestWireForeignStack(t *testing.T) {
	s, forms := wireStacks(t, map[string]answer{
		"CreateStack":    apiError("AlreadyExistsException", "Stack [prod-App-web] already exists"),
		"DescribeStacks": describeAnswer("CREATE_COMPLETE", "", false),
	})
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(s.CreateAppStack(t.Context(), "web")))
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(s.DeleteAppStack(t.Context(), "web")))
	for _, form := range *forms {
		require.NotEqual(t, "DeleteStack", form.Get("Action"))
	}
}

func TestWireDescribeMissing(t *testing.T) {
	s, _ := wireStacks(t, map[string]answer{
		"DescribeStacks": apiError("ValidationError", "Stack with id prod-App-web does not exist"),
	})
	_, _, err := s.AppStackStatus(t.Context(), "web")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
	require.Equal(t, "app web has no stack", rack.ErrorMessage(err))
}

func TestWireDescribeFailed(t *testing.T) {
	s, _ := wireStacks(t, map[string]answer{
		"DescribeStacks": describeAnswer("ROLLBACK_COMPLETE", "The following resource(s) failed to create: [Repository].", true),
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
		"DescribeStacks": describeAnswer("UPDATE_COMPLETE", "", true),
		"DeleteStack": {http.StatusOK, `<DeleteStackResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <ResponseMetadata><RequestId>b5a3f2c1-0000-4000-8000-000000000002</RequestId></ResponseMetadata>
</DeleteStackResponse>`},
	})
	require.NoError(t, s.DeleteAppStack(t.Context(), "web"))
	require.Len(t, *forms, 2)
	require.Equal(t, "DeleteStack", (*forms)[1].Get("Action"))
	require.Equal(t, "arn:aws:cloudformation:us-east-1:123456789012:stack/prod-App-web/5a1b2c3d-0000-4000-8000-000000000000", (*forms)[1].Get("StackName"))
}
