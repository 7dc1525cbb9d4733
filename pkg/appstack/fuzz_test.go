package appstack_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/examples"
)

// FuzzRender: any manifest that parses renders, on a rack on EC2 or on
// Fargate, to a template that is JSON, or to an EINVALID error saying why
// not; nothing panics.
func FuzzRender(f *testing.F) {
	for _, e := range examples.Names() {
		data, err := os.ReadFile(filepath.Join(examples.Path(e), examples.Manifest(e)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		f.Add(data, true)
	}
	f.Add([]byte("services:\n  a-b:\n    port: 1\n    agent: {ports: [53/udp]}\n  ab:\n    image: x\n    domain: '*.x'\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, fargate bool) {
		m, err := manifest.Parse(data)
		if err != nil {
			return
		}
		r := testRack()
		r.Fargate = fargate
		tpl, err := appstack.Render(m, options(r))
		if err != nil {
			if rack.ErrorCode(err) != rack.EINVALID {
				t.Fatalf("an error not of the manifest: %v", err)
			}
			return
		}
		out, err := tpl.JSON()
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if n := len(tpl.Resources); n > 500 {
			t.Fatalf("%d resources", n)
		}
	})
}
