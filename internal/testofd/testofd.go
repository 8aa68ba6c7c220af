// Package testofd writes small, valid, unsigned OFD documents (GB/T 33190-2016) for tests,
// examples and the README: a one-page sample licence in Chinese, its text uncompressed in the
// page's Content.xml so that a test can change it with a plain edit.
package testofd

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Licence is the sample licence's text.
type Licence struct {
	Number, Holder, Matter, Authority, Date string
	// ScanBytes > 0 adds a resource of that many incompressible bytes (a scanned attachment),
	// stored uncompressed, to make a larger document.
	ScanBytes int
	// Pages > 1 adds pages after the first (an annex: 附页 N), for riding seals.
	Pages int
}

// DefaultLicence is testdata/licence.ofd.
var DefaultLicence = Licence{
	Number:    "杭审批〔2026〕000123号",
	Holder:    "杭州某某贸易有限公司",
	Matter:    "食品经营许可（预包装食品销售）",
	Authority: "杭州市行政审批局",
	Date:      "2026年11月27日",
}

// fixedTime makes the archive's member times, and so the file, the same on every run.
var fixedTime = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// Bytes is the licence as an OFD package.
func (l Licence) Bytes() []byte {
	lines := []struct {
		size, x, y float64
		text       string
	}{
		{8, 45, 40, "准予行政许可决定书"},
		{4.2, 25, 62, "文号：" + l.Number},
		{4.2, 25, 74, "申请人：" + l.Holder},
		{4.2, 25, 86, "许可事项：" + l.Matter},
		{4.2, 25, 98, "经审查，申请人提交的材料齐全、符合法定形式，决定准予行政许可。"},
		{4.2, 120, 230, l.Authority},
		{4.2, 120, 242, l.Date},
		{3, 25, 280, "eseal 测试用样例文书，并非真实许可。"},
	}
	var content strings.Builder
	content.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="3">`)
	for i, ln := range lines {
		w := ln.size * float64(len([]rune(ln.text)))
		fmt.Fprintf(&content, `<ofd:TextObject ID="%d" Boundary="%g %g %g %g" Font="2" Size="%g"><ofd:TextCode X="0" Y="%g">%s</ofd:TextCode></ofd:TextObject>`,
			10+i, ln.x, ln.y, w, ln.size*1.5, ln.size, ln.size, ln.text)
	}
	content.WriteString(`</ofd:Layer></ofd:Content></ofd:Page>`)
	members := []struct{ name, data string }{
		{"OFD.xml", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" DocType="OFD" Version="1.1"><ofd:DocBody><ofd:DocInfo><ofd:DocID>5e5ea1c0e5ea1c0e5ea1c0e5ea1c0e5e</ofd:DocID><ofd:Title>准予行政许可决定书</ofd:Title><ofd:CreationDate>2026-11-27</ofd:CreationDate><ofd:Creator>eseal testofd</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>`},
		{"Doc_0/Document.xml", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:MaxUnitID>20</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>` + pageList(l.Pages) + `</ofd:Pages></ofd:Document>`},
		{"Doc_0/PublicRes.xml", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>`},
		{"Doc_0/Pages/Page_0/Content.xml", content.String()},
	}
	for i := 1; i < l.Pages; i++ {
		members = append(members, struct{ name, data string }{fmt.Sprintf("Doc_0/Pages/Page_%d/Content.xml", i),
			fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="%d"><ofd:TextObject ID="%d" Boundary="25 40 40 7" Font="2" Size="4.2"><ofd:TextCode X="0" Y="4.2">附页 %d</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>`, 100+2*i, 101+2*i, i)})
	}
	if l.ScanBytes > 0 {
		scan := make([]byte, l.ScanBytes)
		rand.NewChaCha8([32]byte{7}).Read(scan)
		members = append(members, struct{ name, data string }{"Doc_0/Res/scan.jpg", string(scan)})
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range members {
		method := zip.Deflate
		if strings.HasPrefix(m.name, "Doc_0/Res/") {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: method, Modified: fixedTime})
		if err != nil {
			panic(err) // writing to memory cannot fail
		}
		w.Write([]byte(m.data))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pageList is Document.xml's Pages: the licence, then n-1 annex pages.
func pageList(n int) string {
	out := `<ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>`
	for i := 1; i < n; i++ {
		out += fmt.Sprintf(`<ofd:Page ID="%d" BaseLoc="Pages/Page_%d/Content.xml"/>`, 100+2*i, i)
	}
	return out
}
