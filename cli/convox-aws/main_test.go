package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"
)

// TestProgressLines: progress written in pieces reaches convox as one
// {"progress": line} JSON line per line, the last one flushed too.
func TestProgressLines(t *testing.T) {
	var out bytes.Buffer
	l := &lines{enc: json.NewEncoder(&out)}
	fmt.Fprint(l, "Installing rack r1")
	fmt.Fprint(l, " in us-east-1\nCREATE_IN_PROGRESS Stack\nlast")
	l.flush()
	require.Equal(t, strings.Join([]string{
		`{"progress":"Installing rack r1 in us-east-1"}`,
		`{"progress":"CREATE_IN_PROGRESS Stack"}`,
		`{"progress":"last"}`,
		"",
	}, "\n"), out.String())
}

// TestBadRequest: a request it cannot read is an invalid answer.
func TestBadRequest(t *testing.T) {
	_, err := serve(t.Context(), strings.NewReader("not json"), &bytes.Buffer{})
	require.ErrorContains(t, err, "read request")
}

func TestAPIHost(t *testing.T) {
	outputs := map[string]string{"ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com", "ApiId": "abc123"}
	require.Equal(t, "https://abc123.execute-api.eu-west-1.amazonaws.com", apiHost(aws.Config{}, outputs))
	endpoint := "http://127.0.0.1:4566/"
	require.Equal(t, "http://127.0.0.1:4566/_aws/execute-api/abc123/$default", apiHost(aws.Config{BaseEndpoint: &endpoint}, outputs))
}
