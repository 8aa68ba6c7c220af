package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Decoded sizes allowed for the streams this package reads (cross-reference
// streams, object streams, validation data).
const maxDecoded = 16 << 20

var errTooLarge = errors.New("decoded stream too large")

// streamData reads and decodes the data of s (FlateDecode with PNG
// predictors, or no filter). Other filters are reported as unsupported.
func (d *Document) streamData(s *stream, view int, limit int64) ([]byte, error) {
	if s.length < 0 || s.dataOff < 0 || s.dataOff+s.length > d.Size {
		return nil, fmt.Errorf("stream data outside the file")
	}
	filters, parms, err := d.filterList(s.dict, view)
	if err != nil {
		return nil, err
	}
	if len(filters) == 0 {
		if s.length > limit {
			return nil, errTooLarge
		}
		buf := make([]byte, s.length)
		if _, err := d.r.ReadAt(buf, s.dataOff); err != nil && !(errors.Is(err, io.EOF) && len(buf) > 0) {
			return nil, err
		}
		return buf, nil
	}
	if len(filters) > 1 {
		return nil, fmt.Errorf("unsupported filter chain %v", filters)
	}
	if filters[0] != "FlateDecode" && filters[0] != "Fl" {
		return nil, fmt.Errorf("unsupported filter /%s", filters[0])
	}
	if err := d.spend(int(s.length>>16) + 1); err != nil {
		return nil, err
	}
	data, err := inflate(io.NewSectionReader(d.r, s.dataOff, s.length), limit)
	if err != nil {
		return nil, err
	}
	return applyPredictor(data, parms[0])
}

func (d *Document) filterList(sd dict, view int) ([]name, []dict, error) {
	f := d.deref(sd["Filter"], view)
	p := d.deref(sd["DecodeParms"], view)
	switch f := f.(type) {
	case nil:
		return nil, nil, nil
	case name:
		pd, _ := p.(dict)
		return []name{f}, []dict{pd}, nil
	case array:
		var fs []name
		var ps []dict
		pa, _ := p.(array)
		for i, x := range f {
			n, ok := d.deref(x, view).(name)
			if !ok {
				return nil, nil, fmt.Errorf("filter is not a name")
			}
			fs = append(fs, n)
			var pd dict
			if i < len(pa) {
				pd, _ = d.deref(pa[i], view).(dict)
			}
			ps = append(ps, pd)
		}
		return fs, ps, nil
	}
	return nil, nil, fmt.Errorf("/Filter is neither a name nor an array")
}

// inflate decompresses zlib data (or raw deflate, which some writers emit),
// refusing more than limit bytes. A damaged end (checksum, truncation) after
// some data is tolerated, as PDF readers do.
func inflate(r io.ReadSeeker, limit int64) ([]byte, error) {
	var src io.Reader
	zr, err := zlib.NewReader(r)
	if err != nil {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		src = flate.NewReader(r)
	} else {
		src = zr
	}
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(src, limit+1))
	if n > limit {
		return nil, errTooLarge
	}
	if err != nil && out.Len() == 0 {
		return nil, fmt.Errorf("flate: %w", err)
	}
	return out.Bytes(), nil
}

// applyPredictor undoes PNG predictors (Predictor >= 10) and the TIFF
// predictor 2 for 8-bit samples.
func applyPredictor(data []byte, parms dict) ([]byte, error) {
	if parms == nil {
		return data, nil
	}
	pred, _ := parms["Predictor"].(int64)
	if pred <= 1 {
		return data, nil
	}
	colors, bpc, columns := int64(1), int64(8), int64(1)
	if v, ok := parms["Colors"].(int64); ok {
		colors = v
	}
	if v, ok := parms["BitsPerComponent"].(int64); ok {
		bpc = v
	}
	if v, ok := parms["Columns"].(int64); ok {
		columns = v
	}
	if colors < 1 || colors > 32 || columns < 1 || columns > 1<<20 || (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) {
		return nil, fmt.Errorf("bad predictor parameters")
	}
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((colors*bpc*columns + 7) / 8)
	if rowLen > len(data) {
		return nil, fmt.Errorf("predictor rows longer than the data")
	}
	if pred == 2 {
		if bpc != 8 {
			return nil, fmt.Errorf("unsupported TIFF predictor with %d bits per component", bpc)
		}
		for r := 0; r+rowLen <= len(data); r += rowLen {
			row := data[r : r+rowLen]
			for i := bpp; i < len(row); i++ {
				row[i] += row[i-bpp]
			}
		}
		return data, nil
	}
	if pred < 10 {
		return nil, fmt.Errorf("unsupported predictor %d", pred)
	}
	out := make([]byte, 0, len(data)/(rowLen+1)*rowLen)
	prev := make([]byte, rowLen)
	for r := 0; r+rowLen+1 <= len(data); r += rowLen + 1 {
		ft := data[r]
		row := data[r+1 : r+1+rowLen]
		for i := range row {
			var left, up, upLeft byte
			if i >= bpp {
				left = row[i-bpp]
				upLeft = prev[i-bpp]
			}
			up = prev[i]
			switch ft {
			case 0:
			case 1:
				row[i] += left
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(left) + int(up)) / 2)
			case 4:
				row[i] += paeth(left, up, upLeft)
			default:
				return nil, fmt.Errorf("bad PNG filter type %d", ft)
			}
		}
		out = append(out, row...)
		copy(prev, row)
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
