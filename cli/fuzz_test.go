package main

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzCommandLine runs any command line, with any RACK_URL, CONVOX_RACK,
// .convox-less settings and stdin, against no rack: every outcome is exit
// 0 or 1, an error is one "ERROR: " line on stderr (after the progress
// under --id), and nothing panics.
// Nothing can reach a network: the HTTP client refuses every request.
func FuzzCommandLine(f *testing.F) {
	for _, seed := range []struct{ args, rackURL, stdin string }{
		{"apps", "", ""},
		{"env set A=1 B -a x", "https://convox:pw@rack.example.org", ""},
		{"rack params set Foo=bar --wait", "http://convox:p@127.0.0.1:1/path", ""},
		{"rack install aws -n r1 A=1", "", ""},
		{"rack uninstall aws r1", "", "y\n"},
		{"builds --limit -3 -l x", "::", ""},
		{"switch d", "", ""},
		{"login host -p", "", "pw\n"},
		{"--nope -x help", "", ""},
		{"deploy . -a x --wait=false --id -m convox.yml", "https://convox:pw@rack.example.org", ""},
		{"releases promote -a x -w", "", ""},
		{"releases rollback RABC --id --wait -a x", "https://convox:pw@rack.example.org", ""},
		{"releases manifest RABC -a x", "", ""},
		{"env set X=1 --promote --wait -a x", "https://convox:pw@rack.example.org", "Y=2\n"},
		{"env unset X -p -a x", "", ""},
		{"env edit -p -w -a x", "", ""},
		{"apps cancel x --wait", "https://convox:pw@rack.example.org", ""},
		{"apps info -a x", "", ""},
		{"scale web --count 2 --cpu 256 --wait -a x", "https://convox:pw@rack.example.org", ""},
		{"scale --memory -1", "", ""},
		{"services restart web -a x", "", ""},
		{"restart -a x", "https://convox:pw@rack.example.org", ""},
		{"ps -s web --release R1 -a x", "https://convox:pw@rack.example.org", ""},
		{"ps stop abc -a x", "", ""},
		{"run web rake db:migrate -d -a x", "https://convox:pw@rack.example.org", ""},
		{"logs --no-follow --since 5m --filter GET -a x", "https://convox:pw@rack.example.org", ""},
		{"rack logs --no-follow --since -1s", "", ""},
	} {
		f.Add(seed.args, seed.rackURL, seed.stdin)
	}
	f.Fuzz(func(t *testing.T, args, rackURL, stdin string) {
		config := t.TempDir()
		env := map[string]string{"CONVOX_CONFIG": config, "RACK_URL": rackURL, "CONVOX_RACK": "r1", "EDITOR": "true"}
		var stdout, stderr bytes.Buffer
		io := &cliIO{
			stdin: strings.NewReader(stdin), stdinIsTTY: stdin == "",
			stdout: &stdout, stderr: &stderr,
			getenv: func(k string) string { return env[k] },
			now:    func() time.Time { return time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) },
			http:   &http.Client{Transport: refuse{}},
			sleep:  func(time.Duration) {},
			home:   func() (string, error) { return config, nil },
			editor: func(string, string) error { return nil },
			// Never convox-aws: it would act on an AWS account.
			companion: func() (string, error) { return "", errRefused },
		}
		fields := strings.Fields(args)
		code := run(fields, io)
		errOut := stderr.String()
		if slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--id") }) {
			// Under --id the progress is on stderr too, and an error ends
			// its line, as in Convox: "Setting A... ERROR: ...".
			if i := strings.Index(errOut, "ERROR: "); i > 0 {
				errOut = errOut[i:]
			}
		}
		switch code {
		case exitOK:
		case exitError:
			if !strings.HasPrefix(errOut, "ERROR: ") || !strings.HasSuffix(errOut, "\n") {
				t.Fatalf("convox %s: exit 1 with stderr %q", args, stderr.String())
			}
		default:
			t.Fatalf("convox %s: exit %d", args, code)
		}
	})
}

// refuse is a transport that reaches nothing.
type refuse struct{}

func (refuse) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errRefused
}

var errRefused = &refusedError{}

type refusedError struct{}

func (*refusedError) Error() string { return "no network in this test" }
