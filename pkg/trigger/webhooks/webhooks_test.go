package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/trigger/webhooks"
)

// receiver is a webhook that records what it receives and answers status.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	status int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method == http.MethodPost && req.Header.Get("Content-Type") == "application/json" {
		r.bodies = append(r.bodies, string(body))
	}
	w.WriteHeader(r.status)
}

func sample(t *testing.T) awsevents.CloudWatchEvent {
	raw, err := os.ReadFile("../../../events/testdata/rack-event-app-create.json")
	require.NoError(t, err)
	var ev awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev
}

func TestDeliversTheDetailToEveryWebhook(t *testing.T) {
	a, b := &receiver{status: 200}, &receiver{status: 204}
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	defer sa.Close()
	defer sb.Close()
	hooks, err := webhooks.ParseWebhooks(sa.URL + "/hook?token=secret, " + sb.URL)
	require.NoError(t, err)
	h := webhooks.New(hooks, nil, slog.New(slog.DiscardHandler))
	ev := sample(t)
	require.NoError(t, h.Handle(context.Background(), ev))
	for _, r := range []*receiver{a, b} {
		require.Len(t, r.bodies, 1)
		require.JSONEq(t, string(ev.Detail), r.bodies[0])
	}
}

func TestAFailingWebhookFailsTheEventForARetry(t *testing.T) {
	ok, broken := &receiver{status: 200}, &receiver{status: 500}
	so, sb := httptest.NewServer(ok), httptest.NewServer(broken)
	defer so.Close()
	defer sb.Close()
	var logs syncBuffer
	h := webhooks.New([]string{so.URL, sb.URL + "/hook?token=secret"}, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	err := h.Handle(context.Background(), sample(t))
	require.Error(t, err)
	require.Contains(t, err.Error(), "answered 500")
	require.NotContains(t, err.Error(), "secret", "webhook tokens stay out of errors")
	require.NotContains(t, logs.String(), "secret", "and out of logs")
	require.Len(t, ok.bodies, 1, "the others are still delivered")
}

func TestIgnoresOtherEventsAndRefusesUnreadableOnes(t *testing.T) {
	r := &receiver{status: 200}
	s := httptest.NewServer(r)
	defer s.Close()
	h := webhooks.New([]string{s.URL}, nil, slog.New(slog.DiscardHandler))
	ev := sample(t)
	ev.Source = "aws.codebuild"
	require.NoError(t, h.Handle(context.Background(), ev))
	ev = sample(t)
	ev.Detail = json.RawMessage(`{"action": 3}`)
	require.Error(t, h.Handle(context.Background(), ev))
	require.Empty(t, r.bodies)
}

func TestParseWebhooks(t *testing.T) {
	hooks, err := webhooks.ParseWebhooks(" https://a.example/x ,,http://b.example ")
	require.NoError(t, err)
	require.Equal(t, []string{"https://a.example/x", "http://b.example"}, hooks)
	hooks, err = webhooks.ParseWebhooks("")
	require.NoError(t, err)
	require.Empty(t, hooks)
	for _, bad := range []string{"ftp://a.example", "not a url", "https://"} {
		_, err := webhooks.ParseWebhooks(bad)
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err), bad)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf)
}
