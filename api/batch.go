package api

import (
	"archive/zip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/batch"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/sign"
)

// MaxBatchFiles bounds the documents of one POST /v1/sign/batch.
const MaxBatchFiles = 200

// batchFields are the text fields POST /v1/sign/batch takes: what applies to every document
// (a licence's fields describe one document and are not among them).
var batchFields = map[string]bool{"seal": true, "reason": true, "location": true, "page": true, "near": true, "cms-oids": true, "timestamp": true, "qr": true}

// batchItem is one document of a batch.
type batchItem struct {
	Name     string `json:"name"`
	Format   string `json:"format,omitempty"`
	Status   string `json:"status"` // signed or failed
	Error    string `json:"error,omitempty"`
	Digest   string `json:"digest,omitempty"`
	Code     string `json:"code,omitempty"`
	Link     string `json:"link,omitempty"`
	in       *os.File
	out      *os.File
	signedAt time.Time
}

// handleSignBatch answers POST /v1/sign/batch (role issuer): multipart "seal", the options of
// POST /v1/sign that apply to every document, and up to MaxBatchFiles fields "file" (PDF or OFD,
// told by their bytes), signed on all cores with their records committed in groups. The answer
// is a zip: each signed document under signed/NAME, and manifest.json saying of every document
// whether it was signed (digest, verification code and link) or why not. One bad document does
// not stop the others.
func (s *server) handleSignBatch(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+multipartAllowance)
	items, fields, err := s.readBatch(r)
	defer func() {
		for _, it := range items {
			closeRemove(it.in)
			closeRemove(it.out)
		}
	}()
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	o, err := parseSignOptions(fields)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	esID, page, convention, timestamp, qr := o.esID, o.page, o.convention, o.timestamp, o.qr
	st := s.storeFor(r)
	base, err := st.PublicURL()
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if qr && base == "" {
		writeProblem(w, r, s.log, errConflict("qr: the region's public URL is not set, so there is no link to encode"))
		return
	}
	sealer, sl, chain, err := sealerFor(st, esID)
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	var stamp func([]byte) ([]byte, error)
	if timestamp {
		stamp = st.TimestampSignature
	}
	signerSerial := smcrypto.SerialHex(chain[0].SerialNumber)
	recorder := batch.NewRecorder(st.RecordIssuances, 0)
	defer recorder.Close()

	signOne := func(ctx context.Context, it *batchItem) error {
		code, err := certstore.NewVerificationCode()
		if err != nil {
			return err
		}
		if it.out, err = os.CreateTemp(s.cfg.TempDir, UploadFilePrefix+"signed-*"); err != nil {
			return err
		}
		size, err := it.in.Seek(0, io.SeekEnd)
		if err != nil {
			return err
		}
		var digest []byte
		if isOFD(it.in) {
			it.Format = "OFD"
			res, err := sign.SignOFD(it.in, size, it.out, sealer, sign.OFDOptions{Page: page, Near: fields["near"], TimeStamp: stamp})
			if err != nil {
				return err
			}
			digest, it.signedAt = res.DataHash, res.SigningTime
		} else {
			it.Format = "PDF"
			opts := sign.PDFOptions{Page: page, Reason: fields["reason"], Location: fields["location"], Near: fields["near"], Convention: convention, TimeStamp: stamp, Code: code}
			if qr {
				opts.QR = base + "/v/" + code
			}
			if _, err := it.in.Seek(0, io.SeekStart); err != nil {
				return err
			}
			res, err := sign.SignPDF(it.in, it.out, sealer, opts)
			if err != nil {
				return err
			}
			digest, it.signedAt = res.Digest, res.SigningTime
		}
		rec := certstore.IssuanceRecord{ID: hex.EncodeToString(digest), Format: it.Format, Document: it.Name, ESID: sl.ESID,
			SignerSerial: signerSerial, SignedAt: it.signedAt, Code: code}
		if err := recorder.Record(rec); err != nil {
			return fmt.Errorf("signed, but not recorded, so not handed out: %w", err)
		}
		it.Digest, it.Code = rec.ID, code
		if base != "" {
			it.Link = base + "/v/" + code
		}
		return nil
	}
	// Once recorded, a signature is handed out even if the client has gone: no item is
	// abandoned half-way, so the batch runs with a context of its own.
	errs := batch.Sign(context.WithoutCancel(r.Context()), items, signOne, batch.Options{Workers: 4 * runtime.GOMAXPROCS(0)})
	signed := 0
	for i, it := range items {
		if errs[i] != nil {
			it.Status, it.Error = "failed", strings.TrimPrefix(signErrorText(errs[i]), "certstore: ")
			closeRemove(it.out)
			it.out = nil
			s.ops.metrics.ObserveSign(orPDF(it.Format), false)
			continue
		}
		it.Status = "signed"
		signed++
		s.ops.metrics.ObserveSign(it.Format, true)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="signed.zip"`)
	w.Header().Set("Eseal-Batch-Signed", strconv.Itoa(signed))
	w.Header().Set("Eseal-Batch-Failed", strconv.Itoa(len(items)-signed))
	zw := zip.NewWriter(w)
	for _, it := range items {
		if it.out == nil {
			continue
		}
		if _, err := it.out.Seek(0, io.SeekStart); err != nil {
			s.log.Error("batch answer", "err", err)
			return
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: "signed/" + it.Name, Method: zip.Store, Modified: it.signedAt, Flags: 0x800})
		if err == nil {
			_, err = io.Copy(fw, it.out)
		}
		if err != nil {
			s.log.Error("batch answer", "err", err) // the client sees a cut zip
			return
		}
	}
	manifest, _ := json.MarshalIndent(map[string]any{"seal": sl.ESID, "signed": signed, "failed": len(items) - signed, "documents": items}, "", "  ")
	if fw, err := zw.Create("manifest.json"); err == nil {
		fw.Write(manifest)
	}
	zw.Close()
}

func orPDF(format string) string {
	if format == "" {
		return "PDF"
	}
	return format
}

// signErrorText is a failed document's reason, as POST /v1/sign would say it.
func signErrorText(err error) string {
	var apiErr *Error
	if errors.As(signError(err), &apiErr) {
		return apiErr.Message
	}
	return err.Error()
}

// readBatch reads the batch's form: text fields, and every "file" part spooled to disk.
func (s *server) readBatch(r *http.Request) ([]*batchItem, map[string]string, error) {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return nil, nil, errUnsupportedMedia("send multipart/form-data with the documents as fields \"file\"")
	}
	if params["boundary"] == "" {
		return nil, nil, errBadRequest("multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	fields := map[string]string{}
	names := map[string]bool{}
	var items []*batchItem
	var total int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return items, nil, bodyError(err, s.cfg.MaxUploadBytes, "malformed multipart body: %v")
		}
		name := part.FormName()
		if name != "file" {
			if !batchFields[name] || part.FileName() != "" {
				part.Close()
				return items, nil, errBadRequest("unknown field %q (a batch takes seal, reason, location, page, near, cms-oids, timestamp, qr and files; a licence's fields describe one document: sign it with POST /v1/sign)", name)
			}
			if _, dup := fields[name]; dup {
				return items, nil, errBadRequest("the form's field %q is repeated", name)
			}
			v, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				return items, nil, bodyError(err, s.cfg.MaxUploadBytes, "malformed multipart body: %v")
			}
			fields[name] = strings.TrimSpace(string(v))
			continue
		}
		if len(items) == MaxBatchFiles {
			return items, nil, errBadRequest("a batch takes at most %d documents", MaxBatchFiles)
		}
		docName := filepath.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
		if docName == "." || docName == "/" || docName == "" || strings.HasPrefix(docName, ".") {
			return items, nil, errBadRequest("every \"file\" needs a file name (document %d has %q)", len(items)+1, part.FileName())
		}
		if names[docName] {
			return items, nil, errBadRequest("two documents are named %q: the answer's zip names each by its own", docName)
		}
		names[docName] = true
		u, err := spool(part, s.cfg.TempDir, s.cfg.MaxUploadBytes-total, docName)
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.Code == "too_large" {
			return items, nil, errTooLarge(s.cfg.MaxUploadBytes) // the documents together
		} else if err != nil {
			return items, nil, err
		}
		total += u.size
		items = append(items, &batchItem{Name: docName, in: u.file})
	}
	if len(items) == 0 {
		return nil, nil, errBadRequest("the form has no \"file\" field: send the documents as fields \"file\"")
	}
	return items, fields, nil
}

func closeRemove(f *os.File) {
	if f != nil {
		f.Close()
		os.Remove(f.Name())
	}
}
