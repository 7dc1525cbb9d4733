package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Output as Convox writes it: progress and data on stdout ("Creating
// myapp... OK"), errors on stderr ("ERROR: ..."), tables and info blocks
// laid out the same way, ages humanized the same way.

// Writef writes to the command's output.
func (r *call) Writef(format string, a ...any) {
	fmt.Fprintf(r.out, format, a...)
}

// Startf starts a progress line: "Creating myapp... ".
func (r *call) Startf(format string, a ...any) {
	fmt.Fprintf(r.out, format+"... ", a...)
}

// OK ends a progress line: "OK", or "OK, <id>".
func (r *call) OK(id ...string) error {
	if len(id) > 0 {
		r.Writef("OK, %s\n", strings.Join(id, " "))
		return nil
	}
	r.Writef("OK\n")
	return nil
}

// Show prints v as JSON under --json (Rack's addition on every read), and
// otherwise as human prints it.
func (r *call) Show(v any, human func() error) error {
	if r.Bool("json") {
		return writeJSON(r.out, v)
	}
	return human()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table is a table with upper-case headers: every column but the last is
// padded to its widest cell, and columns are two spaces apart.
type table struct {
	w    io.Writer
	rows [][]string
}

// Table starts a table with these headers.
func (r *call) Table(headers ...string) *table {
	return &table{w: r.out, rows: [][]string{headers}}
}

// Row adds a row.
func (t *table) Row(cells ...string) { t.rows = append(t.rows, cells) }

// Print writes the table.
func (t *table) Print() error {
	n := len(t.rows[0])
	widths := make([]int, n)
	for _, row := range t.rows {
		for i := 0; i < n-1 && i < len(row); i++ {
			widths[i] = max(widths[i], utf8.RuneCountInString(row[i]))
		}
	}
	var b strings.Builder
	for _, row := range t.rows {
		for i := range n {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(cell)
			if i < n-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// infoBlock is a list of name and value rows: names padded to the widest,
// two spaces, the value; a value's further lines are indented under it.
type infoBlock struct {
	w    io.Writer
	rows [][2]string
}

// Info starts an info block.
func (r *call) Info() *infoBlock { return &infoBlock{w: r.out} }

// Add adds a row.
func (i *infoBlock) Add(name, value string) { i.rows = append(i.rows, [2]string{name, value}) }

// Print writes the block.
func (i *infoBlock) Print() error {
	width := 0
	for _, row := range i.rows {
		width = max(width, utf8.RuneCountInString(row[0]))
	}
	indent := "\n" + strings.Repeat(" ", width+2)
	var b strings.Builder
	for _, row := range i.rows {
		b.WriteString(row[0])
		b.WriteString(strings.Repeat(" ", width-utf8.RuneCountInString(row[0])))
		b.WriteString("  ")
		b.WriteString(strings.ReplaceAll(row[1], "\n", indent))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(i.w, b.String())
	return err
}

// ago says how long before now t was, in the words of Convox's tables
// ("now", "1 minute ago", "3 days ago", "2 weeks ago", "1 year ago"); ""
// for no time. (Convox words it with a humanizing library; its start-up
// cost is a tenth of a millisecond on every run, which `convox version`
// cannot afford, so the same steps are here.)
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d, suffix := now.Sub(t), "ago"
	if d < 0 {
		d, suffix = -d, "from now"
	}
	const day, week, month, year = 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 12 * 30 * 24 * time.Hour
	for _, s := range []struct {
		below time.Duration // the first step d is under
		words string
		unit  time.Duration // 0: the words say how many
	}{
		{time.Second, "now", 0},
		{2 * time.Second, "1 second", 0},
		{time.Minute, "seconds", time.Second},
		{2 * time.Minute, "1 minute", 0},
		{time.Hour, "minutes", time.Minute},
		{2 * time.Hour, "1 hour", 0},
		{day, "hours", time.Hour},
		{2 * day, "1 day", 0},
		{week, "days", day},
		{2 * week, "1 week", 0},
		{month, "weeks", week},
		{2 * month, "1 month", 0},
		{year, "months", month},
		{18 * month, "1 year", 0},
		{2 * year, "2 years", 0},
		{37 * year, "years", year},
	} {
		if d >= s.below {
			continue
		}
		switch {
		case s.words == "now":
			return "now"
		case s.unit == 0:
			return s.words + " " + suffix
		}
		return fmt.Sprintf("%d %s %s", d/s.unit, s.words, suffix)
	}
	return "a long while " + suffix
}

// elapsed is how long from start to end took, as Convox shows it ("45s",
// "2m5s"); "" while it has not ended.
func elapsed(start, end time.Time) string {
	if end.IsZero() {
		return ""
	}
	total := int64(end.Sub(start).Seconds())
	if total < 60 {
		return fmt.Sprintf("%ds", total)
	}
	return fmt.Sprintf("%dm%ds", total/60, total%60)
}
