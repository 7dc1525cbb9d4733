package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
)

// newSystemHarness is a server whose rack has a stack, and the stack.
func newSystemHarness(t *testing.T) (*harness, *fake.RackStack) {
	t.Helper()
	stack := fake.NewRackStack("test", map[string]string{
		"Version": "1.0.0", "Architecture": "arm64", "CodeBucket": "b", "CodePrefix": "p/", "Password": "secret",
		"InstanceType": "t4g.small", "InstanceCount": "0", "Development": "No",
	}, "Password")
	h := &harness{t: t, logs: &bytes.Buffer{}}
	log := api.Logger(slog.NewJSONHandler(&lockedWriter{w: h.logs}, nil))
	srv := httptest.NewServer(api.New(api.Config{
		System: service.NewStackSystem(rack.System{Name: "test", Region: "us-east-1", Version: "0.9.0"}, stack),
		Auth:   fake.Auth{Password: password}, Log: log, Version: "1.0.0",
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.client = h.newClient(password)
	return h, stack
}

func TestSystemReadsItsStack(t *testing.T) {
	h, stack := newSystemHarness(t)
	ctx := context.Background()
	sys, err := h.client.System(ctx)
	require.NoError(t, err)
	require.Equal(t, "running", sys.Status)
	require.Equal(t, "CREATE_COMPLETE", sys.StackStatus)
	require.Equal(t, "1.0.0", sys.Version)
	require.Equal(t, "t4g.small", sys.Type)
	require.Equal(t, "****", sys.Parameters["Password"])
	require.Equal(t, "https://api.example.org", sys.Outputs["ApiUrl"])

	stack.Remove()
	sys, err = h.client.System(ctx)
	require.NoError(t, err, "a local API without a stack still logs in")
	require.Equal(t, "running", sys.Status)
	require.Equal(t, "0.9.0", sys.Version)
	require.Equal(t, "rack test has no stack", sys.StatusReason)
	_, err = h.client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "1"}})
	requireCode(t, rack.ENOTFOUND, err)
}

func TestSystemUpdateThroughTheClient(t *testing.T) {
	h, stack := newSystemHarness(t)
	ctx := context.Background()

	res, err := h.client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "2"}})
	require.NoError(t, err)
	require.Equal(t, []sdk.StackChange{{Action: "Modify", LogicalID: "Api", Type: "AWS::Lambda::Function", Replacement: "False"}}, res.Changes)
	require.Equal(t, "2", stack.Parameters()["InstanceCount"])
	require.Equal(t, "secret", stack.Parameters()["Password"])

	sys, err := h.client.System(ctx)
	require.NoError(t, err)
	require.Equal(t, "updating", sys.Status)
	require.Equal(t, "UPDATE_IN_PROGRESS", sys.StackStatus)

	_, err = h.client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "3"}})
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "rack test is updating")

	// A waiting client tells a rollback from success.
	stack.RollBack("Resource handler returned message: instance type not offered")
	sys, err = h.client.System(ctx)
	require.NoError(t, err)
	require.Equal(t, "running", sys.Status)
	require.Equal(t, "UPDATE_ROLLBACK_COMPLETE", sys.StackStatus)
	require.Equal(t, "Resource handler returned message: instance type not offered", sys.StatusReason)
	require.Equal(t, "0", sys.Parameters["InstanceCount"])

	// A version that was uploaded.
	stack.Upload("1.1.0", "arm64", map[string]string{"Version": "", "Architecture": "", "CodeBucket": "", "CodePrefix": "", "Password": "", "InstanceType": "", "InstanceCount": "", "Development": ""})
	res, err = h.client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Version: "1.1.0"})
	require.NoError(t, err)
	require.Len(t, res.Changes, 1)
	stack.Settle()
	sys, err = h.client.System(ctx)
	require.NoError(t, err)
	require.Equal(t, "1.1.0", sys.Version)
	require.Equal(t, "UPDATE_COMPLETE", sys.StackStatus)

	// The version running: no changes, as an empty list.
	code, _, body := raw(t, http.MethodPut, h.url+"/system", "convox", password, strings.NewReader(`{"version": "1.1.0"}`))
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"changes": []}`, body)
}

func TestSystemUpdateRefusals(t *testing.T) {
	h, stack := newSystemHarness(t)
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		msg                     string
	}{
		{"empty", "", "", 400, "nothing to update"},
		{"empty JSON", "application/json", "{}", 400, "nothing to update"},
		{"null", "application/json", "null", 400, "nothing to update"},
		{"not JSON", "application/json", "{", 400, "invalid JSON body"},
		{"unknown field", "application/json", `{"params": {"A": "1"}}`, 400, `unknown field "params"`},
		{"two values", "application/json", `{"version": "1.0.0"} {}`, 400, "more than one value"},
		{"unknown parameter", "application/json", `{"parameters": {"InstanceCount": "1", "Nope": "x"}}`, 400, `rack test has no parameter "Nope"`},
		{"reserved parameter", "application/json", `{"parameters": {"CodeBucket": "elsewhere"}}`, 400, "CodeBucket: set by the rack with the version"},
		{"bad version", "application/json", `{"version": "1.0/../x"}`, 400, `version "1.0/../x"`},
		{"bad architecture", "application/json", `{"parameters": {"Architecture": "sparc"}}`, 400, "Architecture \"sparc\": one of arm64, x86_64"},
		{"not uploaded", "application/json", `{"version": "9.9.9"}`, 404, "version 9.9.9 (arm64) has not been uploaded"},
		{"content type", "text/plain", `version=1`, 400, "Content-Type text/plain"},
		{"bad content type", "application/json; charset", `{}`, 400, "invalid Content-Type"},
		{"form field", "application/x-www-form-urlencoded", `versions=1`, 400, `unknown form field "versions"`},
		{"form twice", "application/x-www-form-urlencoded", `version=1&version=2`, 400, `form field "version" given 2 times`},
		{"form count", "application/x-www-form-urlencoded", `count=many`, 400, `count "many" is not a number`},
		{"form disagree", "application/x-www-form-urlencoded", `count=2&parameters=InstanceCount%3D3`, 400, `count "2" and parameter InstanceCount "3" disagree`},
		{"form parameters", "application/x-www-form-urlencoded", `parameters=%zz`, 400, "invalid form body"},
		{"too big", "application/json", `{"version": "` + strings.Repeat("1", 2<<20) + `"}`, 400, "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, h.url+"/system", strings.NewReader(c.body))
			require.NoError(t, err)
			req.SetBasicAuth("convox", password)
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, c.status, res.StatusCode)
			require.Equal(t, "application/json", res.Header.Get("Content-Type"))
			var e struct{ Error string }
			require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
			require.Contains(t, e.Error, c.msg)
		})
	}
	require.Empty(t, stack.Updates, "nothing was changed")
}

// TestSystemUpdateConvoxForm: Convox's client sends the parameters as a
// URL-encoded form inside the form, and count and type beside them.
func TestSystemUpdateConvoxForm(t *testing.T) {
	h, stack := newSystemHarness(t)
	params := url.Values{"Development": {"Yes"}, "InstanceType": {"t4g.medium"}}
	form := url.Values{"parameters": {params.Encode()}, "count": {"3"}, "type": {"t4g.medium"}}
	req, err := http.NewRequest(http.MethodPut, h.url+"/system", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.SetBasicAuth("convox", password)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Len(t, stack.Updates, 1)
	require.Equal(t, map[string]string{"Development": "Yes", "InstanceType": "t4g.medium", "InstanceCount": "3"}, stack.Updates[0].Values)
}
