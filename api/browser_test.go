package api

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"

	"github.com/chromedp/chromedp"
)

// TestWebPage drives the embedded page in headless Chromium as a person would: a valid, a
// tampered and a revoked licence, read in Chinese (the default) and in English; the seal's
// picture and place; the failing reason without a click and what to do; the print layout; a
// licence's QR link (/v/CODE) before and after its revocation. Screenshots are kept as
// artifacts.
func TestWebPage(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is required for the browser test (scripts/test installs it)")
	}
	srv, signed, store := testServerStore(t, Config{})
	dir := t.TempDir()
	good := filepath.Join(dir, "licence-signed.pdf")
	bad := filepath.Join(dir, "licence-tampered.pdf")
	revoked := filepath.Join(dir, "licence-revoked.pdf")
	os.WriteFile(good, signed, 0o644)
	os.WriteFile(bad, []byte(strings.Replace(string(signed), "Hangzhou Example", "Hangzhou Exampla", 1)), 0o644)
	// A licence sealed with a second seal, revoked for a key compromise dated before it.
	other, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局合同专用章"})
	if err != nil {
		t.Fatal(err)
	}
	key, sl, chain, err := store.SealSigner(other.ESID)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := sign.SignPDF(bytes.NewReader(testpdf.DefaultLicence.Bytes()), &out, sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}, sign.PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(revoked, out.Bytes(), 0o644)
	if _, err := store.RevokeSeal(certstore.SealRevokeRequest{ESID: other.ESID, Reason: verify.ReasonKeyCompromise, InvalidityDate: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	artifacts := os.Getenv("ESEAL_ARTIFACTS")
	if artifacts == "" {
		artifacts = dir
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.WindowSize(1100, 1400))
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 5*time.Minute) // the race detector slows the server tenfold
	defer cancel()

	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatalf("evaluating %s: %v", js, err)
		}
		return v
	}
	upload := func(path, waitFor string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
			// The button is disabled while a verification runs (the language switch starts
			// one): a click then would be lost.
			chromedp.WaitEnabled(chromedp.ID("go")),
			chromedp.Click(chromedp.ID("go")),
			chromedp.WaitVisible(chromedp.Search(waitFor)),
		)
		if err != nil {
			t.Fatalf("uploading %s: %v", filepath.Base(path), err)
		}
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || !strings.Contains(title, "电子印章与签名验证") {
		t.Errorf("title %q, %v", title, err)
	}

	// Valid, in Chinese: the banner, the issuing agency, the seal's picture and its place.
	upload(good, `//div[@id="verdict" and contains(., "有效")]`)
	if verdict := text("#verdict"); !strings.Contains(verdict, "有效 · 1 个签章中 1 个有效") || !strings.Contains(verdict, "文件签章后未被修改") {
		t.Errorf("verdict for the sealed licence = %q", verdict)
	}
	if card := text(".signature"); !strings.Contains(card, "签发机关") || !strings.Contains(card, "签章时间") || !strings.Contains(card, "杭州市行政审批局行政审批专用章") {
		t.Errorf("the signature card: %q", card)
	}
	if issuer := text(".issuer"); issuer != "杭州市行政审批局" {
		t.Errorf("签发机关 = %q", issuer)
	}
	if w := eval(`document.querySelector("img.seal-pic").naturalWidth`); w == nil || w.(float64) < 50 {
		t.Errorf("the seal's picture is not shown: naturalWidth %v", w)
	}
	if marks := eval(`document.querySelectorAll("svg.preview rect.seal-mark").length`); marks != 1.0 {
		t.Errorf("seal marks on the page preview: %v", marks)
	}
	screenshot("web-valid-zh.png")

	// Tampered: the reason shows without a click, with what to do.
	upload(bad, `//div[@id="verdict" and contains(., "无效")]`)
	if reason := text(".fail-reason"); !strings.Contains(reason, "文件完整性") || !strings.Contains(reason, "修改") {
		t.Errorf("the failing reason = %q", reason)
	}
	if visible := eval(`document.querySelector(".fail-reason").offsetParent !== null`); visible != true {
		t.Error("the failing reason is hidden")
	}
	if next := text(".next-step"); !strings.Contains(next, "签发机关索取原件") {
		t.Errorf("what to do = %q", next)
	}
	screenshot("web-tampered-zh.png")

	// Revoked.
	upload(revoked, `//div[@id="verdict" and contains(., "无效")]`)
	if why, next := text("#why"), text(".next-step"); !strings.Contains(why, "吊销") || !strings.Contains(next, "签发机关") {
		t.Errorf("revoked licence: why %q, next %q", why, next)
	}
	screenshot("web-revoked-zh.png")

	// English.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("langSwitch")), chromedp.WaitVisible(chromedp.Search(`//div[@id="verdict" and contains(., "INVALID")]`))); err != nil {
		t.Fatalf("switching to English: %v", err)
	}
	if card := text(".signature"); !strings.Contains(card, "Issuing agency") || !strings.Contains(text(".next-step"), "issuing agency") {
		t.Errorf("English card: %q", card)
	}
	screenshot("web-revoked-en.png")

	// Printed, it is a certificate: no upload controls.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if shown := eval(`[getComputedStyle(document.getElementById("form")).display, getComputedStyle(document.querySelector("header")).display, getComputedStyle(document.getElementById("verdict")).display].join(",")`); shown != "none,none,block" {
		t.Errorf("print layout (form, header, verdict) = %v", shown)
	}
	screenshot("web-print-en.png")
	chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	}), chromedp.Click(chromedp.ID("langSwitch")), chromedp.WaitVisible(chromedp.Search(`//div[@id="verdict" and contains(., "无效")]`)))

	// A non-document: the server's reason.
	notPDF := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPDF, []byte("not a pdf"), 0o644)
	upload(notPDF, `//div[@id="error"]`)
	if errText := text("#error"); !strings.Contains(errText, "(422)") || !strings.Contains(errText, "无法验证") {
		t.Errorf("error shown for a non-PDF = %q", errText)
	}

	// A licence's QR link opens its standing, without an upload.
	code, _ := certstore.NewVerificationCode()
	if err := store.RecordIssuance(certstore.IssuanceRecord{ID: strings.Repeat("ab", 32), Format: "PDF", ESID: seals(t, store)[0], SignedAt: time.Now(),
		LicenceID: "LOCAL-2026-0777", Holder: "杭州某某贸易有限公司", Code: code}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/v/"+code), chromedp.WaitVisible(chromedp.Search(`//div[@id="verdict" and contains(., "有效")]`))); err != nil {
		t.Fatalf("the QR link: %v", err)
	}
	if card := text(".issuance"); !strings.Contains(card, "杭州某某贸易有限公司") || !strings.Contains(card, "LOCAL-2026-0777") || !strings.Contains(text("#why"), "现行有效") {
		t.Errorf("the QR link's page: %q", card)
	}
	screenshot("web-qr-in-force-zh.png")
	if _, err := store.ChangeLicenceState(certstore.LicenceAction{ID: "LOCAL-2026-0777", State: certstore.LicenceRevoked, Reason: "未履行告知承诺", Basis: "《行政许可法》第六十九条"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.Search(`//div[@id="verdict" and contains(., "无效")]`))); err != nil {
		t.Fatalf("the QR link after the revocation: %v", err)
	}
	if card := text(".issuance"); !strings.Contains(card, "已撤销") || !strings.Contains(card, "未履行告知承诺") {
		t.Errorf("the revoked licence's page: %q", card)
	}
	screenshot("web-qr-revoked-zh.png")
}

func seals(t *testing.T, s *certstore.Store) []string {
	t.Helper()
	recs, err := s.Seals()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.ESID)
	}
	return out
}

func TestIndexPage(t *testing.T) {
	srv, _ := testServer(t, Config{})
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := make([]byte, 1<<16)
	n, _ := resp.Body.Read(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("the page is served without a Content-Security-Policy")
	}
	if !strings.Contains(string(body[:n]), `fetch(base + "v1/verify?lang=`) {
		t.Error("the page does not post to v1/verify")
	}
}
