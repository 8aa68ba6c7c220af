package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eseal/eseal/certstore"
)

// runToken manages the HTTP API's tokens.
func runToken(e *env, args []string) error {
	usage := "usage: eseal token create --role " + strings.Join(certstore.Roles, "|") + " [--name NAME] | eseal token list [--json] | eseal token revoke ID"
	if len(args) == 0 {
		return usagef("%s", usage)
	}
	sub := args[0]
	fs := newFlags(e, "token "+sub)
	data := dataFlag(e, fs)
	var role, name *string
	var asJSON *bool
	switch sub {
	case "create":
		role = fs.String("role", "", "what the token may do: admin (everything), issuer (sign, seals), revoker (revocations, licence lifecycle), auditor (read the audit log)")
		name = fs.String("name", "", "who or what holds it, recorded in the audit log (default: the role)")
	case "list":
		asJSON = fs.Bool("json", false, "print the tokens as JSON")
	case "revoke":
	default:
		return usagef("%s", usage)
	}
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if sub == "revoke" && len(rest) != 1 || sub != "revoke" && len(rest) != 0 {
		return usagef("%s", usage)
	}
	if sub == "create" && *role == "" {
		return usagef("token create needs --role (%s)", strings.Join(certstore.Roles, ", "))
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	switch sub {
	case "create":
		if *name == "" {
			*name = *role
		}
		tok, plain, err := s.CreateToken(*name, *role)
		if err != nil {
			return err
		}
		e.say("已创建令牌 %s（%s，角色 %s）。令牌只显示这一次，服务只保存其哈希值。", "Token %s (%s, role %s) created. It is shown only this once; the service keeps only its hash.", tok.ID, tok.Name, tok.Role)
		e.say("请求时以 `Authorization: Bearer 令牌` 发送：", "Send it as `Authorization: Bearer TOKEN`:")
		fmt.Fprintln(e.stdout, plain) // the last line, for scripts: TOKEN=$(eseal token create ... | tail -1)
		return nil
	case "revoke":
		tok, err := s.RevokeToken(rest[0])
		if errors.Is(err, certstore.ErrNotFound) {
			return usagef("no token %s (see `eseal token list`)", rest[0])
		} else if err != nil {
			return err
		}
		e.say("已吊销令牌 %s（%s，角色 %s）：此后将被拒绝。", "Token %s (%s, role %s) revoked: it is refused from now on.", tok.ID, tok.Name, tok.Role)
		return nil
	}
	list, err := s.Tokens()
	if err != nil {
		return err
	}
	if *asJSON {
		if list == nil {
			list = []certstore.Token{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		e.say("没有 API 令牌：用 `eseal token create --role 角色` 创建。", "No API tokens: make one with `eseal token create --role ROLE`.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, e.tr("编号\t名称\t角色\t创建时间（北京时间）\t状态", "ID\tNAME\tROLE\tCREATED (CST)\tSTATE"))
	for _, t := range list {
		state := "active"
		if !t.RevokedAt.IsZero() {
			state = "revoked " + t.RevokedAt.In(chinaTime).Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.In(chinaTime).Format(time.DateTime), state)
	}
	return tw.Flush()
}
