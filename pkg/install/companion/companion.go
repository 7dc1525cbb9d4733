// Package companion is the contract between the convox command and
// convox-aws, the program that installs and uninstalls racks with the
// user's AWS credentials. It imports nothing of the AWS SDK, so that convox
// does not either.
package companion

import (
	"encoding/json"
	"io"

	"github.com/rackhq/rack/pkg/rack"
)

// The convox command runs installs and uninstalls in a companion program
// (convox-aws), so that the AWS SDK's start-up cost is paid only by the
// commands that use it. Request and Reply are what the two exchange: one
// Request as JSON on the companion's stdin, one Reply as JSON on its
// stdout.

// Request asks the companion for one operation.
type Request struct {
	Op      string  `json:"op"`                // OpInstall, OpDoomed or OpUninstall
	Region  string  `json:"region,omitempty"`  // "" for the AWS configuration's
	Name    string  `json:"name,omitempty"`    // the rack, for OpDoomed and OpUninstall
	Install Install `json:"install,omitempty"` // for OpInstall
}

// The companion's operations.
const (
	OpInstall   = "install"   // install a rack, then say where its API answers
	OpDoomed    = "doomed"    // name the stacks OpUninstall would delete
	OpUninstall = "uninstall" // delete a rack, its apps' stacks and what they hold
)

// Reply answers a Request. The companion first sends one Reply with only
// Progress set for each line of progress, then the answer.
type Reply struct {
	Progress string   `json:"progress,omitempty"` // a line of progress, for the user
	Host     string   `json:"host,omitempty"`     // OpInstall: where the API answers
	Password string   `json:"password,omitempty"` // OpInstall: the API password (generated when none was given)
	Stacks   []string `json:"stacks,omitempty"`   // OpDoomed: what OpUninstall deletes, in order
	Error    string   `json:"error,omitempty"`    // what went wrong
	Code     string   `json:"code,omitempty"`     // its rack error code
}

// Install describes a rack to install.
type Install struct {
	Name     string            `json:"name"`               // the rack's (and its stack's) name
	Template string            `json:"template"`           // the rack template file
	CodeDir  string            `json:"codeDir"`            // the directory of the functions' zips
	Arch     string            `json:"arch"`               // arm64 or x86_64, matching the zips
	Password string            `json:"password,omitempty"` // the API password; generated when empty
	Version  string            `json:"version"`            // the rack version
	Params   map[string]string `json:"params,omitempty"`   // more stack parameters, by name
}

// ReadRequest reads one Request and checks it: a known operation, and the
// rack it names.
func ReadRequest(r io.Reader) (Request, error) {
	var req Request
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Request{}, rack.Errorf(rack.EINVALID, "read request: %v", err)
	}
	name := req.Name
	switch req.Op {
	case OpInstall:
		name = req.Install.Name
	case OpDoomed, OpUninstall:
	default:
		return Request{}, rack.Errorf(rack.EINVALID, "unknown request %q", req.Op)
	}
	if err := rack.ValidateRackName(name); err != nil {
		return Request{}, err
	}
	return req, nil
}
