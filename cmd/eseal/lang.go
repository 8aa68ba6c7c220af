package main

import (
	"fmt"

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
