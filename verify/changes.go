package verify

import (
	"fmt"
	"strings"

	"github.com/eseal/eseal/internal/pdf"
)

// checkLaterChanges judges the revisions written after the signed one.
//
// A certification signature's DocMDP P decides (1: nothing; 2: form filling and signatures;
// 3: also annotations); validation data (/DSS), document timestamps and metadata are allowed at
// every level (ISO 32000-2 12.8.2.2.2, PAdES). An earlier certification signature's P binds
// every later signature too.
//
// An approval signature without DocMDP restricts nothing by itself, but what a reader shows must
// still be what was signed. Like pyHanko, eseal accepts later signatures, timestamps, validation
// data, form filling and annotations (the signed revision is unaltered and these are the changes
// PDF signing workflows make), and rejects anything else (page content, resources, the page
// tree, new form fields, rewritten signatures, unreadable updates, bytes after the last %%EOF):
// the document shown would not be the document signed. Such a signature is TOTAL_FAILED with
// FORMAT_FAILURE, as EU DSS reports unauthorised modifications; the signed revision itself can
// still be extracted and is intact when the other checks pass.
func (v *verifier) checkLaterChanges(st *sigState) {
	switch st.br.Coverage {
	case pdf.CoverageInvalid, pdf.CoverageUnclear:
		st.add(checkChanges, CheckSkipped, "", "not checked: the signed bytes do not form a revision to compare with")
		return
	}
	changes, err := v.doc.ChangesAfter(st.sig)
	if err != nil {
		st.add(checkChanges, CheckFailed, FormatFailure, "the revisions after the signed one cannot be analysed (%v): an update that cannot be read may change anything", err)
		return
	}
	if len(changes) == 0 {
		st.add(checkChanges, CheckPassed, "", "nothing was added after signing: the file is exactly what was signed")
		return
	}
	mdp, mdpFrom := v.effectiveDocMDP(st)
	var allowed, refused []string
	for _, c := range changes {
		ok := permits(mdp, c.Kind)
		where := fmt.Sprintf("revision %d", c.Revision+1)
		if c.Revision < 0 {
			where = "after the last %EOF"
		}
		st.rep.LaterChanges = append(st.rep.LaterChanges, Change{Revision: c.Revision + 1, Kind: c.Kind.String(), Detail: c.Detail, Allowed: ok})
		text := fmt.Sprintf("%s: %s", where, c.Kind)
		if c.Detail != "" {
			text += " (" + c.Detail + ")"
		}
		if ok {
			allowed = append(allowed, text)
		} else {
			refused = append(refused, text)
		}
	}
	rule := "an approval signature without DocMDP allows later signatures, timestamps, validation data, form filling and annotations"
	if mdp != nil {
		rule = fmt.Sprintf("the DocMDP permissions P=%d of %s allow %s", mdp.P, mdpFrom, docMDPAllows(mdp.P))
	}
	if len(refused) > 0 {
		detail := fmt.Sprintf("changed after signing in a way that is not allowed (%s): %s", rule, strings.Join(refused, "; "))
		if mdp == nil {
			detail += "; the document a reader shows is not the document that was signed"
		}
		if len(allowed) > 0 {
			detail += "; allowed: " + strings.Join(allowed, "; ")
		}
		st.add(checkChanges, CheckFailed, FormatFailure, "%s", detail)
		return
	}
	st.add(checkChanges, CheckPassed, "", "%s after signing, all allowed (%s): %s", plural(len(changes), "later change"), rule, strings.Join(allowed, "; "))
}

// effectiveDocMDP is the strictest DocMDP among this signature (if it certifies) and the
// certification signatures written before it.
func (v *verifier) effectiveDocMDP(st *sigState) (*pdf.DocMDP, string) {
	var best *pdf.DocMDP
	var from string
	for i, s := range v.doc.Signatures {
		if s.DocMDP == nil || s.DocMDP.P < 1 {
			continue
		}
		if s != st.sig && s.Revision > st.sig.Revision {
			continue
		}
		if best == nil || s.DocMDP.P < best.P {
			best = s.DocMDP
			from = "this certification signature"
			if s != st.sig {
				from = fmt.Sprintf("the certification signature %d", i+1)
			}
		}
	}
	return best, from
}

func docMDPAllows(p int) string {
	switch p {
	case 1:
		return "no changes but validation data and document timestamps"
	case 2:
		return "form filling, signatures, validation data and document timestamps"
	}
	return "form filling, signatures, annotations, validation data and document timestamps"
}

// permits applies DocMDP, or the approval-signature rule when there is none.
func permits(mdp *pdf.DocMDP, k pdf.ChangeKind) bool {
	if mdp != nil {
		return mdp.Permits(k)
	}
	return k != pdf.ChangeOther
}
