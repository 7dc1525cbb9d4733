// Package webhooks delivers the rack's events to its webhooks: the handler
// behind the rule that sends every event of the rack's bus to the
// notifications function. Each webhook receives the event's detail as a
// JSON POST, the body Convox webhooks receive.
//
// Delivery is at least once: when a webhook fails, the handler fails, and
// EventBridge retries the event (then sends it to the dead-letter queue),
// so webhooks that did answer may receive it again.
package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// ParseWebhooks reads a comma-separated list of http(s) URLs.
func ParseWebhooks(list string) ([]string, error) {
	var hooks []string
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, rack.Errorf(rack.EINVALID, "webhook %q is not an http(s) URL", redact(h))
		}
		hooks = append(hooks, h)
	}
	return hooks, nil
}

// redact keeps a URL's scheme and host: its path and query may hold a token.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparseable)"
	}
	return u.Scheme + "://" + u.Host + "/..."
}

// Handler delivers rack events to webhooks.
type Handler struct {
	hooks  []string
	client *http.Client
	log    *slog.Logger
}

// New returns a handler for hooks; a nil client means one with a 10 s
// timeout.
func New(hooks []string, client *http.Client, log *slog.Logger) *Handler {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Handler{hooks: hooks, client: client, log: log}
}

// Handle delivers one event to every webhook.
func (h *Handler) Handle(ctx context.Context, ev awsevents.CloudWatchEvent) error {
	if ev.Source != events.RackEventSource {
		h.log.DebugContext(ctx, "ignored: not a rack event", "source", ev.Source)
		return nil
	}
	var re events.RackEvent
	if err := json.Unmarshal(ev.Detail, &re); err != nil || re.Action == "" {
		return fmt.Errorf("rack event %s: unreadable detail: %v", ev.ID, err)
	}
	var failed []error
	for _, hook := range h.hooks {
		if err := h.post(ctx, hook, ev.Detail); err != nil {
			h.log.WarnContext(ctx, "webhook failed", "event", ev.ID, "action", re.Action, "webhook", redact(hook), "error", err.Error())
			failed = append(failed, fmt.Errorf("%s: %w", redact(hook), err))
			continue
		}
		h.log.InfoContext(ctx, "webhook delivered", "event", ev.ID, "action", re.Action, "webhook", redact(hook))
	}
	if len(failed) > 0 {
		return fmt.Errorf("rack event %s: %w", ev.ID, errors.Join(failed...))
	}
	return nil
}

func (h *Handler) post(ctx context.Context, hook string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return errors.New("bad request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rack-notifications")
	res, err := h.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL may hold a token: leave it out
		}
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("answered %d", res.StatusCode)
	}
	return nil
}
