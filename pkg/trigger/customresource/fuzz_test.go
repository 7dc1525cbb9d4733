package customresource_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/trigger/customresource"
	"github.com/rackhq/rack/pkg/trigger/customresource/migrate"
)

// addSeeds adds the sample requests and responses, and a request of each
// type and kind, to the fuzzer's corpus.
func addSeeds(f *testing.F) {
	files, err := filepath.Glob("testdata/cfn-custom-resource-*.json")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(b)
	}
	props := map[string]map[string]any{
		customresource.TypeEmptyBucket:   {"BucketName": "dev-myapp-artifacts", "EmptyOnDelete": "true", "MaxKeysPerBatch": "500"},
		customresource.TypeRackMigration: {"Version": "20261125"},
		customresource.TypeRackPassword:  {"Password": "hunter2"},
		"Custom::Unknown":                {"X": []any{"1", map[string]any{"y": "2"}}},
	}
	for typ, p := range props {
		for _, rt := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete} {
			ev := newEvent(rt, typ, "", "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc", p)
			if rt != cfn.RequestCreate {
				ev.PhysicalResourceID = "physical-1"
				ev.OldResourceProperties = map[string]any{"Version": "1", "Password": "old"}
			}
			b, err := json.Marshal(ev)
			require.NoError(f, err)
			f.Add(b)
		}
	}
	f.Add([]byte(`{"RequestType":"Delete","ResponseURL":"http://h/x","RequestId":"r","StackId":"s","LogicalResourceId":"L","ResourceType":"Custom::EmptyBucket","PhysicalResourceId":"failed-create:r"}`))
}

// FuzzDecode: Decode never panics, and what it accepts is complete.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := customresource.Decode(raw)
		if ev.ResponseURL != "" {
			u, perr := url.Parse(ev.ResponseURL)
			require.NoError(t, perr)
			require.Contains(t, []string{"http", "https"}, u.Scheme)
		}
		if err != nil {
			return
		}
		require.NotEmpty(t, ev.ResponseURL)
		require.NotEmpty(t, ev.RequestID)
		require.NotEmpty(t, ev.StackID)
		require.NotEmpty(t, ev.LogicalResourceID)
		require.NotEmpty(t, ev.ResourceType)
		require.NotNil(t, ev.ResourceProperties)
		require.Contains(t, []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete}, ev.RequestType)
		if ev.RequestType == cfn.RequestUpdate {
			require.NotEmpty(t, ev.PhysicalResourceID)
		}
	})
}

// recorder is the ResponseURL in memory.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(nil))}, nil
}

// fuzzWorld is a Handler over fakes, new for each input so that inputs do
// not depend on each other.
func fuzzWorld() (customresource.Resources, *customresource.Handler, *recorder) {
	store := memstore.New(nil)
	s3 := newFakeS3()
	s3.put("dev-myapp-artifacts", "a", 2, true)
	// bcrypt, cost 4, of "fuzz"
	hashes := &fakeHashes{hash: []byte("$2a$04$V5BqRt9tuXZII/MK8XuIeOBXxPRXE7rAdEHe7FCPXIoVf5lI1Pf4C")}
	resources := customresource.Resources{
		customresource.TypeEmptyBucket: customresource.EmptyBucket(s3),
		customresource.TypeRackMigration: customresource.RackMigration(store, []migrate.Migration{
			{ID: "noop", Run: func(context.Context, rack.Store) error { return nil }},
		}, nil),
		customresource.TypeRackPassword: customresource.RackPassword(cheapPasswords(hashes)),
	}
	rec := &recorder{}
	h := customresource.New(customresource.Config{
		Resources: resources, Answers: store, Sealer: fake.Sealer{}, Log: slog.New(slog.DiscardHandler),
		Responder: &customresource.Responder{Client: rec, Sleep: customresource.SleepContext, Attempts: 1},
	})
	return resources, h, rec
}

// FuzzDispatch: every handler survives any request (a panic here fails
// the fuzzer, where the Handler would turn it into FAILED and hide it);
// the Handler answers every request it can answer exactly once, within
// 4096 bytes, SUCCESS or FAILED with a reason; and a replay of the request
// gets the very same answer.
func FuzzDispatch(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ev, decodeErr := customresource.Decode(raw)
		if decodeErr == nil {
			resources, _, _ := fuzzWorld()
			res, err := resources.Dispatch(ctx, customresource.Request{Event: ev})
			require.NotEmpty(t, res.PhysicalID, "err: %v", err)
			require.LessOrEqual(t, len(res.PhysicalID), max(customresource.MaxPhysicalIDLength, len(ev.PhysicalResourceID)))
		}

		_, h, rec := fuzzWorld()
		err := h.Handle(ctx, raw)
		if ev.ResponseURL == "" {
			require.Error(t, err)
			require.Empty(t, rec.bodies)
			return
		}
		require.NoError(t, err)
		require.Len(t, rec.bodies, 1)
		body := rec.bodies[0]
		echoed := len(ev.StackID) + len(ev.RequestID) + len(ev.LogicalResourceID) + len(ev.PhysicalResourceID)
		if echoed < 1024 {
			require.LessOrEqual(t, len(body), customresource.MaxResponseSize)
		}
		var a cfn.Response
		require.NoError(t, json.Unmarshal(body, &a))
		require.Equal(t, ev.RequestID, a.RequestID)
		require.Equal(t, ev.StackID, a.StackID)
		require.Equal(t, ev.LogicalResourceID, a.LogicalResourceID)
		require.NotEmpty(t, a.PhysicalResourceID)
		switch a.Status {
		case cfn.StatusSuccess:
			require.NoError(t, decodeErr)
		case cfn.StatusFailed:
			require.NotEmpty(t, a.Reason)
			require.Empty(t, a.Data)
		default:
			t.Fatalf("status %q", a.Status)
		}

		require.NoError(t, h.Handle(ctx, raw))
		require.Len(t, rec.bodies, 2)
		require.Equal(t, string(body), string(rec.bodies[1]), "a replay answers the same")
	})
}
