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

// WriteText writes the report for a person: what was signed, by which seal, when, and the verdict
// with its reasons, in one screen per signature.
func WriteText(w io.Writer, r *Report) {
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
		fmt.Fprintf(w, "Note:      %s\n", f)
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
			fmt.Fprintf(w, "  Why:       %s\n", s.Summary)
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
			fmt.Fprintf(w, "  Trusted:   %s (trust anchor)\n", strings.Join(names, " → "))
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
			fmt.Fprintf(w, "  Changed:   revision %d: %s (%s) %s\n", c.Revision, c.Kind, allowed, c.Detail)
		}
		fmt.Fprintln(w, "  Checks:")
		for _, c := range s.Checks {
			fmt.Fprintf(w, "    %s %-22s %s\n", statusMarks[c.Status], c.Name, oneLine(c.Detail))
		}
	}
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

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
