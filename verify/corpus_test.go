package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/smcrypto"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// corpusTime is the fixed validation time of the corpus tests: after the SM2 test files were
// signed (2026-11-27), while their signer certificate is valid (until 2028-11-26).
var corpusTime = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

type sigWant struct {
	ind      Indication
	sub      SubIndication
	coverage string
	status   map[CheckName]CheckStatus
}

type corpusCase struct {
	file string
	// pyhanko: also trust the pyHanko test root (testdata/pyhanko-test-root.pem, taken from the
	// certificates embedded in pdf-03), to see what the RSA files give once their root is trusted.
	pyhanko bool
	overall Indication
	sigs    []sigWant
}

func ok(names ...CheckName) map[CheckName]CheckStatus {
	m := map[CheckName]CheckStatus{}
	for _, n := range names {
		m[n] = CheckPassed
	}
	return m
}

func with(m map[CheckName]CheckStatus, name CheckName, s CheckStatus) map[CheckName]CheckStatus {
	m[name] = s
	return m
}

// corpusCases is the verdict a careful expert gives on each real file of testdata/corpus, with
// the trust anchor sm2-test-root.pem only (the RSA files' roots are not trusted: they are test
// CAs of other projects), no revocation source (revocation is then reported as not checked), at
// corpusTime. The comment says why.
var corpusCases = []corpusCase{
	// Two Adobe Reader signatures with a self-signed 4096-bit RSA certificate ("Lord Testerino")
	// and GlobalSign signature timestamps. Both are intact and verify; the second field's
	// signature came first and the only later change is the other signature (allowed). Nothing
	// makes a self-signed certificate trustworthy: the chain cannot be built.
	{file: "pdf-01.pdf", overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_file", status: with(ok(IntegrityCheck, SignatureValueCheck, LaterChangesCheck), TimestampCheck, CheckWarning)},
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_revision", status: with(ok(IntegrityCheck, SignatureValueCheck, LaterChangesCheck), TimestampCheck, CheckWarning)},
	}},
	// ByteRange [0 10 20 30]: a valid CMS over 40 meaningless bytes, with the real /Contents
	// elsewhere. The signature verifies over what it names, but what it names is not the
	// document: the ByteRange must cover everything except exactly the /Contents string.
	{file: "pdf-02.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: FormatFailure, coverage: "unclear", status: with(ok(FormatCheck), ByteRangeCheck, CheckFailed)},
	}},
	// pyHanko PAdES B-LTA: a CAdES signature with a signature timestamp, a document timestamp and
	// a DSS. All intact; the later revisions are a document timestamp and validation data
	// (allowed); the pyHanko test root is not trusted here.
	{file: "pdf-03.pdf", overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_revision", status: ok(IntegrityCheck, SignatureValueCheck, SignerCertificateCheck, LaterChangesCheck)},
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_revision", status: ok(FormatCheck, IntegrityCheck, SignatureValueCheck, LaterChangesCheck)},
	}},
	// ByteRange [0 690]: two numbers instead of four; nothing can be hashed.
	{file: "pdf-04.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: FormatFailure, coverage: "invalid", status: with(ok(FormatCheck), ByteRangeCheck, CheckFailed)},
	}},
	// The SM2 file pdf-06 with one signed byte changed (the XMP producer "Datalogics" became
	// "Eatalogics"): the SM3 of the ByteRange no longer equals the signed messageDigest, while
	// the SM2 signature over the signed attributes still verifies. Changed after signing.
	{file: "pdf-05.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: HashFailure, coverage: "entire_file", status: with(ok(ByteRangeCheck, SignatureValueCheck, ChainCheck), IntegrityCheck, CheckFailed)},
	}},
	// An SM2 signature in a PKCS#7-OID CMS (SM2-with-SM3 1.2.156.10197.1.501), SM3 messageDigest
	// over the whole file, ESS signingCertificateV2 with SM3, signer "行政审批专用章" issued by
	// the trusted Test SM2 Root CA and valid at signing and now. Valid; revocation unchecked.
	{file: "pdf-06.pdf", overall: TotalPassed, sigs: []sigWant{
		{ind: TotalPassed, coverage: "entire_file", status: with(ok(FormatCheck, ByteRangeCheck, IntegrityCheck, SignatureValueCheck, SignerCertificateCheck, ChainCheck, ValidityCheck, AlgorithmsCheck, LaterChangesCheck), RevocationCheck, CheckWarning)},
	}},
	// pdf-06 with 50 bytes appended after %%EOF that redefine object 1 (the catalog) without a
	// cross-reference section. The signed revision is intact, but the file holds unsigned
	// content that a repairing reader may show: not what was signed.
	{file: "pdf-07.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: FormatFailure, coverage: "entire_revision", status: with(ok(IntegrityCheck, SignatureValueCheck, ChainCheck), LaterChangesCheck, CheckFailed)},
	}},
	// An Adobe-made 2009 signature: RSA with SHA-1, chain John B Harris → GeoTrust CA for Adobe →
	// Adobe Root CA (all embedded, the root not trusted here), a GeoTrust signature timestamp
	// under the same root. Intact; untrusted; besides, the signer certificate expired in 2009 and
	// SHA-1 is no longer acceptable, and nothing trusted proves the signature is older.
	{file: "pdf-08.pdf", overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_file", status: map[CheckName]CheckStatus{
			IntegrityCheck: CheckPassed, SignatureValueCheck: CheckPassed, ChainCheck: CheckIndeterminate,
			ValidityCheck: CheckIndeterminate, AlgorithmsCheck: CheckIndeterminate, TimestampCheck: CheckWarning}},
	}},
	// A signature field whose /Contents is 3000 zero bytes: the placeholder was never filled.
	{file: "pdf-09.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: FormatFailure, status: map[CheckName]CheckStatus{FormatCheck: CheckFailed}},
	}},
	// Two pyHanko signatures by Alice, whose certificate expired on 2022-01-01, with a signed
	// signingTime of 2022-11-22: by its own signed statement the signature was made with an
	// expired certificate, which no trust anchor can mend. The first signature is also hit by
	// the appearance-override attack: revision 2 rewrites object 9, the appearance of the
	// empty field Sig2 that the signed catalog also references as /FooBar.
	{file: "pdf-10.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: ExpiredSub, coverage: "entire_revision", status: map[CheckName]CheckStatus{
			IntegrityCheck: CheckPassed, SignatureValueCheck: CheckPassed, ValidityCheck: CheckFailed, LaterChangesCheck: CheckFailed}},
		{ind: TotalFailed, sub: ExpiredSub, coverage: "entire_file", status: map[CheckName]CheckStatus{
			IntegrityCheck: CheckPassed, SignatureValueCheck: CheckPassed, ValidityCheck: CheckFailed, LaterChangesCheck: CheckPassed}},
	}},
	// ByteRange [0 690 6692 400] ends at byte 7092, inside revision 1 (which ends at 7195): the
	// trailer with /Root is unsigned. The CMS verifies over those bytes, but they are not a
	// document a reader would show.
	{file: "pdf-11.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: FormatFailure, coverage: "unclear", status: with(ok(IntegrityCheck, SignatureValueCheck), ByteRangeCheck, CheckFailed)},
	}},
	// pdf-06 and a second SM2 signature made by pdfsign (new widget, new catalog object with the
	// second field). The first signature's later change is a signature: allowed. Both valid.
	{file: "pdf-12.pdf", overall: TotalPassed, sigs: []sigWant{
		{ind: TotalPassed, coverage: "entire_revision", status: ok(IntegrityCheck, SignatureValueCheck, ChainCheck, LaterChangesCheck)},
		{ind: TotalPassed, coverage: "entire_file", status: ok(IntegrityCheck, SignatureValueCheck, ChainCheck, LaterChangesCheck)},
	}},
	// pdf-11 with "/Bleh <000…>" smuggled into the ByteRange gap after the real /Contents: the
	// gap is more than the signature value, so unsigned bytes could be anything.
	{file: "pdf-13.pdf", overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: FormatFailure, status: map[CheckName]CheckStatus{ByteRangeCheck: CheckFailed}},
	}},
	// A pyHanko certification signature (DocMDP P=1) over the whole file; the chain ends at the
	// untrusted pyHanko test root, and the certificate has expired since (2021-01-01).
	{file: "pdf-14.pdf", overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_file", status: ok(IntegrityCheck, SignatureValueCheck, SignerCertificateCheck, LaterChangesCheck)},
	}},
	// The SM2 signature of pdf-06 in the GM/T 0010 convention (signedData
	// 1.2.156.10197.6.1.4.2.2, SM2 1.2.156.10197.1.301.1): equally valid.
	{file: "pdf-15.pdf", overall: TotalPassed, sigs: []sigWant{
		{ind: TotalPassed, coverage: "entire_file", status: ok(FormatCheck, IntegrityCheck, SignatureValueCheck, SignerCertificateCheck, ChainCheck, ValidityCheck, LaterChangesCheck)},
	}},
	// A pyHanko signature without signed attributes: the RSA signature signs the SHA-256 of the
	// ByteRange directly, and verifies. Untrusted root as for pdf-14.
	{file: "pdf-16.pdf", overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_file", status: ok(IntegrityCheck, SignatureValueCheck, LaterChangesCheck)},
	}},
	// A legacy adbe.x509.rsa_sha1 signature: a bare PKCS#1 SHA-1 signature with a self-signed
	// 1024-bit RSA certificate in /Cert. It verifies; the certificate is untrusted and expired
	// (2014); SHA-1 and RSA-1024 are no longer acceptable without an older proof of existence.
	{file: "pdf-17.pdf", overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_file", status: map[CheckName]CheckStatus{
			FormatCheck: CheckPassed, IntegrityCheck: CheckPassed, SignatureValueCheck: CheckPassed, AlgorithmsCheck: CheckIndeterminate}},
	}},
	// An endesive signature by an Actalis client certificate; the issuing CA is not in the CMS
	// and not trusted here, and the certificate expired in 2020.
	{file: "pdf-18.pdf", overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: NoCertificateChainFound, coverage: "entire_file", status: ok(IntegrityCheck, SignatureValueCheck, LaterChangesCheck)},
	}},

	// The pyHanko files again, with the pyHanko test root trusted as well.
	//
	// pdf-03: Alice's certificate expired in 2022, but the signature timestamp (TSA chaining to
	// the trusted root) proves the signature existed on 2020-11-01, when it was valid: valid,
	// which is exactly what PAdES-LTA is for. The document timestamp is valid too.
	{file: "pdf-03.pdf", pyhanko: true, overall: TotalPassed, sigs: []sigWant{
		{ind: TotalPassed, status: with(ok(ChainCheck, ValidityCheck, TimestampCheck, LaterChangesCheck), RevocationCheck, CheckWarning)},
		{ind: TotalPassed, status: ok(ChainCheck, ValidityCheck)},
	}},
	// pdf-10: trusting the root changes nothing: the claimed time is after expiry.
	{file: "pdf-10.pdf", pyhanko: true, overall: TotalFailed, sigs: []sigWant{
		{ind: TotalFailed, sub: ExpiredSub, status: ok(ChainCheck)},
		{ind: TotalFailed, sub: ExpiredSub, status: ok(ChainCheck)},
	}},
	// pdf-14 and pdf-16: trusted chain, but the certificate expired on 2021-01-01 and only the
	// signer's claim (2020-11-01) says the signature is older: OUT_OF_BOUNDS_NO_POE.
	{file: "pdf-14.pdf", pyhanko: true, overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: OutOfBoundsNoPOE, status: with(ok(ChainCheck), ValidityCheck, CheckIndeterminate)},
	}},
	{file: "pdf-16.pdf", pyhanko: true, overall: Indeterminate, sigs: []sigWant{
		{ind: Indeterminate, sub: OutOfBoundsNoPOE, status: with(ok(ChainCheck), ValidityCheck, CheckIndeterminate)},
	}},
}

func loadCerts(t testing.TB, path string) []*smcrypto.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := smcrypto.ParseCertificates(b)
	if err != nil || len(cs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	return cs
}

func corpusOptions(t testing.TB, name string, pyhanko bool) Options {
	anchors := loadCerts(t, "testdata/corpus/sm2-test-root.pem")
	if pyhanko {
		anchors = append(anchors, loadCerts(t, "testdata/pyhanko-test-root.pem")...)
	}
	// No revocation information exists for these test PKIs: the golden verdicts are those of the
	// soft-fail policy, so that they show every other check; TestCorpusFailsClosed checks the default.
	return Options{ExtraAnchors: anchors, CurrentTime: corpusTime, Name: name, RevocationPolicy: RevocationSoftFail}
}

// TestCorpusFailsClosed checks that under the default policy the corpus signatures that pass
// with soft-fail are INDETERMINATE/TRY_LATER: nobody can say whether their signers were revoked.
func TestCorpusFailsClosed(t *testing.T) {
	for _, file := range []string{"pdf-06.pdf", "pdf-12.pdf", "pdf-15.pdf"} {
		data, err := os.ReadFile(filepath.Join("testdata/corpus", file))
		if err != nil {
			t.Fatal(err)
		}
		opts := corpusOptions(t, file, false)
		opts.RevocationPolicy = RevocationRequired
		rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Indication != Indeterminate {
			t.Errorf("%s: %s, want INDETERMINATE", file, rep.Indication)
		}
		for _, s := range rep.Signatures {
			if s.Indication != Indeterminate || s.SubIndication != TryLater {
				t.Errorf("%s signature %d: %s/%s, want INDETERMINATE/TRY_LATER", file, s.Index, s.Indication, s.SubIndication)
			}
		}
	}
}

func TestCorpus(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range corpusCases {
		name := strings.TrimSuffix(c.file, ".pdf")
		if c.pyhanko {
			name += ".pyhanko-root"
		}
		t.Run(name, func(t *testing.T) {
			seen[c.file] = true
			data, err := os.ReadFile(filepath.Join("testdata/corpus", c.file))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), corpusOptions(t, c.file, c.pyhanko))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Indication != c.overall {
				t.Errorf("overall %s, want %s", rep.Indication, c.overall)
			}
			if len(rep.Signatures) != len(c.sigs) {
				t.Fatalf("%d signatures, want %d", len(rep.Signatures), len(c.sigs))
			}
			for i, w := range c.sigs {
				s := rep.Signatures[i]
				if s.Indication != w.ind || s.SubIndication != w.sub {
					t.Errorf("signature %d: %s/%s, want %s/%s\n%s", i+1, s.Indication, s.SubIndication, w.ind, w.sub, dumpChecks(s))
				}
				if w.coverage != "" && s.Coverage != w.coverage {
					t.Errorf("signature %d: coverage %s, want %s", i+1, s.Coverage, w.coverage)
				}
				for name, st := range w.status {
					found := false
					for _, ch := range s.Checks {
						if ch.Name == name {
							found = true
							if ch.Status != st {
								t.Errorf("signature %d: %s is %s, want %s: %s", i+1, name, ch.Status, st, ch.Detail)
							}
						}
					}
					if !found {
						t.Errorf("signature %d: no %s check", i+1, name)
					}
				}
			}
			compareGolden(t, filepath.Join("testdata/golden", name+".json"), rep)
		})
	}
	files, _ := filepath.Glob("testdata/corpus/*.pdf")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expected verdict in corpusCases", f)
		}
	}
}

// goldenReport is the part of a report the golden files hold: the verdicts and the facts as
// data, no prose (details, findings), which may be reworded without changing what is found.
type goldenReport struct {
	Indication Indication        `json:"indication"`
	Document   DocumentInfo      `json:"document"`
	Signatures []goldenSignature `json:"signatures"`
}

type goldenSignature struct {
	Index             int             `json:"index"`
	FieldName         string          `json:"fieldName,omitempty"`
	Type              string          `json:"type"`
	Indication        Indication      `json:"indication"`
	SubIndication     SubIndication   `json:"subIndication,omitempty"`
	Format            string          `json:"format"`
	Coverage          string          `json:"coverage"`
	Signer            *Party          `json:"signer,omitempty"`
	Chain             []Party         `json:"chain,omitempty"`
	Seal              *SealInfo       `json:"seal,omitempty"`
	SigningTime       *time.Time      `json:"signingTime,omitempty"`
	SigningTimeSource string          `json:"signingTimeSource,omitempty"`
	ProofOfExistence  *TimeProof      `json:"proofOfExistence,omitempty"`
	Validity          *Validity       `json:"validity,omitempty"`
	Revocation        *RevocationInfo `json:"revocation,omitempty"`
	Checks            []goldenCheck   `json:"checks"`
	LaterChanges      []goldenChange  `json:"laterChanges,omitempty"`
}

type goldenCheck struct {
	Name          CheckName     `json:"name"`
	Status        CheckStatus   `json:"status"`
	SubIndication SubIndication `json:"subIndication,omitempty"`
}

type goldenChange struct {
	Revision int    `json:"revision"`
	Kind     string `json:"kind"`
	Allowed  bool   `json:"allowed"`
}

func goldenOf(rep *Report) goldenReport {
	g := goldenReport{Indication: rep.Indication, Document: rep.Document, Signatures: []goldenSignature{}}
	for _, s := range rep.Signatures {
		gs := goldenSignature{Index: s.Index, FieldName: s.FieldName, Type: s.Type, Indication: s.Indication, SubIndication: s.SubIndication,
			Format: s.Format, Coverage: s.Coverage, Signer: s.Signer, Chain: s.Chain, Seal: s.Seal, SigningTime: s.SigningTime,
			SigningTimeSource: s.SigningTimeSource, ProofOfExistence: s.ProofOfExistence, Validity: s.Validity, Revocation: s.Revocation}
		for _, c := range s.Checks {
			gs.Checks = append(gs.Checks, goldenCheck{c.Name, c.Status, c.SubIndication})
		}
		for _, c := range s.LaterChanges {
			gs.LaterChanges = append(gs.LaterChanges, goldenChange{c.Revision, c.Kind, c.Allowed})
		}
		g.Signatures = append(g.Signatures, gs)
	}
	return g
}

// compareGolden compares the report's verdicts and facts (goldenOf) with the golden file
// (rewritten with -update).
func compareGolden(t *testing.T, path string, rep *Report) {
	t.Helper()
	got, err := json.MarshalIndent(goldenOf(rep), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCorpus -update to create it)", err)
	}
	if g, w := string(got), string(want); g != w {
		gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s differs at line %d:\n got: %s\nwant: %s\n(run with -update if the change is intended)", path, i+1, g, w)
				break
			}
		}
	}
}

// TestWeakAlgorithmChain: pdf-08's chain (John B Harris → GeoTrust CA for Adobe → Adobe Root CA)
// is signed with SHA-1. With the Adobe root trusted, the chain is refused for its algorithm
// (CRYPTO_CONSTRAINTS_FAILURE_NO_POE: no trusted proof that the signature predates 2014), not
// reported as forged; the GeoTrust signature timestamp, under the same SHA-1 root, proves nothing.
func TestWeakAlgorithmChain(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus/pdf-08.pdf")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	sd, err := smcrypto.ParseSignedData(doc.Signatures[0].Contents)
	if err != nil {
		t.Fatal(err)
	}
	var root *smcrypto.Certificate
	for _, c := range sd.Certificates {
		if c.Subject.CommonName == "Adobe Root CA" {
			root = c
		}
	}
	if root == nil {
		t.Fatal("pdf-08's CMS lacks the Adobe Root CA")
	}
	rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), Options{ExtraAnchors: []*smcrypto.Certificate{root}, CurrentTime: corpusTime})
	if err != nil {
		t.Fatal(err)
	}
	assertSignature(t, rep, 0, expect{ind: Indeterminate, sub: CryptoConstraintsFailureNoPOE,
		status: map[CheckName]CheckStatus{ChainCheck: CheckIndeterminate, TimestampCheck: CheckWarning, AlgorithmsCheck: CheckIndeterminate},
		detail: map[CheckName][]string{
			ChainCheck:     {"John B Harris", "no longer accepted for certificates", "SHA1-RSA"},
			TimestampCheck: {"its TSA is not trusted", "no longer accepted for certificates"},
		}})
}
