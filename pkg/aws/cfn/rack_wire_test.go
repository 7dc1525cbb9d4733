package cfn

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

var _ service.RackStack = (*Rack)(nil)

// These tests run the real SDK client against canned CloudFormation answers
// for what the emulator does not do: refusals, a change set that takes
// time, a stack that starts changing meanwhile.

const rackID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/prod/5a1b2c3d-0000-4000-8000-000000000000"

// wireRack returns the rack prod whose client talks to a server that
// answers each request with answer(action, n, form), n counting the
// action's calls from 0, and the forms it received.
func wireRack(t *testing.T, answer func(action string, n int, form url.Values) answer) (*Rack, func() []url.Values) {
	t.Helper()
	var mu sync.Mutex
	var forms []url.Values
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		action := r.PostForm.Get("Action")
		forms = append(forms, r.PostForm)
		n := calls[action]
		calls[action]++
		mu.Unlock()
		a := answer(action, n, r.PostForm)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	client := cloudformation.New(cloudformation.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	r := NewRack(client, "prod")
	r.Poll, r.Wait = time.Millisecond, 2*time.Second
	return r, func() []url.Values {
		mu.Lock()
		defer mu.Unlock()
		return append([]url.Values(nil), forms...)
	}
}

func ok(action, result string) answer {
	return answer{http.StatusOK, fmt.Sprintf(`<%[1]sResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <%[1]sResult>%[2]s</%[1]sResult>
  <ResponseMetadata><RequestId>b5a3f2c1-0000-4000-8000-000000000003</RequestId></ResponseMetadata>
</%[1]sResponse>`, action, result)}
}

func rackStack(status, updated string) answer {
	return ok("DescribeStacks", fmt.Sprintf(`<Stacks><member>
  <StackName>prod</StackName><StackId>%s</StackId>
  <CreationTime>2026-11-01T10:00:00.000Z</CreationTime><LastUpdatedTime>%s</LastUpdatedTime>
  <StackStatus>%s</StackStatus>
  <Parameters>
    <member><ParameterKey>Password</ParameterKey><ParameterValue>****</ParameterValue></member>
    <member><ParameterKey>InstanceCount</ParameterKey><ParameterValue>0</ParameterValue></member>
  </Parameters>
  <Outputs><member><OutputKey>ApiUrl</OutputKey><OutputValue>https://x.execute-api.eu-west-1.amazonaws.com</OutputValue></member></Outputs>
</member></Stacks>`, rackID, updated, status))
}

func changeSetAnswer(status, execution, reason, changes, next string) answer {
	if next != "" {
		next = "<NextToken>" + next + "</NextToken>"
	}
	return ok("DescribeChangeSet", fmt.Sprintf(`<Status>%s</Status><ExecutionStatus>%s</ExecutionStatus><StatusReason>%s</StatusReason><Changes>%s</Changes>%s`,
		status, execution, reason, changes, next))
}

func resourceChange(action, id, kind, replacement string) string {
	return fmt.Sprintf(`<member><Type>Resource</Type><ResourceChange><Action>%s</Action><LogicalResourceId>%s</LogicalResourceId><ResourceType>%s</ResourceType><Replacement>%s</Replacement></ResourceChange></member>`,
		action, id, kind, replacement)
}

var update = rack.RackStackUpdate{
	StackID: rackID, Revision: "2026-11-02T10:00:00Z",
	Values: map[string]string{"InstanceCount": "2"}, Keep: []string{"InstanceCount", "Password"},
}

func TestWireRackChange(t *testing.T) {
	r, forms := wireRack(t, func(action string, n int, _ url.Values) answer {
		switch action {
		case "CreateChangeSet":
			return ok(action, "<Id>arn:aws:cloudformation:eu-west-1:123456789012:changeSet/x/1</Id>")
		case "DescribeChangeSet":
			switch n {
			case 0:
				return changeSetAnswer("CREATE_IN_PROGRESS", "UNAVAILABLE", "", "", "")
			case 1:
				return changeSetAnswer("CREATE_COMPLETE", "AVAILABLE", "", resourceChange("Modify", "InstanceGroup", "AWS::AutoScaling::AutoScalingGroup", "False"), "page2")
			}
			return changeSetAnswer("CREATE_COMPLETE", "AVAILABLE", "", resourceChange("Add", "More", "AWS::Logs::LogGroup", ""), "")
		case "ExecuteChangeSet":
			return ok(action, "")
		case "DescribeStacks":
			if n == 0 {
				return rackStack("UPDATE_COMPLETE", "2026-11-02T10:00:00Z")
			}
			return rackStack("UPDATE_IN_PROGRESS", "2026-11-03T10:00:00Z")
		}
		return apiError("InternalFailure", "unexpected "+action)
	})
	r.Role = "arn:aws:iam::123456789012:role/prod-StackRole"
	changes, err := r.ChangeRackStack(t.Context(), update)
	require.NoError(t, err)
	require.Equal(t, []rack.StackChange{
		{Action: "Modify", LogicalID: "InstanceGroup", Type: "AWS::AutoScaling::AutoScalingGroup", Replacement: "False"},
		{Action: "Add", LogicalID: "More", Type: "AWS::Logs::LogGroup"},
	}, changes)

	var actions []string
	for _, f := range forms() {
		actions = append(actions, f.Get("Action"))
	}
	require.Equal(t, []string{"CreateChangeSet", "DescribeChangeSet", "DescribeChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DescribeStacks", "DescribeStacks"}, actions,
		"made, both pages of changes read, executed, and answered once the stack shows the change")
	create := forms()[0]
	name := create.Get("ChangeSetName")
	require.Regexp(t, `^prod-update-[0-9a-f]{32}$`, name)
	require.Equal(t, name, create.Get("ClientToken"))
	require.Equal(t, rackID, create.Get("StackName"))
	require.Equal(t, "UPDATE", create.Get("ChangeSetType"))
	require.Equal(t, "true", create.Get("UsePreviousTemplate"))
	require.Empty(t, create.Get("TemplateURL"))
	require.Equal(t, "arn:aws:iam::123456789012:role/prod-StackRole", create.Get("RoleARN"))
	require.Equal(t, "CAPABILITY_IAM", create.Get("Capabilities.member.1"))
	require.Equal(t, "CAPABILITY_NAMED_IAM", create.Get("Capabilities.member.2"))
	require.Equal(t, "InstanceCount", create.Get("Parameters.member.1.ParameterKey"))
	require.Equal(t, "2", create.Get("Parameters.member.1.ParameterValue"))
	require.Equal(t, "Password", create.Get("Parameters.member.2.ParameterKey"))
	require.Equal(t, "true", create.Get("Parameters.member.2.UsePreviousValue"))
	require.Empty(t, create.Get("Parameters.member.3.ParameterKey"), "a kept parameter that is set is sent once")
	execute := forms()[4]
	require.Equal(t, name, execute.Get("ChangeSetName"))
	require.Equal(t, name, execute.Get("ClientRequestToken"))

	// Another request (another value) names another change set.
	other := update
	other.Values = map[string]string{"InstanceCount": "3"}
	otherName, err := changeSetName("prod", other)
	require.NoError(t, err)
	require.NotEqual(t, name, otherName)
	again, err := changeSetName("prod", update)
	require.NoError(t, err)
	require.Equal(t, name, again, "the same request names the same change set")
}

func TestWireRackNoChanges(t *testing.T) {
	r, forms := wireRack(t, func(action string, _ int, _ url.Values) answer {
		switch action {
		case "CreateChangeSet":
			return ok(action, "<Id>x</Id>")
		case "DescribeChangeSet":
			return changeSetAnswer("FAILED", "UNAVAILABLE", "The submitted information didn't contain changes. Submit different information to create a change set.", "", "")
		case "DeleteChangeSet":
			return ok(action, "")
		}
		return apiError("InternalFailure", "unexpected "+action)
	})
	changes, err := r.ChangeRackStack(t.Context(), update)
	require.NoError(t, err)
	require.Empty(t, changes)
	require.NotNil(t, changes)
	for _, f := range forms() {
		require.NotEqual(t, "ExecuteChangeSet", f.Get("Action"))
	}
	require.Equal(t, "DeleteChangeSet", forms()[len(forms())-1].Get("Action"), "the failed set is tidied away")
}

func TestWireRackRefusals(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer func(action string, n int) answer
		code   string
		msg    string
	}{
		{"a value CloudFormation refuses", func(action string, _ int) answer {
			if action == "DescribeStacks" {
				return rackStack("UPDATE_COMPLETE", "2026-11-02T10:00:00Z")
			}
			return apiError("ValidationError", "Parameter 'InstanceCount' must be a number not greater than 100")
		}, rack.EINVALID, "CloudFormation refused the change: Parameter 'InstanceCount' must be a number not greater than 100"},
		{"a stack that started changing meanwhile", func(action string, _ int) answer {
			if action == "DescribeStacks" {
				return rackStack("UPDATE_IN_PROGRESS", "2026-11-02T10:00:01Z")
			}
			return apiError("ValidationError", "Stack:"+rackID+" is in UPDATE_IN_PROGRESS state and can not be updated.")
		}, rack.ECONFLICT, "rack prod is UPDATE_IN_PROGRESS: wait until it is done"},
		{"a change set that failed", func(action string, _ int) answer {
			switch action {
			case "CreateChangeSet":
				return ok(action, "<Id>x</Id>")
			case "DeleteChangeSet":
				return ok(action, "")
			}
			return changeSetAnswer("FAILED", "UNAVAILABLE", "Parameters: [Webhooks] must have values", "", "")
		}, rack.EINVALID, "CloudFormation refused the change: Parameters: [Webhooks] must have values"},
		{"a change set still being made", func(action string, _ int) answer {
			if action == "CreateChangeSet" {
				return ok(action, "<Id>x</Id>")
			}
			return changeSetAnswer("CREATE_IN_PROGRESS", "UNAVAILABLE", "", "", "")
		}, rack.ECONFLICT, "send the same request again"},
		{"a change set made obsolete", func(action string, _ int) answer {
			if action == "CreateChangeSet" {
				return apiError("AlreadyExistsException", "ChangeSet [x] already exists")
			}
			return changeSetAnswer("CREATE_COMPLETE", "OBSOLETE", "", "", "")
		}, rack.ECONFLICT, "the rack changed meanwhile"},
		{"throttled", func(action string, _ int) answer {
			if action == "DescribeStacks" {
				return rackStack("UPDATE_COMPLETE", "2026-11-02T10:00:00Z")
			}
			return apiError("Throttling", "Rate exceeded")
		}, rack.EINTERNAL, "internal error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, forms := wireRack(t, func(action string, n int, _ url.Values) answer { return c.answer(action, n) })
			r.Wait = 50 * time.Millisecond
			_, err := r.ChangeRackStack(t.Context(), update)
			require.Equal(t, c.code, rack.ErrorCode(err), "%v", err)
			require.Contains(t, rack.ErrorMessage(err), c.msg)
			for _, f := range forms() {
				require.NotEqual(t, "ExecuteChangeSet", f.Get("Action"))
			}
		})
	}
}

func TestWireRackRetriedAfterExecution(t *testing.T) {
	r, forms := wireRack(t, func(action string, _ int, _ url.Values) answer {
		switch action {
		case "CreateChangeSet":
			return apiError("AlreadyExistsException", "ChangeSet [x] already exists")
		case "DescribeChangeSet":
			return changeSetAnswer("CREATE_COMPLETE", "EXECUTE_IN_PROGRESS", "", resourceChange("Modify", "Api", "AWS::Lambda::Function", "False"), "")
		}
		return apiError("InternalFailure", "unexpected "+action)
	})
	changes, err := r.ChangeRackStack(t.Context(), update)
	require.NoError(t, err)
	require.Equal(t, []rack.StackChange{{Action: "Modify", LogicalID: "Api", Type: "AWS::Lambda::Function", Replacement: "False"}}, changes)
	for _, f := range forms() {
		require.NotEqual(t, "ExecuteChangeSet", f.Get("Action"), "executed once, by the first request")
	}
}

func TestWireRackStackAndTemplate(t *testing.T) {
	r, forms := wireRack(t, func(action string, n int, _ url.Values) answer {
		switch action {
		case "DescribeStacks":
			if n == 0 {
				return rackStack("UPDATE_ROLLBACK_COMPLETE", "2026-11-02T10:00:00Z")
			}
			return apiError("ValidationError", "Stack with id prod does not exist")
		case "GetTemplateSummary":
			if n == 0 {
				return ok(action, `<Parameters>
  <member><ParameterKey>CodePrefix</ParameterKey><DefaultValue>versions/2.0.0/arm64/abc/</DefaultValue></member>
  <member><ParameterKey>Webhooks</ParameterKey></member>
</Parameters>`)
			}
			return apiError("ValidationError", "S3 error: Access Denied")
		}
		return apiError("InternalFailure", "unexpected "+action)
	})
	st, err := r.RackStack(t.Context())
	require.NoError(t, err)
	require.Equal(t, rack.RackStack{
		ID: rackID, Status: "UPDATE_ROLLBACK_COMPLETE", Revision: "2026-11-02T10:00:00Z",
		Parameters: map[string]string{"Password": "****", "InstanceCount": "0"},
		Outputs:    map[string]string{"ApiUrl": "https://x.execute-api.eu-west-1.amazonaws.com"},
	}, st)
	_, err = r.RackStack(t.Context())
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err))
	require.Equal(t, "rack prod has no CloudFormation stack named prod in this account and region", rack.ErrorMessage(err))

	tmpl, err := r.RackTemplate(t.Context(), rackID, "2.0.0", "arm64")
	require.NoError(t, err)
	require.Equal(t, rack.RackTemplate{
		URL:        "https://s3.eu-west-1.amazonaws.com/rack-artifacts-123456789012-eu-west-1/versions/2.0.0/arm64/rack.json",
		Parameters: map[string]string{"CodePrefix": "versions/2.0.0/arm64/abc/", "Webhooks": ""},
	}, tmpl)
	require.Equal(t, tmpl.URL, forms()[2].Get("TemplateURL"))
	_, err = r.RackTemplate(t.Context(), rackID, "3.0.0", "arm64")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err))
	require.Contains(t, rack.ErrorMessage(err), "version 3.0.0 (arm64) has not been uploaded: no template at s3://rack-artifacts-123456789012-eu-west-1/versions/3.0.0/arm64/rack.json")
}
