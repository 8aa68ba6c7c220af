package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/internal/smcrypto"
)

// runEvents prints the event log and checks its chain and signatures against the region root.
func runEvents(e *env, args []string) error {
	fs := newFlags(e, "events")
	data := dataFlag(e, fs)
	after := fs.Uint64("after", 0, "print the events after this one")
	limit := fs.Int("limit", 0, "print at most this many (default: all)")
	asJSON := fs.Bool("json", false, "print the events as JSON, as GET /v1/events does")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *limit < 0 {
		return usagef("--limit must be 0 (all) or more")
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	region, err := s.Region()
	if err != nil {
		return err
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		return err
	}
	prevHash := ""
	if *after > 0 {
		prev, err := s.Events(*after-1, 1)
		if err != nil {
			return err
		}
		if len(prev) == 0 || prev[0].Seq != *after {
			return usagef("--after %d: there is no event %d", *after, *after)
		}
		prevHash = prev[0].Hash
	}
	var events []eventlog.Event
	for next := *after; *limit == 0 || len(events) < *limit; {
		page, err := s.Events(next, certstore.MaxEventsPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		events = append(events, page...)
		next = page[len(page)-1].Seq
	}
	if *limit > 0 && len(events) > *limit {
		events = events[:*limit]
	}
	chainErr := eventlog.VerifyChain(events, root, *after, prevHash)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if events == nil {
			events = []eventlog.Event{}
		}
		if err := enc.Encode(map[string]any{"events": events}); err != nil {
			return err
		}
	} else if len(events) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, e.tr("序号\t时间（北京时间）\t类型\t对象", "SEQ\tTIME (CST)\tTYPE\tSUBJECT"))
		for _, ev := range events {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ev.Seq, ev.Time.In(chinaTime).Format(time.DateTime), ev.Type, ev.Subject)
		}
		tw.Flush()
	}
	if chainErr != nil {
		return fmt.Errorf("the event log does not verify: %w", chainErr)
	}
	if !*asJSON {
		if len(events) == 0 {
			e.say("没有事件。", "No events.")
		} else {
			e.say("%d 个事件，已按链核验，由地区根证书 %s 签名。", "%d events, chained and signed by the region root %s.", len(events), root.Subject.CommonName)
		}
	}
	return nil
}

// runWebhook registers, lists and removes the competent departments' webhooks.
func runWebhook(e *env, args []string) error {
	const usage = "usage: eseal webhook add URL [--note TEXT] | eseal webhook list [--json] | eseal webhook remove ID"
	if len(args) == 0 {
		return usagef(usage)
	}
	sub := args[0]
	fs := newFlags(e, "webhook "+sub)
	data := dataFlag(e, fs)
	var note *string
	var asJSON *bool
	switch sub {
	case "add":
		note = fs.String("note", "", "who receives it, e.g. 市市场监管局")
	case "list":
		asJSON = fs.Bool("json", false, "print the webhooks as JSON")
	case "remove":
	default:
		return usagef(usage)
	}
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if sub == "list" && len(rest) != 0 || sub != "list" && len(rest) != 1 {
		return usagef(usage)
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	switch sub {
	case "add":
		wh, err := s.AddWebhook(rest[0], *note)
		if err != nil {
			return err
		}
		e.say("已添加推送地址 %s：%s 将收到第 %d 号起的每个事件（由 `eseal serve` 推送）。", "Webhook %s added: %s receives every event from number %d on (served by `eseal serve`).", wh.ID, wh.URL, wh.FromSeq)
		return nil
	case "remove":
		if err := s.RemoveWebhook(rest[0]); errors.Is(err, certstore.ErrNotFound) {
			return usagef("no webhook %s (see `eseal webhook list`)", rest[0])
		} else if err != nil {
			return err
		}
		e.say("已删除推送地址 %s，其未送达的事件不再推送。", "Webhook %s removed; its undelivered events are dropped.", rest[0])
		return nil
	}
	list, err := s.Webhooks()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []certstore.Webhook{}
		}
		return enc.Encode(list)
	}
	if len(list) == 0 {
		e.say("没有推送地址：用 `eseal webhook add URL` 添加。", "No webhooks: add one with `eseal webhook add URL`.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, e.tr("编号\t地址\t备注\t待推送\t最近错误", "ID\tURL\tNOTE\tPENDING\tLAST ERROR"))
	for _, wh := range list {
		lastErr := wh.LastError
		if lastErr == "" {
			lastErr = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", wh.ID, wh.URL, wh.Note, wh.Pending, lastErr)
	}
	return tw.Flush()
}
