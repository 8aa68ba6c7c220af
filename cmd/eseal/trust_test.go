package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/certstore"
)

// colonFingerprint is a lower-case hex fingerprint as OpenSSL prints one: upper case, colons.
func colonFingerprint(hexFP string) string {
	var parts []string
	for i := 0; i+2 <= len(hexFP); i += 2 {
		parts = append(parts, strings.ToUpper(hexFP[i:i+2]))
	}
	return strings.Join(parts, ":")
}

// verifyReport is what the tests read of POST /v1/verify's answer.
type verifyReport struct {
	Indication string `json:"indication"`
	Signatures []struct {
		Indication    string `json:"indication"`
		SubIndication string `json:"subIndication"`
		Revocation    *struct {
			Status string `json:"status"`
			Source string `json:"source"`
		} `json:"revocation"`
		Seal *struct {
			Revocation *struct {
				Status string `json:"status"`
				Source string `json:"source"`
			} `json:"revocation"`
		} `json:"seal"`
	} `json:"signatures"`
}

// verifyOver posts a PDF to a service's POST /v1/verify and returns its report and raw JSON.
func verifyOver(t *testing.T, base, path string) (verifyReport, string) {
	t.Helper()
	pdf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/v1/verify", "application/pdf", bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s/v1/verify: %s %s", base, resp.Status, body)
	}
	var rep verifyReport
	if err := json.Unmarshal(body, &rep); err != nil || len(rep.Signatures) != 1 {
		t.Fatalf("the report: %v\n%s", err, body)
	}
	return rep, string(body)
}

// TestCrossRegionTrust runs two regions as two eseal services on loopback, each with its own data
// directory and port. Hangzhou (A) makes seals and signs licences; Beijing (B) imports A's trust
// bundle against the fingerprint A printed, and then verifies A's licences over its own HTTP API
// as TOTAL_PASSED, asking A's service about revocations; once A revokes a signer certificate and
// a seal (through A's admin socket, A serving), B's API reports both licences revoked.
func TestCrossRegionTrust(t *testing.T) {
	bin, err := lookPathIn("eseal", os.Getenv("PATH"))
	if err != nil {
		t.Fatal(err)
	}
	harness := func(user string) *crashHarness {
		work, err := os.MkdirTemp("", "esx") // short: the admin socket's path is at most 107 bytes
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(work) })
		return &crashHarness{t: t, bin: bin, work: work, env: []string{"ESEAL_DATA=" + filepath.Join(work, "data"),
			"ESEAL_KEY_PASSPHRASE=cross-region test " + user, "PATH=" + os.Getenv("PATH"), "HOME=" + work, "USER=" + user}}
	}
	a, b := harness("杭州审批科"), harness("北京审批科")
	pdf, err := os.ReadFile(filepath.Join("..", "..", "testdata", "licence.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.work, "licence.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}

	// Region A issues: two seals, a licence signed with each.
	a.must("init", "--region", "330100", "--name", "杭州市行政审批局")
	b.must("init", "--region", "110108", "--name", "北京市海淀区行政审批局")
	sealRe := regexp.MustCompile(`signer certificate serial ([0-9a-f]+)\n(\d+)`)
	var serials, esIDs []string
	for _, name := range []string{"杭州市行政审批局行政审批专用章", "杭州市行政审批局行政审批专用章（二）"} {
		m := sealRe.FindStringSubmatch(a.must("seal", "new", "--name", name))
		if m == nil {
			t.Fatal("seal new: no serial and esID")
		}
		serials, esIDs = append(serials, m[1]), append(esIDs, m[2])
	}
	// The time from which A will declare the keys unusable: a second before the second in which
	// the licences are signed, so that their signing times (one-second resolution) come after it.
	compromised := time.Now().UTC().Truncate(time.Second).Add(-time.Second)
	licences := []string{filepath.Join(a.work, "licence-1.pdf"), filepath.Join(a.work, "licence-2.pdf")}
	for i, esID := range esIDs {
		a.must("sign", "--seal", esID, "--in", "licence.pdf", "--out", licences[i],
			"--licence-id", fmt.Sprintf("HZ-2026-%04d", i+1), "--holder", "杭州某某餐饮有限公司")
	}

	_, baseA := a.serve()
	_, baseB := b.serve("--remote-refresh", "0")

	// B does not know A yet.
	if rep, body := verifyOver(t, baseB, licences[0]); rep.Indication == "TOTAL_PASSED" {
		t.Fatalf("B verified A's licence before trusting A:\n%s", body)
	}

	// A exports its bundle (through its admin socket: A's server holds its store), naming its
	// service's address, and prints its root's fingerprint.
	bundle := filepath.Join(a.work, "hangzhou-bundle.json")
	out := a.must("trust", "export", "--out", bundle, "--public-url", baseA)
	m := regexp.MustCompile(`(?m)^SHA-256 ([0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("trust export printed no fingerprint:\n%s", out)
	}
	if !strings.Contains(a.must("region"), "SHA-256 "+m[1]) {
		t.Fatalf("the exported fingerprint %s is not the region root's", m[1])
	}

	// B imports it with the fingerprint as a person might copy it.
	out = b.must("trust", "import", bundle, "--fingerprint", colonFingerprint(m[1]), "--note", "跨区域互认")
	for _, want := range []string{"Imported the trust bundle of region 330100 杭州市行政审批局: sequence 1", "Added 1 trust anchor:",
		"CN=杭州市行政审批局 根CA", "revocations and seal statuses from " + baseA} {
		if !strings.Contains(out, want) {
			t.Errorf("trust import printed no %q:\n%s", want, out)
		}
	}

	// B's API verifies A's licences, with A's service answering about revocations.
	hostA := strings.TrimPrefix(baseA, "http://")
	for _, l := range licences {
		rep, body := verifyOver(t, baseB, l)
		if rep.Indication != "TOTAL_PASSED" {
			t.Fatalf("B's API on A's licence %s: %s\n%s", filepath.Base(l), rep.Indication, body)
		}
		if r := rep.Signatures[0].Revocation; r == nil || r.Status != "good" || !strings.Contains(r.Source, "CRL of 杭州市行政审批局 根CA") || !strings.Contains(r.Source, hostA) {
			t.Errorf("the revocation status of %s does not come from A's CRL:\n%s", filepath.Base(l), body)
		}
	}

	// A revokes the first seal's signer certificate and the second seal, from before the
	// licences were signed; B's API sees both at once.
	a.must("revoke", "cert", serials[0], "--reason", "keyCompromise", "--invalidity-date", compromised.Format(time.RFC3339))
	a.must("revoke", "seal", esIDs[1], "--reason", "keyCompromise", "--invalidity-date", compromised.Format(time.RFC3339))
	rep, body := verifyOver(t, baseB, licences[0])
	if rep.Indication != "TOTAL_FAILED" || rep.Signatures[0].SubIndication != "REVOKED" || rep.Signatures[0].Revocation == nil || rep.Signatures[0].Revocation.Status != "revoked" {
		t.Errorf("after A revoked the signer's certificate, B's API says:\n%s", body)
	}
	rep, body = verifyOver(t, baseB, licences[1])
	if rep.Indication != "TOTAL_FAILED" || rep.Signatures[0].SubIndication != "REVOKED" || rep.Signatures[0].Seal == nil ||
		rep.Signatures[0].Seal.Revocation == nil || rep.Signatures[0].Seal.Revocation.Status != "revoked" || !strings.Contains(rep.Signatures[0].Seal.Revocation.Source, hostA) {
		t.Errorf("after A revoked the seal, B's API says:\n%s", body)
	}

	// A replayed bundle is refused by B's server too (exit 1), and B still trusts A.
	if _, errOut, code := b.run("trust", "import", bundle, "--fingerprint", m[1]); code != exitFailure || !strings.Contains(errOut, "not newer") {
		t.Errorf("replayed bundle: exit %d, %s", code, errOut)
	}
	if list := b.must("trust", "list"); !strings.Contains(list, "trust bundle of region 330100 杭州市行政审批局, sequence 1") {
		t.Errorf("trust list:\n%s", list)
	}
}

// TestTrustImportTimes: a bundle past its next update, or issued in the future, is refused by
// the CLI with exit 1 and a message that says so, and nothing is imported.
func TestTrustImportTimes(t *testing.T) {
	dir := t.TempDir()
	bundleAt := func(name string, issued time.Time) (string, string) {
		s, err := certstore.Open(filepath.Join(dir, name), certstore.Options{Passphrase: []byte("p"), Now: func() time.Time { return issued }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.InitRegion("330100", "杭州市行政审批局"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPublicURL("https://eseal.hangzhou.example"); err != nil {
			t.Fatal(err)
		}
		data, b, err := s.ExportTrustBundle(24 * time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path, b.RootFingerprint()
	}
	cli := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			getenv: func(k string) string { return map[string]string{"ESEAL_KEY_PASSPHRASE": "p"}[k] }})
		return code, stdout.String(), stderr.String()
	}
	beijing := filepath.Join(dir, "beijing")
	if code, _, errOut := cli("init", "--data", beijing, "--region", "110108", "--name", "北京市海淀区行政审批局"); code != 0 {
		t.Fatal(errOut)
	}
	for _, tc := range []struct {
		name   string
		issued time.Time
		want   string
	}{
		{"expired", time.Now().Add(-48 * time.Hour), "trust bundle refused (expired): its next update was due"},
		{"future", time.Now().Add(time.Hour), "trust bundle refused (not yet valid): issued"},
	} {
		path, fp := bundleAt(tc.name, tc.issued)
		code, _, errOut := cli("trust", "import", "--data", beijing, path, "--fingerprint", fp)
		if code != exitFailure || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "nothing imported") {
			t.Errorf("%s: exit %d, %s", tc.name, code, errOut)
		}
	}
	if code, out, _ := cli("trust", "list", "--data", beijing); code != 0 || strings.Contains(out, "杭州") {
		t.Errorf("trust list after refusals: %s", out)
	}
	// Sanity: the same kind of bundle, current, is imported.
	path, fp := bundleAt("current", time.Now().Add(-time.Minute))
	if code, out, errOut := cli("trust", "import", "--data", beijing, path, "--fingerprint", fp); code != 0 || !strings.Contains(out, "Added 1 trust anchor") {
		t.Errorf("current bundle: exit %d, %s%s", code, out, errOut)
	}
}
