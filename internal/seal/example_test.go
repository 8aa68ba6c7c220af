package seal_test

import (
	"fmt"
	"os"

	"github.com/eseal/eseal/internal/seal"
)

// Read a seal file, check its maker's signature and its validity at a given time.
func ExampleParseSeal() {
	der, err := os.ReadFile("testdata/seals/ofdrw_UserV4.esl")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := seal.ParseSeal(der)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("version:", s.Version)
	fmt.Println("esID:", s.ESID)
	fmt.Println("name:", s.Name)
	fmt.Println("valid:", s.ValidStart.Format("2006-01-02"), "to", s.ValidEnd.Format("2006-01-02"))
	enc, err := s.VerifyMakerSignature()
	fmt.Println("maker signature:", enc, err)
	fmt.Println("valid at its end + 1 day:", s.ValidAt(s.ValidEnd.AddDate(0, 0, 1)))
	// Output:
	// version: 4
	// esID: 51f044b76510434e9bc67a1185c2fba5
	// name: OFD R&W 测试用印章
	// valid: 2020-04-22 to 2022-04-22
	// maker signature: DER <nil>
	// valid at its end + 1 day: seal: seal not valid at the given time: 2022-04-23T02:09:00Z is after the seal's validEnd 2022-04-22T02:09:00Z
}

// Read an SES_Signature (an OFD SignedValue.dat) and check it against its own seal.
func ExampleParseSignature() {
	der, err := os.ReadFile("testdata/seals/ofdrw_SignedValueV4.dat")
	if err != nil {
		fmt.Println(err)
		return
	}
	sig, err := seal.ParseSignature(der)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed at:", sig.TimeInfo)
	fmt.Println("protects:", sig.PropertyInfo)
	enc, err := sig.VerifySignatureValue()
	fmt.Println("signature value:", enc, err)
	fmt.Println("signer allowed by the seal:", sig.VerifySignerAllowed())
	fmt.Println("seal valid at signing time:", sig.Seal.ValidAt(sig.TimeInfo))
	// Output:
	// signed at: 2020-10-12 11:14:03 +0000 UTC
	// protects: /Doc_0/Signs/Sign_0/Signature.xml
	// signature value: DER <nil>
	// signer allowed by the seal: <nil>
	// seal valid at signing time: <nil>
}

// Make a seal code and a picture for a new seal; BuildSeal then signs the seal with the maker's
// key (see its documentation).
func ExampleGeneratePicture() {
	esID, err := seal.NewESID("110105", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	pic, err := seal.GeneratePicture("北京市海淀区测试审批专用章", esID, 40)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(esID, pic.Type, pic.WidthMM, "mm", seal.ValidatePicture(pic))
	// Output:
	// 11010500000001 PNG 40 mm <nil>
}
