package seal

import (
	"strings"
	"testing"
	"time"
)

// Genuine names, Chinese and mixed, must never be "repaired": their GB18030 bytes are not UTF-8.
func TestRepairDoubleEncodingKeepsRealNames(t *testing.T) {
	for _, name := range []string{
		"中国工商银行股份有限公司电子回单专用章", "淄博市周村区自然资源局(不动产登记专用章)", "苏州市民政局电子证照专用章",
		"云南省住房和城乡建设厅", "测试全国统一发票监制章国家税务总局重庆市税务局", "OFD R&W 测试用印章", "百万股份",
		"北京市海淀区人民政府行政审批专用章", "ICBC", "章", "é",
	} {
		if fixed, ok := repairDoubleEncoding(name); ok {
			t.Errorf("%q would be repaired to %q", name, fixed)
		}
	}
	if fixed, ok := repairDoubleEncoding("鐧句竾鑲′唤"); !ok || fixed != "百万股份" {
		t.Errorf("the real double-encoded name gives %q, %v", fixed, ok)
	}
}

func TestOIDValue(t *testing.T) {
	for _, want := range []string{"1.2.156.10197.1.501", "2.5.29.15", "2.999.3", "0.9.2342.19200300.100.1.1", "1.3.6.1.4.1.54706.1"} {
		got, err := oidValue(tlv{tag: tagOID, body: derOID(want)[2:]}, "oid")
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v", want, got, err)
		}
	}
}

func TestParseASN1Time(t *testing.T) {
	tests := []struct {
		in   string
		utc  bool
		want string
	}{
		{"20200101000000Z", false, "2020-01-01T00:00:00Z"},
		{"20200101000000,5Z", false, "2020-01-01T00:00:00.5Z"},
		{"20200101000000.1234567891Z", false, "2020-01-01T00:00:00.123456789Z"},
		{"20200101000000-0500", false, "2020-01-01T05:00:00Z"},
		{"491231235959Z", true, "2049-12-31T23:59:59Z"},
		{"500101000000Z", true, "1950-01-01T00:00:00Z"},
		{"2001010000Z", true, "2020-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		got, err := parseASN1Time(tt.in, tt.utc, &quirks{}, "t")
		if err != nil || got.Format(time.RFC3339Nano) != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.in, got.Format(time.RFC3339Nano), err, tt.want)
		}
	}
	for _, bad := range []string{"", "2020", "20201301000000Z", "20200101250000Z", "20200101006000Z",
		"20200101000060Z", "20200101000000+2400", "20200101000000+08", "2020010100000aZ", "20200101000000Zjunk"} {
		if _, err := parseASN1Time(bad, false, &quirks{}, "t"); err == nil {
			t.Errorf("%q accepted", bad)
		} else {
			wantReason(t, err, Malformed)
		}
	}
	if _, err := parseASN1Time("200101000000.5Z", true, &quirks{}, "t"); err == nil {
		t.Error("UTCTime with a fraction accepted")
	}
}

func TestQuirksDeduplicated(t *testing.T) {
	q := &quirks{}
	q.add("a %d", 1)
	q.add("a %d", 1)
	q.add("b")
	if len(q.list) != 2 {
		t.Errorf("%q", q.list)
	}
}

func TestRepairDoubleEncodingInvalidInput(t *testing.T) {
	if fixed, ok := repairDoubleEncoding("\xe9\x90"); ok {
		t.Errorf("invalid UTF-8 repaired to %q", fixed)
	}
}

func TestContainPanic(t *testing.T) {
	f := func() (err error) {
		defer containPanic(&err, "X")
		var b []byte
		_ = b[len(b)] // a runtime panic, as a parser bug on malformed input would raise
		return nil
	}
	err := f()
	wantReason(t, err, Malformed)
	if !strings.Contains(err.Error(), "X: parser failed on malformed input") {
		t.Error(err)
	}
}

func TestAddPNGTextWithoutIEND(t *testing.T) {
	if _, err := addPNGText([]byte("not a png"), "Title", "x"); err == nil {
		t.Error("no error for data without IEND")
	}
}
