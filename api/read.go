package api

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
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

// readUpload spools the document of a request to disk: the multipart field "file" (or the first
// file part) of a multipart/form-data body, or else the raw body. It reads at most limit bytes.
func readUpload(r *http.Request, tempDir string, limit int64) (*upload, error) {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var src io.Reader = r.Body
	name := ""
	if mediaType == "multipart/form-data" {
		if params["boundary"] == "" {
			return nil, errBadRequest("multipart/form-data without a boundary")
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		part, err := firstFilePart(mr, limit)
		if err != nil {
			return nil, err
		}
		defer part.Close()
		src, name = part, part.FileName()
	}
	f, err := os.CreateTemp(tempDir, "eseal-upload-*")
	if err != nil {
		return nil, errInternal(err)
	}
	u := &upload{file: f, name: name}
	n, err := io.Copy(f, io.LimitReader(src, limit+1))
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
		return nil, errBadRequest("the request carries no document (send a PDF as the body or as multipart field \"file\")")
	}
	u.size = n
	return u, nil
}

func firstFilePart(mr *multipart.Reader, limit int64) (*multipart.Part, error) {
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, errBadRequest("the multipart form has no \"file\" field")
		}
		if err != nil {
			return nil, bodyError(err, limit, "malformed multipart body: %v")
		}
		if part.FormName() == "file" || part.FileName() != "" {
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
	return errBadRequest(format, err)
}
