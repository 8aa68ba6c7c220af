package main

import (
	"errors"
	"fmt"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/reporttext"
)

// language is the output's language: --lang, else the environment's.
func (e *env) language() reporttext.Lang {
	if e.lang != "" {
		return e.lang
	}
	return reporttext.LangFromEnv(e.getenv)
}

// zh tells whether the output is in Chinese.
func (e *env) zh() bool { return e.language() == reporttext.Zh }

// say writes a line of the command's result in the output's language: zh or en, formatted
// with the same arguments.
func (e *env) say(zh, en string, args ...any) {
	format := en
	if e.zh() {
		format = zh
	}
	fmt.Fprintf(e.stdout, format+"\n", args...)
}

// tr picks the Chinese or the English of a short text (a table header, a word).
func (e *env) tr(zh, en string) string {
	if e.zh() {
		return zh
	}
	return en
}

// errorLeadsZh say in Chinese what kind of failure a typed error is; the message that follows
// keeps its technical detail.
var errorLeadsZh = []struct {
	err  error
	lead string
}{
	{certstore.ErrNotInitialized, "数据目录中尚未建立地区（请先运行 eseal init）："},
	{certstore.ErrLocked, "数据目录正被另一个 eseal 进程使用："},
	{certstore.ErrWrongPassphrase, "密钥口令不正确："},
	{certstore.ErrNoPassphrase, "缺少密钥口令（请设置 ESEAL_KEY_PASSPHRASE）："},
	{certstore.ErrNotFound, "找不到："},
	{certstore.ErrAlreadyRevoked, "已吊销，不能这样更改："},
	{certstore.ErrSealRevoked, "印章或其证书已被吊销，不能再签章："},
	{certstore.ErrStaleBundle, "信任包不比已导入的新："},
	{certstore.ErrAuditBroken, "审计日志已被篡改："},
	{certstore.ErrUnauthenticated, "令牌无效："},
}

// errorLead is the Chinese headline of an error (empty in English): its kind when it is a
// typed one, else whether the call or the work failed.
func (e *env) errorLead(err error, usage bool) string {
	if !e.zh() {
		return ""
	}
	for _, l := range errorLeadsZh {
		if errors.Is(err, l.err) {
			return l.lead
		}
	}
	if usage {
		return "用法或输入有误："
	}
	return "失败："
}
