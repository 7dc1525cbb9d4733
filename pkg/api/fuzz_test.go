package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
)

// FuzzSystemUpdateBody: whatever the body of PUT /system, as JSON or as
// Convox's form, the answer is a 200 with the changes or a 4xx with a JSON
// error, never a 5xx, and an error changes nothing.
func FuzzSystemUpdateBody(f *testing.F) {
	for _, seed := range []struct {
		form bool
		body string
	}{
		{false, `{"parameters": {"InstanceCount": "2"}}`},
		{false, `{"version": "2.0.0", "parameters": {"Webhooks": "https://hooks.example.org"}}`},
		{false, `{"parameters": {"Architecture": "x86_64"}}`},
		{false, `{"parameters": {"CodePrefix": "x"}, "version": "../1"}`},
		{false, `{"parameters": null, "version": ""}`},
		{false, ``},
		{true, `parameters=InstanceCount%3D2%26Development%3DYes&count=2&type=t4g.small`},
		{true, `version=2.0.0`},
		{true, `parameters=%25zz&version=%00`},
	} {
		f.Add(seed.form, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, form bool, body []byte) {
		stack := fake.NewRackStack("fuzz", map[string]string{
			"Version": "1.0.0", "Architecture": "arm64", "CodeBucket": "b", "CodePrefix": "p/", "Password": "secret",
			"InstanceType": "t4g.small", "InstanceCount": "0", "Development": "No",
		}, "Password")
		stack.Upload("2.0.0", "arm64", map[string]string{"Version": "", "Architecture": "", "CodeBucket": "", "CodePrefix": "", "Password": "", "Webhooks": ""})
		server := api.New(api.Config{
			System: service.NewStackSystem(rack.System{Name: "fuzz"}, stack),
			Auth:   fake.Auth{Password: password},
		})
		req := httptest.NewRequest(http.MethodPut, "/system", bytes.NewReader(body))
		req.SetBasicAuth("convox", password)
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		switch rec.Code {
		case http.StatusOK:
			var res sdk.SystemUpdateResult
			if err := dec.Decode(&res); err != nil || res.Changes == nil {
				t.Fatalf("200 with %q: %v", rec.Body.String(), err)
			}
			if len(stack.Updates) > 1 {
				t.Fatalf("one request made %d changes", len(stack.Updates))
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict:
			var e struct{ Error string }
			if err := dec.Decode(&e); err != nil || e.Error == "" {
				t.Fatalf("%d without an error message: %q", rec.Code, rec.Body.String())
			}
			if len(stack.Updates) != 0 {
				t.Fatalf("%d (%s) but the stack was changed", rec.Code, e.Error)
			}
		default:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
