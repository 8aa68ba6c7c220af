package api

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebPage loads the embedded page in headless Chromium, uploads a sealed licence and a
// tampered copy, and reads the rendered verdicts, as a person using the page would.
func TestWebPage(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is required for the browser test (scripts/test installs it)")
	}
	srv, signed := testServer(t, Config{})
	dir := t.TempDir()
	good := filepath.Join(dir, "licence-signed.pdf")
	bad := filepath.Join(dir, "licence-tampered.pdf")
	os.WriteFile(good, signed, 0o644)
	os.WriteFile(bad, []byte(strings.Replace(string(signed), "Hangzhou Example", "Hangzhou Exampla", 1)), 0o644)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")))
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	upload := func(path, waitFor string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
			chromedp.Click(chromedp.ID("go")),
			chromedp.WaitVisible(chromedp.Search(waitFor)),
		)
		if err != nil {
			t.Fatalf("uploading %s: %v", filepath.Base(path), err)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || !strings.Contains(title, "Verify") {
		t.Errorf("title %q, %v", title, err)
	}
	upload(good, `//div[@id="verdict"]`)
	if verdict := text("#verdict"); !strings.Contains(verdict, "VALID [TOTAL_PASSED]") || !strings.Contains(verdict, "1 of 1") {
		t.Errorf("verdict for the sealed licence = %q", verdict)
	}
	if card := text(".signature"); !strings.Contains(card, "杭州市行政审批局行政审批专用章") || !strings.Contains(card, "esID 33010000000001") {
		t.Errorf("signature card lacks the seal: %q", card)
	}
	if path := os.Getenv("ESEAL_SCREENSHOT"); path != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(path, png, 0o644)
		}
	}

	upload(bad, `//div[@id="verdict" and contains(., "INVALID")]`)
	if verdict, card := text("#verdict"), text(".signature"); !strings.Contains(verdict, "TOTAL_FAILED") || !strings.Contains(card, "HASH_FAILURE") {
		t.Errorf("tampered licence: verdict %q, card %q", verdict, card)
	}

	// A file that is not a PDF shows the server's error instead of a report.
	notPDF := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPDF, []byte("not a pdf"), 0o644)
	upload(notPDF, `//div[@id="error"]`)
	if errText := text("#error"); !strings.Contains(errText, "(422)") {
		t.Errorf("error shown for a non-PDF = %q", errText)
	}
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
	if !strings.Contains(string(body[:n]), `fetch("v1/verify"`) {
		t.Error("the page does not post to v1/verify")
	}
}
