package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"sync"
)

// upload is a request body spooled to a temporary file.
type upload struct {
	file *os.File
	size int64
	name string
}

func (u *upload) Close() {
	u.file.Close()
	os.Remove(u.file.Name())
}

// readUpload spools the document of a request to disk: the multipart field "file" of a
// multipart/form-data body, or else the raw body. It reads at most limit bytes of document, and
// refuses a request as early as it can: one that declares a larger body before reading anything,
// and one whose document does not start as a PDF, an OFD package or a DER signature does after
// its first bytes.
func readUpload(r *http.Request, tempDir string, limit int64) (*upload, error) {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	multipartBody := mediaType == "multipart/form-data"
	if declared := r.ContentLength; declared > limit && (!multipartBody || declared > limit+multipartAllowance) {
		return nil, errTooLarge(limit)
	}
	var src io.Reader = r.Body
	name := ""
	if multipartBody {
		if params["boundary"] == "" {
			return nil, errBadRequest("multipart/form-data without a boundary")
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		part, err := filePart(mr, limit)
		if err != nil {
			return nil, err
		}
		// Not closed: Close would read the rest of the part, even of a part refused early.
		src, name = part, part.FileName()
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(src, head)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
	case err != nil:
		return nil, bodyError(err, limit, "reading the upload: %v")
	}
	head = head[:n]
	if n == 0 {
		return nil, errBadRequest("the request carries no document (send a PDF or OFD document as the body or as multipart field \"file\")")
	}
	if uploadKind(head) == "" {
		return nil, errUnprocessable("the upload is not a PDF (no %%PDF- header in its first %d bytes), an OFD document (a zip package) or a detached signature (DER); it starts with %q", sniffLen, head[:min(len(head), 16)])
	}
	f, err := os.CreateTemp(tempDir, UploadFilePrefix+"*")
	if err != nil {
		return nil, errInternal(err)
	}
	u := &upload{file: f, name: name}
	if _, err := f.Write(head); err != nil {
		u.Close()
		return nil, errInternal(err)
	}
	rest, err := copyUpload(f, io.LimitReader(src, limit+1-int64(n)))
	if err != nil {
		u.Close()
		return nil, bodyError(err, limit, "reading the upload: %v")
	}
	size := int64(n) + rest
	if size > limit {
		u.Close()
		return nil, errTooLarge(limit)
	}
	if multipartBody {
		// The rest of the form is read (and dropped) too: only a body read to its end lets the
		// server notice a client that goes away during the verification.
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			u.Close()
			return nil, bodyError(err, limit, "malformed multipart body: %v")
		}
	}
	u.size = size
	return u, nil
}

// UploadFilePrefix starts the name of every temporary upload file, so that those a crash left
// behind can be recognised and removed.
const UploadFilePrefix = "eseal-upload-"

// sniffLen is how much of an upload is read before it is accepted as a document: a PDF's header
// may come after up to 1,024 bytes of anything (ISO 32000-1, annex H).
const sniffLen = 1024

// uploadKind tells a document from its first bytes: "pdf", "ofd" (a zip package), "signature"
// (a DER SEQUENCE, for a detached signature), or "" for none of these.
func uploadKind(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "ofd"
	case bytes.Contains(head, []byte("%PDF-")):
		return "pdf"
	case len(head) >= 2 && head[0] == 0x30 && head[1]&0x80 != 0:
		return "signature" // SEQUENCE with a long-form length, as any signature has
	}
	return ""
}

// filePart finds the multipart field "file"; other fields before it are skipped.
func filePart(mr *multipart.Reader, limit int64) (*multipart.Part, error) {
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, errBadRequest("the multipart form has no \"file\" field")
		}
		if err != nil {
			return nil, bodyError(err, limit, "malformed multipart body: %v")
		}
		if part.FormName() == "file" {
			return part, nil
		}
		part.Close()
	}
}

// bodyError is the answer to a failure reading the request body: 413 when the body went past the
// server's limit (http.MaxBytesReader), else 400 with format (one %v, the error).
func bodyError(err error, limit int64, format string) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge(limit)
	}
	if errors.Is(err, ErrUploadTooSlow) {
		return &Error{Status: http.StatusRequestTimeout, Code: "too_slow", Message: err.Error()}
	}
	return errBadRequest(format, err)
}

// uploadBuffers lend copyUpload its buffers: 256 KiB, so that an upload reaches its file in a
// few large writes rather than many 32 KiB ones (the system calls were a tenth of a small
// licence's verification over HTTP).
var uploadBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyUpload copies an upload to its temporary file, a full buffer at a time (a network body
// arrives in pieces of a few kilobytes).
func copyUpload(dst *os.File, src io.Reader) (int64, error) {
	bp := uploadBuffers.Get().(*[]byte)
	defer uploadBuffers.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := io.ReadFull(src, buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, err
		}
	}
}
