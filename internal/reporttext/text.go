package reporttext

import (
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/eseal/eseal/verify"
)

var verdictWords = map[verify.Indication]string{
	verify.TotalPassed:      "VALID",
	verify.TotalFailed:      "INVALID",
	verify.Indeterminate:    "CANNOT BE DECIDED",
	verify.NoSignatureFound: "NOT SIGNED",
}

var statusMarks = map[verify.CheckStatus]string{
	verify.CheckPassed: "[ok]  ", verify.CheckFailed: "[FAIL]", verify.CheckIndeterminate: "[??]  ", verify.CheckWarning: "[warn]", verify.CheckSkipped: "[--]  ",
}

// Options configures Write.
type Options struct {
	// Verbose prints the detail of every check; by default only checks that did not pass are
	// explained, so that one signature fits on one screen.
	Verbose bool
	// Width is the line width details are wrapped to, in terminal columns (a CJK character
	// takes two); zero means 100.
	Width int
	// Zone is the zone every time is shown in; nil means Zone (CST). The report's check details
	// should have been written in the same zone (verify.Options.TimeZone).
	Zone *time.Location
	// Lang is the language: Zh writes Chinese (with each check's technical detail in English);
	// empty or En, English.
	Lang Lang
}

// Write writes the report for a person: what was signed, by which seal, when, and the verdict
// with its reasons, in one screen per signature.
func Write(w io.Writer, r *verify.Report, opts Options) {
	if opts.Width <= 0 {
		opts.Width = 100
	}
	if opts.Lang == Zh {
		writeZh(w, r, opts)
		return
	}
	zone := opts.Zone
	if zone == nil {
		zone = Zone
	}
	clock := func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04:05 MST") }
	name := r.Document.Name
	if name == "" {
		name = "(document)"
	}
	sealAlone := len(r.Signatures) == 1 && r.Signatures[0].Type == verify.TypeSeal
	if r.Document.Format == "PDF" {
		fmt.Fprintf(w, "Document:  %s (%s, %d bytes, %d revision(s))\n", name, r.Document.Format, r.Document.Size, r.Document.Revisions)
	} else {
		fmt.Fprintf(w, "Document:  %s (%s, %d bytes)\n", name, r.Document.Format, r.Document.Size)
	}
	fmt.Fprintf(w, "Verdict:   %s [%s]", verdictWords[r.Indication], r.Indication)
	switch n := len(r.Signatures); {
	case sealAlone:
		fmt.Fprintln(w, ": the seal on its own")
	case n == 0:
		fmt.Fprintf(w, ": the document carries no signature\n")
	default:
		passed := 0
		for _, s := range r.Signatures {
			if s.Indication == verify.TotalPassed {
				passed++
			}
		}
		fmt.Fprintf(w, ": %d of %d signature(s) valid\n", passed, n)
	}
	fmt.Fprintf(w, "Checked:   %s\n", clock(r.ValidationTime))
	for _, f := range r.Findings {
		writeWrapped(w, "Note:      ", f, opts.Width)
	}
	for i, s := range r.Signatures {
		if sealAlone {
			fmt.Fprint(w, "\nSeal")
		} else {
			fmt.Fprintf(w, "\nSignature %d of %d", i+1, len(r.Signatures))
		}
		switch {
		case s.FieldName != "" && r.Document.Format == "OFD":
			fmt.Fprintf(w, " (ID %q)", s.FieldName)
		case s.FieldName != "":
			fmt.Fprintf(w, " (field %q)", s.FieldName)
		}
		fmt.Fprintf(w, ": %s [%s", verdictWords[s.Indication], s.Indication)
		if s.SubIndication != "" {
			fmt.Fprintf(w, " / %s", s.SubIndication)
		}
		fmt.Fprintln(w, "]")
		writeWrapped(w, "  Why:       ", Summary(&s, zone), opts.Width)
		if s.Seal != nil {
			fmt.Fprintf(w, "  Seal:      %s", orUnknown(s.Seal.Name))
			if s.Seal.ESID != "" {
				fmt.Fprintf(w, " (esID %s)", s.Seal.ESID)
			}
			if !s.Seal.ValidStart.IsZero() || !s.Seal.ValidEnd.IsZero() {
				fmt.Fprintf(w, ", valid %s to %s", s.Seal.ValidStart.In(zone).Format("2006-01-02"), s.Seal.ValidEnd.In(zone).Format("2006-01-02"))
			}
			if p := s.Seal.Picture; p != nil {
				fmt.Fprintf(w, ", picture %s %d×%d mm", p.Type, p.WidthMM, p.HeightMM)
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
			fmt.Fprintf(w, "  Signed at: %s (%s)\n", clock(*s.SigningTime), src)
		}
		if s.Reason != "" {
			fmt.Fprintf(w, "  Reason:    %s\n", s.Reason)
		}
		switch {
		case r.Document.Format == "OFD":
			fmt.Fprintf(w, "  Covers:    %s\n", ofdCoverageWords(s.Coverage))
		case s.Type != verify.TypeSeal:
			fmt.Fprintf(w, "  Covers:    %s\n", coverageWords(s.Coverage))
		}
		for _, st := range s.Stamps {
			fmt.Fprintf(w, "  Stamp:     page %s at x %.1f mm, y %.1f mm, %.1f × %.1f mm\n", st.PageRef, st.X, st.Y, st.Width, st.Height)
		}
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
func writeChecks(w io.Writer, checks []verify.Check, opts Options) {
	if opts.Verbose {
		fmt.Fprintln(w, "  Checks:")
		for _, c := range checks {
			writeWrapped(w, fmt.Sprintf("    %s %-21s ", statusMarks[c.Status], c.Name), c.Detail, opts.Width)
		}
		return
	}
	var passed, skipped []string
	var others []verify.Check
	for _, c := range checks {
		switch c.Status {
		case verify.CheckPassed:
			passed = append(passed, string(c.Name))
		case verify.CheckSkipped:
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

// displayWidth counts terminal columns: East Asian wide and fullwidth characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
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

func ofdCoverageWords(c string) string {
	switch c {
	case "entire_file":
		return "every file of the document, each unchanged"
	case "partial":
		return "the files it lists, each unchanged; others in the package are not protected (see later changes)"
	default:
		return "UNCLEAR: the files it protects are not all intact"
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// JSON is the report as `eseal verify --json` and the HTTP API give it: the report's data,
// and each signature's summary (in zone).
func JSON(r *verify.Report, zone *time.Location) any {
	return JSONLang(r, zone, "")
}

// JSONLang is JSON with, when lang is set, the words for a person in that language: per
// signature its verdict, summary, issuer (签发机关), what to do next, and an explanation of
// each check (in the order of checks); the report itself is unchanged.
func JSONLang(r *verify.Report, zone *time.Location, lang Lang) any {
	v := jsonReport{Report: r, Signatures: make([]jsonSignature, len(r.Signatures)), Lang: lang}
	for i := range r.Signatures {
		s := &r.Signatures[i]
		js := jsonSignature{SignatureReport: *s, Summary: Summary(s, zone)}
		if lang != "" {
			js.Issuer = Issuer(s)
			js.Explanations = make([]string, len(s.Checks))
			switch lang {
			case Zh:
				js.VerdictText, js.SummaryText, js.NextStep = IndicationZh[s.Indication], SummaryZh(s), NextStepZh[s.SubIndication]
				for j, c := range s.Checks {
					js.Explanations[j] = CheckExplanationZh(c)
				}
			default:
				js.VerdictText, js.SummaryText, js.NextStep = verdictWords[s.Indication], js.Summary, NextStepEn[s.SubIndication]
				for j, c := range s.Checks {
					js.Explanations[j] = c.Detail
				}
			}
		}
		v.Signatures[i] = js
	}
	return v
}

type jsonReport struct {
	*verify.Report
	Signatures []jsonSignature `json:"signatures"` // in place of the report's own
	Lang       Lang            `json:"lang,omitempty"`
}

type jsonSignature struct {
	verify.SignatureReport
	// Summary says the verdict and its main reason in one sentence for a clerk.
	Summary string `json:"summary"`
	// With a language (JSONLang): the same for a person in it.
	VerdictText  string   `json:"verdictText,omitempty"`
	SummaryText  string   `json:"summaryText,omitempty"`
	Issuer       string   `json:"issuer,omitempty"`
	NextStep     string   `json:"nextStep,omitempty"`
	Explanations []string `json:"explanations,omitempty"`
}
