package verify

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// displayZone is the zone times are shown in to a clerk: China Standard Time.
var displayZone = time.FixedZone("CST", 8*3600)

var verdictWords = map[Indication]string{
	TotalPassed:      "VALID",
	TotalFailed:      "INVALID",
	Indeterminate:    "CANNOT BE DECIDED",
	NoSignatureFound: "NOT SIGNED",
}

var statusMarks = map[CheckStatus]string{
	CheckPassed: "[ok]  ", CheckFailed: "[FAIL]", CheckIndeterminate: "[??]  ", CheckWarning: "[warn]", CheckSkipped: "[--]  ",
}

// TextOptions configures WriteTextWith.
type TextOptions struct {
	// Verbose prints the detail of every check; by default only checks that did not pass are
	// explained, so that one signature fits on one screen.
	Verbose bool
	// Width is the line width details are wrapped to; zero means 100.
	Width int
}

// WriteText writes the report for a person: what was signed, by which seal, when, and the verdict
// with its reasons, in one screen per signature.
func WriteText(w io.Writer, r *Report) { WriteTextWith(w, r, TextOptions{}) }

// WriteTextWith writes the report for a person with the given options.
func WriteTextWith(w io.Writer, r *Report, opts TextOptions) {
	if opts.Width <= 0 {
		opts.Width = 100
	}
	name := r.Document.Name
	if name == "" {
		name = "(document)"
	}
	fmt.Fprintf(w, "Document:  %s (%s, %d bytes, %d revision(s))\n", name, r.Document.Format, r.Document.Size, r.Document.Revisions)
	fmt.Fprintf(w, "Verdict:   %s [%s]", verdictWords[r.Indication], r.Indication)
	switch n := len(r.Signatures); {
	case n == 0:
		fmt.Fprintf(w, ": the document carries no signature\n")
	default:
		passed := 0
		for _, s := range r.Signatures {
			if s.Indication == TotalPassed {
				passed++
			}
		}
		fmt.Fprintf(w, ": %d of %d signature(s) valid\n", passed, n)
	}
	fmt.Fprintf(w, "Checked:   %s\n", r.ValidationTime.In(displayZone).Format("2006-01-02 15:04:05 MST"))
	for _, f := range r.Findings {
		writeWrapped(w, "Note:      ", f, opts.Width)
	}
	for i, s := range r.Signatures {
		fmt.Fprintf(w, "\nSignature %d of %d", i+1, len(r.Signatures))
		if s.FieldName != "" {
			fmt.Fprintf(w, " (field %q)", s.FieldName)
		}
		fmt.Fprintf(w, ": %s [%s", verdictWords[s.Indication], s.Indication)
		if s.SubIndication != "" {
			fmt.Fprintf(w, " / %s", s.SubIndication)
		}
		fmt.Fprintln(w, "]")
		if s.Summary != "" {
			writeWrapped(w, "  Why:       ", s.Summary, opts.Width)
		}
		if s.Seal != nil {
			fmt.Fprintf(w, "  Seal:      %s", orUnknown(s.Seal.Name))
			if s.Seal.ESID != "" {
				fmt.Fprintf(w, " (esID %s)", s.Seal.ESID)
			}
			if !s.Seal.ValidStart.IsZero() || !s.Seal.ValidEnd.IsZero() {
				fmt.Fprintf(w, ", valid %s to %s", s.Seal.ValidStart.In(displayZone).Format("2006-01-02"), s.Seal.ValidEnd.In(displayZone).Format("2006-01-02"))
			}
			fmt.Fprintln(w)
		}
		if s.Signer != nil {
			fmt.Fprintf(w, "  Signer:    %s (serial %s)\n", s.Signer.Subject, s.Signer.Serial)
			fmt.Fprintf(w, "  Issuer:    %s\n", s.Signer.Issuer)
		}
		if len(s.Chain) > 0 {
			names := make([]string, len(s.Chain))
			for i, p := range s.Chain {
				names[i] = p.Subject
			}
			writeWrapped(w, "  Trusted:   ", strings.Join(names, " → ")+" (trust anchor)", opts.Width)
		}
		if s.SigningTime != nil {
			src := s.SigningTimeSource
			if src == "" {
				src = "claimed by the signer"
			}
			fmt.Fprintf(w, "  Signed at: %s (%s)\n", s.SigningTime.In(displayZone).Format("2006-01-02 15:04:05 MST"), src)
		}
		if s.Reason != "" {
			fmt.Fprintf(w, "  Reason:    %s\n", s.Reason)
		}
		fmt.Fprintf(w, "  Covers:    %s\n", coverageWords(s.Coverage))
		fmt.Fprintf(w, "  Format:    %s\n", s.Format)
		for _, c := range s.LaterChanges {
			allowed := "allowed"
			if !c.Allowed {
				allowed = "NOT allowed"
			}
			writeWrapped(w, "  Changed:   ", fmt.Sprintf("revision %d: %s (%s) %s", c.Revision, c.Kind, allowed, c.Detail), opts.Width)
		}
		writeChecks(w, s.Checks, opts)
	}
}

// writeChecks lists the checks: in the compact form, the names of those that passed on one line,
// then each other check with its explanation.
func writeChecks(w io.Writer, checks []Check, opts TextOptions) {
	if opts.Verbose {
		fmt.Fprintln(w, "  Checks:")
		for _, c := range checks {
			writeWrapped(w, fmt.Sprintf("    %s %-21s ", statusMarks[c.Status], c.Name), c.Detail, opts.Width)
		}
		return
	}
	var passed, skipped []string
	var others []Check
	for _, c := range checks {
		switch c.Status {
		case CheckPassed:
			passed = append(passed, string(c.Name))
		case CheckSkipped:
			skipped = append(skipped, string(c.Name))
		default:
			others = append(others, c)
		}
	}
	if len(passed) > 0 {
		writeWrapped(w, "  Passed:    ", strings.Join(passed, ", "), opts.Width)
	}
	for _, c := range others {
		writeWrapped(w, fmt.Sprintf("  %s %s: ", statusMarks[c.Status], c.Name), c.Detail, opts.Width)
	}
	if len(skipped) > 0 {
		writeWrapped(w, "  Not run:   ", strings.Join(skipped, ", ")+" (see --verbose)", opts.Width)
	}
}

// writeWrapped writes prefix and text, wrapping text at width and indenting continuation lines
// under its start (so a long detail stays readable in a terminal).
func writeWrapped(w io.Writer, prefix, text string, width int) {
	indent := strings.Repeat(" ", min(displayWidth(prefix), 14))
	line, lineWidth := prefix, displayWidth(prefix)
	for i, word := range strings.Fields(text) {
		ww := displayWidth(word)
		if i > 0 && lineWidth+1+ww > width {
			fmt.Fprintln(w, line)
			line, lineWidth = indent+word, len(indent)+ww
			continue
		}
		if i > 0 {
			line += " "
			lineWidth++
		}
		line += word
		lineWidth += ww
	}
	fmt.Fprintln(w, line)
}

// displayWidth counts terminal columns: CJK characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
			r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func coverageWords(c string) string {
	switch c {
	case "entire_file":
		return "the entire file"
	case "entire_revision":
		return "the entire revision it signed; the file was updated after signing"
	case "unclear":
		return "UNCLEAR: the signed ranges do not end at a revision boundary"
	case "invalid":
		return "INVALID byte range"
	default:
		return orUnknown(c)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
