package customresource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/trigger/customresource"
)

const probeType = "Custom::Probe"

// probe is a resource whose three handlers all behave as fn does.
func probe(fn func(ctx context.Context, req customresource.Request) (customresource.Result, error)) customresource.Resources {
	return customresource.Resources{probeType: {
		Create: fn,
		Update: fn,
		Delete: func(ctx context.Context, req customresource.Request) error {
			_, err := fn(ctx, req)
			return err
		},
	}}
}

// awsFailing returns an S3 client whose every call gets a 500 from AWS.
func awsFailing(t *testing.T) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`))
	}))
	t.Cleanup(srv.Close)
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// TestAlwaysAnswers is the promise of the package: whatever goes wrong,
// CloudFormation gets one answer, with the right status and physical id.
func TestAlwaysAnswers(t *testing.T) {
	ok := func(context.Context, customresource.Request) (customresource.Result, error) {
		return customresource.Result{PhysicalID: "thing-1", Data: map[string]any{"Name": "thing-1"}}, nil
	}
	scenarios := []struct {
		name     string
		handler  func(t *testing.T) func(context.Context, customresource.Request) (customresource.Result, error)
		statuses []int // the ResponseURL's answers, then 200
		timesOut bool  // the test fires the watchdog
		status   cfn.StatusType
		reason   string
		puts     int
	}{
		{
			name: "panic",
			handler: func(*testing.T) func(context.Context, customresource.Request) (customresource.Result, error) {
				return func(context.Context, customresource.Request) (customresource.Result, error) { panic("boom") }
			},
			status: cfn.StatusFailed, reason: "panicked", puts: 1,
		},
		{
			name: "error",
			handler: func(*testing.T) func(context.Context, customresource.Request) (customresource.Result, error) {
				return func(context.Context, customresource.Request) (customresource.Result, error) {
					return customresource.Result{}, errors.New("the thing cannot be done")
				}
			},
			status: cfn.StatusFailed, reason: "the thing cannot be done", puts: 1,
		},
		{
			name: "AWS 5xx",
			handler: func(t *testing.T) func(context.Context, customresource.Request) (customresource.Result, error) {
				client := awsFailing(t)
				return func(ctx context.Context, _ customresource.Request) (customresource.Result, error) {
					_, err := client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("b")})
					return customresource.Result{}, err
				}
			},
			status: cfn.StatusFailed, reason: "InternalError", puts: 1,
		},
		{
			name: "deadline",
			handler: func(t *testing.T) func(context.Context, customresource.Request) (customresource.Result, error) {
				// A handler that ignores its context altogether.
				release := make(chan struct{})
				t.Cleanup(func() { close(release) })
				return func(context.Context, customresource.Request) (customresource.Result, error) {
					<-release
					return customresource.Result{PhysicalID: "thing-1"}, nil
				}
			},
			timesOut: true,
			status:   cfn.StatusFailed, reason: "timed out", puts: 1,
		},
		{
			name: "ResponseURL 500 then 200",
			handler: func(*testing.T) func(context.Context, customresource.Request) (customresource.Result, error) {
				return ok
			},
			statuses: []int{http.StatusInternalServerError},
			status:   cfn.StatusSuccess, puts: 2,
		},
	}
	for _, sc := range scenarios {
		for _, rt := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete} {
			t.Run(sc.name+"/"+string(rt), func(t *testing.T) {
				t.Parallel()
				r := newRig(t, probe(sc.handler(t)), sc.statuses)
				physical := ""
				if rt != cfn.RequestCreate {
					physical = "thing-1"
				}
				ev := newEvent(rt, probeType, physical, r.srv.url("x"), nil)
				if sc.timesOut {
					ctx, cancel := r.deadline(t, time.Second)
					defer cancel()
					require.NoError(t, r.handleTimedOut(t, ctx, ev))
				} else {
					require.NoError(t, r.handle(t, ev))
				}

				answers := r.srv.answers(t)
				require.Len(t, answers, sc.puts)
				for _, a := range answers[1:] {
					require.Equal(t, answers[0], a, "a retried PUT sends the same answer")
				}
				a := answers[0]
				require.Equal(t, sc.status, a.Status, "reason: %s", a.Reason)
				require.Contains(t, a.Reason, sc.reason)
				require.Equal(t, ev.RequestID, a.RequestID)
				require.Equal(t, ev.StackID, a.StackID)
				require.Equal(t, ev.LogicalResourceID, a.LogicalResourceID)
				switch {
				case rt == cfn.RequestCreate && sc.status == cfn.StatusFailed:
					require.Equal(t, customresource.FailedPhysicalID(ev.RequestID), a.PhysicalResourceID)
					require.True(t, customresource.NeverCreated(a.PhysicalResourceID))
				default:
					require.Equal(t, "thing-1", a.PhysicalResourceID)
				}
				if sc.puts > 1 {
					require.Equal(t, []time.Duration{100 * time.Millisecond}, r.sleeps, "backoff before the retry")
				}
			})
		}
	}
}

// TestReplay: a request delivered again gets the same answer, and its
// handler runs once.
func TestReplay(t *testing.T) {
	var runs atomic.Int32
	r := newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
		n := runs.Add(1)
		return customresource.Result{PhysicalID: "thing-1", Data: map[string]any{"Run": fmt.Sprint(n)}}, nil
	}), nil)
	for _, rt := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete} {
		runs.Store(0)
		ev := newEvent(rt, probeType, "thing-1", r.srv.url(string(rt)), nil)
		require.NoError(t, r.handle(t, ev))
		// A retried deployment reuses the RequestId with a new ResponseURL.
		ev.ResponseURL = r.srv.url(string(rt) + "-again")
		require.NoError(t, r.handle(t, ev))
		require.EqualValues(t, 1, runs.Load(), "%s ran twice", rt)
	}
	answers := r.srv.answers(t)
	require.Len(t, answers, 6)
	for i := 0; i < len(answers); i += 2 {
		require.Equal(t, answers[i], answers[i+1])
		require.Equal(t, cfn.StatusSuccess, answers[i].Status)
	}
	puts := r.srv.received()
	require.Contains(t, puts[1].query, signature, "the replay answers to its own ResponseURL")
}

// TestReplayOfFailure: a failed request replayed is the same failure, not
// a second try.
func TestReplayOfFailure(t *testing.T) {
	var runs atomic.Int32
	r := newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
		runs.Add(1)
		panic("boom")
	}), nil)
	ev := newEvent(cfn.RequestCreate, probeType, "", r.srv.url("x"), nil)
	require.NoError(t, r.handle(t, ev))
	require.NoError(t, r.handle(t, ev))
	answers := r.srv.answers(t)
	require.Len(t, answers, 2)
	require.Equal(t, answers[0], answers[1])
	require.Equal(t, cfn.StatusFailed, answers[0].Status)
	require.EqualValues(t, 1, runs.Load())
}

// TestReplayWhileRunning: a delivery that arrives while the first is still
// at work waits for its answer and gives the same one.
func TestReplayWhileRunning(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	first := make(chan error, 1)
	var r *rig
	r = newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
		runs.Add(1)
		close(started)
		<-release
		return customresource.Result{PhysicalID: "thing-1"}, nil
	}), nil, func(c *customresource.Config) {
		polls := 0
		c.Sleep = func(ctx context.Context, _ time.Duration) error {
			// The second delivery polls; the first finishes meanwhile.
			if polls++; polls == 1 {
				close(release)
				require.NoError(t, <-first)
			}
			return ctx.Err()
		}
	})
	ev := newEvent(cfn.RequestCreate, probeType, "", r.srv.url("x"), nil)
	go func() { first <- r.handle(t, ev) }()
	<-started
	require.NoError(t, r.handle(t, ev))

	answers := r.srv.answers(t)
	require.Len(t, answers, 2)
	require.Equal(t, answers[0], answers[1])
	require.Equal(t, cfn.StatusSuccess, answers[0].Status)
	require.EqualValues(t, 1, runs.Load())
}

// TestReplayWhileStuck: when the first delivery never finishes, the
// second still answers, FAILED, before its deadline.
func TestReplayWhileStuck(t *testing.T) {
	r := newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
		t.Fatal("the handler ran")
		return customresource.Result{}, nil
	}), nil, func(c *customresource.Config) {
		c.Sleep = func(ctx context.Context, _ time.Duration) error {
			<-ctx.Done()
			return ctx.Err()
		}
	})
	ev := newEvent(cfn.RequestUpdate, probeType, "thing-1", r.srv.url("x"), nil)
	_, mine, err := r.store.BeginIdempotent(t.Context(), customresource.AnswerKey(ev), time.Hour)
	require.NoError(t, err)
	require.True(t, mine)

	ctx, cancel := r.deadline(t, time.Second)
	defer cancel()
	require.NoError(t, r.handleTimedOut(t, ctx, ev))
	a := r.srv.only(t)
	require.Equal(t, cfn.StatusFailed, a.Status)
	require.Contains(t, a.Reason, "another invocation")
	require.Equal(t, "thing-1", a.PhysicalResourceID)
}

// TestDeleteNeverCreated: the Delete of a resource whose Create failed (or
// never ran) succeeds without running a handler or touching the store,
// which may not exist.
func TestDeleteNeverCreated(t *testing.T) {
	store := &brokenStore{}
	for _, physical := range []string{customresource.FailedPhysicalID("0b637bff-c8f6-4ace-bb6f-1a6e92f29c8a"), customresource.FailedPhysicalID(strings.Repeat("?", 300)), ""} {
		r := newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
			t.Fatal("the handler ran")
			return customresource.Result{}, nil
		}), nil, func(c *customresource.Config) { c.Answers = store })
		ev := newEvent(cfn.RequestDelete, probeType, physical, r.srv.url("x"), nil)
		require.NoError(t, r.handle(t, ev))
		a := r.srv.only(t)
		require.Equal(t, cfn.StatusSuccess, a.Status, a.Reason)
		if physical == "" {
			physical = customresource.FailedPhysicalID(ev.RequestID)
		}
		require.Equal(t, physical, a.PhysicalResourceID)
	}
	require.Zero(t, store.calls)

	// Unknown types and a function that could not start too.
	r := newRig(t, nil, nil)
	require.NoError(t, r.handle(t, newEvent(cfn.RequestDelete, "Custom::Gone", customresource.FailedPhysicalID("r"), r.srv.url("x"), nil)))
	require.Equal(t, cfn.StatusSuccess, r.srv.only(t).Status)
}

// TestWithoutTable: a Delete works without the answer memory (its table
// may be gone); a Create refuses to run without it.
func TestWithoutTable(t *testing.T) {
	var runs atomic.Int32
	store := &brokenStore{}
	r := newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
		runs.Add(1)
		return customresource.Result{PhysicalID: "thing-1"}, nil
	}), nil, func(c *customresource.Config) { c.Answers = store })

	require.NoError(t, r.handle(t, newEvent(cfn.RequestDelete, probeType, "thing-1", r.srv.url("d"), nil)))
	require.NoError(t, r.handle(t, newEvent(cfn.RequestCreate, probeType, "", r.srv.url("c"), nil)))
	answers := r.srv.answers(t)
	require.Equal(t, cfn.StatusSuccess, answers[0].Status, answers[0].Reason)
	require.Equal(t, cfn.StatusFailed, answers[1].Status)
	require.Contains(t, answers[1].Reason, "cannot record the request")
	require.EqualValues(t, 1, runs.Load())
}

// TestUnknownType: a type the function does not handle fails, saying
// which it does.
func TestUnknownType(t *testing.T) {
	r := newRig(t, customresource.RackResources(customresource.Deps{}), nil)
	for _, rt := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete} {
		require.NoError(t, r.handle(t, newEvent(rt, "Custom::Nope", "nope-1", r.srv.url("x"), nil)))
	}
	for _, a := range r.srv.answers(t) {
		require.Equal(t, cfn.StatusFailed, a.Status)
		require.Contains(t, a.Reason, `unknown resource type "Custom::Nope"`)
		require.Contains(t, a.Reason, customresource.TypeEmptyBucket)
	}
}

// TestInvalidRequest: a request that does not decode is answered FAILED
// when it says where to answer, and otherwise returns an error.
func TestInvalidRequest(t *testing.T) {
	r := newRig(t, probe(nil), nil)
	ctx := t.Context()
	bad := map[string]any{
		"RequestType": "Create", "ResponseURL": r.srv.url("x"), "StackId": stackID, "RequestId": "r1",
		"LogicalResourceId": logicalID, "ResourceType": probeType, "ResourceProperties": []any{"not", "a", "map"},
	}
	require.NoError(t, r.handler.Handle(ctx, encode(t, bad)))
	a := r.srv.only(t)
	require.Equal(t, cfn.StatusFailed, a.Status)
	require.Contains(t, a.Reason, "ResourceProperties is not an object")
	require.Equal(t, customresource.FailedPhysicalID("r1"), a.PhysicalResourceID)
	require.Equal(t, "r1", a.RequestID)

	for _, raw := range []string{`[]`, `{"RequestType":"Create"}`, `{"ResponseURL":"ftp://x/y"}`, `nonsense`} {
		require.Error(t, r.handler.Handle(ctx, json.RawMessage(raw)), raw)
	}
	require.Len(t, r.srv.received(), 1)
}

// TestAnswerSize: a long reason is cut to fit 4096 bytes; data that cannot
// fit turns the answer into a FAILED one.
func TestAnswerSize(t *testing.T) {
	long := strings.Repeat("<é>", 3000)
	r := newRig(t, customresource.Resources{
		"Custom::Long": {Create: func(context.Context, customresource.Request) (customresource.Result, error) {
			return customresource.Result{}, errors.New(long)
		}},
		"Custom::Big": {Create: func(context.Context, customresource.Request) (customresource.Result, error) {
			return customresource.Result{PhysicalID: "big-1", Data: map[string]any{"Blob": strings.Repeat("x", 5000)}}, nil
		}},
	}, nil)
	require.NoError(t, r.handle(t, newEvent(cfn.RequestCreate, "Custom::Long", "", r.srv.url("l"), nil)))
	big := newEvent(cfn.RequestCreate, "Custom::Big", "", r.srv.url("b"), nil)
	big.RequestID = "another"
	require.NoError(t, r.handle(t, big))
	answers := r.srv.answers(t)
	require.Equal(t, cfn.StatusFailed, answers[0].Status)
	require.True(t, strings.HasSuffix(answers[0].Reason, "(truncated)"), answers[0].Reason)
	require.True(t, strings.HasPrefix(long, strings.TrimSuffix(answers[0].Reason, "... (truncated)")))
	require.Greater(t, len(r.srv.received()[0].body), customresource.MaxResponseSize-64, "cut no more than needed")

	require.Equal(t, cfn.StatusFailed, answers[1].Status)
	require.Contains(t, answers[1].Reason, "at most 4096 bytes")
	require.Equal(t, "big-1", answers[1].PhysicalResourceID, "the resource exists: its Delete must find it")
	require.Empty(t, answers[1].Data)
}

func TestEncodeResponse(t *testing.T) {
	base := cfn.Response{Status: cfn.StatusFailed, RequestID: "r", StackID: stackID, LogicalResourceID: logicalID, PhysicalResourceID: "p"}
	for name, reason := range map[string]string{
		"short":   "nope",
		"escapes": strings.Repeat("<&>\u2028\"\\\x01", 900),
		"utf8":    strings.Repeat("日本語", 2000),
		"exact":   strings.Repeat("a", 4000),
	} {
		t.Run(name, func(t *testing.T) {
			r := base
			r.Reason = reason
			body, got := customresource.EncodeResponse(r)
			require.LessOrEqual(t, len(body), customresource.MaxResponseSize)
			require.True(t, json.Valid(body))
			var decoded cfn.Response
			require.NoError(t, json.Unmarshal(body, &decoded))
			require.Equal(t, got.Reason, decoded.Reason)
			require.True(t, strings.HasPrefix(reason, strings.TrimSuffix(got.Reason, "... (truncated)")))
		})
	}
}

// TestSecretAnswer: a RackPassword answer is NoEcho, is remembered only
// sealed, is replayed with its password, and its password is never logged.
func TestSecretAnswer(t *testing.T) {
	hashes := &fakeHashes{}
	r := newRig(t, customresource.Resources{customresource.TypeRackPassword: customresource.RackPassword(cheapPasswords(hashes))}, nil)
	ev := newEvent(cfn.RequestCreate, customresource.TypeRackPassword, "", r.srv.url("x"), map[string]any{})
	require.NoError(t, r.handle(t, ev))
	require.NoError(t, r.handle(t, ev))
	answers := r.srv.answers(t)
	require.Len(t, answers, 2)
	require.Equal(t, answers[0], answers[1], "the replay has the same password")
	a := answers[0]
	require.Equal(t, cfn.StatusSuccess, a.Status, a.Reason)
	require.True(t, a.NoEcho)
	password, _ := a.Data[customresource.AttributePassword].(string)
	require.Len(t, password, 32)
	hashes.matches(t, password)
	require.Equal(t, 1, hashes.puts, "the replay set no second password")

	require.Len(t, r.store.results, 1)
	require.NotContains(t, string(r.store.results[0]), password)
	require.NotContains(t, r.logs.String(), password)
	require.NotContains(t, r.logs.String(), signature)
	require.Contains(t, r.logs.String(), `"status":"SUCCESS"`)
}

// TestSecretUnsealable: without a working sealer the secret answer still
// goes out, but is not remembered at all.
func TestSecretUnsealable(t *testing.T) {
	hashes := &fakeHashes{}
	r := newRig(t, customresource.Resources{customresource.TypeRackPassword: customresource.RackPassword(cheapPasswords(hashes))}, nil,
		func(c *customresource.Config) { c.Sealer = nil })
	ev := newEvent(cfn.RequestCreate, customresource.TypeRackPassword, "", r.srv.url("x"), map[string]any{"Password": "given-password"})
	require.NoError(t, r.handle(t, ev))
	a := r.srv.only(t)
	require.Equal(t, cfn.StatusSuccess, a.Status, a.Reason)
	require.Equal(t, "given-password", a.Data[customresource.AttributePassword])
	require.Empty(t, r.store.results)
	_, mine, err := r.store.BeginIdempotent(t.Context(), customresource.AnswerKey(ev), time.Hour)
	require.NoError(t, err)
	require.True(t, mine, "the record was dropped, so a replay runs again")
	require.NotContains(t, r.logs.String(), "given-password")
}

// TestWatchdogArming: the watchdog fires Margin before the deadline, or
// halfway there when the deadline is closer than twice the Margin.
func TestWatchdogArming(t *testing.T) {
	for remaining, want := range map[time.Duration]time.Duration{
		time.Minute:            time.Minute - 200*time.Millisecond,
		time.Second:            800 * time.Millisecond,
		300 * time.Millisecond: 150 * time.Millisecond,
	} {
		r := newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
			return customresource.Result{PhysicalID: "thing-1"}, nil
		}), nil)
		ctx, cancel := r.deadline(t, remaining)
		require.NoError(t, r.handler.Handle(ctx, encode(t, newEvent(cfn.RequestCreate, probeType, "", r.srv.url("x"), nil))))
		cancel()
		require.Equal(t, []time.Duration{want}, r.clock.delays, "deadline %s away", remaining)
		require.Equal(t, cfn.StatusSuccess, r.srv.only(t).Status)
	}
}

// TestWatchdogRace: a handler that finishes just as the watchdog fires
// still gets exactly one answer out.
func TestWatchdogRace(t *testing.T) {
	for i := range 25 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, probe(func(ctx context.Context, _ customresource.Request) (customresource.Result, error) {
				<-ctx.Done()
				return customresource.Result{PhysicalID: "thing-1"}, nil
			}), nil)
			ctx, cancel := r.deadline(t, 300*time.Millisecond+time.Duration(i)*time.Millisecond)
			defer cancel()
			require.NoError(t, r.handleTimedOut(t, ctx, newEvent(cfn.RequestUpdate, probeType, "thing-1", r.srv.url("x"), nil)))
			a := r.srv.only(t)
			require.Equal(t, "thing-1", a.PhysicalResourceID)
			if a.Status == cfn.StatusFailed {
				require.Contains(t, a.Reason, "timed out")
			}
		})
	}
}

// TestFailing: a function that could not start answers FAILED, with why.
func TestFailing(t *testing.T) {
	srv := newResponseServer(t)
	h := customresource.Failing(rack.Errorf(rack.EINVALID, "configuration: RACK_TABLE not set"), nil)
	require.NoError(t, h.Handle(t.Context(), encode(t, newEvent(cfn.RequestCreate, customresource.TypeEmptyBucket, "", srv.url("x"), nil))))
	a := srv.only(t)
	require.Equal(t, cfn.StatusFailed, a.Status)
	require.Contains(t, a.Reason, "RACK_TABLE not set")
}

// TestAnswerNotDelivered: when no PUT gets through, Handle says so, so
// that Lambda retries the event.
func TestAnswerNotDelivered(t *testing.T) {
	r := newRig(t, probe(func(context.Context, customresource.Request) (customresource.Result, error) {
		return customresource.Result{PhysicalID: "thing-1"}, nil
	}), []int{500, 500, 500, 500, 500, 500})
	err := r.handle(t, newEvent(cfn.RequestCreate, probeType, "", r.srv.url("x"), nil))
	require.ErrorContains(t, err, "500")
	require.NotContains(t, err.Error(), signature)
	require.Len(t, r.srv.received(), 5)
	require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}, r.sleeps)
}

// TestRollbackUpdate: the sample Update (a new bucket) and the rollback
// that follows it, back to properties of an older template (one unknown
// property, one default missing), are both accepted.
func TestRollbackUpdate(t *testing.T) {
	r := newRig(t, customresource.RackResources(customresource.Deps{S3: newFakeS3()}), nil)
	var update cfn.Event
	require.NoError(t, json.Unmarshal(fixture(t, "update"), &update))
	update.ResponseURL = r.srv.url("update")
	require.NoError(t, r.handle(t, update))

	rollback := update
	rollback.RequestID = "rollback-1"
	rollback.ResponseURL = r.srv.url("rollback")
	rollback.PhysicalResourceID = update.ResourceProperties["BucketName"].(string)
	rollback.OldResourceProperties = update.ResourceProperties
	rollback.ResourceProperties = map[string]any{
		"ServiceToken": update.ResourceProperties["ServiceToken"],
		"BucketName":   update.OldResourceProperties["BucketName"],
		"LegacyOption": "on",
	}
	require.NoError(t, r.handle(t, rollback))

	answers := r.srv.answers(t)
	require.Equal(t, cfn.StatusSuccess, answers[0].Status, answers[0].Reason)
	require.Equal(t, "dev-myapp-artifacts-5t6y7u8i9o0p", answers[0].PhysicalResourceID, "a new bucket, a new resource")
	require.Equal(t, cfn.StatusSuccess, answers[1].Status, answers[1].Reason)
	require.Equal(t, "dev-myapp-artifacts-1r8k3z0q7w2e", answers[1].PhysicalResourceID)
}
