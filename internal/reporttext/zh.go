package reporttext

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/eseal/eseal/verify"
)

// Chinese: the catalogue the CLI (--lang zh, LANG=zh_*) and the API (?lang=zh) share, so that
// the words for verdicts, checks and reasons are written once. A report's check details stay in
// English (they are technical evidence); each check gets a plain Chinese explanation instead.

// Lang is a language of the reports for people.
type Lang string

const (
	En Lang = "en"
	Zh Lang = "zh"
)

// ParseLang reads zh or en (zh-CN, zh_CN.UTF-8 and the like count as zh).
func ParseLang(s string) (Lang, error) {
	switch l := strings.ToLower(s); {
	case l == "en" || strings.HasPrefix(l, "en_") || strings.HasPrefix(l, "en-"):
		return En, nil
	case l == "zh" || strings.HasPrefix(l, "zh_") || strings.HasPrefix(l, "zh-"):
		return Zh, nil
	}
	return "", fmt.Errorf("language %q: zh or en", s)
}

// LangFromEnv is the language the environment asks for (LC_ALL, LC_MESSAGES, LANG, in that
// order, as POSIX says): zh_* gives Chinese, anything else English.
func LangFromEnv(getenv func(string) string) Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return Zh
			}
			return En
		}
	}
	return En
}

// IndicationZh is a verdict in Chinese.
var IndicationZh = map[verify.Indication]string{
	verify.TotalPassed:      "有效",
	verify.TotalFailed:      "无效",
	verify.Indeterminate:    "无法确定",
	verify.NoSignatureFound: "未签章",
}

// SubIndicationZh says a sub-indication's reason in plain Chinese.
var SubIndicationZh = map[verify.SubIndication]string{
	verify.FormatFailure:                 "签名的格式无法识别或已损坏",
	verify.HashFailure:                   "文件在签章后被修改过，内容与签章时不一致",
	verify.SigCryptoFailure:              "签名值验证失败，签名不是由该证书做出或已被篡改",
	verify.Revoked:                       "签章所用的证书或印章在签章前已被吊销",
	verify.SigConstraintsFailure:         "签章所出具的许可证已不在有效状态",
	verify.ChainConstraintsFailure:       "证书链不符合要求",
	verify.CertificateChainGeneral:       "证书链验证失败",
	verify.CryptoConstraintsFailure:      "所用算法不被接受",
	verify.ExpiredSub:                    "证书已过期",
	verify.NotYetValid:                   "证书尚未生效",
	verify.SignedDataNotFound:            "找不到签名所覆盖的数据",
	verify.NoSigningCertificateFound:     "找不到签章人的证书",
	verify.NoCertificateChainFound:       "签发机关不在本系统的信任列表中，无法确认签章人的身份",
	verify.RevokedNoPOE:                  "证书或印章已被吊销，且无法证明签章发生在吊销之前（没有可信时间戳）",
	verify.RevokedCANoPOE:                "上级证书已被吊销，且无法证明签章发生在吊销之前",
	verify.OutOfBoundsNoPOE:              "证书已过期，且无法证明签章发生在有效期内",
	verify.OutOfBoundsNotRevoked:         "证书已过期（未被吊销）",
	verify.CryptoConstraintsFailureNoPOE: "所用算法已不被接受，且无法证明签章时仍可接受",
	verify.TryLater:                      "暂时无法获得吊销或许可证状态信息",
}

// NextStepZh and NextStepEn say what a person should do about a sub-indication.
var NextStepZh = map[verify.SubIndication]string{
	verify.HashFailure:             "请勿使用此文件，请向签发机关索取原件。",
	verify.SigCryptoFailure:        "请勿使用此文件，请向签发机关索取原件。",
	verify.FormatFailure:           "请向签发机关索取原件。",
	verify.Revoked:                 "请联系签发机关核实该文件的效力。",
	verify.RevokedNoPOE:            "请联系签发机关核实该文件是否在吊销前签发。",
	verify.SigConstraintsFailure:   "该许可证已被变更、撤回、撤销或注销，请联系签发机关。",
	verify.NoCertificateChainFound: "请通过可信渠道导入签发地区的信任包（eseal trust import）后重试，或联系签发机关。",
	verify.TryLater:                "请稍后重试；如持续出现，请联系本系统管理员。",
	verify.ExpiredSub:              "请联系签发机关核实。",
	verify.OutOfBoundsNoPOE:        "请联系签发机关核实。",
}

var NextStepEn = map[verify.SubIndication]string{
	verify.HashFailure:             "Do not rely on this file: ask the issuing agency for the original.",
	verify.SigCryptoFailure:        "Do not rely on this file: ask the issuing agency for the original.",
	verify.FormatFailure:           "Ask the issuing agency for the original.",
	verify.Revoked:                 "Contact the issuing agency to confirm whether the document stands.",
	verify.RevokedNoPOE:            "Contact the issuing agency to confirm it was issued before the revocation.",
	verify.SigConstraintsFailure:   "The licence was changed, withdrawn, revoked or cancelled: contact the issuing agency.",
	verify.NoCertificateChainFound: "Import the issuing region's trust bundle through a trusted channel (eseal trust import), or contact the issuing agency.",
	verify.TryLater:                "Try again later; if it persists, contact this service's administrator.",
	verify.ExpiredSub:              "Contact the issuing agency.",
	verify.OutOfBoundsNoPOE:        "Contact the issuing agency.",
}

// CheckNameZh names a check in Chinese.
var CheckNameZh = map[verify.CheckName]string{
	verify.FormatCheck: "签名格式", verify.ByteRangeCheck: "签名范围", verify.IntegrityCheck: "文件完整性",
	verify.SignatureValueCheck: "签名值", verify.SignerCertificateCheck: "签章人证书", verify.SealCheck: "电子印章",
	verify.ChainCheck: "证书链", verify.ValidityCheck: "证书有效期", verify.RevocationCheck: "吊销状态",
	verify.AlgorithmsCheck: "算法", verify.LaterChangesCheck: "签章后的修改", verify.TimestampCheck: "时间戳",
	verify.LicenceCheck: "许可证状态", verify.ReferencesCheck: "文件引用",
}

// CheckStatusZh names a check's outcome in Chinese.
var CheckStatusZh = map[verify.CheckStatus]string{
	verify.CheckPassed: "通过", verify.CheckFailed: "未通过", verify.CheckIndeterminate: "无法确定",
	verify.CheckWarning: "提示", verify.CheckSkipped: "未检查",
}

// checkPassedZh and checkFailedZh explain, in plain Chinese, what a check's outcome means.
var checkPassedZh = map[verify.CheckName]string{
	verify.FormatCheck:            "签名数据格式正确，可以读取",
	verify.ByteRangeCheck:         "签名覆盖了整个文件（签名值本身除外）",
	verify.IntegrityCheck:         "文件自签章后未被修改",
	verify.SignatureValueCheck:    "签名值与签章人证书的公钥相符",
	verify.SignerCertificateCheck: "签章人证书完整，且与签名相对应",
	verify.SealCheck:              "电子印章由制章机构签发，在有效期内且未被吊销，签章人在印章授权范围内",
	verify.ChainCheck:             "签章人证书可追溯到受信任的根证书",
	verify.ValidityCheck:          "签章时证书在有效期内",
	verify.RevocationCheck:        "证书未被吊销",
	verify.AlgorithmsCheck:        "使用国密算法（SM2/SM3），可以接受",
	verify.LaterChangesCheck:      "签章后没有不允许的修改",
	verify.TimestampCheck:         "可信时间戳证明了签章时间",
	verify.LicenceCheck:           "许可证处于有效状态",
	verify.ReferencesCheck:        "签名所保护的文件均未被修改",
}

var checkFailedZh = map[verify.CheckName]string{
	verify.FormatCheck:            "签名数据无法读取或格式错误",
	verify.ByteRangeCheck:         "签名没有覆盖整个文件",
	verify.IntegrityCheck:         "文件在签章后被修改过",
	verify.SignatureValueCheck:    "签名值验证失败",
	verify.SignerCertificateCheck: "签章人证书缺失或与签名不符",
	verify.SealCheck:              "电子印章无效、已过期、已被吊销，或签章人不在授权范围内",
	verify.ChainCheck:             "签章人证书无法追溯到受信任的根证书",
	verify.ValidityCheck:          "签章时证书不在有效期内",
	verify.RevocationCheck:        "证书已被吊销，或无法确认其吊销状态",
	verify.AlgorithmsCheck:        "所用算法不被接受",
	verify.LaterChangesCheck:      "签章后文件有不允许的修改",
	verify.TimestampCheck:         "时间戳无效",
	verify.LicenceCheck:           "许可证已被变更、撤回、撤销或注销",
	verify.ReferencesCheck:        "签名所保护的文件被修改或缺失",
}

// CheckExplanationZh explains a check's outcome in plain Chinese.
func CheckExplanationZh(c verify.Check) string {
	switch c.Status {
	case verify.CheckPassed:
		if s, ok := checkPassedZh[c.Name]; ok {
			return s
		}
		return "通过"
	case verify.CheckSkipped:
		return "本项未检查（不适用或前一步已失败）"
	case verify.CheckWarning:
		if s, ok := checkPassedZh[c.Name]; ok {
			return s + "；但有需要注意之处，见技术细节"
		}
		return "有需要注意之处，见技术细节"
	case verify.CheckIndeterminate:
		if c.Name == verify.RevocationCheck || c.Name == verify.LicenceCheck {
			return "暂时无法确认（吊销或许可证信息无法获得），见技术细节"
		}
		return "无法确定，见技术细节"
	}
	if s, ok := checkFailedZh[c.Name]; ok {
		return s
	}
	return "未通过"
}

// SummaryZh says a signature's verdict and its main reason in one Chinese sentence, its times
// in Beijing time (Zone), as Chinese readers expect whatever zone the rest of the report uses.
func SummaryZh(s *verify.SignatureReport) string {
	clock := func(t time.Time) string { return t.In(Zone).Format("2006年01月02日 15:04:05（北京时间）") }
	who := "签章"
	if s.Seal != nil && s.Seal.Name != "" {
		who = "印章“" + s.Seal.Name + "”"
	} else if s.Signer != nil && s.Signer.CommonName != "" {
		who = "“" + s.Signer.CommonName + "”"
	}
	when := ""
	if s.SigningTime != nil {
		when = "于" + clock(*s.SigningTime)
	}
	switch s.Indication {
	case verify.TotalPassed:
		out := fmt.Sprintf("有效：由%s%s签章，文件签章后未被修改", who, when)
		if s.Licence != nil && s.Licence.ID != "" {
			out += fmt.Sprintf("；许可证 %s 处于有效状态", s.Licence.ID)
		}
		return out + "。"
	case verify.NoSignatureFound:
		return "文件中没有签章。"
	}
	reason := SubIndicationZh[s.SubIndication]
	if reason == "" {
		reason = CheckExplanationZh(decisiveCheck(s))
	}
	if s.SubIndication == verify.SigConstraintsFailure && s.Licence != nil {
		reason = fmt.Sprintf("许可证 %s 已%s（%s，依据：%s）；印章本身%s", s.Licence.ID, licenceStateZh[s.Licence.State],
			orDash(s.Licence.Reason), orDash(s.Licence.Basis), "验证无误，但该许可证不能再作为有效证明")
	}
	return fmt.Sprintf("%s：由%s%s签章，%s。", IndicationZh[s.Indication], who, when, reason)
}

var licenceStateZh = map[string]string{
	"in_force": "有效", "changed": "变更", "withdrawn": "撤回", "revoked": "撤销", "cancelled": "注销",
}

// LicenceStateZh names a licence's state in Chinese.
func LicenceStateZh(state string) string {
	if s, ok := licenceStateZh[state]; ok {
		return s
	}
	return state
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Issuer is the organisation that issued a signature, in the words a clerk uses (签发机关):
// the O= of the seal's maker or of the signer's certificate.
func Issuer(s *verify.SignatureReport) string {
	for _, dn := range []string{signerDN(s), sealMakerDN(s)} {
		if o := attr(dn, "O"); o != "" {
			return o
		}
	}
	return ""
}

func signerDN(s *verify.SignatureReport) string {
	if s.Signer != nil {
		return s.Signer.Subject
	}
	return ""
}

func sealMakerDN(s *verify.SignatureReport) string {
	if s.Seal != nil {
		return s.Seal.Maker
	}
	return ""
}

// attr finds an attribute's value in a distinguished name as verify writes it
// ("CN=…, O=…, C=CN").
func attr(dn, key string) string {
	for _, part := range strings.Split(dn, ", ") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// writeZh is Write in Chinese.
func writeZh(w io.Writer, r *verify.Report, opts Options) {
	clock := func(t time.Time) string { return t.In(Zone).Format("2006-01-02 15:04:05") + "（北京时间）" }
	line := func(label, text string) { writeWrappedRunes(w, padZh(label), text, opts.Width) }
	name := r.Document.Name
	if name == "" {
		name = "（文件）"
	}
	if r.Document.Format == "PDF" {
		line("文件", fmt.Sprintf("%s（%s，%d 字节，%d 个版本）", name, r.Document.Format, r.Document.Size, r.Document.Revisions))
	} else {
		line("文件", fmt.Sprintf("%s（%s，%d 字节）", name, r.Document.Format, r.Document.Size))
	}
	verdict := fmt.Sprintf("%s [%s]", IndicationZh[r.Indication], r.Indication)
	passed := 0
	for _, s := range r.Signatures {
		if s.Indication == verify.TotalPassed {
			passed++
		}
	}
	switch n := len(r.Signatures); {
	case n == 1 && r.Signatures[0].Type == verify.TypeSeal:
		verdict += "：单独验证的电子印章"
	case n == 0:
		verdict += "：文件中没有签章"
	default:
		verdict += fmt.Sprintf("：%d 个签章中 %d 个有效", n, passed)
	}
	line("结论", verdict)
	line("核验时间", clock(r.ValidationTime))
	for i, s := range r.Signatures {
		fmt.Fprintf(w, "\n签章 %d/%d：%s [%s", i+1, len(r.Signatures), IndicationZh[s.Indication], s.Indication)
		if s.SubIndication != "" {
			fmt.Fprintf(w, " / %s", s.SubIndication)
		}
		fmt.Fprintln(w, "]")
		line("  说明", SummaryZh(&s))
		if next := NextStepZh[s.SubIndication]; next != "" && s.Indication != verify.TotalPassed {
			line("  建议", next)
		}
		if s.Seal != nil {
			seal := orDash(s.Seal.Name)
			if s.Seal.ESID != "" {
				seal += "（印章编码 " + s.Seal.ESID + "）"
			}
			if !s.Seal.ValidEnd.IsZero() {
				seal += "，有效期至 " + s.Seal.ValidEnd.In(Zone).Format("2006-01-02")
			}
			line("  印章名称", seal)
		}
		if org := Issuer(&s); org != "" {
			line("  签发机关", org)
		}
		if s.Signer != nil {
			line("  签章人", fmt.Sprintf("%s（证书序列号 %s）", orDash(s.Signer.CommonName), s.Signer.Serial))
		}
		if s.SigningTime != nil {
			line("  签章时间", clock(*s.SigningTime))
		}
		if s.Licence != nil {
			line("  许可证", fmt.Sprintf("%s：%s", s.Licence.ID, LicenceStateZh(s.Licence.State)))
		}
		var ok []string
		for _, c := range s.Checks {
			name := CheckNameZh[c.Name]
			if name == "" {
				name = string(c.Name)
			}
			switch {
			case c.Status == verify.CheckPassed && !opts.Verbose:
				ok = append(ok, name)
			case c.Status == verify.CheckSkipped && !opts.Verbose:
			default:
				line("  "+CheckStatusZh[c.Status], name+"："+CheckExplanationZh(c))
				if c.Status != verify.CheckPassed || opts.Verbose {
					writeWrapped(w, padZh("      细节"), c.Detail, opts.Width)
				}
			}
		}
		if len(ok) > 0 {
			line("  已通过", strings.Join(ok, "、"))
		}
	}
}

// padZh pads a label and its colon to the same display width, so values line up.
func padZh(label string) string {
	s := label + "："
	if pad := 14 - displayWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// writeWrappedRunes is writeWrapped for text without spaces between words (Chinese): it may
// break between any two characters.
func writeWrappedRunes(w io.Writer, prefix, text string, width int) {
	if width <= 0 {
		width = 100
	}
	indent := strings.Repeat(" ", displayWidth(prefix))
	line, lineWidth := prefix, displayWidth(prefix)
	for _, r := range text {
		rw := displayWidth(string(r))
		// A line does not begin with closing punctuation (Chinese typesetting's 避头): it stays
		// on the line before, a column over.
		if lineWidth+rw > width && lineWidth > len(indent) && !strings.ContainsRune("，。、；：！？）》」』”", r) {
			fmt.Fprintln(w, line)
			line, lineWidth = indent, len(indent)
		}
		line += string(r)
		lineWidth += rw
	}
	fmt.Fprintln(w, line)
}
