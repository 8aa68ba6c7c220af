package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/reporttext"
)

// runLicence shows a licence and its history, or moves it to one of its ends.
func runLicence(e *env, args []string) error {
	const usage = "usage: eseal licence show ID [--json] | revoke|withdraw|cancel ID --reason R --basis B [--by NAME] | change ID --to NEWID --reason R --basis B [--by NAME]"
	if len(args) == 0 {
		return usagef("%s", usage)
	}
	sub := args[0]
	fs := newFlags(e, "licence "+sub)
	data := dataFlag(e, fs)
	switch sub {
	case "show":
		asJSON := fs.Bool("json", false, "print the licence as JSON")
		rest, err := parseInterspersed(fs, args[1:])
		if err != nil {
			return err
		}
		if len(rest) != 1 {
			return usagef("%s", usage)
		}
		s, err := openInitializedStore(e, *data)
		if err != nil {
			return err
		}
		defer e.release(s)
		lic, err := s.Licence(rest[0])
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(lic)
		}
		e.say("许可证：    %s", "Licence:   %s", lic.ID)
		e.say("状态：      %s", "State:     %s", licenceWord(e, lic.State))
		if lic.Holder != "" {
			e.say("持证人：    %s", "Holder:    %s", lic.Holder)
		}
		if lic.Type != "" {
			e.say("类型：      %s", "Type:      %s", lic.Type)
		}
		if lic.Replacement != "" {
			e.say("替代许可证：%s", "Replaced:  by %s", lic.Replacement)
		}
		e.say("签章：      %d 次", "Signed:    %d signature(s)", len(lic.Issuances))
		for _, h := range lic.History {
			fmt.Fprintf(e.stdout, "  %s  %s", h.At.In(chinaTime).Format(time.DateTime), licenceWord(e, h.State))
			if h.Reason != "" {
				fmt.Fprintf(e.stdout, ": %s", h.Reason)
			}
			if h.Basis != "" {
				fmt.Fprintf(e.stdout, e.tr("（依据：%s）", " (basis: %s)"), h.Basis)
			}
			if h.By != "" {
				fmt.Fprintf(e.stdout, e.tr("，经办：%s", " by %s"), h.By)
			}
			fmt.Fprintln(e.stdout)
		}
		return nil
	case "revoke", "withdraw", "cancel", "change":
		reason := fs.String("reason", "", "why (required)")
		basis := fs.String("basis", "", "the legal basis, e.g. 《中华人民共和国行政许可法》第六十九条 (required)")
		by := fs.String("by", "", "who decided (default: the user running eseal)")
		to := fs.String("to", "", "change: the licence that replaces it (required)")
		rest, err := parseInterspersed(fs, args[1:])
		if err != nil {
			return err
		}
		if len(rest) != 1 || *reason == "" || *basis == "" || (sub == "change") != (*to != "") {
			return usagef("%s", usage)
		}
		who := *by
		if who == "" {
			who = e.getenv("USER")
		}
		state := map[string]string{"revoke": certstore.LicenceRevoked, "withdraw": certstore.LicenceWithdrawn,
			"cancel": certstore.LicenceCancelled, "change": certstore.LicenceChanged}[sub]
		s, err := openInitializedStore(e, *data)
		if err != nil {
			return err
		}
		defer e.release(s)
		lic, err := s.ChangeLicenceState(certstore.LicenceAction{ID: rest[0], State: state, Reason: *reason, Basis: *basis, By: who, Replacement: *to})
		if err != nil {
			return err
		}
		e.say("许可证 %s 现为：%s", "Licence %s is now %s", lic.ID, licenceWord(e, lic.State))
		return nil
	}
	return usagef("unknown subcommand %q: %s", sub, usage)
}

// licenceWords name the states as the regulation does.
var licenceWords = map[string]string{
	certstore.LicenceInForce:   "in force (有效)",
	certstore.LicenceChanged:   "changed (变更)",
	certstore.LicenceWithdrawn: "withdrawn (撤回)",
	certstore.LicenceRevoked:   "revoked (撤销)",
	certstore.LicenceCancelled: "cancelled (注销)",
}

// licenceWord names a licence state in the output's language.
func licenceWord(e *env, state string) string {
	if e.zh() {
		return reporttext.LicenceStateZh(state)
	}
	if w, ok := licenceWords[state]; ok {
		return w
	}
	return state
}
