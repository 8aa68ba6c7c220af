package api

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
)

// Bounds on a multipart form's text fields, besides its one file.
const (
	maxFormFields     = 32
	maxFormFieldBytes = 64 << 10 // all text fields together
)

// form is a multipart/form-data request: its file (field "file") spooled to disk, its text
// fields, and the binary fields the route asked for, held in memory.
type form struct {
	*upload
	fields map[string]string
	binary map[string][]byte
	// skipped names the other file parts, which are not read.
	skipped []string
}

// formOptions says what a route's form holds besides its "file" and short text fields.
type formOptions struct {
	// binary names fields read as raw bytes, each up to its limit.
	binary map[string]int64
	// documentUnless: when the "file" part arrives before this field (binary), it must start as
	// a PDF or OFD document, checked on its first bytes, before it is read whole.
	documentUnless string
}

// readForm reads a multipart/form-data body whose document is the field "file" and whose other
// fields are short texts, or raw bytes (opts.binary). Other file parts are skipped unread. A body
// without "file" is a 400; so is a repeated field.
func readForm(r *http.Request, tempDir string, limit int64, opts formOptions) (*form, error) {
	binary := opts.binary
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return nil, errUnsupportedMedia("send multipart/form-data with the document as field \"file\", not %q", r.Header.Get("Content-Type"))
	}
	if params["boundary"] == "" {
		return nil, errBadRequest("multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	f := &form{fields: map[string]string{}, binary: map[string][]byte{}}
	fail := func(err error) (*form, error) {
		if f.upload != nil {
			f.upload.Close()
		}
		return nil, err
	}
	textBytes := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(bodyError(err, limit, "malformed multipart body: %v"))
		}
		name := part.FormName()
		if name == "file" {
			if f.upload != nil {
				part.Close()
				return fail(errBadRequest("the form has two \"file\" fields; send one document"))
			}
			var src io.Reader = part
			if _, seen := f.binary[opts.documentUnless]; opts.documentUnless != "" && !seen {
				head := make([]byte, sniffLen)
				n, err := io.ReadFull(part, head)
				if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
					return fail(bodyError(err, limit, "reading the upload: %v"))
				}
				if n > 0 && uploadKind(head[:n]) == "" {
					return fail(errUnprocessable("the upload is not a PDF (no %%PDF- header in its first %d bytes) or an OFD document (a zip package); it starts with %q. For a detached signature of any other file, send the field %q before \"file\"",
						sniffLen, head[:min(n, 16)], opts.documentUnless))
				}
				src = io.MultiReader(bytes.NewReader(head[:n]), part)
			}
			u, err := spool(src, tempDir, limit, part.FileName())
			part.Close()
			if err != nil {
				return fail(err)
			}
			f.upload = u
			continue
		}
		if _, ok := binary[name]; !ok && part.FileName() != "" {
			f.skipped = append(f.skipped, name)
			continue // not read: NextPart skips it
		}
		if max, ok := binary[name]; ok {
			if _, dup := f.binary[name]; dup {
				part.Close()
				return fail(errBadRequest("the form's field %q is repeated", name))
			}
			data, err := io.ReadAll(io.LimitReader(part, max+1))
			part.Close()
			if err != nil {
				return fail(bodyError(err, limit, "malformed multipart body: %v"))
			}
			if int64(len(data)) > max {
				return fail(errBadRequest("the form's field %q is over %d bytes", name, max))
			}
			f.binary[name] = data
			continue
		}
		if _, dup := f.fields[name]; dup || name == "" || len(f.fields) >= maxFormFields {
			part.Close()
			return fail(errBadRequest("the form's field %q is repeated, unnamed or one too many", name))
		}
		data, err := io.ReadAll(io.LimitReader(part, int64(maxFormFieldBytes-textBytes+1)))
		part.Close()
		if err != nil {
			return fail(bodyError(err, limit, "malformed multipart body: %v"))
		}
		textBytes += len(data)
		if textBytes > maxFormFieldBytes {
			return fail(errBadRequest("the form's text fields are over %d bytes together", maxFormFieldBytes))
		}
		f.fields[name] = strings.TrimSpace(string(data))
	}
	if f.upload == nil {
		return fail(errBadRequest("the form has no \"file\" field: send the document as multipart field \"file\""))
	}
	return f, nil
}

// spool copies a document to a temporary file, at most limit bytes.
func spool(src io.Reader, tempDir string, limit int64, name string) (*upload, error) {
	tf, err := os.CreateTemp(tempDir, UploadFilePrefix+"*")
	if err != nil {
		return nil, errInternal(err)
	}
	u := &upload{file: tf, name: name}
	n, err := copyUpload(tf, io.LimitReader(src, limit+1))
	if err != nil {
		u.Close()
		return nil, bodyError(err, limit, "reading the upload: %v")
	}
	if n > limit {
		u.Close()
		return nil, errTooLarge(limit)
	}
	if n == 0 {
		u.Close()
		return nil, errBadRequest("the \"file\" field is empty")
	}
	u.size = n
	return u, nil
}
