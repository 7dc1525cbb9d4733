package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
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

// ago says how long before now t was, in Convox's words ("now", "1 minute
// ago", "3 days ago"); "" for no time.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return humanize.RelTime(t, now, "ago", "from now")
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
