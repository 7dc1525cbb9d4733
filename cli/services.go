package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rackhq/rack/pkg/sdk"
)

// scaleFlags are Convox's flags of `convox scale`.
var scaleFlags = []flagSpec{flagApp, flagWait, func(f *pflag.FlagSet) {
	f.Int("count", 0, "count")
	f.Int("cpu", 0, "cpu")
	f.Int("memory", 0, "memory")
}}

func (c *cli) services(root *cobra.Command) {
	c.command(root, "services", "list services for an app", spec{args: exactly(0), flags: []flagSpec{flagApp, flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		ss, err := client.ServiceList(r.ctx(), r.App())
		if err != nil {
			return err
		}
		return r.Show(ss, func() error {
			t := r.Table("SERVICE", "DOMAIN", "PORTS")
			for _, s := range ss {
				ports := make([]string, 0, len(s.Ports))
				for _, p := range s.Ports {
					port := strconv.Itoa(p.Balancer)
					if p.Container != 0 {
						port = fmt.Sprintf("%d:%d", p.Balancer, p.Container)
					}
					ports = append(ports, port)
				}
				t.Row(s.Name, s.Domain, strings.Join(ports, " "))
			}
			return t.Print()
		})
	})

	c.command(root, "services restart", "restart a service", spec{usage: "<service>", args: exactly(1), flags: []flagSpec{flagApp}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		r.Startf("Restarting %s", r.Arg(0))
		if err := client.ServiceRestart(r.ctx(), r.App(), r.Arg(0)); err != nil {
			return err
		}
		return r.OK()
	})

	c.command(root, "restart", "restart an app", spec{args: exactly(0), flags: []flagSpec{flagApp}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		ss, err := client.ServiceList(r.ctx(), r.App())
		if err != nil {
			return err
		}
		for _, s := range ss {
			r.Startf("Restarting %s", s.Name)
			if err := client.ServiceRestart(r.ctx(), r.App(), s.Name); err != nil {
				return err
			}
			if err := r.OK(); err != nil {
				return err
			}
		}
		return nil
	})

	c.command(root, "scale", "scale a service", spec{usage: "<service>", args: anyArgs, flags: scaleFlags}, func(r *call) error {
		var opts sdk.ServiceUpdateOptions
		for name, v := range map[string]**int{"count": &opts.Count, "cpu": &opts.Cpu, "memory": &opts.Memory} {
			if r.cmd.Flags().Changed(name) {
				n := r.Int(name)
				*v = &n
			}
		}
		changing := opts.Count != nil || opts.Cpu != nil || opts.Memory != nil
		switch n := len(r.Args); {
		case changing && n < 1:
			return fmt.Errorf("service name required")
		case changing && n > 1:
			return exactly(1)(n)
		case !changing && n > 0:
			return exactly(0)(n)
		}
		client, err := r.Rack()
		if err != nil {
			return err
		}
		if !changing {
			return r.formation(client)
		}
		service := r.Arg(0)
		r.Startf("Scaling %s", service)
		release, err := client.ServiceUpdate(r.ctx(), r.App(), service, opts)
		if err != nil {
			return err
		}
		if !r.Bool("wait") {
			return r.OK()
		}
		r.Writef("\n")
		if release != "" {
			// A new size: its release's promotion.
			rel, err := r.followPromotion(client, r.App(), release, 0)
			if err != nil {
				return err
			}
			if rel.Status != "active" {
				return promotionFailed(rel)
			}
			return r.OK()
		}
		if err := r.followCount(client, r.App(), service, *opts.Count); err != nil {
			return err
		}
		return r.OK()
	})
}

// formation prints the app's services as Convox's `convox scale` does:
// desired and running tasks, cpu and memory.
func (r *call) formation(client *sdk.Client) error {
	ss, err := client.ServiceList(r.ctx(), r.App())
	if err != nil {
		return err
	}
	ds, err := client.AppDeployments(r.ctx(), r.App())
	if err != nil {
		return err
	}
	running := map[string]int{}
	for _, d := range ds {
		running[d.Service] += d.Running
	}
	return r.Show(ss, func() error {
		t := r.Table("SERVICE", "DESIRED", "RUNNING", "CPU", "MEMORY")
		for _, s := range ss {
			t.Row(s.Name, strconv.Itoa(s.Count), strconv.Itoa(running[s.Name]), strconv.Itoa(s.Cpu), strconv.Itoa(s.Memory))
		}
		return t.Print()
	})
}

// followCount waits until service runs count tasks, printing each change
// of its deployment as a wait on a promotion does.
func (r *call) followCount(client *sdk.Client, app, service string, count int) error {
	deadline := r.now().Add(waitTimeout)
	last := ""
	for {
		ds, err := client.AppDeployments(r.ctx(), app)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.Service != service {
				continue
			}
			if line := deploymentLine(d); line != last {
				r.Writef("%s\n", line)
				last = line
			}
			if d.Desired == count && d.Running == count && d.State != "IN_PROGRESS" {
				return nil
			}
			if d.State == "FAILED" {
				return fmt.Errorf("service %s: its deployment failed: %s", service, d.Reason)
			}
		}
		if r.now().After(deadline) {
			return fmt.Errorf("service %s: not at %d tasks after %s", service, count, waitTimeout)
		}
		r.sleep(pollInterval)
	}
}
