package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

// settings are kept in ~/.convox (CONVOX_CONFIG names another directory):
//
//	auth   {"host": "password", ...}, mode 0600
//	racks  {"name": "host", ...}, the rack names seen at login
//	host   the current host
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

// readJSON reads a settings file; a missing one is empty.
func (s settings) readJSON(name string) (map[string]string, error) {
	m := map[string]string{}
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
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
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write settings: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write settings: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return nil
}

func (s settings) writeJSON(name string, m map[string]string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return s.write(name, append(data, '\n'))
}

func (s settings) currentHost() (string, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, "host"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read settings: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// target says which rack a command talks to and with which password:
// CONVOX_HOST, else -r (a rack name or host from login), else the current
// host; CONVOX_PASSWORD, else the password saved at login.
func (c *cli) target() (host, password string, err error) {
	s, err := c.settings()
	if err != nil {
		return "", "", err
	}
	host = c.getenv("CONVOX_HOST")
	if host == "" && c.rack != "" {
		racks, err := s.readJSON("racks")
		if err != nil {
			return "", "", err
		}
		host = c.rack
		if h, ok := racks[c.rack]; ok {
			host = h
		}
	}
	if host == "" {
		if host, err = s.currentHost(); err != nil {
			return "", "", err
		}
	}
	if host == "" {
		return "", "", errNotLoggedIn
	}
	password = c.getenv("CONVOX_PASSWORD")
	if password == "" {
		auth, err := s.readJSON("auth")
		if err != nil {
			return "", "", err
		}
		password = auth[host]
	}
	return host, password, nil
}

// client returns an API client of the target rack.
func (c *cli) client() (*sdk.Client, error) {
	host, password, err := c.target()
	if err != nil {
		return nil, err
	}
	return c.clientFor(host, password)
}

func (c *cli) clientFor(host, password string) (*sdk.Client, error) {
	return sdk.New(host, password, sdk.WithHTTPClient(c.http), sdk.WithVersion(version))
}

// appName is -a/--app, or the current directory's name as Convox does.
func (c *cli) appName(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find app name: %w", err)
	}
	return filepath.Base(wd), nil
}

// ctx is the context of one command.
func (c *cli) ctx() context.Context { return context.Background() }

// explain turns an unauthorized answer into advice.
func explain(err error) error {
	if rack.IsCode(err, rack.EUNAUTHORIZED) {
		return fmt.Errorf("%w (run `convox login` again)", err)
	}
	return err
}
