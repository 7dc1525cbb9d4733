package customresource_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/trigger/customresource"
)

// signature stands for the presigned URL's signature, which no log may
// show.
const signature = "c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ"

const (
	stackID   = "arn:aws:cloudformation:us-east-1:123456789012:stack/dev/8f0c2e60-45d1-11f0-b6e2-0affd3c2a8e1"
	logicalID = "Thing"
)

// put is one request the ResponseURL received.
type put struct {
	method         string
	hasContentType bool
	contentType    string
	query          string
	body           []byte
}

// responseServer stands for the presigned ResponseURL: it records every
// request and answers with the statuses queued, then 200.
type responseServer struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	puts     []put
}

func newResponseServer(t *testing.T, statuses ...int) *responseServer {
	t.Helper()
	s := &responseServer{statuses: statuses}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ct, has := r.Header["Content-Type"]
		p := put{method: r.Method, hasContentType: has, query: r.URL.RawQuery, body: body}
		if has {
			p.contentType = ct[0]
		}
		s.mu.Lock()
		s.puts = append(s.puts, p)
		status := http.StatusOK
		if len(s.statuses) > 0 {
			status, s.statuses = s.statuses[0], s.statuses[1:]
		}
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

// url is a ResponseURL on the server, signed.
func (s *responseServer) url(id string) string {
	return s.URL + "/cfn-response/" + id + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=" + signature
}

func (s *responseServer) received() []put {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]put(nil), s.puts...)
}

// answers decodes every PUT as an answer, checking what CloudFormation
// requires of each: a PUT without Content-Type of at most 4096 bytes.
func (s *responseServer) answers(t *testing.T) []cfn.Response {
	t.Helper()
	var out []cfn.Response
	for _, p := range s.received() {
		require.Equal(t, http.MethodPut, p.method)
		require.False(t, p.hasContentType && p.contentType != "", "Content-Type %q", p.contentType)
		require.LessOrEqual(t, len(p.body), customresource.MaxResponseSize)
		var r cfn.Response
		require.NoError(t, json.Unmarshal(p.body, &r), "%s", p.body)
		out = append(out, r)
	}
	return out
}

// only returns the one answer the server got.
func (s *responseServer) only(t *testing.T) cfn.Response {
	t.Helper()
	answers := s.answers(t)
	require.Len(t, answers, 1, "answers: %+v", answers)
	return answers[0]
}

// syncBuffer is a log sink safe for the handler's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rig is a Handler over an in-memory store, answering to a responseServer,
// with every wait recorded instead of slept.
type rig struct {
	srv     *responseServer
	store   *recordingStore
	handler *customresource.Handler
	logs    *syncBuffer
	clock   *manualClock

	mu     sync.Mutex
	sleeps []time.Duration
}

func newRig(t *testing.T, resources customresource.Resources, statuses []int, configure ...func(*customresource.Config)) *rig {
	t.Helper()
	r := &rig{
		srv:   newResponseServer(t, statuses...),
		store: &recordingStore{IdempotencyStore: memstore.New(nil)},
		logs:  &syncBuffer{},
		clock: newManualClock(),
	}
	sleep := func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		r.sleeps = append(r.sleeps, d)
		r.mu.Unlock()
		return ctx.Err()
	}
	c := customresource.Config{
		Resources: resources,
		Answers:   r.store,
		Sealer:    fake.Sealer{},
		Responder: &customresource.Responder{
			Client: r.srv.Client(), Sleep: sleep,
			First: 100 * time.Millisecond, Max: 800 * time.Millisecond, Attempts: 5, AttemptTimeout: 5 * time.Second,
		},
		Margin: 200 * time.Millisecond,
		Sleep:  sleep,
		Clock:  r.clock,
		Log:    slog.New(slog.NewJSONHandler(io.MultiWriter(r.logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range configure {
		f(&c)
	}
	r.handler = customresource.New(c)
	return r
}

// handle runs the handler on ev with a deadline a minute away.
func (r *rig) handle(t *testing.T, ev cfn.Event) error {
	t.Helper()
	ctx, cancel := r.deadline(t, time.Minute)
	defer cancel()
	return r.handler.Handle(ctx, encode(t, ev))
}

// deadline returns a context whose deadline is d away by the rig's clock.
// By the machine's clock it is an hour away: nothing a test waits for can
// reach it, however slow the machine, and the watchdog fires only when the
// test fires the clock.
func (r *rig) deadline(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(time.Hour)
	r.clock.set(deadline.Add(-d))
	return context.WithDeadline(t.Context(), deadline)
}

// handleTimedOut runs the handler on ev in the background, fires the
// watchdog as soon as it is armed, and returns Handle's result: the run of
// a handler that reaches its deadline, at no real deadline.
func (r *rig) handleTimedOut(t *testing.T, ctx context.Context, ev cfn.Event) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.handler.Handle(ctx, encode(t, ev)) }()
	select {
	case <-r.clock.armed:
	case err := <-done:
		t.Fatalf("Handle returned (%v) before its watchdog was armed", err)
	}
	r.clock.fire()
	return <-done
}

// manualClock is a Clock whose timers fire only when a test says.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []func()
	delays []time.Duration
	// armed receives once for every timer set.
	armed chan struct{}
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), armed: make(chan struct{}, 64)}
}

func (c *manualClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.timers)
	c.timers = append(c.timers, f)
	c.delays = append(c.delays, d)
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		pending := c.timers[n] != nil
		c.timers[n] = nil
		return pending
	}
}

// fire runs every timer not yet run or stopped.
func (c *manualClock) fire() {
	c.mu.Lock()
	var due []func()
	for n, f := range c.timers {
		if f != nil {
			due = append(due, f)
			c.timers[n] = nil
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// recordingStore keeps every remembered answer, to show what is stored.
type recordingStore struct {
	rack.IdempotencyStore
	mu      sync.Mutex
	results [][]byte
	begins  int
}

func (s *recordingStore) BeginIdempotent(ctx context.Context, key string, ttl time.Duration) (rack.Idempotency, bool, error) {
	s.mu.Lock()
	s.begins++
	s.mu.Unlock()
	return s.IdempotencyStore.BeginIdempotent(ctx, key, ttl)
}

func (s *recordingStore) CompleteIdempotent(ctx context.Context, key string, result []byte) error {
	s.mu.Lock()
	s.results = append(s.results, append([]byte(nil), result...))
	s.mu.Unlock()
	return s.IdempotencyStore.CompleteIdempotent(ctx, key, result)
}

// brokenStore fails every call, as a missing table does.
type brokenStore struct{ calls int }

var errNoTable = rack.Errorf(rack.ENOTFOUND, "ResourceNotFoundException: Requested resource not found")

func (s *brokenStore) BeginIdempotent(context.Context, string, time.Duration) (rack.Idempotency, bool, error) {
	s.calls++
	return rack.Idempotency{}, false, errNoTable
}

func (s *brokenStore) CompleteIdempotent(context.Context, string, []byte) error {
	s.calls++
	return errNoTable
}

func (s *brokenStore) AbandonIdempotent(context.Context, string) error {
	s.calls++
	return errNoTable
}

// newEvent is a request of the test stack.
func newEvent(requestType cfn.RequestType, resourceType, physicalID, responseURL string, props map[string]any) cfn.Event {
	if props == nil {
		props = map[string]any{}
	}
	props["ServiceToken"] = "arn:aws:lambda:us-east-1:123456789012:function:dev-customresources"
	return cfn.Event{
		RequestType:        requestType,
		RequestID:          "req-" + string(requestType),
		ResponseURL:        responseURL,
		ResourceType:       resourceType,
		PhysicalResourceID: physicalID,
		LogicalResourceID:  logicalID,
		StackID:            stackID,
		ResourceProperties: props,
	}
}

func encode(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// fixture reads testdata/cfn-custom-resource-<name>.json.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/cfn-custom-resource-" + name + ".json")
	require.NoError(t, err)
	return b
}
