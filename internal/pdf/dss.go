package pdf

import "fmt"

// DSS is the document security store (PAdES, ISO 32000-2 12.8.4.3) of the
// last revision: validation data added after signing.
type DSS struct {
	Certs, CRLs, OCSPs [][]byte // decoded DER, in the order written
	// VRI maps the /VRI keys (upper-case hex SHA-1 of a signature's
	// /Contents) to the validation data recorded for that signature.
	VRI map[string]VRI
}

// VRI is the validation data the DSS records for one signature.
type VRI struct {
	Certs, CRLs, OCSPs [][]byte
	TU                 string // /TU as written (a PDF date), "" if absent
}

// maxDSSData bounds the decoded validation data held in memory.
const maxDSSData = 32 << 20

// DSS reads the document security store of the last revision; it returns
// nil, nil when there is none. Streams whose filter is not supported are
// reported as an error rather than skipped.
func (d *Document) DSS() (dss *DSS, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer containPanic(&err)
	d.budget()
	defer func() {
		if err == nil && d.workErr != nil {
			dss, err = nil, d.workErr
		}
	}()
	view := d.lastView()
	root := d.dictOf(d.trailer(view)["Root"], view)
	dd := d.dictOf(root["DSS"], view)
	if dd == nil {
		return nil, nil
	}
	total := 0
	streams := func(v object, what string) ([][]byte, error) {
		var out [][]byte
		for i, x := range d.arrayOf(v, view) {
			st, ok := d.deref(x, view).(*stream)
			if !ok {
				return nil, fmt.Errorf("pdf: DSS %s entry %d is not a stream", what, i+1)
			}
			b, err := d.streamData(st, view, maxDecoded)
			if err != nil {
				return nil, fmt.Errorf("pdf: DSS %s entry %d: %w", what, i+1, err)
			}
			total += len(b)
			if total > maxDSSData {
				return nil, fmt.Errorf("pdf: DSS holds more than %d bytes of validation data", maxDSSData)
			}
			out = append(out, b)
		}
		return out, nil
	}
	dss = &DSS{VRI: map[string]VRI{}}
	if dss.Certs, err = streams(dd["Certs"], "certificate"); err != nil {
		return nil, err
	}
	if dss.CRLs, err = streams(dd["CRLs"], "CRL"); err != nil {
		return nil, err
	}
	if dss.OCSPs, err = streams(dd["OCSPs"], "OCSP response"); err != nil {
		return nil, err
	}
	vri := d.dictOf(dd["VRI"], view)
	for _, k := range sortedKeys(vri) { // key order: the same error first on every run
		vd := d.dictOf(vri[k], view)
		if vd == nil {
			continue
		}
		var e VRI
		if e.Certs, err = streams(vd["Cert"], "VRI certificate"); err != nil {
			return nil, err
		}
		if e.CRLs, err = streams(vd["CRL"], "VRI CRL"); err != nil {
			return nil, err
		}
		if e.OCSPs, err = streams(vd["OCSP"], "VRI OCSP response"); err != nil {
			return nil, err
		}
		if tu, ok := d.stringOf(vd["TU"], view); ok {
			e.TU = string(tu.b)
		}
		dss.VRI[string(k)] = e
	}
	return dss, nil
}
