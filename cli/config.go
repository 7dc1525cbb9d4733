package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

// Settings live where Convox keeps its own, in ~/.convox (CONVOX_CONFIG
// names another directory), in the same files:
//
//	auth          {"host": "password", ...}, mode 0600
//	host          the current rack's host
//	self-managed  {"rack name": "host", ...}: the racks logged in to or installed
//	racks         {"host": "rack name", ...}: the name of the rack at a host
//
// and, in the working directory, .convox/app and .convox/rack name the app
// and the rack of the project there.
type settings struct {
	dir string
}

func (c *cli) settings() (settings, error) {
	if d := c.getenv("CONVOX_CONFIG"); d != "" {
		return settings{dir: d}, nil
	}
	home, err := c.home()
	if err != nil {
		return settings{}, fmt.Errorf("find home directory: %w", err)
	}
	return settings{dir: filepath.Join(home, ".convox")}, nil
}

// read reads a settings file, trimmed; a missing one is "".
func (s settings) read(name string) (string, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read settings: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// readMap reads a settings file of names and values; a missing one is empty.
func (s settings) readMap(name string) (map[string]string, error) {
	m := map[string]string{}
	data, err := s.read(name)
	if err != nil || data == "" {
		return m, err
	}
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return nil, fmt.Errorf("read settings %s: %w", filepath.Join(s.dir, name), err)
	}
	return m, nil
}

// write replaces a settings file atomically, readable by its owner only.
func (s settings) write(name string, data []byte) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, "."+name+"-*")
	if err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(s.dir, name))
	}
	if err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return nil
}

// writeMap writes a settings file of names and values as Convox does.
func (s settings) writeMap(name string, m map[string]string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return s.write(name, data)
}

// setKey sets (or, with value "", removes) one key of a settings map.
func (s settings) setKey(name, key, value string) error {
	m, err := s.readMap(name)
	if err != nil {
		return err
	}
	if value == "" {
		delete(m, key)
	} else {
		m[key] = value
	}
	return s.writeMap(name, m)
}

// localSetting reads .convox/<name> in the working directory.
func localSetting(name string) string {
	data, err := os.ReadFile(filepath.Join(".convox", name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// target is a rack to talk to.
type target struct {
	host, password string
}

// rackName is the rack a command names: -r, else CONVOX_RACK, else
// .convox/rack; "" when none is named.
func (c *cli) rackName() string {
	for _, name := range []string{c.rack, c.getenv("CONVOX_RACK"), localSetting("rack")} {
		if name != "" {
			return name
		}
	}
	return ""
}

// target says which rack a command talks to, and with which password.
// RACK_URL (https://convox:PASSWORD@host) overrides everything; then the
// rack named by -r, CONVOX_RACK or .convox/rack; then CONVOX_HOST; then the
// current rack. The password is CONVOX_PASSWORD, else the one saved at
// login.
func (c *cli) target() (target, error) {
	if raw := c.getenv("RACK_URL"); raw != "" {
		return rackURL(raw)
	}
	s, err := c.settings()
	if err != nil {
		return target{}, err
	}
	var host string
	if name := c.rackName(); name != "" {
		if host, err = s.match(name); err != nil {
			return target{}, err
		}
	}
	if host == "" {
		host = c.getenv("CONVOX_HOST")
	}
	if host == "" {
		if host, err = s.read("host"); err != nil {
			return target{}, err
		}
	}
	if host == "" {
		return target{}, errNoRack
	}
	password := c.getenv("CONVOX_PASSWORD")
	if password == "" {
		auth, err := s.readMap("auth")
		if err != nil {
			return target{}, err
		}
		password = auth[host]
	}
	return target{host: host, password: password}, nil
}

// errNoRack is Convox's answer when no rack is selected.
var errNoRack = errors.New("no racks found, try `convox login`")

// rackURL reads RACK_URL.
func rackURL(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return target{}, fmt.Errorf("RACK_URL: %q is not https://convox:PASSWORD@host", raw)
	}
	password, _ := u.User.Password()
	u.User = nil
	host := u.Host
	if u.Scheme != "https" || strings.Trim(u.Path, "/") != "" {
		// A rack behind a path (as on an emulator) keeps its scheme and path.
		host = strings.TrimSuffix(u.String(), "/")
	}
	return target{host: host, password: password}, nil
}

// match finds the host of a rack by name: a rack logged in to or installed
// by that name, a host logged in to, or the one rack whose name contains
// it, as Convox matches.
func (s settings) match(name string) (string, error) {
	racks, err := s.readMap("self-managed")
	if err != nil {
		return "", err
	}
	if host, ok := racks[name]; ok {
		return host, nil
	}
	auth, err := s.readMap("auth")
	if err != nil {
		return "", err
	}
	if _, ok := auth[name]; ok {
		return name, nil
	}
	var found []string
	for _, n := range slices.Sorted(maps.Keys(racks)) {
		if strings.Contains(n, name) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("could not find rack: %s", name)
	case 1:
		return racks[found[0]], nil
	}
	return "", fmt.Errorf("ambiguous rack name: %s", name)
}

// client returns an API client of the target rack.
func (c *cli) client() (*sdk.Client, error) {
	t, err := c.target()
	if err != nil {
		return nil, err
	}
	return c.clientFor(t.host, t.password)
}

func (c *cli) clientFor(host, password string) (*sdk.Client, error) {
	return sdk.New(host, password, sdk.WithHTTPClient(c.http), sdk.WithVersion(version))
}

// App is the app a command acts on: its first argument when it takes one,
// else -a, else .convox/app, else the working directory's name.
func (r *call) App() string {
	wd, _ := os.Getwd()
	for _, name := range []string{r.String("app"), localSetting("app"), filepath.Base(wd)} {
		if name != "" {
			return name
		}
	}
	return ""
}

// Rack is the API client of the rack a command acts on, made on first use
// (finding the rack reads the settings).
func (r *call) Rack() (*sdk.Client, error) {
	if r.rackClient == nil {
		client, err := r.client()
		if err != nil {
			return nil, err
		}
		r.rackClient = client
	}
	return r.rackClient, nil
}

// ctx is the context of one command.
func (c *cli) ctx() context.Context { return context.Background() }

// explain turns an unauthorized answer into advice; run applies it to every
// error a command returns.
func explain(err error) error {
	if rack.IsCode(err, rack.EUNAUTHORIZED) {
		return fmt.Errorf("%w (run `convox login` again)", err)
	}
	return err
}
